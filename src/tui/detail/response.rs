//! The Response tab: the status line, headers, what the server says it computed (from its error
//! body) and the response body.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::lines::{display_header_value, heading, kv, numbered, verdict_style};
use super::Builder;
use crate::engine::Verdict;
use crate::tui::text::{safe, safe_str};

impl Builder<'_> {
    pub(super) fn response(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(p) = &self.x.response else {
            return vec![Line::raw("No response was seen for this request.")];
        };
        let mut v = vec![Line::styled(
            format!(
                "{} {} {}",
                safe_str(&p.version),
                p.status,
                safe_str(&p.reason)
            ),
            verdict_style(
                t,
                if p.status >= 400 {
                    Verdict::Invalid
                } else {
                    Verdict::Valid
                },
            ),
        )];
        for h in &p.headers {
            v.push(Line::from(vec![
                Span::styled(
                    format!("{}: ", safe(&h.name)),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(display_header_value(&h.name, &h.value)),
            ]));
        }
        if let Some(se) = &self.a.server_expected {
            v.push(Line::raw(""));
            v.push(heading(t, "What the server says it computed"));
            v.push(kv(t, "Code", safe_str(&se.code)));
            if let Some(m) = &se.message {
                v.push(kv(t, "Message", safe_str(m)));
            }
            if let Some(r) = &se.region {
                v.push(kv(t, "Region", safe_str(r)));
            }
            if let Some(s) = &se.signature_provided {
                v.push(kv(t, "Sig given", safe_str(s)));
            }
            if let (Some(a), Some(b)) = (&se.request_time, &se.server_time) {
                v.push(kv(
                    t,
                    "Times",
                    format!("request {}  server {}", safe_str(a), safe_str(b)),
                ));
            }
            for (name, s) in [
                ("CanonicalRequest", &se.canonical_request),
                ("StringToSign", &se.string_to_sign),
            ] {
                if let Some(s) = s {
                    v.push(Line::styled(name.to_string(), t.accent()));
                    v.extend(numbered(t, s.as_bytes(), &[], false));
                }
            }
        }
        v.push(Line::raw(""));
        v.extend(self.body_lines(&p.headers, &p.body, p.body.len() as u64, "Response body"));
        v
    }
}

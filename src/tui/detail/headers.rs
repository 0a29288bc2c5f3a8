//! The Headers tab: the request line, its headers (signed ones marked, credentials masked) and
//! its query parameters.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::lines::{display_header_value, heading, verdict_style};
use super::Builder;
use crate::engine::Verdict;
use crate::http::Headers;
use crate::tui::text::{safe, safe_str};

impl Builder<'_> {
    pub(super) fn headers(&self) -> Vec<Line<'static>> {
        let (t, x) = (self.t, self.x);
        let r = &x.request;
        let signed: Vec<String> = self.a.auth.signed_headers.clone().unwrap_or_default();
        let mut v = vec![Line::styled(
            format!(
                "{} {} {}",
                safe_str(&r.method),
                safe(&crate::engine::auth::shown_target(&r.target)),
                safe_str(&r.version)
            ),
            Style::default().add_modifier(Modifier::BOLD),
        )];
        for h in &r.headers {
            let name = String::from_utf8_lossy(&h.name).to_ascii_lowercase();
            let is_signed = signed.contains(&name);
            let value = display_header_value(&h.name, &h.value);
            v.push(Line::from(vec![
                Span::styled(if is_signed { "✎ " } else { "  " }, t.accent()),
                Span::styled(
                    format!("{}: ", safe(&h.name)),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(value),
            ]));
        }
        v.push(Line::raw(""));
        v.push(Line::styled("✎ signed header", t.dim()));
        for s in &signed {
            if r.header(s).is_none() {
                v.push(Line::styled(
                    format!("! {} is signed but not in the request", safe_str(s)),
                    verdict_style(t, Verdict::Invalid),
                ));
            }
        }
        if let Some(q) = r.query() {
            v.push(Line::raw(""));
            v.push(heading(t, "Query parameters"));
            for p in q.split(|&c| c == b'&').filter(|p| !p.is_empty()) {
                let (k, val) = match p.iter().position(|&c| c == b'=') {
                    Some(i) => (&p[..i], &p[i + 1..]),
                    None => (p, &b""[..]),
                };
                let val = if k.eq_ignore_ascii_case(b"X-Amz-Security-Token") {
                    crate::engine::auth::mask(&String::from_utf8_lossy(val))
                } else {
                    safe(val)
                };
                v.push(Line::raw(format!("  {} = {}", safe(k), val)));
            }
        }
        v
    }
}

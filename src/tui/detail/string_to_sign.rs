//! The String to sign tab, each line labelled, and the chunks' strings of an aws-chunked body.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use super::lines::{heading, numbered};
use super::Builder;
use crate::engine::{Family, Mode};

fn sts_labels(mode: Mode, sts: &[u8]) -> Vec<String> {
    let n = sts.split(|&c| c == b'\n').count();
    let fixed: &[&str] = match mode.family() {
        Family::SigV4 => &[
            "algorithm",
            "request date",
            "credential scope",
            "SHA-256 of the canonical request",
        ],
        Family::SigV2 => &["method", "Content-MD5", "Content-Type", "date"],
        Family::Query if mode == Mode::QueryV2 => &["method", "host", "path", "sorted parameters"],
        Family::PostPolicy => &["the policy field, base64, exactly as sent"],
        Family::Query | Family::Token | Family::Anonymous | Family::Unknown => &[],
    };
    let mut out: Vec<String> = (0..n)
        .map(|i| fixed.get(i).map(|s| s.to_string()).unwrap_or_default())
        .collect();
    if mode.family() == Family::SigV2 && n >= 5 {
        for l in out.iter_mut().take(n - 1).skip(4) {
            *l = "x-amz-* header".into();
        }
        out[n - 1] = "resource (path + sub-resources)".into();
    }
    out
}

impl Builder<'_> {
    pub(super) fn string_to_sign(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(d) = self.verifier() else {
            return vec![Line::raw("No dialect computed a string to sign.")];
        };
        if d.unsupported {
            return vec![Line::raw(format!(
                "{} has no verifier for this auth mode; press d to pick another dialect.",
                d.name
            ))];
        }
        let mode = self.a.auth.mode;
        let mut v = vec![
            Line::styled(
                format!("String to sign as {} computes it", d.name),
                t.accent(),
            ),
            Line::raw(""),
        ];
        let labels = sts_labels(mode, &d.string_to_sign);
        let labels: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
        v.extend(numbered(t, &d.string_to_sign, &labels, self.o.whitespace));
        if !d.chunks.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(
                t,
                "aws-chunked chunks (each signs the previous signature)",
            ));
            for c in &d.chunks {
                let what = if c.trailer {
                    "trailer (the trailing headers, after the last chunk)"
                } else {
                    "chunk"
                };
                v.push(Line::styled(
                    format!("{what} {} ({} bytes)", c.index, c.size),
                    Style::default().add_modifier(Modifier::BOLD),
                ));
                v.extend(numbered(t, c.string_to_sign.as_bytes(), &[], false));
            }
        }
        v
    }
}

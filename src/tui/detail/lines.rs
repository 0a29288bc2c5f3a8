//! Line builders the tabs share: key/value rows, headings, verdict badges, numbered blocks.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::engine::Verdict;
use crate::tui::config::Theme;
use crate::tui::text::{line_spans, safe, safe_str, units};

pub(super) fn kv(t: &Theme, k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<12}"), t.accent()),
        Span::raw(v.into()),
    ])
}

pub(super) fn heading(t: &Theme, s: &str) -> Line<'static> {
    Line::from(Span::styled(
        s.to_string(),
        t.accent().add_modifier(Modifier::UNDERLINED),
    ))
}

pub fn verdict_badge(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Valid => ("✓", "VALID"),
        Verdict::Invalid => ("✗", "INVALID"),
        Verdict::Unverified => ("?", "UNVERIFIED"),
        Verdict::Anonymous => ("○", "ANONYMOUS"),
        Verdict::Malformed => ("!", "MALFORMED"),
    }
}

pub fn verdict_style(t: &Theme, v: Verdict) -> Style {
    let c = match v {
        Verdict::Valid => t.valid,
        Verdict::Invalid => t.invalid,
        Verdict::Unverified => t.unverified,
        Verdict::Anonymous => t.anonymous,
        Verdict::Malformed => t.malformed,
    };
    let s = t.fg(c);
    match v {
        Verdict::Invalid | Verdict::Malformed => s.add_modifier(Modifier::BOLD),
        _ => s,
    }
}

/// Lines of a block of untrusted bytes, numbered, with optional labels in a right column.
pub(super) fn numbered(t: &Theme, b: &[u8], labels: &[&str], ws: bool) -> Vec<Line<'static>> {
    let n = b.split(|&c| c == b'\n').count();
    b.split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| {
            let mut spans = vec![Span::styled(format!("{:>3} │ ", i + 1), t.dim())];
            spans.extend(line_spans(
                &units(l),
                ws,
                ws && i + 1 < n,
                None,
                Style::default(),
                Style::default(),
            ));
            if let Some(lab) = labels.get(i).filter(|l| !l.is_empty()) {
                spans.push(Span::styled(format!("   ← {lab}"), t.dim()));
            }
            Line::from(spans)
        })
        .collect()
}

/// A header value as shown: credentials masked (SigV4/SigV2 Authorization kept), escaped.
pub(super) fn display_header_value(name: &[u8], value: &[u8]) -> String {
    match crate::engine::auth::masked_header(name, value) {
        Some(m) => safe_str(&m),
        None => safe(value),
    }
}

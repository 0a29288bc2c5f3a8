//! The Dialects tab: every dialect's verdict on the request, where each first differs from what
//! the client signed.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::lines::verdict_style;
use super::{client_side, Builder};
use crate::engine::diagnose::strings::{self, Reference};
use crate::engine::{diagnose, DialectResult, Verdict};
use crate::tui::text::safe_str;

impl Builder<'_> {
    pub(super) fn dialects(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let client = client_side(a);
        // Without the client's dialect (no secret), each dialect against the verifier's; and
        // against the server's own strings when its error body carried them.
        let reference = strings::reference(a);
        let against_server = reference == Some(Reference::Server);
        let first_from = match (client, reference) {
            (Some(_), _) => "first differs from client".to_string(),
            (None, Some(Reference::Dialect(d))) => format!("first differs from {d}"),
            (None, _) => "first differs from".to_string(),
        };
        let mut head = format!(
            "{:<16} {:<12} {:<10} {:<22} ",
            "dialect", "signature", "accepts", first_from
        );
        if against_server {
            head.push_str(&format!("{:<18} ", "server's strings"));
        }
        head.push_str("rejects / summary");
        let mut v = vec![Line::styled(head, t.accent())];
        for d in &a.dialects {
            let sig = match (d.unsupported, d.matches) {
                (true, _) => "n/a",
                (_, Some(true)) => "✓ match",
                (_, Some(false)) => "✗ mismatch",
                (_, None) => "? no secret",
            };
            let acc = match d.accepts() {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "—",
            };
            let differs = match (client, reference) {
                _ if d.unsupported => "—".to_string(),
                (Some(c), _) if c.name == d.name => "(client's dialect)".to_string(),
                (Some(c), _) => first_diff_of(c, d),
                (None, Some(Reference::Dialect(r))) if r == d.name => "(the verifier)".into(),
                (None, Some(r @ Reference::Dialect(_))) => strings::compare(a, d, r)
                    .map(|c| c.short())
                    .unwrap_or_else(|| "—".into()),
                (None, _) => "—".into(),
            };
            let vs_server = against_server.then(|| {
                strings::compare(a, d, Reference::Server)
                    .map(|c| c.short())
                    .unwrap_or_else(|| "—".into())
            });
            let summary = crate::engine::dialect::by_name(d.name)
                .map(|x| x.summary)
                .unwrap_or("");
            let rest = d
                .rejects
                .as_ref()
                .map(|r| format!("rejects: {}", safe_str(&r.to_string())))
                .unwrap_or_else(|| summary.to_string());
            let style = match d.accepts() {
                Some(false) => verdict_style(t, Verdict::Invalid),
                Some(true) => verdict_style(t, Verdict::Valid),
                None => Style::default(),
            };
            let mut line = Line::from(vec![
                Span::styled(
                    format!("{:<16} ", d.name),
                    if d.name == a.verifier {
                        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                    } else {
                        Style::default()
                    },
                ),
                Span::styled(format!("{sig:<12} "), style),
                Span::styled(format!("{acc:<10} "), style),
                Span::raw(format!("{differs:<22} ")),
            ]);
            if let Some(vs) = vs_server {
                line.spans.push(Span::raw(format!("{vs:<18} ")));
            }
            line.spans.push(Span::styled(rest, t.dim()));
            if d.name == a.verifier {
                line.spans.insert(0, Span::raw("▸"));
            } else {
                line.spans.insert(0, Span::raw(" "));
            }
            v.push(line);
        }
        v.push(Line::raw(""));
        v.push(Line::styled(
            format!("▸ the verifier ({}); press d to choose another", a.verifier),
            t.dim(),
        ));
        v
    }
}

fn step_text(d: &DialectResult, canonical: bool) -> Option<&[u8]> {
    if canonical {
        d.canonical_request.as_deref()
    } else {
        Some(&d.string_to_sign)
    }
}

fn first_diff_of(c: &DialectResult, d: &DialectResult) -> String {
    for (canon, name) in [(true, "canonical"), (false, "sts")] {
        let (Some(a), Some(b)) = (step_text(c, canon), step_text(d, canon)) else {
            continue;
        };
        if let Some((l, col, _, _)) =
            diagnose::first_difference(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b))
        {
            return format!("{name} {l}:{col}");
        }
    }
    "identical strings".into()
}

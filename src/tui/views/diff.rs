//! The Diff tab's rows, side by side or inline.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::wrap::wrap_line;
use crate::tui::detail::{self, side_spans, RowKind};
use crate::tui::state::App;

/// One row of the diff: side by side (`│` between the halves, long lines wrapped within their
/// half) or inline (the client's line `-`, then the other side's `+`).
pub(super) fn diff_lines(
    app: &App,
    d: &detail::DetailModel,
    i: usize,
    width: u16,
    inline: bool,
) -> Vec<Line<'static>> {
    let t = &app.chrome.theme;
    let Some(row) = d.diff.rows.get(i) else {
        return vec![];
    };
    let first = d.diff.first == Some(i);
    let marker = if first {
        "▶"
    } else if row.kind == RowKind::Same {
        " "
    } else {
        "≠"
    };
    let marker_style = if first { t.changed() } else { t.dim() };
    let base = if row.kind == RowKind::Same {
        Style::default()
    } else {
        Style::default().add_modifier(Modifier::BOLD)
    };
    let hit = t.changed();
    let num = |s: &Option<(usize, Vec<crate::tui::text::Unit>)>| {
        s.as_ref()
            .map(|(n, _)| format!("{n:>3} "))
            .unwrap_or_else(|| "    ".into())
    };
    let width = width as usize;
    if inline {
        let mut out = Vec::new();
        let mut push = |sign: &str,
                        sign_style: Style,
                        side: &Option<(usize, Vec<crate::tui::text::Unit>)>,
                        mark: &Option<std::ops::Range<usize>>,
                        m: &str| {
            let mut spans = vec![
                Span::styled(format!("{m} "), marker_style),
                Span::styled(format!("{sign}{}", num(side)), sign_style),
            ];
            spans.extend(side_spans(side, mark, &d.opts, base, hit));
            for (k, l) in wrap_line(Line::from(spans), width).into_iter().enumerate() {
                out.push(if k == 0 { l } else { indent(l, 7) });
            }
        };
        match row.kind {
            RowKind::Same => push(" ", t.dim(), &row.left, &None, marker),
            _ => {
                if row.left.is_some() {
                    push("-", t.fg(t.valid), &row.left, &row.lmark, marker);
                }
                if row.right.is_some() {
                    push(
                        "+",
                        t.fg(t.invalid),
                        &row.right,
                        &row.rmark,
                        if row.left.is_some() { " " } else { marker },
                    );
                }
            }
        }
        out
    } else {
        let half = width.saturating_sub(3) / 2;
        let mut lpart = vec![Span::styled(num(&row.left), t.dim())];
        lpart.extend(side_spans(&row.left, &row.lmark, &d.opts, base, hit));
        let mut rpart = vec![Span::styled(num(&row.right), t.dim())];
        rpart.extend(side_spans(&row.right, &row.rmark, &d.opts, base, hit));
        let lw = wrap_line(Line::from(lpart), half);
        let rw = wrap_line(Line::from(rpart), half);
        let n = lw.len().max(rw.len());
        (0..n)
            .map(|k| {
                let mut spans = vec![if k == 0 {
                    Span::styled(format!("{marker} "), marker_style)
                } else {
                    Span::raw("  ")
                }];
                spans.extend(pad(lw.get(k).cloned().unwrap_or_default(), half));
                spans.push(Span::styled("│", t.dim()));
                spans.extend(rw.get(k).cloned().unwrap_or_default().spans);
                Line::from(spans)
            })
            .collect()
    }
}

fn indent(l: Line<'static>, n: usize) -> Line<'static> {
    let mut spans = vec![Span::raw(" ".repeat(n))];
    spans.extend(l.spans);
    Line::from(spans)
}

fn pad(l: Line<'static>, w: usize) -> Vec<Span<'static>> {
    let used = l.width();
    let mut spans = l.spans;
    if used < w {
        spans.push(Span::raw(" ".repeat(w - used)));
    }
    spans
}

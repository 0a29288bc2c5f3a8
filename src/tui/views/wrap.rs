//! Wrapping a styled line to a width.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Splits a line into lines of at most `width` columns, keeping the styles; breaks after a
/// space when one is near the end (prose), anywhere otherwise (canonical strings, hashes).
pub(super) fn wrap_line(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    if width == 0 || line.width() <= width {
        return vec![line];
    }
    // Flatten to styled characters, then cut.
    let mut cells: Vec<(char, Style)> = Vec::new();
    for span in &line.spans {
        let style = line.style.patch(span.style);
        cells.extend(span.content.chars().map(|c| (c, style)));
    }
    let w = |c: char| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    let mut out = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let mut used = 0;
        let mut end = start;
        while end < cells.len() && used + w(cells[end].0) <= width {
            used += w(cells[end].0);
            end += 1;
        }
        if end == start {
            end = start + 1;
        }
        if end < cells.len() {
            if let Some(sp) = (start..end).rev().find(|&i| cells[i].0 == ' ') {
                if sp + 1 > start + width * 2 / 3 {
                    end = sp + 1;
                }
            }
        }
        out.push(to_line(&cells[start..end]));
        start = end;
    }
    out
}

fn to_line(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut buf = String::new();
    let mut cur: Option<Style> = None;
    for &(c, st) in cells {
        if cur != Some(st) {
            if let Some(prev) = cur {
                spans.push(Span::styled(std::mem::take(&mut buf), prev));
            }
            cur = Some(st);
        }
        buf.push(c);
    }
    if let Some(prev) = cur {
        spans.push(Span::styled(buf, prev));
    }
    Line::from(spans)
}

//! The detail pane: the tab bar (its titles' places kept for the mouse), the visible lines of
//! the current tab, search hits, the scroll position.

use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::diff::diff_lines;
use super::pane;
use super::wrap::wrap_line;
use crate::tui::config::Theme;
use crate::tui::detail::Tab;
use crate::tui::state::{App, Focus};
use crate::tui::text::{middle_truncate, safe, safe_str};

pub(super) fn draw_detail(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.chrome.theme.clone();
    let focused = app.focus == Focus::Detail;
    let title = match &app.detail.model {
        Some(d) => {
            let x = &d.item.x;
            format!(
                " #{} {} {} ",
                x.index,
                safe_str(&x.request.method),
                middle_truncate(&safe(&x.request.target), 60)
            )
        }
        None => " Detail ".to_string(),
    };
    let block = pane(&t, title, focused);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let Some(d) = &app.detail.model else {
        let msg = if app.total() == 0 { "" } else { "analysing…" };
        f.render_widget(Paragraph::new(msg).style(t.dim()), inner);
        return;
    };
    let [tabs_r, content] =
        Split::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let bar = tab_bar(
        &t,
        &d.tabs,
        app.detail.tab,
        tabs_r,
        &mut app.chrome.layout.tabs,
    );
    f.render_widget(Paragraph::new(bar), tabs_r);
    app.chrome.layout.detail_height = content.height;
    let h = content.height as usize;
    let total = app.detail_len();
    app.detail.scroll = app.detail.scroll.min(total.saturating_sub(1));
    let scroll = app.detail.scroll;
    let hits = app.detail.hits.clone();
    let mut lines: Vec<Line> = Vec::with_capacity(h);
    let doc = d.doc(app.detail.tab).map(|v| v.as_slice()).unwrap_or(&[]);
    let inline = app.view.inline || content.width < 100;
    let width = content.width as usize;
    for i in scroll..total {
        if lines.len() >= h {
            break;
        }
        let mut group = if i < doc.len() {
            wrap_line(doc[i].clone(), width)
        } else {
            diff_lines(app, d, i - doc.len(), content.width, inline)
        };
        if hits.binary_search(&i).is_ok() {
            group = group
                .into_iter()
                .map(|l| l.patch_style(t.search_hit()))
                .collect();
        }
        // Long lines wrap (a signature or a query string must be seen whole).
        for l in group {
            if lines.len() >= h {
                break;
            }
            lines.push(l);
        }
    }
    f.render_widget(Paragraph::new(lines), content);
    if total > h && content.width > 2 {
        let pct = (scroll * 100) / total.max(1);
        let label = format!(" {}/{} {pct}% ", scroll + 1, total);
        let w = label.width() as u16;
        f.render_widget(
            Paragraph::new(Span::styled(label, t.dim())),
            Rect::new(
                r.x + r.width.saturating_sub(w + 2),
                r.y + r.height - 1,
                w,
                1,
            ),
        );
    }
}

/// The first and one-past-last tab shown when the titles of `widths` (each with its padding)
/// share `avail` columns with a divider between two: all of them when they fit, else the
/// widest window that holds the selected one, with a column for the overflow mark on each side
/// where tabs are left out.
pub(super) fn tab_window(widths: &[u16], sel: usize, avail: u16) -> (usize, usize) {
    let n = widths.len();
    let fits = |a: usize, b: usize| -> bool {
        let marks = u16::from(a > 0) + u16::from(b < n);
        widths[a..b].iter().sum::<u16>() + (b - a).saturating_sub(1) as u16 + marks <= avail
    };
    if n == 0 || fits(0, n) {
        return (0, n);
    }
    let sel = sel.min(n - 1);
    let (mut first, mut end) = (0, sel + 1);
    if !fits(0, end) {
        first = sel;
        while first > 0 && fits(first - 1, end) {
            first -= 1;
        }
    }
    while end < n && fits(first, end + 1) {
        end += 1;
    }
    while first > 0 && fits(first - 1, end) {
        first -= 1;
    }
    (first, end)
}

/// The tab bar: each tab under its fixed number, the selected one reversed, scrolled so that
/// it is always drawn, `‹` `›` where tabs are left out; where each title is kept for the mouse.
fn tab_bar(
    t: &Theme,
    tabs: &[Tab],
    current: Tab,
    r: Rect,
    places: &mut Vec<(Rect, Tab)>,
) -> Line<'static> {
    let titles: Vec<String> = tabs
        .iter()
        .map(|tb| format!(" {} {} ", tb.number(), tb.title()))
        .collect();
    let widths: Vec<u16> = titles.iter().map(|s| s.width() as u16).collect();
    let sel = tabs.iter().position(|tb| *tb == current).unwrap_or(0);
    let (first, end) = tab_window(&widths, sel, r.width);
    let mut spans = Vec::new();
    let mut x = r.x;
    let right_edge = r.x + r.width;
    if first > 0 {
        spans.push(Span::styled("‹", t.accent()));
        x += 1;
    }
    for i in first..end {
        if i > first {
            spans.push(Span::styled("│", t.dim()));
            x += 1;
        }
        let style = if i == sel {
            t.accent().add_modifier(Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        };
        spans.push(Span::styled(titles[i].clone(), style));
        if x < right_edge {
            places.push((Rect::new(x, r.y, widths[i].min(right_edge - x), 1), tabs[i]));
        }
        x += widths[i];
    }
    if end < tabs.len() {
        let pad = (right_edge.saturating_sub(x + 1)) as usize;
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled("›", t.accent()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::tab_window;

    #[test]
    fn the_selected_tab_is_always_in_the_window() {
        // Nine titles of 10 columns: 98 with dividers.
        let w = [10u16; 9];
        assert_eq!(tab_window(&w, 0, 98), (0, 9));
        assert_eq!(tab_window(&w, 8, 98), (0, 9));
        // 60 columns: five titles and a mark (54 + 1), the window follows the selection.
        assert_eq!(tab_window(&w, 0, 60), (0, 5));
        assert_eq!(tab_window(&w, 4, 60), (0, 5));
        let (a, b) = tab_window(&w, 8, 60);
        assert_eq!((a, b), (4, 9));
        let (a, b) = tab_window(&w, 5, 60);
        assert!(a <= 5 && 5 < b && b - a == 5, "{a}..{b}");
        // Narrower than one title: the selected one alone.
        assert_eq!(tab_window(&w, 3, 5), (3, 4));
        assert_eq!(tab_window(&[], 0, 40), (0, 0));
    }
}

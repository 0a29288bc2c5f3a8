//! The detail pane: the tab bar (its titles' places kept for the mouse), the visible lines of
//! the current tab, search hits, the scroll position.

use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::diff::diff_lines;
use super::pane;
use super::wrap::wrap_line;
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
    // Tab bar, remembering where each title is for the mouse.
    let titles: Vec<String> = d
        .tabs
        .iter()
        .enumerate()
        .map(|(i, tb)| format!("{} {}", i + 1, tb.title()))
        .collect();
    let sel = d
        .tabs
        .iter()
        .position(|tb| *tb == app.detail.tab)
        .unwrap_or(0);
    let mut x = tabs_r.x;
    for (i, title) in titles.iter().enumerate() {
        let w = title.width() as u16 + 3;
        if x >= tabs_r.x + tabs_r.width {
            break;
        }
        app.chrome.layout.tabs.push((
            Rect::new(x, tabs_r.y, w.min(tabs_r.x + tabs_r.width - x), 1),
            d.tabs[i],
        ));
        x += w;
    }
    f.render_widget(
        Tabs::new(titles)
            .select(sel)
            .highlight_style(t.accent().add_modifier(Modifier::REVERSED))
            .divider("│"),
        tabs_r,
    );
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

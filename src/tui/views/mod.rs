//! Drawing: reads the app state and places it on the frame. Only the visible rows of the list
//! and the visible lines of the detail are built per frame; nothing is parsed or hashed here.

mod detail_pane;
mod diff;
mod header;
mod list;
mod popup;
mod status;
mod wrap;

use ratatui::layout::{Alignment, Constraint, Layout as Split, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::tui::state::{App, Focus};

use detail_pane::draw_detail;
use header::draw_header;
use list::draw_list;
use popup::draw_popup;
use status::draw_status;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
/// From this width the list and the detail stand side by side.
pub const WIDE: u16 = 150;

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::styled(
                "terminal too small",
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Line::raw(format!(
                "{}×{} — sigscope needs at least {MIN_WIDTH}×{MIN_HEIGHT}",
                area.width, area.height
            )),
            Line::raw("enlarge the window, or q to quit"),
        ];
        let y = area.height.saturating_sub(3) / 2;
        let r = Rect::new(area.x, area.y + y, area.width, 3.min(area.height));
        f.render_widget(Paragraph::new(msg).alignment(Alignment::Center), r);
        return;
    }
    let [top, body, bottom] = Split::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, top);
    let wide = area.width >= WIDE;
    let (list_area, detail_area) = if app.view.zoomed {
        match app.focus {
            Focus::List => (Some(body), None),
            Focus::Detail => (None, Some(body)),
        }
    } else if wide {
        let [l, d] =
            Split::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
        (Some(l), Some(d))
    } else {
        // The focused pane gets the room: a short list while reading the detail.
        let list_h = match app.focus {
            Focus::List => (body.height * 2 / 5).max(5),
            Focus::Detail => (body.height / 4).max(5),
        };
        let [l, d] = Split::vertical([Constraint::Length(list_h), Constraint::Min(3)]).areas(body);
        (Some(l), Some(d))
    };
    app.chrome.layout.list = list_area.unwrap_or_default();
    app.chrome.layout.detail = detail_area.unwrap_or_default();
    app.chrome.layout.tabs.clear();
    if let Some(l) = list_area {
        draw_list(f, app, l);
    }
    if let Some(d) = detail_area {
        draw_detail(f, app, d);
    }
    draw_status(f, app, bottom);
    if let Some(p) = app.overlay.popup.clone() {
        draw_popup(f, app, &p, area);
    }
}

/// A pane's frame: the focused one in the accent colour (and bold title without colour).
pub(super) fn pane(t: &crate::tui::config::Theme, title: String, focused: bool) -> Block<'static> {
    let (border, head) = if focused {
        (t.accent(), t.accent())
    } else {
        (t.dim(), Style::default())
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, head))
}

//! The exchange list: only the visible rows are built, the selection kept in view, columns
//! dropped as the pane narrows.

use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

use super::pane;
use crate::engine::{Mark, Mode, Verdict};
use crate::tui::detail::{verdict_badge, verdict_style};
use crate::tui::state::{App, Focus};
use crate::tui::text::{mask_key, middle_truncate, safe_str};

fn verdict_cell(app: &App, id: usize) -> Span<'static> {
    match app.row(id) {
        Some((row, stale)) => {
            let (sym, word) = verdict_badge(row.verdict);
            let mut s = verdict_style(&app.chrome.theme, row.verdict);
            let word = match row.mark {
                // Valid by the verifier's rules, refused by the server's: the rows to look at.
                Mark::Refused => {
                    s = s.add_modifier(Modifier::BOLD);
                    "VALID·refused"
                }
                // The signature verifies, the body is not the one signed: a failed request.
                Mark::BodyMismatch => {
                    s = verdict_style(&app.chrome.theme, Verdict::Invalid);
                    "VALID·body≠"
                }
                Mark::Plain => word,
            };
            if stale {
                Span::styled(format!("{sym} {word}…"), s.add_modifier(Modifier::DIM))
            } else {
                Span::styled(format!("{sym} {word}"), s)
            }
        }
        None => Span::styled("… verifying", app.chrome.theme.dim()),
    }
}

pub(super) fn draw_list(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.chrome.theme.clone();
    let focused = app.focus == Focus::List;
    let block = pane(&t, " Exchanges ".to_string(), focused);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let rows_h = inner.height.saturating_sub(1) as usize;
    keep_selection_in_view(app, rows_h);
    app.chrome.layout.list_first_row = inner.y + 1;
    let auto = app.verify.settings.choice.is_auto();
    let cols = Columns::for_width(inner.width, app.view.mask_keys, auto);
    // The rows only read the state.
    let app: &App = app;
    let mut rows = Vec::with_capacity(rows_h);
    for pos in app.list.offset..(app.list.offset + rows_h).min(app.shown()) {
        let Some(id) = app.id_at(pos) else { break };
        let Some(mut rw) = list_row(app, &cols, id) else {
            break;
        };
        if pos == app.list.selected {
            rw = rw.style(if focused {
                t.selected()
            } else {
                Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            });
        }
        rows.push(rw);
    }
    let empty = rows.is_empty();
    let table = Table::new(rows, cols.widths)
        .header(Row::new(cols.header).style(t.accent()))
        .column_spacing(1);
    f.render_widget(table, inner);
    if empty && inner.height > 2 {
        f.render_widget(
            Paragraph::new(empty_message(app))
                .style(t.dim())
                .alignment(Alignment::Center),
            Rect::new(inner.x, inner.y + 2, inner.width, 1),
        );
    }
}

fn keep_selection_in_view(app: &mut App, rows_h: usize) {
    if app.list.selected < app.list.offset {
        app.list.offset = app.list.selected;
    } else if rows_h > 0 && app.list.selected >= app.list.offset + rows_h {
        app.list.offset = app.list.selected + 1 - rows_h;
    }
    app.list.offset = app
        .list
        .offset
        .min(app.shown().saturating_sub(rows_h.max(1)));
    if app.list.selected < app.list.offset {
        app.list.offset = app.list.selected;
    }
}

/// The list's columns for a width: the narrow layout drops time and endpoints first.
struct Columns {
    header: Vec<&'static str>,
    widths: Vec<Constraint>,
    show_time: bool,
    show_ends: bool,
    show_finding: bool,
    /// Under auto: the dialect that judged each row, beside its verdict.
    show_judged: bool,
    path_w: usize,
    key_w: usize,
}

impl Columns {
    fn for_width(w: u16, mask_keys: bool, auto: bool) -> Columns {
        let show_time = w >= 110;
        let show_ends = w >= 140;
        let key_w: u16 = if mask_keys {
            8
        } else if w >= 130 {
            20
        } else {
            12
        };
        let find_w: u16 = if w >= 100 { 24 } else { 14 };
        let mut header = vec!["#"];
        let mut widths = vec![6u16];
        if show_time {
            header.push("time");
            widths.push(12);
        }
        if show_ends {
            header.push("client → server");
            widths.push(30);
        }
        header.extend(["method", "host + path", "auth", "access key", "verdict"]);
        widths.extend([6, 0, 9, key_w, 16]);
        // Only where the path keeps its room; the Overview says it at any width.
        let show_judged = auto && w >= 130;
        if show_judged {
            header.push("judged as");
            widths.push(15);
        }
        header.push("st");
        widths.push(3);
        // The first finding is in the detail too; a narrow list keeps the path instead.
        let show_finding = w >= 100;
        if show_finding {
            header.push("finding");
            widths.push(find_w);
        }
        // The path column gets what the others leave.
        let fixed: u16 = widths.iter().sum::<u16>() + widths.len() as u16 - 1;
        let path_w = w.saturating_sub(fixed).max(12);
        let path_col = widths.iter().position(|&x| x == 0).unwrap_or(0);
        widths[path_col] = path_w;
        let path_w = path_w as usize;
        let key_w = key_w as usize;
        let widths: Vec<Constraint> = widths.into_iter().map(Constraint::Length).collect();
        Columns {
            header,
            widths,
            show_time,
            show_ends,
            show_finding,
            show_judged,
            path_w,
            key_w,
        }
    }
}

/// One exchange's row; `None` when the store does not hold it (yet).
fn list_row(app: &App, cols: &Columns, id: usize) -> Option<Row<'static>> {
    let t = &app.chrome.theme;
    let (show_time, show_ends, show_finding) = (cols.show_time, cols.show_ends, cols.show_finding);
    let (path_w, key_w) = (cols.path_w, cols.key_w);
    let item = app.store.get(id)?;
    let x = &item.x;
    let req = &x.request;
    let host = req.host().unwrap_or_default();
    let path = format!("{}{}", host, String::from_utf8_lossy(req.path()));
    let mut cells: Vec<Span<'static>> = vec![Span::raw(x.index.to_string())];
    if show_time {
        cells.push(Span::raw(
            x.time
                .map(|tm| {
                    format!(
                        "{:02}:{:02}:{:02}.{:03}",
                        tm.hour(),
                        tm.minute(),
                        tm.second(),
                        tm.millisecond()
                    )
                })
                .unwrap_or_default(),
        ));
    }
    if show_ends {
        cells.push(Span::raw(middle_truncate(
            &format!(
                "{} → {}",
                safe_str(x.client.as_deref().unwrap_or("?")),
                safe_str(x.server.as_deref().unwrap_or("?"))
            ),
            30,
        )));
    }
    cells.push(Span::raw(safe_str(&req.method)));
    cells.push(Span::raw(middle_truncate(&safe_str(&path), path_w)));
    let row = app.row(id).map(|(r, _)| r);
    cells.push(Span::raw(
        row.map(|r| Mode::short_name(r.mode)).unwrap_or(""),
    ));
    let ak = row
        .and_then(|r| r.access_key.as_deref())
        .map(|k| {
            if app.view.mask_keys {
                mask_key(k)
            } else {
                middle_truncate(&safe_str(k), key_w)
            }
        })
        .unwrap_or_default();
    cells.push(Span::raw(ak));
    cells.push(verdict_cell(app, id));
    if cols.show_judged {
        cells.push(Span::styled(
            row.map(|r| r.judged).unwrap_or("").to_string(),
            t.dim(),
        ));
    }
    // A refusal stands out (bold without colour): 403 beside VALID is the seed case.
    cells.push(match &x.response {
        Some(p) if p.status >= 400 => Span::styled(
            p.status.to_string(),
            verdict_style(t, Verdict::Invalid).add_modifier(Modifier::BOLD),
        ),
        Some(p) => Span::raw(p.status.to_string()),
        None => Span::styled("—", t.dim()),
    });
    if show_finding {
        cells.push(Span::styled(
            row.and_then(|r| r.headline()).unwrap_or("").to_string(),
            t.dim(),
        ));
    }
    Some(Row::new(cells))
}

/// What an empty list says: still reading, waiting on a listener, or nothing matches.
fn empty_message(app: &App) -> String {
    if app.total() == 0 {
        if app.verify.loading.done {
            "no HTTP requests found".to_string()
        } else if let Some(l) = &app.verify.loading.live {
            format!("waiting for requests ({})…", safe_str(l))
        } else {
            "reading…".to_string()
        }
    } else {
        format!(
            "no exchange matches the filter `{}`",
            safe_str(app.filter_src())
        )
    }
}

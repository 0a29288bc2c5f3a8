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

/// The path column shows the host in front of the path from this width.
const HOST_MIN_W: u16 = 36;
/// Narrower than this, the list drops the access key column (the detail has it) so that the
/// path keeps its room.
const KEY_MIN_W: u16 = 76;

/// The list's columns for a width: the narrow layout drops time and endpoints first, then the
/// finding, the host (the path stays) and the access key.
struct Columns {
    header: Vec<&'static str>,
    widths: Vec<Constraint>,
    show_time: bool,
    show_ends: bool,
    show_finding: bool,
    /// Under auto: the dialect that judged each row, beside its verdict.
    show_judged: bool,
    show_host: bool,
    show_key: bool,
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
        let show_key = w >= KEY_MIN_W;
        header.extend(["method", "host + path", "auth"]);
        widths.extend([6, 0, 9]);
        if show_key {
            header.push("access key");
            widths.push(key_w);
        }
        header.push("verdict");
        widths.push(16);
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
        let show_host = path_w >= HOST_MIN_W;
        if !show_host {
            header[path_col] = "path";
        }
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
            show_host,
            show_key,
            path_w,
            key_w,
        }
    }
}

/// The path column: the host when the column has room for it, the path cut in the middle,
/// then the start of the query cut at its end (a presigned URL still shows it is one).
fn path_cell(host: &str, path: &str, query: Option<&str>, w: usize) -> String {
    let base = format!("{host}{path}");
    let Some(q) = query else {
        return middle_truncate(&base, w);
    };
    let q = format!("?{q}");
    let (bn, qn) = (base.chars().count(), q.chars().count());
    if bn + qn <= w {
        return base + &q;
    }
    // The path keeps up to two thirds, more when the query is short; the query the rest.
    let pw = bn.min((w * 2 / 3).max(w.saturating_sub(qn)));
    let mut out = middle_truncate(&base, pw);
    let left = w.saturating_sub(out.chars().count());
    if left >= 2 {
        out.extend(q.chars().take(left - 1));
        out.push('…');
    }
    out
}

/// One exchange's row; `None` when the store does not hold it (yet).
fn list_row(app: &App, cols: &Columns, id: usize) -> Option<Row<'static>> {
    let t = &app.chrome.theme;
    let (show_time, show_ends, show_finding) = (cols.show_time, cols.show_ends, cols.show_finding);
    let (path_w, key_w) = (cols.path_w, cols.key_w);
    let item = app.store.get(id)?;
    let x = &item.x;
    let req = &x.request;
    let host = match cols.show_host {
        true => safe_str(&req.host().unwrap_or_default()),
        false => String::new(),
    };
    let path = safe_str(&String::from_utf8_lossy(req.path()));
    let query = req.query().map(|q| safe_str(&String::from_utf8_lossy(q)));
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
    // A replay (issue 17) names its original in front of the path; an edited request sent
    // with the signature it had says so.
    let mark = x.replay.as_ref().map(|r| match (r.edited, &r.resigned) {
        (true, None) => format!("↻#{} edited, not re-signed · ", r.original),
        _ => format!("↻#{} ", r.original),
    });
    match mark {
        Some(m) => {
            let w = path_w.saturating_sub(m.chars().count()).max(8);
            cells.push(Span::raw(m + &path_cell(&host, &path, query.as_deref(), w)));
        }
        None => cells.push(Span::raw(path_cell(&host, &path, query.as_deref(), path_w))),
    }
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
    if cols.show_key {
        cells.push(Span::raw(ak));
    }
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

#[cfg(test)]
mod tests {
    use super::{path_cell, Columns};

    #[test]
    fn the_path_keeps_the_start_of_the_query() {
        let q = Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID");
        assert_eq!(path_cell("", "/b/k.jpg", q, 20), "/b/k.jpg?X-Amz-Algo…");
        assert_eq!(
            path_cell("", "/examplebucket/very/long/key.jpg", q, 24),
            "/examplebu…y.jpg?X-Amz-…"
        );
        assert_eq!(path_cell("", "/b/k.jpg", Some("a=1"), 20), "/b/k.jpg?a=1");
        assert_eq!(path_cell("h:1", "/p", None, 20), "h:1/p");
        assert!(path_cell("", "/b/k.jpg", q, 12).chars().count() <= 12);
    }

    #[test]
    fn narrow_lists_drop_the_host_then_the_key_but_keep_the_path() {
        let wide = Columns::for_width(198, false, false);
        assert!(wide.show_host && wide.show_key);
        let mid = Columns::for_width(78, false, false);
        assert!(!mid.show_host && mid.show_key, "the host goes first");
        assert!(mid.header.contains(&"path"));
        let narrow = Columns::for_width(58, false, false);
        assert!(!narrow.show_key && narrow.path_w >= 12);
    }
}

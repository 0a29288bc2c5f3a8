//! Drawing: reads the app state and places it on the frame. Only the visible rows of the list
//! and the visible lines of the detail are built per frame; nothing is parsed or hashed here.

use ratatui::layout::{Alignment, Constraint, Layout as Split, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Row, Table, Tabs};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::engine::{dialect, Mode, Verdict};
use crate::tui::detail::{self, side_spans, verdict_badge, verdict_style, RowKind};
use crate::tui::state::{App, CopyKind, ExportKind, Focus, Popup, Prompt};
use crate::tui::text::{mask_key, middle_truncate, safe, safe_str};

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
    let (list_area, detail_area) = if app.zoomed {
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
    app.layout.list = list_area.unwrap_or_default();
    app.layout.detail = detail_area.unwrap_or_default();
    app.layout.tabs.clear();
    if let Some(l) = list_area {
        draw_list(f, app, l);
    }
    if let Some(d) = detail_area {
        draw_detail(f, app, d);
    }
    draw_status(f, app, bottom);
    if let Some(p) = app.popup.clone() {
        draw_popup(f, app, &p, area);
    }
}

fn draw_header(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled(" sigscope ", t.accent().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
    ];
    let src = match &app.loading.live {
        Some(l) => safe_str(l),
        None => safe_str(&app.loading.inputs.join(" ")),
    };
    spans.push(Span::raw(middle_truncate(
        &src,
        (r.width as usize / 2).max(10),
    )));
    spans.push(Span::raw("  "));
    let shown = if app.shown() != app.total() {
        format!("{} of {} shown", app.shown(), app.total())
    } else {
        format!("{} exchanges", app.total())
    };
    spans.push(Span::styled(
        shown,
        Style::default().add_modifier(Modifier::BOLD),
    ));
    for v in [Verdict::Invalid, Verdict::Malformed, Verdict::Unverified] {
        let n = app.count(v);
        if n > 0 {
            let (sym, word) = verdict_badge(v);
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!("{sym} {n} {}", word.to_lowercase()),
                verdict_style(t, v),
            ));
        }
    }
    spans.push(Span::raw(" · verifier "));
    spans.push(Span::styled(app.settings.dialect.name, t.accent()));
    if !app.filter_src.is_empty() {
        spans.push(Span::raw(" · filter "));
        spans.push(Span::styled(
            safe_str(&app.filter_src),
            Style::default().add_modifier(Modifier::UNDERLINED),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
}

/// A pane's frame: the focused one in the accent colour (and bold title without colour).
fn pane(t: &crate::tui::config::Theme, title: String, focused: bool) -> Block<'static> {
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

fn verdict_cell(app: &App, id: usize) -> Span<'static> {
    match app.row(id) {
        Some((row, stale)) => {
            let (sym, word) = verdict_badge(row.verdict);
            let s = verdict_style(&app.theme, row.verdict);
            if stale {
                Span::styled(format!("{sym} {word}…"), s.add_modifier(Modifier::DIM))
            } else {
                Span::styled(format!("{sym} {word}"), s)
            }
        }
        None => Span::styled("… verifying", app.theme.dim()),
    }
}

fn short_mode(m: Mode) -> &'static str {
    match m {
        Mode::Sigv4Header => "v4",
        Mode::Sigv4Query => "v4-query",
        Mode::Sigv4Streaming => "v4-stream",
        Mode::Sigv2Header => "v2",
        Mode::Sigv2Query => "v2-query",
        Mode::QueryV0 => "query-v0",
        Mode::QueryV1 => "query-v1",
        Mode::QueryV2 => "query-v2",
        Mode::Anonymous => "anon",
        Mode::Basic => "basic",
        Mode::Bearer => "bearer",
        Mode::XAuthToken => "x-auth",
        Mode::Unknown => "?",
    }
}

fn draw_list(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let focused = app.focus == Focus::List;
    let block = pane(&t, " Exchanges ".to_string(), focused);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let rows_h = inner.height.saturating_sub(1) as usize;
    // Keep the selection in view.
    if app.selected < app.list_offset {
        app.list_offset = app.selected;
    } else if rows_h > 0 && app.selected >= app.list_offset + rows_h {
        app.list_offset = app.selected + 1 - rows_h;
    }
    app.list_offset = app
        .list_offset
        .min(app.shown().saturating_sub(rows_h.max(1)));
    if app.selected < app.list_offset {
        app.list_offset = app.selected;
    }
    app.layout.list_first_row = inner.y + 1;
    let w = inner.width;
    // Columns by width: the narrow layout drops time and endpoints first.
    let show_time = w >= 110;
    let show_ends = w >= 140;
    let key_w: u16 = if app.mask_keys {
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
    header.extend([
        "method",
        "host + path",
        "auth",
        "access key",
        "verdict",
        "st",
    ]);
    widths.extend([6, 0, 9, key_w, 13, 3]);
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
    let mut rows = Vec::with_capacity(rows_h);
    // The rows only read the state.
    let app: &App = app;
    for pos in app.list_offset..(app.list_offset + rows_h).min(app.shown()) {
        let Some(id) = app.id_at(pos) else { break };
        let Some(item) = app.store.get(id) else { break };
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
        cells.push(Span::raw(row.map(|r| short_mode(r.mode)).unwrap_or("")));
        let ak = row
            .and_then(|r| r.access_key.as_deref())
            .map(|k| {
                if app.mask_keys {
                    mask_key(k)
                } else {
                    middle_truncate(&safe_str(k), key_w)
                }
            })
            .unwrap_or_default();
        cells.push(Span::raw(ak));
        cells.push(verdict_cell(app, id));
        // A refusal stands out (bold without colour): 403 beside VALID is the seed case.
        cells.push(match &x.response {
            Some(p) if p.status >= 400 => Span::styled(
                p.status.to_string(),
                verdict_style(&t, Verdict::Invalid).add_modifier(Modifier::BOLD),
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
        let mut rw = Row::new(cells);
        if pos == app.selected {
            rw = rw.style(if focused {
                t.selected()
            } else {
                Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            });
        }
        rows.push(rw);
    }
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.accent()))
        .column_spacing(1);
    f.render_widget(table, inner);
    if empty && inner.height > 2 {
        let msg = if app.total() == 0 {
            if app.loading.done {
                "no HTTP requests found".to_string()
            } else if let Some(l) = &app.loading.live {
                format!("waiting for requests on {}…", safe_str(l))
            } else {
                "reading…".to_string()
            }
        } else {
            format!(
                "no exchange matches the filter `{}`",
                safe_str(&app.filter_src)
            )
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(t.dim())
                .alignment(Alignment::Center),
            Rect::new(inner.x, inner.y + 2, inner.width, 1),
        );
    }
}

fn draw_detail(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let focused = app.focus == Focus::Detail;
    let title = match &app.detail {
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
    let Some(d) = &app.detail else {
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
    let sel = d.tabs.iter().position(|tb| *tb == app.tab).unwrap_or(0);
    let mut x = tabs_r.x;
    for (i, title) in titles.iter().enumerate() {
        let w = title.width() as u16 + 3;
        if x >= tabs_r.x + tabs_r.width {
            break;
        }
        app.layout.tabs.push((
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
    app.layout.detail_height = content.height;
    let h = content.height as usize;
    let total = app.detail_len();
    app.detail_scroll = app.detail_scroll.min(total.saturating_sub(1));
    let scroll = app.detail_scroll;
    let hits = app.hits.clone();
    let mut lines: Vec<Line> = Vec::with_capacity(h);
    let doc = d.doc(app.tab).map(|v| v.as_slice()).unwrap_or(&[]);
    let inline = app.layout_inline || content.width < 100;
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

/// One row of the diff: side by side (`│` between the halves, long lines wrapped within their
/// half) or inline (the client's line `-`, then the other side's `+`).
fn diff_lines(
    app: &App,
    d: &detail::DetailModel,
    i: usize,
    width: u16,
    inline: bool,
) -> Vec<Line<'static>> {
    let t = &app.theme;
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

/// Splits a line into lines of at most `width` columns, keeping the styles; breaks after a
/// space when one is near the end (prose), anywhere otherwise (canonical strings, hashes).
fn wrap_line(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
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

fn draw_status(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.theme;
    if let Some(p) = &app.prompt {
        let (label, inp) = match p {
            Prompt::Filter(i) => ("filter: ", i),
            Prompt::Search(i) => ("search: ", i),
        };
        let mut spans = vec![
            Span::styled(label, t.accent()),
            Span::raw(safe_str(&inp.text)),
        ];
        if let Prompt::Filter(_) = p {
            match &app.filter_error {
                Some(e) => spans.push(Span::styled(
                    format!("   ✗ at {}: {}", e.at + 1, safe_str(&e.message)),
                    verdict_style(t, Verdict::Invalid),
                )),
                None if !inp.text.trim().is_empty() => spans.push(Span::styled(
                    "   ✓ Enter applies",
                    verdict_style(t, Verdict::Valid),
                )),
                None => spans.push(Span::styled("   empty: shows everything", t.dim())),
            }
        }
        f.render_widget(Paragraph::new(Line::from(spans)), r);
        let cx = r.x
            + label.len() as u16
            + safe_str(&inp.text.chars().take(inp.cursor).collect::<String>()).width() as u16;
        f.set_cursor_position((cx.min(r.x + r.width.saturating_sub(1)), r.y));
        return;
    }
    // Progress on the right while loading or re-verifying.
    let pending = app.total().saturating_sub(app.analysed());
    let right = if !app.loading.done && app.loading.live.is_none() {
        let pct = if app.loading.size > 0 {
            (app.loading.read as f64 / app.loading.size as f64).min(1.0)
        } else {
            0.0
        };
        Some((
            pct,
            format!(
                "reading {} {:.0}%",
                middle_truncate(&safe_str(&app.loading.current), 24),
                pct * 100.0
            ),
        ))
    } else if let Some(p) = app.filter_progress() {
        Some((p, format!("filtering {:.0}%", p * 100.0)))
    } else if pending > 0 {
        let pct = app.analysed() as f64 / app.total().max(1) as f64;
        Some((pct, format!("verifying {}/{}", app.analysed(), app.total())))
    } else {
        None
    };
    let [left_r, right_r] = Split::horizontal([
        Constraint::Min(10),
        Constraint::Length(if right.is_some() { 34 } else { 0 }),
    ])
    .areas(r);
    let left = match &app.status {
        Some(s) => Line::from(Span::styled(
            safe_str(s),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        None => {
            let k = |a| app.keymap.first_key(a);
            use crate::tui::keymap::Action::*;
            Line::from(Span::styled(
                format!(
                    "{} help  {} filter  {} detail  {} tabs  {} dialect  {} secret  {} copy  {} export  {} quit",
                    k(Help), k(Filter), k(Open), k(NextTab), k(PickDialect), k(EnterSecret), k(Copy), k(Export), k(Back)
                ),
                t.dim(),
            ))
        }
    };
    f.render_widget(Paragraph::new(left), left_r);
    if let Some((pct, label)) = right {
        let g = Gauge::default()
            .ratio(pct.clamp(0.0, 1.0))
            .label(label)
            .gauge_style(if t.color {
                Style::default().fg(t.accent)
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            })
            .use_unicode(true);
        f.render_widget(g, right_r);
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn menu<'a>(app: &App, items: &[String], selected: usize) -> Vec<Line<'a>> {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == selected {
                Line::styled(format!("▸ {s}"), app.theme.selected())
            } else {
                Line::raw(format!("  {s}"))
            }
        })
        .collect()
}

fn draw_popup(f: &mut Frame, app: &App, p: &Popup, area: Rect) {
    let t = &app.theme;
    let (title, lines, w, h): (String, Vec<Line>, u16, u16) = match p {
        Popup::Help { scroll } => {
            let mut lines = Vec::new();
            if !app.notices.is_empty() {
                lines.push(Line::styled("Messages (reading, config, credentials)", t.accent()));
                for n in &app.notices {
                    lines.push(Line::raw(format!("  {n}")));
                }
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled("Keys", t.accent()));
            for (keys, what) in app.keymap.help() {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<22}"), Style::default().add_modifier(Modifier::BOLD)),
                    Span::raw(what),
                ]));
            }
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", "1 … 9"), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw("jump to a detail tab"),
            ]));
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<22}", "ctrl-z"), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw("suspend (fg to resume)"),
            ]));
            lines.push(Line::raw("  mouse: click a row or a tab; the wheel scrolls the pane under it"));
            lines.push(Line::raw(""));
            lines.push(Line::styled("Filter expressions (combine with ! & | and parentheses)", t.accent()));
            for (term, what) in crate::tui::filter::describe_terms() {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {term:<22}"), Style::default().add_modifier(Modifier::BOLD)),
                    Span::raw(*what),
                ]));
            }
            let page = area.height.saturating_sub(6) as usize;
            let skip = (*scroll as usize).min(lines.len().saturating_sub(page));
            (
                format!(" Help ({} or esc closes) ", app.keymap.first_key(crate::tui::keymap::Action::Help)),
                lines.into_iter().skip(skip).collect(),
                96,
                area.height.saturating_sub(4),
            )
        }
        Popup::Dialect { selected } => {
            // What each dialect makes of the selected exchange, beside its name.
            let verdict = |name: &str| -> &'static str {
                let Some(r) = app.detail.as_ref().and_then(|d| d.analysis.dialect(name)) else {
                    return "  ";
                };
                match (r.unsupported, r.accepts()) {
                    (true, _) => "– ",
                    (_, Some(true)) => "✓ ",
                    (_, Some(false)) => "✗ ",
                    (_, None) => "? ",
                }
            };
            let items: Vec<String> = dialect::ALL
                .iter()
                .map(|d| format!("{}{:<16} {}", verdict(d.name), d.name, d.summary))
                .collect();
            let mut lines = menu(app, &items, *selected);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "✓ accepts / ✗ refuses the selected exchange (? no secret, – no verifier for it); Enter verifies everything as the dialect",
                t.dim(),
            ));
            (" Verifier dialect ".into(), lines, 110, dialect::ALL.len() as u16 + 5)
        }
        Popup::Copy { selected } => {
            let items: Vec<String> = CopyKind::ALL.iter().map(|c| c.label().to_string()).collect();
            (" Copy to the clipboard (OSC 52) ".into(), menu(app, &items, *selected), 60, 6)
        }
        Popup::Export { selected } => {
            let items: Vec<String> = ExportKind::ALL.iter().map(|c| c.label().to_string()).collect();
            (" Export ".into(), menu(app, &items, *selected), 70, 7)
        }
        Popup::ExportPath { kind, input } => (
            format!(" Export {} ", kind.label()),
            vec![
                Line::raw("File name (Enter writes, esc cancels):"),
                Line::styled(safe_str(&input.text), Style::default().add_modifier(Modifier::UNDERLINED)),
                Line::styled("Secrets are never written: curl reads $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY.", t.dim()),
            ],
            90,
            5,
        ),
        Popup::Secret { access_key, input } => (
            " Secret key ".into(),
            vec![
                Line::raw(format!("Secret access key for {}:", safe_str(access_key))),
                Line::styled("•".repeat(input.text.chars().count()), Style::default().add_modifier(Modifier::BOLD)),
                Line::styled("kept in memory only: never logged, shown or written", t.dim()),
            ],
            64,
            5,
        ),
    };
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.accent())
        .title(Span::styled(title, t.accent()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    f.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        inner,
    );
}

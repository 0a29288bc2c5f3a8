//! The status line: the filter or search prompt, else the last message or the key hints, and
//! a progress gauge while reading, filtering or verifying.

use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::engine::Verdict;
use crate::tui::detail::verdict_style;
use crate::tui::state::{App, Focus, Popup, Prompt};
use crate::tui::text::{middle_truncate, safe_str};

pub(super) fn draw_status(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.chrome.theme;
    if let Some(p) = &app.overlay.prompt {
        let (label, inp) = match p {
            Prompt::Filter(i) => ("filter: ", i),
            Prompt::Search(i) => ("search: ", i),
        };
        let mut spans = vec![
            Span::styled(label, t.accent()),
            Span::raw(safe_str(&inp.text)),
        ];
        let hint = match p {
            Prompt::Filter(_) => hints_prompt(true),
            Prompt::Search(_) => hints_prompt(false),
        };
        if let Prompt::Filter(_) = p {
            match &app.filter.error {
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
        // The keys of the prompt on the right, when there is room.
        let hint = hint_line(app, &hint, r.width / 2);
        let used = Line::from(spans.clone()).width() as u16 + 2;
        let hw = hint.width() as u16;
        f.render_widget(Paragraph::new(Line::from(spans)), r);
        if used + hw <= r.width {
            let hr = Rect::new(r.x + r.width - hw, r.y, hw, 1);
            f.render_widget(Paragraph::new(hint), hr);
        }
        let cx = r.x
            + label.len() as u16
            + safe_str(&inp.text.chars().take(inp.cursor).collect::<String>()).width() as u16;
        f.set_cursor_position((cx.min(r.x + r.width.saturating_sub(1)), r.y));
        return;
    }
    // Progress on the right while loading or re-verifying.
    let pending = app.total().saturating_sub(app.analysed());
    let right = if !app.verify.loading.done && app.verify.loading.live.is_none() {
        let pct = if app.verify.loading.size > 0 {
            (app.verify.loading.read as f64 / app.verify.loading.size as f64).min(1.0)
        } else {
            0.0
        };
        Some((
            pct,
            format!(
                "reading {} {:.0}%",
                middle_truncate(&safe_str(&app.verify.loading.current), 24),
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
    let left = match &app.overlay.status {
        Some(s) => Line::from(Span::styled(
            safe_str(s),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        None => hint_line(app, &hints(app), left_r.width),
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

/// A key and what it does, for the footer.
type Hint = (String, &'static str);

/// The footer's keys for where the keys go: a popup, the detail (with its tab's own keys) or
/// the list.
fn hints(app: &App) -> Vec<Hint> {
    use crate::tui::detail::Tab;
    use crate::tui::keymap::Action::*;
    let k = |a| app.chrome.keymap.hint_key(a);
    let h = |key: &str, what: &'static str| (key.to_string(), what);
    if let Some(p) = &app.overlay.popup {
        return match p {
            Popup::Help { .. } => vec![
                (format!("{}/{}", k(Down), k(Up)), "scroll"),
                (format!("{} esc", k(Help)), "close"),
            ],
            Popup::Menu(_) => vec![h("↑/↓", "choose"), h("enter", "pick"), h("esc", "close")],
            Popup::ExportPath { .. } => vec![h("enter", "write"), h("esc", "cancel")],
            Popup::Secret { .. } => vec![h("enter", "keep in memory"), h("esc", "cancel")],
            Popup::Confirm(_) => vec![h("y", "yes"), h("n", "no")],
        };
    }
    let mut v = vec![(k(Help), "help")];
    match app.focus {
        Focus::List => v.extend([
            (k(Filter), "filter"),
            (format!("{}/{}", k(SearchNext), k(SearchPrev)), "failing"),
            (k(Open), "detail"),
            h("1-9", "tabs"),
            (k(PickDialect), "dialect"),
            (k(EnterSecret), "secret"),
            (k(Copy), "copy"),
            (k(Export), "export"),
        ]),
        Focus::Detail => {
            v.extend([
                (format!("{}/{}", k(NextTab), k(PrevTab)), "tabs"),
                (k(Back), "list"),
            ]);
            match app.detail.tab {
                Tab::Diff => v.extend([
                    (
                        format!("{}/{}", k(CompareNext), k(ComparePrev)),
                        "compare with",
                    ),
                    (k(SideBySide), "inline"),
                    (k(Whitespace), "whitespace"),
                    (k(Hex), "hex"),
                ]),
                Tab::Body => v.extend([
                    (k(BodyMode), "pretty"),
                    (k(Hex), "hex"),
                    (k(ShowAll), "whole body"),
                ]),
                Tab::Response => v.push((k(ShowAll), "whole body")),
                _ => {}
            }
            v.push((k(Filter), "search"));
            if app.detail.search.is_some() {
                v.push((format!("{}/{}", k(SearchNext), k(SearchPrev)), "match"));
            }
            v.extend([(k(Zoom), "zoom"), (k(Copy), "copy"), (k(Export), "export")]);
        }
    }
    v.push((k(Quit), "quit"));
    v
}

/// The filter or search prompt's keys.
fn hints_prompt(filter: bool) -> Vec<Hint> {
    let mut v = vec![("enter".to_string(), if filter { "apply" } else { "search" })];
    if filter {
        v.push(("↑/↓".to_string(), "history"));
    }
    v.push(("esc".to_string(), "cancel"));
    v
}

/// Keys in bold, what they do dimmed: in order as many as `width` holds, and the last (quit)
/// always.
fn hint_line(app: &App, hints: &[Hint], width: u16) -> Line<'static> {
    let t = &app.chrome.theme;
    let w = |(k, what): &Hint| k.width() + 1 + what.width();
    let last = hints.len().saturating_sub(1);
    let mut room = (width as usize).saturating_sub(hints.last().map_or(0, w));
    let mut shown: Vec<&Hint> = Vec::new();
    for h in &hints[..last] {
        if w(h) + 2 > room {
            break;
        }
        room -= w(h) + 2;
        shown.push(h);
    }
    shown.extend(hints.last());
    let mut spans = Vec::new();
    for (i, (key, what)) in shown.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            key.clone(),
            Style::default().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!(" {what}"), t.dim()));
    }
    Line::from(spans)
}

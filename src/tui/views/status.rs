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
use crate::tui::state::{App, Prompt};
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
        f.render_widget(Paragraph::new(Line::from(spans)), r);
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
        None => {
            let k = |a| app.chrome.keymap.first_key(a);
            use crate::tui::keymap::Action::*;
            Line::from(Span::styled(
                format!(
                    "{} help  {} filter  {} detail  {} tabs  {} dialect  {} secret  {} copy  {} export  {} quit",
                    k(Help), k(Filter), k(Open), k(NextTab), k(PickDialect), k(EnterSecret), k(Copy), k(Export), app.chrome.keymap.hint_key(Quit)
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

//! The header line: the inputs, how many exchanges are shown, the verdicts that need a look,
//! the filter in force, and on the right the verifier (never cut).

use ratatui::layout::{Alignment, Constraint, Layout as Split, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engine::dialect::Choice;
use crate::engine::Verdict;
use crate::tui::detail::{verdict_badge, verdict_style};
use crate::tui::state::App;
use crate::tui::text::{middle_truncate, safe_str};

pub(super) fn draw_header(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.chrome.theme;
    // The verifier stays in view at any width: it is drawn on the right, the rest cut before it.
    let verifier = vec![
        Span::raw(" verifier "),
        Span::styled(
            match app.verify.settings.choice {
                Choice::Auto => "auto (each server's)",
                Choice::Dialect(d) => d.name,
            },
            t.accent(),
        ),
    ];
    let verifier_w = Line::from(verifier.clone()).width() as u16;
    let [left_r, right_r] = Split::horizontal([
        Constraint::Min(10),
        Constraint::Length(verifier_w.min(r.width / 2)),
    ])
    .areas(r);
    f.render_widget(
        Paragraph::new(Line::from(verifier)).alignment(Alignment::Right),
        right_r,
    );
    let mut spans = vec![
        Span::styled(" sigscope ", t.accent().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
    ];
    let src = match &app.verify.loading.live {
        Some(l) => safe_str(l),
        None => safe_str(&app.verify.loading.inputs.join(" ")),
    };
    spans.push(Span::raw(middle_truncate(
        &src,
        (left_r.width as usize / 2).max(10),
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
    // Narrow: the counts without their words (the symbols are the list's).
    let compact = left_r.width < 70;
    for v in [Verdict::Invalid, Verdict::Malformed, Verdict::Unverified] {
        let n = app.count(v);
        if n > 0 {
            let (sym, word) = verdict_badge(v);
            spans.push(Span::raw(if compact { " " } else { " · " }));
            let text = match compact {
                true => format!("{sym}{n}"),
                false => format!("{sym} {n} {}", word.to_lowercase()),
            };
            spans.push(Span::styled(text, verdict_style(t, v)));
        }
    }
    if app.body_mismatch() > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("✗ {} body mismatch", app.body_mismatch()),
            verdict_style(t, Verdict::Invalid),
        ));
    }
    if app.refused() > 0 {
        spans.push(Span::raw(if compact { " " } else { " · " }));
        spans.push(Span::styled(
            match compact {
                true => format!("✓{} refused", app.refused()),
                false => format!("✓ {} valid but refused", app.refused()),
            },
            verdict_style(t, Verdict::Invalid).add_modifier(Modifier::BOLD),
        ));
    }
    if !app.filter_src().is_empty() {
        spans.push(Span::raw(" · filter "));
        spans.push(Span::styled(
            safe_str(app.filter_src()),
            Style::default().add_modifier(Modifier::UNDERLINED),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), left_r);
}

//! The popups: help, the menus, the export path and the secret prompt.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::engine::{dialect, Verdict};
use crate::tui::detail::verdict_style;
use crate::tui::state::{App, CopyKind, ExportKind, Menu, MenuKind, Popup};
use crate::tui::text::safe_str;

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
                Line::styled(format!("▸ {s}"), app.chrome.theme.selected())
            } else {
                Line::raw(format!("  {s}"))
            }
        })
        .collect()
}

pub(super) fn draw_popup(f: &mut Frame, app: &App, p: &Popup, area: Rect) {
    let t = &app.chrome.theme;
    let (title, lines, w, h): (String, Vec<Line>, u16, u16) = match p {
        Popup::Help { scroll } => help(app, *scroll, area),
        Popup::Menu(m) => menu_popup(app, *m, area),
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
        Popup::Confirm(c) => {
            let q = c.question();
            let n = q.chars().count() as u16;
            let w = (n + 6).clamp(30, 90);
            (
                " Confirm ".into(),
                vec![Line::styled(q, Style::default().add_modifier(Modifier::BOLD))],
                w,
                n.div_ceil(w - 2) + 2,
            )
        }
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

/// Title, lines, width and height of a popup.
type Drawn<'a> = (String, Vec<Line<'a>>, u16, u16);

/// The help screen: messages kept (reading, config, credentials), the keys, filter terms.
fn help(app: &App, scroll: u16, area: Rect) -> Drawn<'static> {
    let t = &app.chrome.theme;
    let mut lines = Vec::new();
    if !app.chrome.notices.is_empty() {
        lines.push(Line::styled(
            "Messages (reading, config, credentials)",
            t.accent(),
        ));
        for n in &app.chrome.notices {
            lines.push(Line::raw(format!("  {n}")));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("Keys", t.accent()));
    for (keys, what) in app.chrome.keymap.help() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {keys:<22}"),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(what),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!("  {:<22}", "1 … 9"),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw("jump to a detail tab"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(
            format!("  {:<22}", "ctrl-z"),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw("suspend (fg to resume)"),
    ]));
    for (keys, what) in [
        ("↑ ↓ (filter prompt)", "recall the filters applied before"),
        (
            "y n (a question)",
            "answer: quit a listener, overwrite a file",
        ),
    ] {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {keys:<22}"),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(what),
        ]));
    }
    lines.push(Line::raw(
        "  mouse: click a row or a tab; the wheel scrolls the pane under it",
    ));
    lines.push(Line::raw(""));
    lines.extend(verdict_legend(t));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Filter expressions (combine with ! & | and parentheses)",
        t.accent(),
    ));
    for (term, what) in crate::tui::filter::describe_terms() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {term:<22}"),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(*what),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Finding codes (fact: observed; diagnosis: a cause inferred; hint: a cause to check)",
        t.accent(),
    ));
    for c in crate::engine::Code::ALL {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<32}", c.as_str()),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{}: {}", c.kind().as_str(), c.title())),
        ]));
    }
    let page = area.height.saturating_sub(6) as usize;
    let skip = (scroll as usize).min(lines.len().saturating_sub(page));
    (
        format!(
            " Help ({} or esc closes) ",
            app.chrome
                .keymap
                .first_key(crate::tui::keymap::Action::Help)
        ),
        lines.into_iter().skip(skip).collect(),
        96,
        area.height.saturating_sub(4),
    )
}

/// What each of the list's verdict marks means.
pub(super) const VERDICTS: [(Option<Verdict>, &str, &str); 7] = [
    (
        Some(Verdict::Valid),
        "✓ VALID",
        "the signature verifies under the verifier dialect",
    ),
    (
        Some(Verdict::Invalid),
        "✗ INVALID",
        "it does not: the Overview says why first",
    ),
    (
        Some(Verdict::Unverified),
        "? UNVERIFIED",
        "not checked: no secret for its access key (K enters one), or a token",
    ),
    (
        Some(Verdict::Anonymous),
        "○ ANONYMOUS",
        "nothing signed: the request carries no credentials",
    ),
    (
        Some(Verdict::Malformed),
        "! MALFORMED",
        "the credentials could not be parsed",
    ),
    (
        None,
        "✓ VALID·refused",
        "valid under the verifier, refused by the server for its signature",
    ),
    (
        None,
        "… (dimmed)",
        "verified under an earlier setting; being verified again",
    ),
];

fn verdict_legend(t: &crate::tui::config::Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Verdicts (the list's marks)", t.accent())];
    for (v, mark, what) in VERDICTS {
        let style = match (v, mark) {
            (Some(v), _) => verdict_style(t, v),
            (None, "✓ VALID·refused") => {
                verdict_style(t, Verdict::Valid).add_modifier(Modifier::BOLD)
            }
            (None, _) => t.dim(),
        };
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{mark:<22}"), style),
            Span::raw(what),
        ]));
    }
    lines
}

/// A menu: the items of its kind, the selected one marked; the dialects' with a legend.
fn menu_popup(app: &App, m: Menu, area: Rect) -> Drawn<'static> {
    let t = &app.chrome.theme;
    let (title, w, h) = match m.kind {
        MenuKind::Dialect => (
            " Verifier dialect ".into(),
            110,
            dialect::ALL.len() as u16 + 6,
        ),
        MenuKind::Copy => (" Copy to the clipboard (OSC 52) ".into(), 60, 6),
        MenuKind::Export => (" Export ".into(), 70, 7),
        MenuKind::Resign { edited } => (
            resign_title(app, edited),
            100,
            dialect::ALL.len() as u16 + u16::from(edited) + 4,
        ),
    };
    let items: Vec<String> = match m.kind {
        MenuKind::Dialect => dialect_items(app),
        MenuKind::Copy => CopyKind::ALL.iter().map(|c| c.label().into()).collect(),
        MenuKind::Export => ExportKind::ALL.iter().map(|c| c.label().into()).collect(),
        MenuKind::Resign { edited } => resign_items(edited),
    };
    let mut lines = menu(app, &items, m.selected);
    if let MenuKind::Resign { .. } = m.kind {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Enter asks before anything is sent, naming where; esc sends nothing",
            t.dim(),
        ));
    }
    let mut h = h;
    if m.kind == MenuKind::Dialect {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "✓ accepts / ✗ refuses the selected exchange (? no secret, – no verifier for it); Enter verifies everything as the dialect",
            t.dim(),
        ));
        // Its lines wrap: as many rows as they take inside the borders.
        // As `centered` places it: a cell of margin each side, then the borders.
        let inner = w.min(area.width.saturating_sub(2)).saturating_sub(2).max(1) as usize;
        let rows = |lines: &[Line]| {
            lines
                .iter()
                .map(|l| l.width().max(1).div_ceil(inner) as u16)
                .sum::<u16>()
        };
        // The server lines take what the terminal has left (a 24-row terminal shows a few).
        let left = area.height.saturating_sub(4 + rows(&lines));
        lines.extend(server_lines(app, left, inner));
        h = 2 + rows(&lines);
    }
    (title, lines, w, h)
}

/// The re-sign picker's title: which exchange (as edited or not) and where it would go.
fn resign_title(app: &App, edited: bool) -> String {
    let id = match (&app.edit, edited) {
        (Some((id, _)), true) => Some(*id),
        _ => app.selected_id(),
    };
    let item = id.and_then(|id| app.store.get(id));
    let Some(item) = item else {
        return " Re-sign as ".into();
    };
    let req = app.edit.as_ref().filter(|_| edited).map(|(_, r)| r);
    let dest = crate::tui::replay::destination_label(&item.x, req).unwrap_or_default();
    format!(
        " Send #{}{} to {}: re-sign as ",
        item.x.index,
        if edited { " as edited" } else { "" },
        safe_str(&dest)
    )
}

/// The dialects to re-sign as, and for an edited request the choice not to.
fn resign_items(edited: bool) -> Vec<String> {
    let mut items: Vec<String> = dialect::ALL
        .iter()
        .map(|d| format!("{:<16} {}", d.name, d.summary))
        .collect();
    if edited {
        items.push(format!(
            "{:<16} the captured signature, sent over the request as edited",
            "(not re-signed)"
        ));
    }
    items
}

/// Servers shown at most in the dialect menu; the rest are counted.
const SERVER_LINES: usize = 8;

/// What each server's answers say of its dialect (issue #12 §4), under the dialect menu: the
/// evidence for picking one, or auto. At most `rows` rows of `width` columns (lines wrap); the
/// servers that do not fit are counted.
fn server_lines(app: &App, rows: u16, width: usize) -> Vec<Line<'static>> {
    let t = &app.chrome.theme;
    let s = &app.verify.settings;
    let judged = s.choice.is_auto().then_some(s.dialect);
    let all = app.servers().lines(judged);
    if all.is_empty() {
        return Vec::new();
    }
    // The blank line and the heading, and a row for "… and N more" whenever one is cut.
    if rows < 3 {
        return Vec::new();
    }
    let mut out = vec![
        Line::raw(""),
        Line::styled("Each server, from its answers so far:", t.accent()),
    ];
    let mut used = 2u16;
    let mut shown = 0;
    for (i, l) in all.iter().take(SERVER_LINES).enumerate() {
        let line = Line::raw(format!("  {}", safe_str(l)));
        let need = line.width().max(1).div_ceil(width.max(1)) as u16;
        let last = i + 1 == all.len();
        // Keep a row for the count unless this is the last line.
        if used + need + u16::from(!last) > rows {
            break;
        }
        used += need;
        out.push(line);
        shown += 1;
    }
    if all.len() > shown {
        out.push(Line::styled(
            format!(
                "  … and {} more (sigscope report lists them all)",
                all.len() - shown
            ),
            t.dim(),
        ));
    }
    out
}

/// Each dialect, with what it makes of the selected exchange before its name.
fn dialect_items(app: &App) -> Vec<String> {
    let verdict = |name: &str| -> &'static str {
        let Some(r) = app
            .detail
            .model
            .as_ref()
            .and_then(|d| d.analysis.dialect(name))
        else {
            return "  ";
        };
        match (r.unsupported, r.accepts()) {
            (true, _) => "– ",
            (_, Some(true)) => "✓ ",
            (_, Some(false)) => "✗ ",
            (_, None) => "? ",
        }
    };
    dialect::ALL
        .iter()
        .map(|d| format!("{}{:<16} {}", verdict(d.name), d.name, d.summary))
        .chain([format!(
            "  {:<16} each exchange as its server's answers point (see below; aws where they don't)",
            dialect::Choice::AUTO
        )])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::VERDICTS;
    use crate::tui::detail::verdict_badge;

    /// The legend names the marks the list draws.
    #[test]
    fn the_legend_has_the_list_marks() {
        for (v, mark, what) in VERDICTS {
            if let Some(v) = v {
                let (sym, word) = verdict_badge(v);
                assert_eq!(mark, format!("{sym} {word}"));
            }
            assert!(2 + 22 + what.chars().count() <= 94, "{what}");
        }
    }
}

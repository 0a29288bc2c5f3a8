//! What issue 12 §5–§6 asked of the UI, each over real fixtures: the explanation first on the
//! Overview, quitting a listener, stable tab numbers, the failing-exchange jumps, the filter
//! history, export names and overwrites, copying under tmux, the footer by focus.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use sigscope::credentials::Credentials;
use sigscope::tui::detail::Tab;
use sigscope::tui::state::{App, Confirm, Effect, ExportKind, Focus, Popup};

use crate::app::{app_for, code, draw, key};
use crate::support::load;

fn demo(dialect: &str) -> App {
    app_for(
        load("samples/demo.pcap"),
        Credentials::load_file(Path::new("samples/demo.credentials")).unwrap(),
        dialect,
    )
}

/// The text of one line of a tab, as drawn before wrapping.
fn doc_line(app: &App, tab: Tab, i: usize) -> String {
    let d = app.detail.model.as_ref().expect("a detail");
    d.doc(tab).expect("the tab")[i]
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect()
}

/// §5: the seed case under aws is valid yet refused; the Overview says so, and who would
/// refuse it by which rule, right under the verdict (before: only the Diff tab said it).
#[test]
fn overview_opens_with_the_explanation() {
    let app = demo("aws");
    let why = doc_line(&app, Tab::Overview, 1);
    assert!(why.starts_with("Why: the server refused (403) a request valid under aws; keystone-legacy would refuse it"), "{why}");
    assert!(why.contains("form body"), "{why}");
    // Invalid under keystone-legacy: the finding that explains it comes first.
    let app = demo("keystone-legacy");
    let why = doc_line(&app, Tab::Overview, 1);
    assert!(why.starts_with("Why: the client signed like"), "{why}");
    // A valid, accepted request has nothing to explain.
    let mut app = demo("aws");
    app.focus = Focus::List;
    for _ in 0..4 {
        app.on_key(key('j'));
    }
    app.build_detail_now();
    assert!(!doc_line(&app, Tab::Overview, 1).starts_with("Why"));
    let text = draw(&mut app, 80, 24);
    assert!(!text.contains("Why:"), "{text}");
}

fn snapshot_settings() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind_to_scope()
}

/// §6: `q` (or ctrl-c) while a listener runs asks first; n keeps it running, y (or the same
/// key again) quits. Reading a file, `q` quits at once.
#[test]
fn quitting_a_running_listener_asks_first() {
    let mut app = demo("aws");
    app.on_key(key('q'));
    assert!(app.quit, "reading a file: q quits at once");

    let mut app = demo("aws");
    app.verify.loading.live = Some("listening on 127.0.0.1:8080".into());
    app.verify.loading.done = false;
    app.on_key(key('q'));
    assert!(!app.quit, "a running listener: q asks first");
    assert!(matches!(
        app.overlay.popup,
        Some(Popup::Confirm(Confirm::Quit { capture: false }))
    ));
    let _guard = snapshot_settings();
    for (w, h) in [(80u16, 24u16), (200, 50), (60, 20)] {
        let text = draw(&mut app, w, h);
        assert!(text.contains("stop the listener and quit? y/n"), "{text}");
        insta::assert_snapshot!(format!("confirm-quit__{w}x{h}"), text);
    }
    app.on_key(key('n'));
    assert!(
        !app.quit && app.overlay.popup.is_none(),
        "n keeps the listener"
    );
    app.on_key(code(KeyCode::Esc));
    app.on_key(key('q'));
    app.on_key(code(KeyCode::Esc));
    assert!(
        !app.quit && app.overlay.popup.is_none(),
        "esc keeps the listener"
    );
    app.on_key(key('q'));
    app.on_key(key('y'));
    assert!(app.quit, "y quits");

    // Under a live capture the question names the capture (its status line says so).
    let mut app = demo("aws");
    app.verify.loading.live = Some("capturing on lo (port 7480): 12 packets captured".into());
    app.verify.loading.done = false;
    app.on_key(key('q'));
    let text = draw(&mut app, 200, 50);
    assert!(text.contains("stop the capture and quit? y/n"), "{text}");
    app.on_key(key('y'));
    assert!(app.quit, "y quits");

    let mut app = demo("aws");
    app.verify.loading.live = Some("listening on 127.0.0.1:8080".into());
    app.verify.loading.done = false;
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    app.on_key(ctrl_c);
    assert!(!app.quit, "ctrl-c asks too");
    app.on_key(ctrl_c);
    assert!(app.quit, "ctrl-c twice quits");
    // The listener stopped (its feed ended): nothing left to stop, q quits at once.
    let mut app = demo("aws");
    app.verify.loading.live = Some("listening on 127.0.0.1:8080".into());
    app.verify.loading.done = true;
    app.on_key(key('q'));
    assert!(app.quit);
}

/// §6: each tab keeps its number in every auth mode (`5` is Diff for SigV4 and SigV2 alike); a
/// number the mode has no tab for is skipped, and pressing it says why.
#[test]
fn tab_numbers_are_the_same_in_every_mode() {
    let mut app = demo("aws");
    for (pos, mode) in [(0, "sigv4"), (2, "sigv2"), (4, "query-v2")] {
        app.focus = Focus::List;
        app.on_key(key('g'));
        for _ in 0..pos {
            app.on_key(key('j'));
        }
        app.build_detail_now();
        app.on_key(key('5'));
        assert_eq!(app.detail.tab, Tab::Diff, "{mode}: 5 is Diff");
        app.on_key(key('6'));
        assert_eq!(app.detail.tab, Tab::Dialects, "{mode}: 6 is Dialects");
        app.on_key(key('9'));
        assert_eq!(app.detail.tab, Tab::Response, "{mode}: 9 is Response");
    }
    // SigV2 (position 2) has no canonical request: 2 says so and leaves the tab alone.
    app.focus = Focus::List;
    app.on_key(key('g'));
    app.on_key(key('j'));
    app.on_key(key('j'));
    app.build_detail_now();
    app.on_key(key('3'));
    app.on_key(key('2'));
    assert_eq!(app.detail.tab, Tab::StringToSign);
    let status = app.overlay.status.clone().unwrap_or_default();
    assert!(status.contains("not for sigv2"), "{status}");
    let text = draw(&mut app, 200, 50);
    assert!(
        text.contains(" 1 Overview │ 3 String to sign │ 4 Signing │ 5 Diff"),
        "{text}"
    );
    // An anonymous request: 7 is still Headers.
    app.focus = Focus::List;
    app.on_key(key('G'));
    app.build_detail_now();
    app.on_key(key('7'));
    assert_eq!(app.detail.tab, Tab::Headers);
}

/// The line under the detail pane's title.
fn tab_bar(text: &str) -> String {
    let mut lines = text.lines();
    lines.find(|l| l.contains("┌ #"));
    lines.next().unwrap_or_default().to_string()
}

/// §6: the tab bar overflows at 80 and at 200 columns; it scrolls so that the selected tab is
/// drawn, and marks the tabs left out (before: `9 Response` was never drawn).
#[test]
fn the_tab_bar_scrolls_to_the_selected_tab() {
    let mut app = demo("aws");
    app.focus = Focus::Detail;
    for (w, h) in [(80u16, 24u16), (200, 50), (60, 20)] {
        app.select_tab(Tab::Response);
        let text = draw(&mut app, w, h);
        let bar = tab_bar(&text);
        assert!(bar.contains("9 Response"), "{w}×{h}: {bar}");
        assert!(
            bar.contains('‹') && !bar.contains("1 Overview"),
            "{w}×{h}: {bar}"
        );
        app.select_tab(Tab::Overview);
        let text = draw(&mut app, w, h);
        let bar = tab_bar(&text);
        assert!(bar.contains('›') && !bar.contains('‹'), "{w}×{h}: {bar}");
        // The mouse finds the tabs where they are drawn.
        let (_, last) = *app.chrome.layout.tabs.last().unwrap();
        assert_ne!(last, Tab::Response, "{w}×{h}: Response is not drawn");
    }
}

/// §6: at narrow widths the path stays (before: it vanished while auth and key stayed), the
/// host goes first, the query's start shows, and the header keeps the verifier's name.
#[test]
fn narrow_widths_keep_the_path_and_the_verifier() {
    let _guard = snapshot_settings();
    let mut app = demo("keystone-legacy");
    for (w, h) in [(60u16, 20u16), (80, 24), (200, 50)] {
        let text = draw(&mut app, w, h);
        let header = text.lines().next().unwrap();
        assert!(
            header.trim_end().ends_with("verifier keystone-legacy"),
            "{w}×{h}: {header}"
        );
        insta::assert_snapshot!(format!("narrow-list__{w}x{h}"), text);
    }
    let text = draw(&mut app, 60, 20);
    let row = |i: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("│{i} ")))
            .unwrap_or_else(|| panic!("no row {i}:\n{text}"))
            .to_string()
    };
    assert!(row("0").contains("/v1/"), "{text}");
    assert!(
        !row("0").contains("127.0.0.1"),
        "the host goes first:\n{text}"
    );
    assert!(row("3").contains("?X-"), "the query's start:\n{text}");
}

/// §6: "verifying…" on the status line gives way to what came of it when the last exchange
/// is verified (before: it stayed until the next key).
#[test]
fn the_status_line_says_when_verification_is_over() {
    let mut app = demo("aws");
    app.set_dialect("keystone-legacy");
    let text = draw(&mut app, 120, 30);
    assert!(
        text.contains("verifying every exchange as keystone-legacy…"),
        "{text}"
    );
    app.analyse_all_now();
    let text = draw(&mut app, 120, 30);
    assert!(!text.contains("verifying"), "{text}");
    assert!(
        text.contains("verified 6 exchanges as keystone-legacy: 3 invalid"),
        "{text}"
    );
    // A message shown meanwhile is not replaced.
    app.set_dialect("aws");
    app.on_key(key('m'));
    app.analyse_all_now();
    assert_eq!(app.overlay.status, None);
    // A secret entered: the same.
    let mut app = app_for(load("samples/demo.pcap"), Credentials::default(), "aws");
    app.add_secret("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    assert!(app
        .overlay
        .status
        .as_deref()
        .unwrap()
        .contains("verifying again"));
    app.analyse_all_now();
    let status = app.overlay.status.clone().unwrap();
    assert!(
        status.starts_with("verified 6 exchanges as aws"),
        "{status}"
    );
}

/// §6: the export's proposed file name carries the capture's name and the exchange's number.
#[test]
fn export_names_carry_the_capture_name() {
    let mut app = demo("aws");
    app.on_key(key('j'));
    app.on_key(key('j'));
    app.on_key(key('j'));
    app.build_detail_now();
    for (item, want) in [
        (0, "demo-3.md"),
        (1, "demo-3.curl.sh"),
        (2, "demo-3.http"),
        (3, "demo.har"),
        (4, "demo.jsonl"),
    ] {
        app.on_key(key('e'));
        for _ in 0..item {
            app.on_key(code(KeyCode::Down));
        }
        app.on_key(code(KeyCode::Enter));
        match &app.overlay.popup {
            Some(Popup::ExportPath { input, .. }) => assert_eq!(input.text, want),
            p => panic!("{p:?}"),
        }
        app.on_key(code(KeyCode::Esc));
    }
}

/// §6: an export over an existing file asks first (before: it overwrote silently): the write
/// leaves the file alone and says so; asked, n keeps it and y writes over it.
#[test]
fn export_over_an_existing_file_asks_first() {
    let mut app = demo("aws");
    let dir = std::env::temp_dir().join(format!("sigscope-overwrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo-0.md");
    std::fs::write(&path, "mine").unwrap();
    let err = sigscope::tui::export_to_file(
        ExportKind::Markdown,
        &path,
        &[0],
        &app.store,
        &app.verify.settings,
        false,
    )
    .unwrap_err();
    assert!(sigscope::tui::export::file_exists(&err), "{err:#}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    // The loop hands the question to the app.
    assert_eq!(
        sigscope::tui::export::existing_path(&err),
        Some(path.clone())
    );
    let ask = Confirm::Overwrite {
        kind: ExportKind::Markdown,
        path: path.clone(),
        ids: vec![0],
        existing: path.clone(),
    };
    app.ask(ask.clone());
    let text = draw(&mut app, 200, 50);
    assert!(
        text.contains("demo-0.md exists: overwrite it? y/n"),
        "{text}"
    );
    app.on_key(key('n'));
    assert!(app.overlay.popup.is_none());
    assert!(!app
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Export { .. })));
    app.ask(ask);
    app.on_key(key('y'));
    let Some(Effect::Export {
        overwrite: true,
        path: p,
        ..
    }) = app.effects.pop()
    else {
        panic!("y exports over the file");
    };
    let n = sigscope::tui::export_to_file(
        ExportKind::Markdown,
        &p,
        &[0],
        &app.store,
        &app.verify.settings,
        true,
    )
    .unwrap();
    assert_eq!(std::fs::read(&path).unwrap().len(), n);
    // A new file is written without a question.
    let fresh = dir.join("fresh.md");
    let _ = std::fs::remove_file(&fresh);
    sigscope::tui::export_to_file(
        ExportKind::Markdown,
        &fresh,
        &[0],
        &app.store,
        &app.verify.settings,
        false,
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// §6: under tmux a copy goes to tmux's buffer too (OSC 52 alone is dropped unless tmux's
/// set-clipboard lets it through); outside tmux, OSC 52 only.
#[test]
fn copy_under_tmux_also_fills_the_tmux_buffer() {
    let copy = |tmux: bool| {
        let mut app = demo("aws");
        app.chrome.tmux = tmux;
        app.on_key(key('y'));
        app.on_key(code(KeyCode::Enter));
        app
    };
    let app = copy(false);
    assert!(app
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Clipboard(_))));
    assert!(!app
        .effects
        .iter()
        .any(|e| matches!(e, Effect::TmuxBuffer { .. })));
    let app = copy(true);
    assert!(app
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Clipboard(_))));
    let text = app.effects.iter().find_map(|e| match e {
        Effect::TmuxBuffer { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert!(text
        .expect("a tmux buffer effect")
        .starts_with("POST\n/v1/\n"));
    let status = app.overlay.status.clone().unwrap();
    assert!(!status.starts_with("copied"), "{status}: not yet known");
}

/// `tmux_copy` against a tmux server of its own: the buffer holds the text, and the message
/// says whether OSC 52 got through (set-clipboard) or how to let it.
#[test]
fn tmux_copy_says_where_the_text_went() {
    if !crate::support::have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX") {
        return;
    }
    use std::process::Command;
    let sock = std::env::temp_dir().join(format!("sigscope-tmux-copy-{}", std::process::id()));
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    };
    assert!(tmux(&["new-session", "-d", "sleep 60"]).status.success());
    tmux(&["set-option", "-g", "set-clipboard", "off"]);
    let msg = sigscope::tui::export::tmux_copy("GET\n/a b\n", true, Some(&sock));
    assert!(msg.contains("to the tmux buffer"), "{msg}");
    assert!(msg.contains("set -g set-clipboard on"), "{msg}");
    assert_eq!(
        String::from_utf8_lossy(&tmux(&["show-buffer"]).stdout),
        "GET\n/a b\n"
    );
    tmux(&["set-option", "-g", "set-clipboard", "on"]);
    let msg = sigscope::tui::export::tmux_copy("x", true, Some(&sock));
    assert!(
        msg.contains("copied 1 byte to the clipboard and the tmux buffer"),
        "{msg}"
    );
    // Too long for OSC 52: only the buffer.
    let msg = sigscope::tui::export::tmux_copy("x", false, Some(&sock));
    assert!(msg.starts_with("copied 1 byte to the tmux buffer"), "{msg}");
    tmux(&["kill-server"]);
    let _ = std::fs::remove_file(&sock);
    // No tmux server there: said, not claimed copied.
    let msg = sigscope::tui::export::tmux_copy("x", true, Some(&sock));
    assert!(msg.starts_with("not copied"), "{msg}");
}

/// §6: the footer's keys follow the focus: the list's, the detail's (with the tab's own), the
/// filter prompt's, a popup's; `q quit` stays even when the line is short.
#[test]
fn the_footer_follows_the_focus() {
    let footer = |app: &mut App, w: u16| {
        let text = draw(app, w, 24);
        text.lines().last().unwrap().trim_end().to_string()
    };
    let mut app = demo("aws");
    let list = footer(&mut app, 120);
    assert!(list.starts_with("? help  / filter"), "{list}");
    assert!(
        list.contains("enter detail") && list.ends_with("q quit"),
        "{list}"
    );
    app.on_key(key('5'));
    let diff = footer(&mut app, 120);
    assert!(
        diff.contains("esc list") && diff.contains("]/[ compare with"),
        "{diff}"
    );
    assert!(!diff.contains("/ filter"), "{diff}");
    app.on_key(key('8'));
    let body = footer(&mut app, 120);
    assert!(
        body.contains("b pretty") && !body.contains("compare"),
        "{body}"
    );
    assert!(footer(&mut app, 60).ends_with("q quit"));
    app.on_key(code(KeyCode::Esc));
    app.on_key(key('/'));
    let prompt = footer(&mut app, 120);
    assert!(prompt.starts_with("filter: "), "{prompt}");
    assert!(
        prompt.contains("enter apply")
            && prompt.contains("esc cancel")
            && prompt.contains("↑/↓ history"),
        "{prompt}"
    );
    app.on_key(code(KeyCode::Esc));
    app.on_key(key('d'));
    let menu = footer(&mut app, 120);
    assert_eq!(menu, "↑/↓ choose  enter pick  esc close");
}

/// §6: `n`/`N` in the list select the next/previous failing exchange, wrapping, and say so;
/// with none in the list, they say that.
#[test]
fn n_and_shift_n_jump_between_failing_exchanges() {
    let status = |app: &App| app.overlay.status.clone().unwrap_or_default();
    // keystone-legacy: #0, #1 and #3 are invalid; #2 unverified, #4 valid, #5 anonymous.
    let mut app = demo("keystone-legacy");
    app.on_key(key('n'));
    assert_eq!(
        (app.list.selected, status(&app).as_str()),
        (1, "#1: invalid")
    );
    app.on_key(key('n'));
    assert_eq!(app.list.selected, 3);
    app.on_key(key('n'));
    assert_eq!(app.list.selected, 0);
    assert_eq!(status(&app), "#0: invalid (wrapped to the top)");
    app.on_key(key('N'));
    assert_eq!(app.list.selected, 3);
    assert!(
        status(&app).contains("wrapped to the bottom"),
        "{}",
        status(&app)
    );
    assert_eq!(app.focus, Focus::List);
    // In the detail, n is still the search's.
    app.on_key(code(KeyCode::Enter));
    app.on_key(key('n'));
    assert_eq!(app.list.selected, 3);
    // aws: the only failing one is #0, valid but refused.
    let mut app = demo("aws");
    app.on_key(key('G'));
    app.on_key(key('n'));
    assert_eq!(app.list.selected, 0);
    assert_eq!(status(&app), "#0: valid but refused (wrapped to the top)");
    app.on_key(key('n'));
    assert!(
        status(&app) == "#0: valid but refused, the only failing exchange",
        "{}",
        status(&app)
    );
    // None in the list.
    app.set_filter("~auth anon").unwrap();
    app.on_key(key('n'));
    assert!(
        status(&app).starts_with("no failing exchange"),
        "{}",
        status(&app)
    );
}

/// §6: Up and Down in the filter prompt recall the filters applied this session, newest
/// first, each once; Down past the newest gives back what was being typed.
#[test]
fn the_filter_prompt_recalls_earlier_filters() {
    let mut app = demo("keystone-legacy");
    let prompt_text = |app: &App| match &app.overlay.prompt {
        Some(sigscope::tui::state::Prompt::Filter(i)) => i.text.clone(),
        p => panic!("{p:?}"),
    };
    for f in ["~v invalid", "~auth sigv2", "~v invalid", ""] {
        app.on_key(key('/'));
        app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        for c in f.chars() {
            app.on_key(key(c));
        }
        app.on_key(code(KeyCode::Enter));
    }
    assert_eq!(app.filter.history, ["~auth sigv2", "~v invalid"]);
    app.on_key(key('/'));
    app.on_key(key('~'));
    app.on_key(code(KeyCode::Up));
    assert_eq!(prompt_text(&app), "~v invalid");
    app.on_key(code(KeyCode::Up));
    assert_eq!(prompt_text(&app), "~auth sigv2");
    app.on_key(code(KeyCode::Up));
    assert_eq!(prompt_text(&app), "~auth sigv2", "the oldest stays");
    app.on_key(code(KeyCode::Down));
    assert_eq!(prompt_text(&app), "~v invalid");
    app.on_key(code(KeyCode::Down));
    assert_eq!(prompt_text(&app), "~", "back to what was typed");
    app.on_key(code(KeyCode::Up));
    app.on_key(code(KeyCode::Up));
    app.on_key(code(KeyCode::Enter));
    assert_eq!(app.filter_src(), "~auth sigv2");
    assert_eq!(app.shown(), 1);
    assert_eq!(app.filter.history, ["~v invalid", "~auth sigv2"]);
    // An invalid filter is not kept.
    app.on_key(key('/'));
    for c in " & (".chars() {
        app.on_key(key(c));
    }
    app.on_key(code(KeyCode::Enter));
    app.on_key(code(KeyCode::Esc));
    assert_eq!(app.filter.history.len(), 2);
}

/// The history is saved (by the loop, off the UI thread) where the app was told to keep it,
/// each time a filter is applied; without a place, never.
#[test]
fn an_applied_filter_asks_for_the_history_to_be_saved() {
    let saves = |app: &App| {
        app.effects
            .iter()
            .filter_map(|e| match e {
                Effect::SaveHistory { path, history } => Some((path.clone(), history.clone())),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut app = demo("aws");
    app.on_key(key('/'));
    app.on_key(key('a'));
    app.on_key(code(KeyCode::Enter));
    assert!(saves(&app).is_empty());
    app.chrome.history_file = Some("/somewhere/filter_history".into());
    app.on_key(key('/'));
    app.on_key(key('b'));
    app.on_key(code(KeyCode::Enter));
    assert_eq!(
        saves(&app),
        [(
            std::path::PathBuf::from("/somewhere/filter_history"),
            vec!["a".to_string(), "ab".to_string()]
        )]
    );
}

/// §6: `?` explains the list's verdict marks, after the keys.
#[test]
fn help_has_a_verdict_legend() {
    let mut app = demo("aws");
    app.on_key(key('?'));
    let text = draw(&mut app, 120, 80);
    assert!(text.contains("Verdicts (the list's marks)"), "{text}");
    for mark in [
        "✓ VALID ",
        "✗ INVALID ",
        "? UNVERIFIED ",
        "○ ANONYMOUS ",
        "! MALFORMED ",
        "✓ VALID·refused ",
    ] {
        assert!(
            text.lines().any(|l| l.contains(&format!("  {mark}"))),
            "{mark} is not explained:\n{text}"
        );
    }
    assert!(
        text.contains("refused by the server for its signature"),
        "{text}"
    );
}

/// A curl command whose body is too large to inline reads it from `body.bin` beside it: a
/// `body.bin` already there is not overwritten without asking either, and the question names it.
#[test]
fn a_curl_export_asks_before_overwriting_its_body_file() {
    let mut app = app_for(
        load("tests/captures/large-body.pcap"),
        Credentials::default(),
        "aws",
    );
    let dir = tempfile::tempdir().unwrap();
    let (cmd, side) = (dir.path().join("put.sh"), dir.path().join("body.bin"));
    std::fs::write(&side, "mine").unwrap();
    let export = |app: &App, overwrite| {
        sigscope::tui::export_to_file(
            ExportKind::Curl,
            &cmd,
            &[0],
            &app.store,
            &app.verify.settings,
            overwrite,
        )
    };
    let err = export(&app, false).unwrap_err();
    assert!(sigscope::tui::export::file_exists(&err), "{err:#}");
    assert_eq!(
        sigscope::tui::export::existing_path(&err),
        Some(side.clone())
    );
    assert_eq!(std::fs::read_to_string(&side).unwrap(), "mine");
    assert!(
        !cmd.exists(),
        "nothing is written when the body file is in the way"
    );
    app.ask(Confirm::Overwrite {
        kind: ExportKind::Curl,
        path: cmd.clone(),
        ids: vec![0],
        existing: side.clone(),
    });
    let text = draw(&mut app, 200, 50);
    assert!(
        text.contains("body.bin exists: overwrite it? y/n"),
        "{text}"
    );
    export(&app, true).unwrap();
    assert!(std::fs::metadata(&side).unwrap().len() > 64 << 10);
    assert!(std::fs::read_to_string(&cmd).unwrap().contains("body.bin"));
}

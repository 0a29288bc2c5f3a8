//! `r` and `R` (issue 17): the question names the destination before anything is sent, `y`
//! queues the send as an effect, and the loop's send returns a new exchange naming its
//! original (here against a loopback socket that records what it receives).

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crossterm::event::KeyCode;
use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::tui::detail::Tab;
use sigscope::tui::replay::Plan;
use sigscope::tui::state::{Confirm, Effect, MenuKind, Popup};

use crate::app::{app_for, code, draw, key};
use crate::support::load;

fn demo_app() -> sigscope::tui::state::App {
    let creds = Credentials::load_file(Path::new("samples/demo.credentials")).unwrap();
    app_for(load("samples/demo.pcap"), creds, "keystone-legacy")
}

#[test]
fn r_asks_naming_the_destination_and_y_queues_the_send() {
    let mut app = demo_app();
    app.on_key(key('r'));
    let Some(Popup::Confirm(c)) = app.overlay.popup.clone() else {
        panic!("r asks first: {:?}", app.overlay.popup);
    };
    assert_eq!(
        c.question(),
        "send #0 as captured to http://127.0.0.1:8003 (Host 127.0.0.1:8003)? y/n"
    );
    assert!(draw(&mut app, 120, 30).contains("send #0 as captured to http://127.0.0.1:8003"));
    app.on_key(key('n'));
    assert!(app.overlay.popup.is_none());
    assert!(!app
        .effects
        .iter()
        .any(|e| matches!(e, Effect::Replay { .. })));

    app.on_key(key('R'));
    // R picks the dialect first (here the one the verifier and the server's answers agree
    // on), then asks.
    let Some(Popup::Menu(m)) = app.overlay.popup.clone() else {
        panic!("R opens the dialect picker: {:?}", app.overlay.popup);
    };
    assert_eq!(m.kind, MenuKind::Resign { edited: false });
    assert_eq!(dialect::ALL[m.selected].name, "keystone-legacy");
    app.on_key(code(KeyCode::Enter));
    let Some(Popup::Confirm(c)) = app.overlay.popup.clone() else {
        panic!("R asks first");
    };
    assert_eq!(
        c.question(),
        "send #0 re-signed as keystone-legacy to http://127.0.0.1:8003 (Host 127.0.0.1:8003)? y/n"
    );
    app.on_key(key('y'));
    let Some(Effect::Replay { id, resign, .. }) = app.effects.pop() else {
        panic!("y queues the send");
    };
    assert_eq!((id, resign), (0, Some("keystone-legacy")));
    assert!(matches!(c, Confirm::Replay { .. }));
}

#[test]
fn an_unsigned_request_cannot_be_re_signed_and_says_why() {
    let mut app = demo_app();
    for _ in 0..5 {
        app.on_key(key('j'));
    }
    app.build_detail_now();
    app.on_key(key('R'));
    app.on_key(code(KeyCode::Enter));
    let Some(Popup::Confirm(_)) = app.overlay.popup.clone() else {
        panic!("asked");
    };
    app.on_key(key('y'));
    let Some(Effect::Replay {
        id,
        resign,
        settings,
        ..
    }) = app.effects.pop()
    else {
        panic!("queued");
    };
    let x = app.store.get(id).unwrap().x.clone();
    let plan = Plan {
        resign: resign.and_then(dialect::by_name),
        edited: None,
    };
    let e = sigscope::tui::replay::replay_exchange(
        &x,
        plan,
        settings.keys.as_ref(),
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "cannot re-sign as keystone-legacy: the request carries no signature to re-sign (anonymous)"
    );
}

/// Reads one request, answers 200, returns what it read.
fn serve_once(l: TcpListener) -> Vec<u8> {
    crate::support::serve_once(
        l,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        Duration::from_secs(20),
    )
}

#[test]
fn the_send_runs_off_the_ui_thread_and_its_result_joins_the_list() {
    let mut app = demo_app();
    app.on_key(key('R'));
    app.on_key(code(KeyCode::Enter));
    app.on_key(key('y'));
    let Some(Effect::Replay {
        id,
        resign,
        settings,
        ..
    }) = app.effects.pop()
    else {
        panic!("queued");
    };
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || serve_once(l));
    // The capture's server is 127.0.0.1:8003; this one stands in for it.
    let mut x = app.store.get(id).unwrap().x.clone();
    x.server = Some(format!("127.0.0.1:{port}"));
    // As the loop performs it: on tokio's blocking pool.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sent = rt
        .block_on(async move {
            tokio::task::spawn_blocking(move || {
                let plan = Plan {
                    resign: resign.and_then(dialect::by_name),
                    edited: None,
                };
                sigscope::tui::replay::replay_exchange(
                    &x,
                    plan,
                    settings.keys.as_ref(),
                    &Default::default(),
                )
            })
            .await
        })
        .unwrap()
        .unwrap();
    let got = String::from_utf8(server.join().unwrap()).unwrap();
    assert!(got.starts_with("POST /v1/ HTTP/1.1\r\n"), "{got}");
    assert!(!got.contains("ab2e6158b16919c7a93a8e3e11d3298d4c4d63b50750217a5554600a16f5e3c9"));
    assert_eq!(sent.source, "replay of #0 re-signed as keystone-legacy");
    assert_eq!(sent.response.as_ref().map(|r| r.status), Some(200));
    let n = app.store.len();
    app.ingest(vec![sent]);
    app.analyse_all_now();
    assert_eq!(app.store.len(), n + 1);
    // Re-signed as the dialect that judges this app: valid under it.
    for _ in 0..n {
        app.on_key(key('j'));
    }
    app.build_detail_now();
    let screen = draw(&mut app, 160, 40);
    assert!(
        screen.contains("replay of #0 re-signed as keystone-legacy"),
        "{screen}"
    );
}

#[test]
fn r_picks_another_dialect_and_on_the_diff_tab_goes_straight_to_the_servers() {
    let creds = Credentials::load_file(Path::new("samples/demo.credentials")).unwrap();
    // Verified as aws: the picker still proposes the dialect the demo server's answers
    // point to (its 403 to the seed, which keystone-legacy explains and aws does not).
    let mut app = app_for(load("samples/demo.pcap"), creds, "aws");
    app.on_key(key('R'));
    let Some(Popup::Menu(m)) = app.overlay.popup.clone() else {
        panic!("picker: {:?}", app.overlay.popup);
    };
    assert_eq!(dialect::ALL[m.selected].name, "keystone-legacy");
    let screen = draw(&mut app, 140, 40);
    assert!(
        screen.contains("Send #0 to http://127.0.0.1:8003 (Host 127.0.0.1:8003): re-sign as"),
        "{screen}"
    );
    // Another one: the question names it.
    app.on_key(key('k'));
    let picked = dialect::ALL[m.selected - 1].name;
    app.on_key(code(KeyCode::Enter));
    let Some(Popup::Confirm(c)) = app.overlay.popup.clone() else {
        panic!("asked");
    };
    assert_eq!(
        c.question(),
        format!(
            "send #0 re-signed as {picked} to http://127.0.0.1:8003 (Host 127.0.0.1:8003)? y/n"
        )
    );
    app.on_key(key('n'));
    // esc on the picker sends nothing.
    app.on_key(key('R'));
    app.on_key(code(KeyCode::Esc));
    assert!(app.overlay.popup.is_none());
    assert!(app
        .effects
        .iter()
        .all(|e| !matches!(e, Effect::Replay { .. })));
    // The Diff tab: R is "re-sign as the server's dialect", one key to the question.
    app.on_key(key(char::from_digit(Tab::Diff.number() as u32, 10).unwrap()));
    assert_eq!(app.detail.tab, Tab::Diff);
    app.on_key(key('R'));
    let Some(Popup::Confirm(c)) = app.overlay.popup.clone() else {
        panic!("the Diff tab's R asks at once: {:?}", app.overlay.popup);
    };
    assert_eq!(
        c.question(),
        "send #0 re-signed as keystone-legacy to http://127.0.0.1:8003 (Host 127.0.0.1:8003)? y/n"
    );
}

#[test]
fn e_sends_the_edited_request_marked_as_edited_and_a_bad_edit_keeps_the_original() {
    let mut app = demo_app();
    app.on_key(key('E'));
    let Some(Effect::Edit { id }) = app.effects.pop() else {
        panic!("E hands the request to the loop's editor");
    };
    let n = app.store.len();
    // What the loop brings back when the text is no request.
    app.edited(
        id,
        Err("the edited text is not an HTTP request (it is empty)".into()),
    );
    let status = app.overlay.status.clone().unwrap();
    assert!(
        status.ends_with("nothing sent, the original is kept"),
        "{status}"
    );
    assert!(app.overlay.popup.is_none() && app.effects.is_empty());
    assert_eq!(app.store.len(), n);
    // An edit: a header rewritten.
    let mut req = app.store.get(id).unwrap().x.request.clone();
    for h in &mut req.headers {
        if h.name.eq_ignore_ascii_case(b"user-agent") {
            h.value = b"edited-by-the-test".to_vec();
        }
    }
    app.edited(id, Ok(req));
    let Some(Popup::Menu(m)) = app.overlay.popup.clone() else {
        panic!("picker after the edit");
    };
    assert_eq!(m.kind, MenuKind::Resign { edited: true });
    assert!(draw(&mut app, 140, 40).contains("Send #0 as edited to http://127.0.0.1:8003"));
    // Past the dialects: send as edited, not re-signed.
    for _ in 0..dialect::ALL.len() {
        app.on_key(code(KeyCode::Down));
    }
    app.on_key(code(KeyCode::Enter));
    let Some(Popup::Confirm(c)) = app.overlay.popup.clone() else {
        panic!("asked");
    };
    assert_eq!(
        c.question(),
        "send #0 edited, not re-signed to http://127.0.0.1:8003 (Host 127.0.0.1:8003)? y/n"
    );
    app.on_key(key('y'));
    let Some(Effect::Replay {
        id,
        resign: None,
        edited: Some(edited),
        settings,
    }) = app.effects.pop()
    else {
        panic!("queued with the edited request");
    };
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || serve_once(l));
    let mut x = app.store.get(id).unwrap().x.clone();
    x.server = Some(format!("127.0.0.1:{port}"));
    let plan = Plan {
        resign: None,
        edited: Some(*edited),
    };
    let sent = sigscope::tui::replay::replay_exchange(
        &x,
        plan,
        settings.keys.as_ref(),
        &Default::default(),
    )
    .unwrap();
    let got = String::from_utf8(server.join().unwrap()).unwrap();
    assert!(
        got.contains("\r\nUser-Agent: edited-by-the-test\r\n"),
        "{got}"
    );
    // Not re-signed: the captured signature went as it was.
    assert!(
        got.contains("Signature=ab2e6158b16919c7a93a8e3e11d3298d4c4d63b50750217a5554600a16f5e3c9")
    );
    assert_eq!(sent.source, "replay of #0 edited, not re-signed");
    app.ingest(vec![sent]);
    app.analyse_all_now();
    for _ in 0..n {
        app.on_key(key('j'));
    }
    app.build_detail_now();
    let screen = draw(&mut app, 160, 40);
    assert!(screen.contains("↻#0 edited, not re-signed"), "{screen}");
    assert!(
        screen.contains("replay of #0 edited, not re-signed: its signature is the captured one"),
        "{screen}"
    );
}

//! `r` and `R` (issue 17): the question names the destination before anything is sent, `y`
//! queues the send as an effect, and the loop's send returns a new exchange naming its
//! original (here against a loopback socket that records what it receives).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::tui::state::{Confirm, Effect, Popup};

use crate::app::{app_for, draw, key};
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
    let Some(Popup::Confirm(_)) = app.overlay.popup.clone() else {
        panic!("asked");
    };
    app.on_key(key('y'));
    let Some(Effect::Replay {
        id,
        resign,
        settings,
    }) = app.effects.pop()
    else {
        panic!("queued");
    };
    let x = app.store.get(id).unwrap().x.clone();
    let d = resign.and_then(dialect::by_name);
    let e =
        sigscope::tui::replay::replay_exchange(&x, d, settings.keys.as_ref(), &Default::default())
            .unwrap_err();
    assert_eq!(
        e,
        "cannot re-sign as keystone-legacy: the request carries no signature to re-sign (anonymous)"
    );
}

/// Reads one request (head and Content-Length body), answers 200, returns what it read.
fn serve_once(l: TcpListener) -> Vec<u8> {
    let (mut s, _) = l.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap_or(0);
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if got.len() >= end + 4 + len {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    got
}

#[test]
fn the_send_runs_off_the_ui_thread_and_its_result_joins_the_list() {
    let mut app = demo_app();
    app.on_key(key('R'));
    app.on_key(key('y'));
    let Some(Effect::Replay {
        id,
        resign,
        settings,
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
                let d = resign.and_then(dialect::by_name);
                sigscope::tui::replay::replay_exchange(
                    &x,
                    d,
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

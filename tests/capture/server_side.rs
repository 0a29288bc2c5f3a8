//! The server side of a connection never yields requests (issue #12 §6): a server that writes
//! a stray body after a HEAD response must not turn its bytes into a request "from the
//! server". The server is known from the handshake, else from who sent the first request
//! line; its bytes that are not an HTTP response are skipped and counted.

use sigscope::exchange::Exchange;
use sigscope::http::Headers;

use crate::support::root;
use crate::synthetic::{frame, pcap, run, Flag};

const REQS: &[u8] = b"HEAD /k HTTP/1.1\r\nHost: s\r\n\r\nGET /k HTTP/1.1\r\nHost: s\r\n\r\n";

/// Requests as (client, method, target, status of the response).
fn seen(x: &[Exchange]) -> Vec<(String, String, String, Option<u16>)> {
    x.iter()
        .map(|e| {
            (
                e.client.clone().unwrap_or_default(),
                e.request.method.clone(),
                e.request.target_lossy(),
                e.response.as_ref().map(|r| r.status),
            )
        })
        .collect()
}

/// HEAD then GET from the client; the server answers the HEAD with a Content-Length and
/// `stray` after it, then answers the GET. With or without the handshake.
fn conversation(handshake: bool, stray: &[u8]) -> Vec<Vec<u8>> {
    let mut resps = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec();
    resps.extend_from_slice(stray);
    resps.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let mut f = Vec::new();
    if handshake {
        f.push(frame(true, 0, Flag::Syn, b""));
        f.push(frame(false, 5000, Flag::SynAck, b""));
    }
    f.push(frame(true, 1, Flag::Ack, REQS));
    f.push(frame(false, 5001, Flag::Ack, &resps));
    f.push(frame(false, 5001 + resps.len() as u32, Flag::Fin, b""));
    f.push(frame(true, 1 + REQS.len() as u32, Flag::Fin, b""));
    f
}

fn want() -> Vec<(String, String, String, Option<u16>)> {
    let c = "10.0.0.1:40000".to_string();
    vec![
        (c.clone(), "HEAD".into(), "/k".into(), Some(200)),
        (c, "GET".into(), "/k".into(), Some(200)),
    ]
}

#[test]
fn stray_body_after_a_head_response_is_no_request() {
    for handshake in [true, false] {
        let (x, s) = run(&pcap(1, &conversation(handshake, b"<ok/>")));
        assert_eq!(seen(&x), want(), "handshake {handshake}: {s:?}");
        assert_eq!(x[1].response.as_ref().unwrap().body, b"ok");
        assert_eq!(s.not_response_bytes, 5, "handshake {handshake}");
        assert!(
            s.summary()
                .contains(", 5 bytes from servers that were not HTTP responses"),
            "{}",
            s.summary()
        );
    }
}

#[test]
fn a_request_line_from_the_server_is_no_request() {
    // Bytes that read as a whole request, sent by the server.
    let stray = b"GET /evil HTTP/1.1\r\nHost: s\r\n\r\n";
    for handshake in [true, false] {
        let (x, s) = run(&pcap(1, &conversation(handshake, stray)));
        assert_eq!(seen(&x), want(), "handshake {handshake}: {s:?}");
        assert_eq!(s.not_response_bytes, stray.len() as u64);
    }
}

#[test]
fn server_that_speaks_first_is_still_the_server() {
    // Known from the SYN: the server's first bytes are not a response, and look like a
    // request; the client's request comes after them.
    let stray = b"PUT /x HTTP/1.1\r\nHost: s\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let get = b"GET /k HTTP/1.1\r\nHost: s\r\n\r\n";
    let f = vec![
        frame(true, 0, Flag::Syn, b""),
        frame(false, 5000, Flag::SynAck, b""),
        frame(false, 5001, Flag::Ack, stray),
        frame(true, 1, Flag::Ack, get),
        frame(false, 5001 + stray.len() as u32, Flag::Ack, resp),
        frame(true, 1 + get.len() as u32, Flag::Fin, b""),
    ];
    let (x, s) = run(&pcap(1, &f));
    assert_eq!(
        seen(&x),
        vec![(
            "10.0.0.1:40000".into(),
            "GET".into(),
            "/k".into(),
            Some(200)
        )],
        "{s:?}"
    );
    assert_eq!(s.not_response_bytes, stray.len() as u64);
}

/// A real capture: `server.py --head-body` writes `<ok/>` after its HEAD response, and
/// http.client sends a HEAD and then a GET (signed by botocore) over one connection (see
/// tests/captures/gen/clients.py `headbody`). tshark agrees there are two requests (parity.rs).
#[test]
fn real_server_writing_a_body_after_head() {
    let path = root().join("tests/captures/head-body.pcap");
    let mut x = Vec::new();
    let s = sigscope::capture::replay(
        std::fs::File::open(&path).unwrap(),
        "head-body.pcap",
        0,
        Default::default(),
        &mut |e| x.push(e),
    );
    let servers: Vec<_> = x.iter().filter_map(|e| e.server.clone()).collect();
    assert!(
        x.iter().all(|e| e
            .client
            .as_deref()
            .is_some_and(|c| !servers.iter().any(|s| s == c))),
        "a request from a server: {:?}",
        seen(&x)
    );
    assert!(
        x.iter()
            .all(|e| e.request.header("authorization").is_some()),
        "{:?}",
        seen(&x)
    );
    // HEAD, then GET answered by the response behind the stray `<ok/>`.
    let got: Vec<_> = seen(&x).into_iter().map(|r| (r.1, r.3)).collect();
    assert_eq!(
        got,
        vec![("HEAD".into(), Some(200)), ("GET".into(), Some(200))],
        "{s:?}"
    );
    assert_eq!(s.not_response_bytes, 5, "{s:?}");
}

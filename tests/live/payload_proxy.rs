//! Issue 14, proxy mode: the upstream receives an aws-chunked upload's entity byte for byte.
//! The upstream here is a plain TCP server in the test that keeps exactly what arrives (no
//! second sigscope), for a SigV4A streaming upload signed by awscrt's aws-c-auth
//! (Content-Length) and botocore's unsigned-trailer upload as botocore sends it (HTTP
//! `Transfer-Encoding: chunked` around the aws-chunked body: the HTTP chunking may be redone
//! by the proxy, the entity inside it may not).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::harness::*;
use crate::support::{load, root};

/// The head and the entity of one HTTP/1.1 request (Content-Length or chunked).
fn read_request(s: &mut impl Read) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 65536];
    let end = loop {
        if let Some(e) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break e;
        }
        let n = s.read(&mut tmp).unwrap();
        assert!(n > 0, "connection closed in the head");
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut rest = buf[end + 4..].to_vec();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let mut more = |rest: &mut Vec<u8>| {
        let n = s.read(&mut tmp).unwrap();
        assert!(n > 0, "connection closed in the body");
        rest.extend_from_slice(&tmp[..n]);
    };
    if let Some(len) = header("content-length") {
        let len: usize = len.parse().unwrap();
        while rest.len() < len {
            more(&mut rest);
        }
        rest.truncate(len);
        return (head, rest);
    }
    assert!(header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")));
    let mut entity = Vec::new();
    let mut pos = 0;
    loop {
        let line_end = loop {
            if let Some(e) = rest[pos..].windows(2).position(|w| w == b"\r\n") {
                break pos + e;
            }
            more(&mut rest);
        };
        let size_text = String::from_utf8_lossy(&rest[pos..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        let data = line_end + 2;
        while rest.len() < data + size + 2 {
            more(&mut rest);
        }
        if size == 0 {
            // No HTTP trailer section from these clients: the final CRLF.
            return (head, entity);
        }
        entity.extend_from_slice(&rest[data..data + size]);
        pos = data + size + 2;
    }
}

/// A one-request upstream: what it received, through the channel.
fn upstream() -> (SocketAddr, mpsc::Receiver<(String, Vec<u8>)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let got = read_request(&mut s);
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        tx.send(got).unwrap();
    });
    (addr, rx)
}

fn through_proxy(wire: &[u8]) -> (String, Vec<u8>, Vec<serde_json::Value>) {
    let (up, rx) = upstream();
    let proxy = Listener::start(&["--upstream", &format!("http://{up}"), "--preserve-host"]);
    let (status, _, _) = raw_http(proxy.addr, wire);
    assert_eq!(status, 200);
    let (head, entity) = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let (front, _) = proxy.stop();
    (head, entity, front)
}

#[test]
fn sigv4a_streaming_upload_reaches_the_upstream_unchanged() {
    let _shared = shared();
    let raw =
        std::fs::read(root().join("tests/vectors/sigv4a/streaming/payload-trailer.http")).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (head, entity, front) = through_proxy(&raw);
    assert_eq!(
        entity,
        &raw[split..],
        "the aws-chunked body changed on the way"
    );
    assert!(head.contains("x-amz-content-sha256: STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"));
    assert!(head.contains("Signature=30"));
    assert_eq!(front[0]["auth"]["mode"], "sigv4a-streaming");
}

#[test]
fn botocore_unsigned_trailer_upload_reaches_the_upstream_unchanged() {
    let _shared = shared();
    // botocore 1.43.11's CRC32 upload (tests/vectors/payload/botocore-trailers.pcapng), sent
    // as botocore sends it: Transfer-Encoding: chunked, no Content-Length.
    let x = load(root().join("tests/vectors/payload/botocore-trailers.pcapng"))
        .into_iter()
        .find(|x| x.request.target.ends_with(b"clean-crc32"))
        .expect("the clean CRC32 upload");
    let r = &x.request;
    assert!(r.body.starts_with(b"3e8\r\n"), "an aws-chunked body");
    let mut wire = format!(
        "{} {} HTTP/1.1\r\n",
        r.method,
        String::from_utf8_lossy(&r.target)
    )
    .into_bytes();
    for h in &r.headers {
        if h.name.eq_ignore_ascii_case(b"transfer-encoding")
            || h.name.eq_ignore_ascii_case(b"content-length")
        {
            continue;
        }
        wire.extend_from_slice(&h.name);
        wire.extend_from_slice(b": ");
        wire.extend_from_slice(&h.value);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
    // HTTP chunks of 700 bytes: they do not line up with the aws-chunked chunks.
    for c in r.body.chunks(700) {
        wire.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        wire.extend_from_slice(c);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    let (head, entity, front) = through_proxy(&wire);
    assert_eq!(entity, r.body, "the aws-chunked entity changed on the way");
    assert!(
        head.contains("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        "{head}"
    );
    assert_eq!(front[0]["request"]["body_len"], r.body.len());
}

/// Endpoint mode: the SigV4A streaming uploads are verified chunk by chunk as they arrive
/// (the answer's status depends on the day: the fixtures' date is fixed), and a tampered chunk
/// is refused.
#[test]
fn sigv4a_streaming_uploads_are_verified_by_the_endpoint() {
    let _shared = shared();
    let dir = tempdir("live-v4a-stream");
    let creds = dir.join("credentials");
    std::fs::copy(root().join("tests/vectors/sigv4a/credentials"), &creds).unwrap();
    let l = Listener::start(&["--credentials", creds.to_str().unwrap()]);
    let mut statuses = Vec::new();
    for case in ["payload", "payload-trailer", "tampered-chunk"] {
        let raw = std::fs::read(root().join(format!("tests/vectors/sigv4a/streaming/{case}.http")))
            .unwrap();
        statuses.push(raw_http(l.addr, &raw).0);
    }
    let (live, _) = l.stop();
    let verdicts: Vec<&str> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["valid", "valid", "invalid"]);
    assert_eq!(statuses[2], 403);
    let codes: Vec<&str> = live[2]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"chunk-signature-mismatch"), "{codes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! HTTP/2 in captures (issue 13): the fixtures of tests/captures/h2 (curl and a python-hyper
//! h2 client, SigV4-signing, against nghttpd and a python-hyper h2 server, made by
//! tests/captures/h2/gen/make.sh): over TLS with ALPN h2, cleartext with prior knowledge,
//! through `Upgrade: h2c`, and a capture that starts mid-connection. Each lists the same
//! requests in the same order (method, path, Host or `:authority`, Authorization) as
//! `tshark -Y 'http.request || http2.headers.method'` with the same key log: the committed
//! TSV, and tshark itself when installed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sigscope::capture::Stats;
use sigscope::exchange::Exchange;
use sigscope::http::Headers;
use sigscope::ingest::stream_path;

use crate::support::root;
use crate::tls::{keys_of, options};

/// What tshark needs to read cleartext HTTP/2 with prior knowledge (make.sh's DECODE_AS).
const DECODE_AS: [&str; 4] = ["-d", "tcp.port==18462,http2", "-d", "tcp.port==18464,http2"];

fn dir() -> PathBuf {
    root().join("tests/captures/h2")
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    v.sort();
    v
}

pub(crate) fn exchanges(f: &Path) -> (Vec<Exchange>, Stats) {
    let mut v = Vec::new();
    let summary = stream_path(f, 0, &options(f), &mut |x| v.push(x));
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    (v, summary.capture.unwrap())
}

/// (frame, method, path, :authority or Host, Authorization)
type Row = (u64, String, String, String, String);

fn row(x: &Exchange) -> Row {
    let r = &x.request;
    let host = match &r.h2_authority {
        Some(a) => String::from_utf8_lossy(&a.value).into_owned(),
        None => r.header("host").unwrap_or_default(),
    };
    (
        x.source.rsplit(':').next().unwrap().parse().unwrap(),
        r.method.clone(),
        String::from_utf8_lossy(&r.target).into_owned(),
        host,
        r.header("authorization").unwrap_or_default(),
    )
}

/// tshark's rows: HTTP/1 requests, and each HTTP/2 HEADERS with a method (several in one
/// frame are joined by '|').
fn parse(tsv: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for l in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = l.split('\t').collect();
        let get = |i: usize| c.get(i).copied().unwrap_or("");
        let frame: u64 = get(0).parse().unwrap();
        if !get(1).is_empty() {
            rows.push((
                frame,
                get(1).into(),
                get(2).into(),
                get(3).into(),
                get(4).into(),
            ));
        }
        if get(5).is_empty() {
            continue;
        }
        let split = |i: usize| get(i).split('|').map(str::to_string).collect::<Vec<_>>();
        let (m, p, a, z) = (split(5), split(6), split(7), split(8));
        for i in 0..m.len() {
            let at = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
            rows.push((frame, at(&m), at(&p), at(&a), at(&z)));
        }
    }
    rows
}

fn tshark(f: &Path) -> Option<String> {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(f);
    if let Some(k) = keys_of(f) {
        c.arg("-o").arg(format!("tls.keylog_file:{}", k.display()));
    }
    c.args(DECODE_AS).args([
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
        "-o",
        "http.desegment_headers:TRUE",
        "-o",
        "http.desegment_body:TRUE",
        "-Y",
        "http.request || http2.headers.method",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "header=y",
        "-E",
        "aggregator=|",
    ]);
    for e in [
        "frame.number",
        "http.request.method",
        "http.request.uri",
        "http.host",
        "http.authorization",
        "http2.headers.method",
        "http2.headers.path",
        "http2.headers.authority",
        "http2.headers.authorization",
    ] {
        c.args(["-e", e]);
    }
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn same_requests_as_tshark() {
    let fx = fixtures();
    assert!(fx.len() >= 8, "HTTP/2 capture fixtures missing");
    let require = std::env::var("SIGSCOPE_REQUIRE_TSHARK").is_ok();
    let mut failures = Vec::new();
    for f in &fx {
        let (xs, stats) = exchanges(f);
        assert_eq!(stats.h2_connections, 1, "{}", f.display());
        // Exchanges come in the order their requests completed; tshark lists each request
        // at the frame of its HEADERS, which is the frame each exchange names: in frame
        // order they must be tshark's list (the interleaved fixture differs, see below).
        let mut got: Vec<Row> = xs.iter().map(row).collect();
        let completed = got.clone();
        got.sort_by_key(|r| r.0);
        if !f.ends_with("h2c-interleaved.pcap") {
            // Without interleaved bodies, requests complete in the order of their HEADERS.
            assert_eq!(completed, got, "{}", f.display());
        }
        assert!(!got.is_empty(), "{}: no requests", f.display());
        assert!(
            got.iter().all(|r| r.4.starts_with("AWS4-HMAC-SHA256 ")),
            "{}: every fixture request is signed: {got:?}",
            f.display()
        );
        let tsv = fs::read_to_string(format!("{}.tshark.tsv", f.display())).unwrap();
        if got != parse(&tsv) {
            failures.push(format!(
                "{}: ours {got:#?}\ncommitted tshark {tsv}",
                f.display()
            ));
        }
        match tshark(f) {
            Some(live) if got != parse(&live) => failures.push(format!(
                "{}: ours {got:#?}\nlive tshark {live}",
                f.display()
            )),
            Some(_) => {}
            None => assert!(!require, "tshark is required but could not run"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn interleaved_streams_are_separate_exchanges_in_the_order_they_completed() {
    // Two PUTs on streams 1 and 3: stream 1's body is sent in two DATA frames around all of
    // stream 3's, so stream 3's request completes first; then a GET on stream 5.
    let (xs, _) = exchanges(&dir().join("h2c-interleaved.pcap"));
    let paths: Vec<String> = xs
        .iter()
        .map(|x| String::from_utf8_lossy(&x.request.target).into_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/examplebucket/two.txt",
            "/examplebucket/one.txt",
            "/examplebucket/a.txt"
        ]
    );
    // Each body whole, each response paired with its own request (the server echoes the
    // stream id).
    assert_eq!(xs[0].request.body, b"second body ".repeat(20));
    assert_eq!(xs[1].request.body, b"first body ".repeat(300));
    for (x, stream) in xs.iter().zip([3, 1, 5]) {
        let resp = x.response.as_ref().expect("a response");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, format!("ok stream {stream}\n").into_bytes());
        assert!(x.notes.is_empty(), "{:?}", x.notes);
    }
}

#[test]
fn the_upgrade_request_is_stream_1s_and_gets_its_response() {
    let (xs, _) = exchanges(&dir().join("h2c-upgrade.pcap"));
    assert_eq!(xs.len(), 3);
    assert_eq!(xs[0].request.version, "HTTP/1.1");
    assert_eq!(xs[1].request.version, "HTTP/2");
    for (x, stream) in xs.iter().zip([1, 3, 5]) {
        let resp = x.response.as_ref().expect("a response");
        assert_eq!(resp.body, format!("ok stream {stream}\n").into_bytes());
    }
}

#[test]
fn a_capture_that_starts_mid_connection_says_what_it_could_not_decode() {
    let (xs, stats) = exchanges(&dir().join("h2c-midstream.pcap"));
    assert_eq!(xs.len(), 3);
    // Requests and responses referred to :authority, and the responses to fields, that the
    // connection's first requests put in the table.
    assert_eq!(stats.h2_undecoded_blocks, 6, "{stats:?}");
    assert!(
        stats.h2_notes[0].contains("the capture started after the connection did"),
        "{:?}",
        stats.h2_notes
    );
    for x in &xs {
        assert_eq!(x.request.method, "GET");
        assert_eq!(x.request.header("host"), None, "never guessed");
        assert!(
            x.notes.iter().any(|n| n.message.contains(
                "could not be decoded: they refer to header fields sent before the capture started"
            )),
            "{:?}",
            x.notes
        );
    }
}

fn report(args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_sigscope"))
        .current_dir(root().join("tests/captures"))
        .env_remove("SSLKEYLOGFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["report", "--credentials", "credentials", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn signed_requests_over_http2_verify() {
    // curl --aws-sigv4 over h2 (TLS and h2c) sends no Host: it signs the host it puts in
    // `:authority`; python-hyper h2 with botocore's signer the same. Bodies are read whole.
    let lines = report(&[
        "--keylog",
        "h2/tls13-h2-sequence.pcap.keys",
        "--keylog",
        "h2/tls13-h2-parallel.pcap.keys",
        "h2/tls13-h2-sequence.pcap",
        "h2/tls13-h2-parallel.pcap",
        "h2/h2c-prior-curl.pcap",
        "h2/h2c-prior.pcap",
        "h2/h2c-interleaved.pcap",
        "h2/h2c-upgrade.pcap",
    ]);
    assert_eq!(lines.len(), 3 + 5 + 1 + 3 + 3 + 3);
    let mut valid = 0;
    for l in &lines {
        let curl = l["request"]["headers"].to_string().contains("curl/7.88");
        if curl && l["request"]["target"].as_str().unwrap().contains('?') {
            // curl 7.88 signs the query string as sent, unsorted: sigscope says so (and
            // would say the same over HTTP/1.1).
            assert_eq!(l["verdict"], "invalid", "{l}");
            assert_eq!(l["findings"][0]["code"], "dialect-mismatch", "{l}");
            continue;
        }
        assert_eq!(l["verdict"], "valid", "{l}");
        valid += 1;
    }
    assert_eq!(valid, lines.len() - 2);
}

#[test]
fn the_host_an_http2_server_takes_decides_the_verdict() {
    // python-hyper h2 sends `:authority: 127.0.0.1:18464` and `host: s3.example.com`, signed
    // (botocore) for s3.example.com. MinIO signs the Host header when there is one
    // (sigv4.h2_host); AWS and RFC 9113 take :authority, and sigscope says why it fails.
    let f = "h2/h2c-host-differs.pcap";
    let minio = report(&["--dialect", "minio", f]);
    assert_eq!(minio.len(), 1);
    assert_eq!(minio[0]["verdict"], "valid", "{}", minio[0]);
    let aws = report(&["--dialect", "aws", f]);
    assert_eq!(aws[0]["verdict"], "invalid", "{}", aws[0]);
    let h2_host: Vec<&serde_json::Value> = aws[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "h2-host")
        .collect();
    assert_eq!(h2_host.len(), 1, "{}", aws[0]);
    assert_eq!(
        h2_host[0]["message"],
        "this HTTP/2 request carries a Host header `s3.example.com` that differs from its \
         :authority `127.0.0.1:18464`; aws takes the host from :authority (`127.0.0.1:18464`), \
         so a signature over the Host header does not verify there (HTTP/2 clients must not \
         send a Host that differs from :authority, RFC 9113 §8.3.1)"
    );
    // curl over h2 sends no Host: every dialect takes :authority, as curl signed it.
    for d in ["aws", "minio", "keystone"] {
        let lines = report(&[
            "--dialect",
            d,
            "--keylog",
            "h2/tls13-h2-parallel.pcap.keys",
            "h2/tls13-h2-parallel.pcap",
        ]);
        assert_eq!(lines.len(), 5);
        for l in &lines {
            assert_eq!(l["verdict"], "valid", "{d}: {l}");
        }
    }
}

/// A synthetic h2c connection (prior knowledge) with the TCP handshake: `client` and
/// `server` bytes, each in one segment, the server's after the client's.
fn h2c(client: &[u8], server: &[u8]) -> Vec<Exchange> {
    use crate::synthetic::{frame, pcap, run, Flag};
    let f = vec![
        frame(true, 0, Flag::Syn, b""),
        frame(false, 5000, Flag::SynAck, b""),
        frame(true, 1, Flag::Ack, client),
        frame(false, 5001, Flag::Ack, server),
        frame(false, 5001 + server.len() as u32, Flag::Fin, b""),
        frame(true, 1 + client.len() as u32, Flag::Fin, b""),
    ];
    let (x, stats) = run(&pcap(1, &f));
    assert_eq!(stats.h2_connections, 1, "{stats:?}");
    x
}

#[test]
fn responses_pair_with_their_stream_not_their_order() {
    use sigscope::capture::h2::frame::{self, encode, PREFACE};
    let mut enc = fluke_hpack::Encoder::new();
    let mut c = PREFACE.to_vec();
    encode(frame::SETTINGS, 0, 0, &[], &mut c);
    for (stream, path) in [(1, "/one"), (3, "/two"), (5, "/three")] {
        let block = enc.encode([
            (&b":method"[..], &b"GET"[..]),
            (b":path", path.as_bytes()),
            (b":authority", b"h"),
        ]);
        encode(
            frame::HEADERS,
            frame::END_HEADERS | frame::END_STREAM,
            stream,
            &block,
            &mut c,
        );
    }
    let mut enc = fluke_hpack::Encoder::new();
    let mut s = Vec::new();
    encode(frame::SETTINGS, 0, 0, &[], &mut s);
    // Stream 3 answered first, stream 1 second; stream 5 refused.
    for (stream, status, body) in [(3, "404", "two"), (1, "200", "one")] {
        let block = enc.encode([(&b":status"[..], status.as_bytes())]);
        encode(frame::HEADERS, frame::END_HEADERS, stream, &block, &mut s);
        encode(
            frame::DATA,
            frame::END_STREAM,
            stream,
            body.as_bytes(),
            &mut s,
        );
    }
    encode(frame::RST_STREAM, 0, 5, &7u32.to_be_bytes(), &mut s);
    let x = h2c(&c, &s);
    let got: Vec<(String, Option<u16>, Vec<u8>)> = x
        .iter()
        .map(|e| {
            (
                e.request.target_lossy(),
                e.response.as_ref().map(|r| r.status),
                e.response
                    .as_ref()
                    .map(|r| r.body.clone())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("/one".into(), Some(200), b"one".to_vec()),
            ("/two".into(), Some(404), b"two".to_vec()),
            ("/three".into(), None, vec![]),
        ]
    );
    assert_eq!(
        x[2].notes
            .iter()
            .map(|n| n.message.as_str())
            .collect::<Vec<_>>(),
        ["no response: the server reset the stream (REFUSED_STREAM)"]
    );
}

#[test]
fn report_says_per_connection_what_was_not_decoded() {
    let out = Command::new(env!("CARGO_BIN_EXE_sigscope"))
        .current_dir(root().join("tests/captures"))
        .env_remove("SSLKEYLOGFILE")
        .args(["report", "--credentials", "credentials", "--format", "json"])
        .arg("h2/h2c-midstream.pcap")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 HTTP/2 connection (6 header blocks not decoded)")
            && err.contains(
                ": 6 header blocks not decoded: the capture started after the connection did, \
                 so header fields compressed against earlier ones cannot be decoded"
            ),
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
}

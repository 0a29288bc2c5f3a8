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
use std::sync::Arc;

use sigscope::capture::tls::KeyLog;
use sigscope::capture::{Options, Stats};
use sigscope::exchange::Exchange;
use sigscope::http::Headers;
use sigscope::ingest::stream_path;

use crate::support::root;

/// What tshark needs to read cleartext HTTP/2 with prior knowledge (make.sh's DECODE_AS).
const DECODE_AS: [&str; 4] = [
    "-d",
    "tcp.port==18462,http2",
    "-d",
    "tcp.port==18464,http2",
];

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

fn keys_of(f: &Path) -> Option<PathBuf> {
    let k = PathBuf::from(format!("{}.keys", f.display()));
    k.exists().then_some(k)
}

fn options(f: &Path) -> Options {
    let mut k = KeyLog::default();
    if let Some(p) = keys_of(f) {
        k.add_file(&p).unwrap();
    }
    Options {
        keylog: Arc::new(k),
        ..Default::default()
    }
}

pub(crate) fn exchanges(f: &Path) -> (Vec<Exchange>, Stats) {
    let mut v = Vec::new();
    let summary = stream_path(f, 0, &options(f), &mut |x| v.push(x));
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    (v, summary.capture.unwrap())
}

/// (frame, method, path, Host or :authority, Authorization)
type Row = (u64, String, String, String, String);

fn row(x: &Exchange) -> Row {
    let r = &x.request;
    (
        x.source.rsplit(':').next().unwrap().parse().unwrap(),
        r.method.clone(),
        String::from_utf8_lossy(&r.target).into_owned(),
        r.header("host").unwrap_or_default(),
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
            rows.push((frame, get(1).into(), get(2).into(), get(3).into(), get(4).into()));
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
fn dump() {
    for f in fixtures() {
        let (xs, stats) = exchanges(&f);
        eprintln!("== {} {}", f.display(), stats.summary());
        for n in &stats.h2_notes { eprintln!("   note {n}"); }
        for x in &xs {
            eprintln!("  {:?} resp={:?} notes={:?}", row(x), x.response.as_ref().map(|r| r.status), x.notes.iter().map(|n| n.message.clone()).collect::<Vec<_>>());
        }
        let tsv = fs::read_to_string(format!("{}.tshark.tsv", f.display())).unwrap();
        for r in parse(&tsv) { eprintln!("  T {r:?}"); }
    }
}

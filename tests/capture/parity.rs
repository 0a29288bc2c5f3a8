//! Parity with tshark: every capture fixture (tests/captures, made by tcpdump/dumpcap around
//! real clients) yields the same HTTP requests, in the same order and at the same frames, as
//! `tshark -Y http.request` reports — from the TSV committed beside each fixture, and from
//! tshark itself when it is installed (CI installs it and sets SIGSCOPE_REQUIRE_TSHARK=1).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sigscope::capture::Options;
use sigscope::http::Headers;
use sigscope::ingest::stream_path;

use crate::support::root;

fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/captures");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    // The bundled demo capture is a fixture too.
    v.push(root().join("samples/demo.pcap"));
    v
}

pub(crate) type Row = (u64, String, String, String, String);

fn ours(f: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    stream_path(f, 0, &Options::default(), &mut |x| {
        let frame = x.source.rsplit(':').next().unwrap().parse().unwrap();
        let r = &x.request;
        rows.push((
            frame,
            r.method.clone(),
            String::from_utf8_lossy(&r.target).into_owned(),
            r.header("host").unwrap_or_default(),
            r.header("authorization").unwrap_or_default(),
        ));
    });
    rows
}

pub(crate) fn parse_tsv(text: &str) -> Vec<Row> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| c.get(i).copied().unwrap_or("").to_string();
            (get(0).parse().unwrap(), get(1), get(2), get(3), get(4))
        })
        .collect()
}

/// tshark's listing of the requests in `f` (frame, method, URI, Host, Authorization), with
/// TCP and HTTP reassembly on and, for TLS captures, `keylog` as its key log.
pub(crate) fn tshark_requests(f: &Path, keylog: Option<&Path>) -> Option<std::process::Output> {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(f);
    if let Some(k) = keylog {
        c.arg("-o").arg(format!("tls.keylog_file:{}", k.display()));
    }
    c.args([
        "-o",
        "tcp.desegment_tcp_streams:TRUE",
        "-o",
        "http.desegment_headers:TRUE",
        "-o",
        "http.desegment_body:TRUE",
        "-Y",
        "http.request",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "header=y",
    ]);
    for e in [
        "frame.number",
        "http.request.method",
        "http.request.uri",
        "http.host",
        "http.authorization",
    ] {
        c.args(["-e", e]);
    }
    c.output().ok()
}

fn tshark_live(f: &Path) -> Option<String> {
    let out = tshark_requests(f, None)?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn same_requests_as_tshark() {
    let fx = fixtures();
    assert!(fx.len() >= 6, "capture fixtures missing");
    let require = std::env::var("SIGSCOPE_REQUIRE_TSHARK").is_ok();
    let mut live_checked = 0;
    let mut failures = Vec::new();
    for f in &fx {
        let got = ours(f);
        let tsv = PathBuf::from(format!("{}.tshark.tsv", f.display()));
        let committed = parse_tsv(&fs::read_to_string(&tsv).unwrap_or_default());
        if got != committed {
            failures.push(format!(
                "{}: ours vs committed tshark TSV\nours:   {got:#?}\ntshark: {committed:#?}",
                f.display()
            ));
        }
        match tshark_live(f) {
            Some(live) => {
                live_checked += 1;
                let live = parse_tsv(&live);
                if got != live {
                    failures.push(format!(
                        "{}: ours vs live tshark\nours:   {got:#?}\ntshark: {live:#?}",
                        f.display()
                    ));
                }
            }
            None => assert!(
                !require,
                "tshark is required (SIGSCOPE_REQUIRE_TSHARK) but could not run"
            ),
        }
        assert!(
            !got.is_empty() || f.ends_with("empty.pcap"),
            "{}: no requests",
            f.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    if require {
        assert_eq!(live_checked, fx.len());
    }
}

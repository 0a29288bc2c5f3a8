//! Link types (issue 13): the link-* fixtures of tests/captures (real `lo` and `nflog:7`
//! captures, rewritten to other link types by editcap and gen/relink.py; generator
//! gen/make_links.sh) are in the tshark parity test (parity.rs). Here: a pcapng merging an
//! NFLOG interface and an Ethernet one, frames out of time order across them, keeps each
//! exchange's interface, as tshark's `frame.interface_name` says, in the library, the JSON
//! and the text report.

use std::fs;
use std::process::Command;

use sigscope::capture::Options;
use sigscope::ingest::stream_path;

use crate::support::root;

const MERGED: &str = "tests/captures/link-merged.pcapng";

/// (frame, interface) of each request, as tshark lists them (the committed TSV, or live).
fn tshark_interfaces(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].parse().unwrap(), c[1].to_string())
        })
        .collect()
}

fn ours() -> Vec<(u64, String)> {
    let mut v = Vec::new();
    stream_path(&root().join(MERGED), 0, &Options::default(), &mut |x| {
        let frame = x.source.rsplit(':').next().unwrap().parse().unwrap();
        v.push((frame, x.interface.clone().unwrap_or_default()));
    });
    v
}

#[test]
fn merged_pcapng_keeps_each_requests_interface() {
    let got = ours();
    let committed = tshark_interfaces(
        &fs::read_to_string(root().join(format!("{MERGED}.interfaces.tsv"))).unwrap(),
    );
    assert_eq!(got, committed);
    // Both interfaces, and their frames are not in time order across them.
    let names: std::collections::BTreeSet<_> = got.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(names.len(), 2, "{got:?}");
    let tsv = fs::read_to_string(root().join(format!("{MERGED}.interfaces.tsv"))).unwrap();
    let times: Vec<f64> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).any(|w| w[1] < w[0]), "{times:?}");
    let live = Command::new("tshark")
        .arg("-r")
        .arg(root().join(MERGED))
        .args(["-Y", "http.request", "-T", "fields", "-E", "separator=/t"])
        .args([
            "-E",
            "header=y",
            "-e",
            "frame.number",
            "-e",
            "frame.interface_name",
        ])
        .output();
    match live {
        Ok(o) if o.status.success() => {
            assert_eq!(got, tshark_interfaces(&String::from_utf8_lossy(&o.stdout)))
        }
        _ => assert!(
            std::env::var("SIGSCOPE_REQUIRE_TSHARK").is_err(),
            "tshark is required but could not run"
        ),
    }
}

#[test]
fn report_says_the_interface_in_json_and_text() {
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_sigscope"))
            .current_dir(root())
            .env_remove("SSLKEYLOGFILE")
            .args(["report", "--format", format, MERGED])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json = run("json");
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, String)> = lines
        .iter()
        .map(|v| {
            let frame = v["source"].as_str().unwrap().rsplit(':').next().unwrap();
            (
                frame.parse().unwrap(),
                v["interface"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, ours());
    let text = run("text");
    for (_, name) in &got {
        assert!(text.contains(&format!("interface: {name}")), "{text}");
    }
    // Inputs without interfaces have no such field.
    let out = Command::new(env!("CARGO_BIN_EXE_sigscope"))
        .current_dir(root())
        .args([
            "report",
            "--format",
            "json",
            "tests/captures/link-nflog.pcap",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(!s.is_empty() && !s.contains("\"interface\""), "{s}");
}

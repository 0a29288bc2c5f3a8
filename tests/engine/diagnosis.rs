//! Diagnosis on captures of real clients against real verifiers (tests/diagnosis, made by
//! tests/diagnosis/gen/make.sh): botocore and boto 2 against an S3-like server that verifies
//! with botocore's own signer and answers S3's error XML, against heat-like endpoints that
//! verify with python-keystoneclient 0.9.0 and 6.0.0, and through proxies that rewrite Host or
//! Content-Type (both legs captured). Each exchange must get exactly the expected diagnosis
//! codes, with the secret, without it, and under the dialect the scenario names.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use serde_json::Value;
use sigscope::capture::Options;
use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::{Context, Observed};
use sigscope::engine::{analyze_observed, KeyCache};
use sigscope::exchange::Legs;

use crate::support::{root, verifier};

const CODES: &[&str] = &[
    "dialect-mismatch",
    "server-likely-dialect",
    "request-altered",
    "signature-unexplained",
    "strings-agree-key-differs",
    "clock-skew",
    "region-mismatch",
    "payload-hash-mismatch",
    "presigned-expired",
    "access-key-unknown",
    "server-strings-differ",
];

fn dir() -> PathBuf {
    root().join("tests/diagnosis")
}

fn run(creds: &Credentials, dialect_name: &str) -> Vec<(u16, BTreeSet<String>)> {
    let cache = KeyCache::default();
    let v = verifier(creds, dialect_name, &cache);
    let mut legs = Legs::default();
    let mut out = Vec::new();
    sigscope::ingest::stream_path(
        &dir().join("scenarios.pcap"),
        0,
        &Options::default(),
        &mut |x| {
            let earlier = legs.earlier(&x.request);
            let a = analyze_observed(
                &Observed {
                    request: &x.request,
                    response: x.response.as_ref(),
                    time: x.time,
                    context: Context {
                        seen_hosts: &legs.hosts,
                        earlier_leg: earlier.as_ref(),
                    },
                },
                &v,
            );
            legs.remember(&x.request);
            let codes = a
                .findings
                .iter()
                .map(|f| f.code.to_string())
                .filter(|c| CODES.contains(&c.as_str()))
                .collect();
            out.push((x.response.as_ref().map(|r| r.status).unwrap_or(0), codes));
        },
    );
    out
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn real_scenarios_get_the_right_diagnosis() {
    let expected: Vec<Value> =
        serde_json::from_slice(&fs::read(dir().join("expected.json")).unwrap()).unwrap();
    let with = Credentials::load_file(&dir().join("credentials")).unwrap();
    let without = Credentials::default();
    let got_with = run(&with, "aws");
    let got_without = run(&without, "aws");
    assert_eq!(got_with.len(), expected.len(), "exchange count");
    let mut failures = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        let name = e["scenario"].as_str().unwrap();
        let status = e["status"].as_u64().unwrap() as u16;
        if got_with[i].0 != status {
            failures.push(format!(
                "#{i} {name}: status {} (expected {status})",
                got_with[i].0
            ));
        }
        let want = set(&e["expect_findings"]);
        if got_with[i].1 != want {
            failures.push(format!(
                "#{i} {name} with secret: {:?}, expected {want:?}",
                got_with[i].1
            ));
        }
        let want_wo = e
            .get("expect_findings_without_secret")
            .map(set)
            .unwrap_or(want);
        if got_without[i].1 != want_wo {
            failures.push(format!(
                "#{i} {name} without secret: {:?}, expected {want_wo:?}",
                got_without[i].1
            ));
        }
        if let Some(by) = e
            .get("expect_findings_with_dialect")
            .and_then(Value::as_object)
        {
            for (d, codes) in by {
                let got = run(&with, d);
                if got[i].1 != set(codes) {
                    failures.push(format!(
                        "#{i} {name} --dialect {d}: {:?}, expected {:?}",
                        got[i].1,
                        set(codes)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The servers' dialects from their answers alone (issue #12 §4): the heat endpoint that runs
/// python-keystoneclient 0.9.0 behaves like keystone-legacy, the one that runs 6.0.0 like
/// keystone, and the S3-like server that verifies with botocore like the dialects that agree
/// with botocore on everything the scenarios send it. With and without the secret.
#[test]
fn each_server_is_named_by_its_answers() {
    fn lines(creds: &Credentials) -> Vec<String> {
        let cache = KeyCache::default();
        let v = verifier(creds, "aws", &cache);
        let out = sigscope::pipeline::run(
            &[sigscope::pipeline::Input::new(dir().join("scenarios.pcap"))],
            &v,
            &Default::default(),
            sigscope::report::Format::Json,
            &Options::default(),
            std::io::sink(),
            &mut |_, _| {},
        )
        .unwrap();
        out.servers.lines(None)
    }
    let with = lines(&Credentials::load_file(&dir().join("credentials")).unwrap());
    let without = lines(&Credentials::default());
    let line = |ls: &[String], server: &str| -> String {
        ls.iter()
            .find(|l| l.starts_with(server))
            .unwrap_or_else(|| panic!("no line for {server} in {ls:#?}"))
            .clone()
    };
    // The dialects a line names (after "behaves like", before the colon).
    let named = |l: &str| -> Vec<String> {
        let rest = l.split_once(": behaves like ").map(|x| x.1).unwrap_or("");
        let list = rest.split_once(':').map(|x| x.0).unwrap_or("");
        let list = list.split(" (").next().unwrap_or(list);
        list.replace(" or ", ", ")
            .split(", ")
            .map(|s| s.trim().to_string())
            .collect()
    };
    let legacy = named(&line(&with, "127.0.0.1:8003 (SigV4"));
    assert!(legacy.contains(&"keystone-legacy".into()), "{legacy:?}");
    for d in ["aws", "botocore", "keystone"] {
        assert!(!legacy.contains(&d.to_string()), "{legacy:?}");
    }
    // Without the secret only answers whose error body carries the server's strings count:
    // heat's carry none, so those servers get no line rather than a guess.
    assert!(
        !without.iter().any(|l| l.starts_with("127.0.0.1:800")),
        "{without:#?}"
    );
    assert!(!without.is_empty(), "the S3 server's strings still count");
    let current = named(&line(&with, "127.0.0.1:8004 (SigV4"));
    assert!(current.contains(&"keystone".into()), "{current:?}");
    assert!(!current.contains(&"keystone-legacy".into()), "{current:?}");
    let s3 = named(&line(&with, "127.0.0.1:9100 (SigV4 for s3)"));
    assert!(s3.contains(&"botocore".into()), "{s3:?}");
    assert!(!s3.iter().any(|d| d.starts_with("keystone")), "{s3:?}");
}

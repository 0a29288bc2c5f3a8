//! `report::write_json` (the fast path of `report --format json`) writes exactly the bytes
//! `serde_json` writes for `report::to_json`, on every capture shipped with the project, with
//! and without the secrets, under every verifier dialect.

use std::path::{Path, PathBuf};

use sigscope::capture::Options;
use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::{Context, Observed};
use sigscope::engine::{analyze_observed, dialect, KeyCache};
use sigscope::exchange::Legs;

use crate::support::{root, verifier};

fn captures() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("tests/captures")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            out.push((p, root().join("tests/captures/credentials")));
        }
    }
    out.push((
        root().join("tests/diagnosis/scenarios.pcap"),
        root().join("tests/diagnosis/credentials"),
    ));
    for (input, keys) in [
        ("demo.pcap", "demo.credentials"),
        ("demo.http", "demo.credentials"),
        (
            "seed-cfn-push-stats.http",
            "seed-cfn-push-stats.credentials",
        ),
    ] {
        out.push((
            root().join("samples").join(input),
            root().join("samples").join(keys),
        ));
    }
    // SigV4A (issue 15): the `public_key` object, present on these lines only.
    for e in std::fs::read_dir(root().join("tests/vectors/sigv4a")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "http") {
            out.push((p, root().join("tests/vectors/sigv4a/credentials")));
        }
    }
    // POST policy forms (issue 15): the `post_policy` object.
    out.push((
        root().join("tests/vectors/postpolicy/forms.pcapng"),
        root().join("tests/vectors/postpolicy/credentials"),
    ));
    out.sort();
    out
}

fn check(path: &Path, creds: &Credentials, dialect_name: &str) -> usize {
    let cache = KeyCache::default();
    let v = verifier(creds, dialect_name, &cache);
    let mut legs = Legs::default();
    let mut n = 0;
    sigscope::ingest::stream_path(path, 0, &Options::default(), &mut |x| {
        let earlier = legs.earlier(&x.request);
        legs.remember(&x.request);
        let a = analyze_observed(
            &Observed {
                request: &x.request,
                response: x.response.as_ref(),
                time: x.time,
                context: Context {
                    seen_hosts: &legs.hosts,
                    earlier_leg: earlier.as_ref(),
                    multipart: None,
                    sessions: &[],
                },
            },
            &v,
        );
        let want = serde_json::to_vec(&sigscope::report::to_json(&x, &a)).unwrap();
        let mut got = Vec::new();
        sigscope::report::write_json(&mut got, &x, &a);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{} #{} under {dialect_name}",
            path.display(),
            x.index
        );
        n += 1;
    });
    n
}

#[test]
fn write_json_is_serde_json_of_to_json() {
    let mut total = 0;
    for (path, creds_path) in captures() {
        let with = Credentials::load_file(&creds_path).unwrap();
        for d in dialect::ALL {
            total += check(&path, &with, d.name);
        }
        total += check(&path, &Credentials::default(), "aws");
    }
    assert!(total > 100, "{total} exchanges checked");
}

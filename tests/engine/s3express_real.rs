//! S3 Express One Zone sessions (issue 15) from a real client: botocore's CreateSession, its
//! session requests (PutObject, GetObject, a presigned GET) and three faulty requests signed by
//! botocore's own signer classes, captured by tcpdump (`tests/vectors/s3express`, generator in
//! its `gen/`). Only the IAM key pair is given: every session request verifies with the secret
//! learned from the CreateSession response in the capture, and that secret appears in no
//! output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sigscope::credentials::Credentials;
use sigscope::engine::{Analysis, KeyCache, Verdict};
use sigscope::exchange::Exchange;
use sigscope::pipeline::{self, CaptureContext};

use crate::support::{bin, root, verifier};

/// The session keys `gen/s3x_server.py` hands out (the generator's constants, not sigscope's).
const SESSION_KEY: &str = "ASIAS3XSESSIONEXAMPL";
const SESSION_SECRET: &str = "s3xSessionSecret/EXAMPLE+k7MDENG0bPxRfiCY";
const SHORT_SECRET: &str = "s3xShortSessionSecret/EXAMPLE+MDENG0bPxRf";
const IAM_KEY: &str = "AKIDS3EXPRESSEXAMPLE";

fn dir() -> PathBuf {
    root().join("tests/vectors/s3express")
}

fn exchanges() -> Vec<Exchange> {
    let mut xs = Vec::new();
    sigscope::ingest::stream_path(
        &dir().join("session.pcap"),
        0,
        &Default::default(),
        &mut |x| xs.push(x),
    );
    assert_eq!(xs.len(), 9, "exchanges in the capture");
    xs
}

/// Each exchange analysed in capture order with the capture context, as `report` does.
fn analyse(xs: Vec<Exchange>, creds: &Credentials) -> Vec<(Exchange, Analysis)> {
    let cache = KeyCache::default();
    let v = verifier(creds, "aws", &cache);
    let mut ctx = CaptureContext::default();
    xs.into_iter()
        .map(|mut x| {
            let c = ctx.next_exchange(&mut x);
            let a = pipeline::analyze(&x, c.as_context(), &v);
            (x, a)
        })
        .collect()
}

fn iam() -> Credentials {
    Credentials::parse(&fs::read_to_string(dir().join("credentials")).unwrap())
}

fn codes(a: &Analysis) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn session_requests_verify_with_the_secret_learned_from_create_session() {
    let got = analyse(exchanges(), &iam());
    let modes: Vec<&str> = got.iter().map(|(_, a)| a.auth.mode.as_str()).collect();
    assert_eq!(
        modes,
        [
            "sigv4-header",    // CreateSession (IAM key pair)
            "s3express",       // PutObject
            "s3express",       // GetObject
            "s3express-query", // presigned GetObject
            "sigv4-header",    // CreateSession
            "sigv4-header",    // token in X-Amz-Security-Token
            "s3express",       // IAM key pair with the session token
            "sigv4-header",    // CreateSession of the short session
            "s3express",       // on the expired session
        ]
    );
    for (x, a) in &got {
        assert_eq!(a.verdict, Verdict::Valid, "#{}: {:?}", x.index, a.findings);
        assert_eq!(a.auth.service.as_deref(), Some("s3express"));
    }
    let has = |i: usize, c: &str| codes(&got[i].1).contains(&c);
    for i in [0, 4, 7] {
        assert!(has(i, "s3express-create-session"), "#{i}");
    }
    for i in [1, 2, 3, 8] {
        assert!(has(i, "s3express-session-learned"), "#{i}");
        assert_eq!(got[i].1.auth.access_key.as_deref().unwrap().len(), 20);
    }
    assert!(has(5, "s3express-security-token"));
    assert!(has(6, "s3express-iam-credentials"));
    assert!(got[6].1.findings[0].message.contains(IAM_KEY));
    assert!(has(8, "s3express-session-expired"));
    // Nothing wrong is said of the good requests.
    for i in [0, 1, 2, 3, 4, 7] {
        let bad: Vec<_> = codes(&got[i].1)
            .into_iter()
            .filter(|c| {
                matches!(
                    *c,
                    "s3express-session-expired"
                        | "s3express-security-token"
                        | "s3express-iam-credentials"
                )
            })
            .collect();
        assert!(bad.is_empty(), "#{i}: {bad:?}");
    }
}

#[test]
fn the_learned_secret_is_what_verifies() {
    // Without the CreateSession before them, the session requests cannot be verified.
    let mut xs = exchanges();
    xs.remove(0);
    let got = analyse(xs, &iam());
    assert_eq!(got[0].1.verdict, Verdict::Unverified);
    assert!(codes(&got[0].1).contains(&"no-secret"));
    // Another secret in the CreateSession answer: the session's requests no longer verify.
    let mut xs = exchanges();
    let r = xs[0].response.as_mut().unwrap();
    let at = r
        .body
        .windows(SESSION_SECRET.len())
        .position(|w| w == SESSION_SECRET.as_bytes())
        .unwrap();
    r.body[at] ^= 1;
    let got = analyse(xs, &iam());
    assert_eq!(got[1].1.verdict, Verdict::Invalid);
    assert_eq!(got[2].1.verdict, Verdict::Invalid);
    // The session's key pair given with --credentials verifies a session request alone.
    let creds = Credentials::parse(&format!(
        "[s]\naws_access_key_id = {SESSION_KEY}\naws_secret_access_key = {SESSION_SECRET}\n"
    ));
    let alone = analyse(vec![exchanges().swap_remove(2)], &creds);
    assert_eq!(alone[0].1.verdict, Verdict::Valid);
    assert_eq!(alone[0].1.auth.mode.as_str(), "s3express");
}

fn report(creds: &Path, format: &str, extra: &[&str]) -> (String, String) {
    let out = Command::new(bin())
        .arg("report")
        .args(["--credentials", creds.to_str().unwrap(), "--format", format])
        .args(extra)
        .arg(dir().join("session.pcap"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_learned_secret_appears_in_no_output() {
    let creds = dir().join("credentials");
    for format in ["json", "text", "markdown", "tsv"] {
        for extra in [&[][..], &["--reveal-derived-keys"][..]] {
            let (out, err) = report(&creds, format, extra);
            assert!(out.contains(SESSION_KEY), "{format}: empty report");
            for secret in [SESSION_SECRET, SHORT_SECRET] {
                assert!(!out.contains(secret), "{format} {extra:?}");
                assert!(!err.contains(secret), "{format} {extra:?}");
            }
        }
    }
    // The exports: raw HTTP, HAR, curl, and the JSON and markdown of one exchange.
    let got = analyse(exchanges(), &iam());
    let items: Vec<_> = got.iter().map(|(x, a)| (x, Some(a))).collect();
    let mut outputs = vec![sigscope::export::har(&items)];
    for (x, a) in &got {
        outputs.push(String::from_utf8_lossy(&sigscope::export::raw_http(x)).into_owned());
        outputs.push(sigscope::export::curl(x, Some(a)));
        outputs.push(sigscope::export::json(x, a));
        outputs.push(sigscope::export::markdown(x, a));
    }
    for o in &outputs {
        for secret in [SESSION_SECRET, SHORT_SECRET] {
            assert!(!o.contains(secret), "{}", &o[..o.len().min(200)]);
        }
    }
    // The raw export keeps the CreateSession answer readable, with its secret masked.
    let raw = String::from_utf8_lossy(&sigscope::export::raw_http(&got[0].0)).into_owned();
    assert!(raw.contains("<SecretAccessKey>s3xS*"), "{raw}");
    assert!(raw.contains(&format!("<AccessKeyId>{SESSION_KEY}</AccessKeyId>")));
}

/// For `findings::each_code_is_provoked`: each S3 Express code, from the capture.
pub fn cases() -> Vec<(&'static str, Analysis)> {
    let got = analyse(exchanges(), &iam());
    let take = |i: usize| got[i].1.clone();
    vec![
        ("s3express-iam-credentials", take(6)),
        ("s3express-security-token", take(5)),
        ("s3express-session-expired", take(8)),
        ("s3express-session-learned", take(1)),
        ("s3express-create-session", take(0)),
    ]
}

//! Google Cloud Storage HMAC (issue 15): requests signed by curl's own GOOG4 signer
//! (`tests/vectors/gcs`, generator `gen/make.sh`), received raw by a loopback recorder
//! (`recorded.http`) and answered by `sigscope listen --dialect gcs --respond gcs`
//! (`listen.pcapng`). The `gcs` dialect models Google's front end, which appends `,gzip(gfe)`
//! to a write's Accept-Encoding (siderolabs/talos-backup#64; rclone/rclone#6670 quotes GCS's
//! `accept-encoding:gzip,gzip(gfe)`), and the diagnosis names it from GCS's error body without
//! the secret.

use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::Observed;
use sigscope::engine::{analyze_observed, Analysis, KeyCache, NoKeys, Verdict};
use sigscope::exchange::Exchange;
use sigscope::http::{parse_raw, Message, Request};

use crate::support::{root, verifier};

fn recorded() -> Vec<Request> {
    let raw = std::fs::read(root().join("tests/vectors/gcs/recorded.http")).unwrap();
    let rs: Vec<Request> = parse_raw(&raw)
        .messages
        .into_iter()
        .filter_map(|m| match m {
            Message::Request(r, _) => Some(*r),
            _ => None,
        })
        .collect();
    assert_eq!(rs.len(), 4);
    rs
}

fn creds() -> Credentials {
    Credentials::parse(
        &std::fs::read_to_string(root().join("tests/vectors/gcs/credentials")).unwrap(),
    )
}

fn run(r: &Request, dialect: &str, keys: &(dyn sigscope::engine::KeyStore + Sync)) -> Analysis {
    let cache = KeyCache::default();
    analyze_observed(
        &Observed {
            request: r,
            response: None,
            time: None,
            context: Default::default(),
        },
        &verifier(keys, dialect, &cache),
    )
}

fn codes(a: &Analysis) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn curl_goog4_requests_verify_under_gcs_except_a_signed_accept_encoding_on_a_write() {
    let c = creds();
    let rs = recorded();
    let verdicts = |d: &str| -> Vec<Verdict> { rs.iter().map(|r| run(r, d, &c).verdict).collect() };
    use Verdict::{Invalid, Valid};
    // GET, PUT with a signed Accept-Encoding, PUT without, GET with another secret.
    assert_eq!(verdicts("aws"), [Valid, Valid, Valid, Invalid]);
    assert_eq!(verdicts("gcs"), [Valid, Invalid, Valid, Invalid]);
    for r in &rs {
        assert_eq!(run(r, "gcs", &c).auth.mode.as_str(), "goog4-header");
    }
    let a = run(&rs[1], "gcs", &c);
    assert!(
        codes(&a).contains(&"gcs-accept-encoding-gfe"),
        "{:?}",
        a.findings
    );
    let cr = a.dialect("gcs").unwrap().canonical_request.clone().unwrap();
    assert!(String::from_utf8_lossy(&cr).contains("\naccept-encoding:gzip,gzip(gfe)\n"));
    // The path with an escaped space is signed as sent (GCS: the path is the URL's).
    let get = run(&rs[0], "gcs", &c);
    let cr = get
        .dialect("gcs")
        .unwrap()
        .canonical_request
        .clone()
        .unwrap();
    assert!(String::from_utf8_lossy(&cr)
        .starts_with("GET\n/bucket/cat%20pics/tabby.jpeg\ngeneration=1\n"));
    // Tampered on the way: another object name, the same signature.
    let mut t = rs[0].clone();
    t.target = b"/bucket/cat%20pics/tabby.png?generation=1".to_vec();
    assert_eq!(run(&t, "gcs", &c).verdict, Invalid);
    assert!(!codes(&run(&t, "gcs", &c)).contains(&"gcs-accept-encoding-gfe"));
}

fn listened() -> Vec<Exchange> {
    let mut xs = Vec::new();
    sigscope::ingest::stream_path(
        &root().join("tests/vectors/gcs/listen.pcapng"),
        0,
        &Default::default(),
        &mut |x| xs.push(x),
    );
    assert_eq!(xs.len(), 4);
    xs
}

fn observe(
    x: &Exchange,
    dialect: &str,
    keys: &(dyn sigscope::engine::KeyStore + Sync),
) -> Analysis {
    let cache = KeyCache::default();
    analyze_observed(
        &Observed {
            request: &x.request,
            response: x.response.as_ref(),
            time: x.time,
            context: Default::default(),
        },
        &verifier(keys, dialect, &cache),
    )
}

#[test]
fn the_endpoint_answers_as_gcs_and_its_body_is_diagnosed_without_the_secret() {
    let xs = listened();
    let status: Vec<u16> = xs
        .iter()
        .map(|x| x.response.as_ref().unwrap().status)
        .collect();
    assert_eq!(status, [200, 403, 200, 403]);
    let c = creds();
    for x in &xs {
        // The endpoint's answer is the verdict sigscope gives the capture under gcs.
        let a = observe(x, "gcs", &c);
        assert_eq!(
            a.verdict == Verdict::Valid,
            x.response.as_ref().unwrap().status == 200
        );
    }
    let body = String::from_utf8_lossy(&xs[1].response.as_ref().unwrap().body).into_owned();
    assert!(
        body.starts_with(
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code>"
        ),
        "{body}"
    );
    assert!(body.contains("Check your Google secret key and signing method."));
    // No secret: GCS's CanonicalRequest shows the front end's Accept-Encoding.
    let a = observe(&xs[1], "aws", &NoKeys);
    assert_eq!(a.verdict, Verdict::Unverified);
    let se = a.server_expected.as_ref().unwrap();
    assert_eq!(
        se.canonical_request.as_deref().unwrap().lines().nth(3),
        Some("accept-encoding:gzip,gzip(gfe)")
    );
    assert!(
        codes(&a).contains(&"gcs-accept-encoding-gfe"),
        "{:?}",
        a.findings
    );
    assert!(codes(&a).contains(&"server-dialect"));
    // The wrong secret's refusal is not blamed on the front end.
    let a = observe(&xs[3], "aws", &NoKeys);
    assert!(!codes(&a).contains(&"gcs-accept-encoding-gfe"));
    assert!(codes(&a).contains(&"strings-agree-key-differs"));
}

/// For `findings::each_code_is_provoked`.
pub fn cases() -> Vec<(&'static str, Analysis)> {
    vec![(
        "gcs-accept-encoding-gfe",
        run(&recorded()[1], "gcs", &creds()),
    )]
}

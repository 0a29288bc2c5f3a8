//! Conformance: the official AWS SigV4 test suites, copied into tests/vectors (Apache-2.0).
//! Every signed request must verify `valid` under `aws`, with canonical request and string to
//! sign byte-identical to the suite's.

use std::fs;
use std::path::{Path, PathBuf};

use sigscope::credentials::Credentials;
use sigscope::engine::auth::V4Auth;
use sigscope::engine::auth::{detect, Parsed};
use sigscope::engine::dialect::{self, PathEncode, PathNormalize, PathPlus, PathRule};
use sigscope::engine::sigv4::{canonicalize, V4Canonical, V4Context};
use sigscope::engine::{analyze, crypto::sha256_hex, KeyCache, Verdict};
use sigscope::http::{parse_raw, Message, Request};

use crate::support::{root, verifier};

const CREDS: &str = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n";

fn vectors() -> PathBuf {
    root().join("tests/vectors")
}

pub(crate) fn first_request(data: &[u8]) -> Request {
    let p = parse_raw(data);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    match p.messages.into_iter().next() {
        Some(Message::Request(r, _)) => *r,
        other => panic!("no request: {other:?}"),
    }
}

/// The canonical request and string to sign of a suite case's request under the suite's
/// rules: aws's, or with `normalize: false` the S3 path rule applied to the case's service.
/// `token_appended`: the case adds its session token after signing.
pub(crate) fn suite_canonical(
    req: &Request,
    auth: &V4Auth,
    presigned: bool,
    normalize: bool,
    token_appended: bool,
) -> V4Canonical {
    let mut rules = dialect::by_name("aws").unwrap().sigv4;
    if !normalize {
        rules.path = PathRule {
            normalize: PathNormalize::None,
            encode: PathEncode::DecodeReencode,
            plus: PathPlus::Plus,
        };
    }
    let body_sha = sha256_hex(&req.body);
    canonicalize(
        &V4Context {
            req,
            auth,
            presigned,
            body_sha256: &body_sha,
            token_appended,
        },
        &rules,
    )
}

fn classic_cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            classic_cases(&p, out);
        } else if p.extension().is_some_and(|x| x == "sreq") {
            out.push(p);
        }
    }
}

#[test]
fn classic_suite_all_cases_valid_and_byte_identical() {
    let creds = Credentials::parse(CREDS);
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let mut cases = Vec::new();
    classic_cases(&vectors().join("aws-sigv4-testsuite"), &mut cases);
    cases.sort();
    assert!(cases.len() >= 33, "suite incomplete: {} cases", cases.len());
    let mut failures = Vec::new();
    for sreq in &cases {
        // The Authorization value is taken from `.authz`: the suite's own get-vanilla-with-session-token
        // `.sreq` carries get-vanilla's signature by mistake, while its `.authz` is right.
        let mut req = first_request(&fs::read(sreq).unwrap());
        req.headers
            .retain(|h| !h.name.eq_ignore_ascii_case(b"authorization"));
        let authz = fs::read_to_string(sreq.with_extension("authz")).unwrap();
        req.headers
            .push(sigscope::http::Header::new("Authorization", authz.trim()));
        let a = analyze(&req, &v);
        let aws = a.dialect("aws").unwrap();
        let creq = fs::read(sreq.with_extension("creq")).unwrap();
        let sts = fs::read(sreq.with_extension("sts")).unwrap();
        let name = sreq.file_stem().unwrap().to_string_lossy().into_owned();
        if a.verdict != Verdict::Valid {
            failures.push(format!("{name}: verdict {:?} {:?}", a.verdict, a.findings));
        }
        if aws.canonical_request.as_deref() != Some(creq.as_slice()) {
            failures.push(format!(
                "{name}: canonical request differs\n--- ours\n{}\n--- suite\n{}",
                String::from_utf8_lossy(aws.canonical_request.as_deref().unwrap_or_default()),
                String::from_utf8_lossy(&creq)
            ));
        }
        if aws.string_to_sign != sts {
            failures.push(format!("{name}: string to sign differs"));
        }
        if !a.client_dialects.contains(&"aws") {
            failures.push(format!("{name}: aws not among client dialects"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The new-format suite: both placements (header and presigned query), normalised and S3-style
/// unnormalised paths, session tokens, signed bodies.
#[test]
fn new_suite_header_and_query_byte_identical() {
    let root = vectors().join("aws-signing-test-suite/v4");
    let mut names: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 38);
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in names {
        let ctx: serde_json::Value =
            serde_json::from_slice(&fs::read(case.join("context.json")).unwrap()).unwrap();
        let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
        let normalize = ctx["normalize"].as_bool().unwrap();
        for placement in ["header", "query"] {
            let req = first_request(
                &fs::read(case.join(format!("{placement}-signed-request.txt"))).unwrap(),
            );
            let want_cr =
                fs::read(case.join(format!("{placement}-canonical-request.txt"))).unwrap();
            let want_sts = fs::read(case.join(format!("{placement}-string-to-sign.txt"))).unwrap();
            let want_sig =
                fs::read_to_string(case.join(format!("{placement}-signature.txt"))).unwrap();
            let d = detect(&req);
            let Parsed::V4(auth) = &d.parsed else {
                failures.push(format!(
                    "{}/{placement}: not parsed as SigV4: {:?}",
                    case.display(),
                    d.malformed
                ));
                continue;
            };
            let token_appended = case.ends_with("post-sts-header-after") && placement == "query";
            let c = suite_canonical(&req, auth, placement == "query", normalize, token_appended);
            let label = format!(
                "{}/{placement}",
                case.file_name().unwrap().to_string_lossy()
            );
            if c.canonical_request != want_cr {
                failures.push(format!(
                    "{label}: canonical request\n--- ours\n{}\n--- suite\n{}",
                    String::from_utf8_lossy(&c.canonical_request),
                    String::from_utf8_lossy(&want_cr)
                ));
            }
            if c.string_to_sign != want_sts {
                failures.push(format!("{label}: string to sign"));
            }
            let chain = sigscope::engine::crypto::derive_chain(secret, &auth.key_scope());
            let sig = sigscope::engine::sigv4::sign(&chain, &c.string_to_sign);
            if sig != want_sig.trim() || sig != auth.signature {
                failures.push(format!("{label}: signature {sig} vs {}", want_sig.trim()));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 76);
}

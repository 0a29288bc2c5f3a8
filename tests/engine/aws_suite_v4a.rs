//! Conformance: the SigV4A half of AWS's new-format signing test suite (aws-c-auth
//! `tests/aws-signing-test-suite/v4a/`, copied into tests/vectors with its LICENSE and NOTICE).
//! SigV4A signatures are randomised ECDSA: they cannot be recomputed, so each case checks the
//! canonical request and string to sign byte for byte, the key pair derived from the suite's
//! credentials against its `public-key.json`, that the suite's signatures verify with it, and
//! that a flipped byte does not.

use std::fs;
use std::path::PathBuf;

use sigscope::credentials::Credentials;
use sigscope::engine::auth::{detect, Mode, Parsed};
use sigscope::engine::crypto::{derive_chain, ecdsa};
use sigscope::engine::sigv4::check;
use sigscope::engine::{analyze, KeyCache, Verdict};

use crate::aws_suite::{first_request, suite_canonical};
use crate::support::{root, verifier};

fn suite() -> PathBuf {
    root().join("tests/vectors/aws-signing-test-suite/v4a")
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Flips one hex digit in the middle of a signature (inside `r`, past the DER header).
fn flipped(sig: &str) -> String {
    let mut b = sig.trim().as_bytes().to_vec();
    let i = 20;
    b[i] = if b[i] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).unwrap()
}

/// The complete cases. Upstream, `get-vanilla-query-order-key` and `-value` hold only
/// `context.json` and `request.txt` (nothing signed to check), and are the only ones.
fn cases() -> Vec<PathBuf> {
    let mut names: Vec<_> = fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    let (complete, partial): (Vec<_>, Vec<_>) = names
        .into_iter()
        .partition(|p| p.join("header-signed-request.txt").exists());
    let partial: Vec<_> = partial.iter().map(|p| p.file_name().unwrap()).collect();
    assert_eq!(
        partial,
        [
            "get-vanilla-query-order-key",
            "get-vanilla-query-order-value"
        ]
    );
    complete
}

#[test]
fn every_case_header_and_query_verifies_with_the_derived_key() {
    let cases = cases();
    assert_eq!(cases.len(), 38, "suite incomplete");
    let mut failures = Vec::new();
    let (mut checked, mut keys) = (0, 0);
    for case in cases {
        let ctx = json(case.join("context.json"));
        let ak = ctx["credentials"]["access_key_id"].as_str().unwrap();
        let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
        let normalize = ctx["normalize"].as_bool().unwrap();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let pk = ecdsa::derive(ak, secret).unwrap();
        {
            let want_key = json(case.join("public-key.json"));
            if hex::encode(pk.x) != want_key["X"].as_str().unwrap().to_ascii_lowercase()
                || hex::encode(pk.y) != want_key["Y"].as_str().unwrap().to_ascii_lowercase()
            {
                failures.push(format!("{name}: public key differs from public-key.json"));
            }
            keys += 1;
        }
        for placement in ["header", "query"] {
            let label = format!("{name}/{placement}");
            let read = |f: &str| fs::read(case.join(format!("{placement}-{f}"))).unwrap();
            let req = first_request(&read("signed-request.txt"));
            let (want_cr, want_sts) = (read("canonical-request.txt"), read("string-to-sign.txt"));
            let suite_sig = String::from_utf8(read("signature.txt")).unwrap();
            let d = detect(&req);
            let Parsed::V4(auth) = &d.parsed else {
                failures.push(format!("{label}: not parsed: {:?}", d.malformed));
                continue;
            };
            let mode = if placement == "query" {
                Mode::Sigv4aQuery
            } else {
                Mode::Sigv4aHeader
            };
            if d.info.mode != mode {
                failures.push(format!("{label}: mode {:?}", d.info.mode));
            }
            let token_appended = name == "post-sts-header-after" && placement == "query";
            let c = suite_canonical(&req, auth, placement == "query", normalize, token_appended);
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
            // The suite's `*-signature.txt` over its string to sign, and the signed request's
            // own (another random signature) through the engine's seam, over ours.
            if !ecdsa::verify(&pk, &want_sts, &suite_sig) {
                failures.push(format!("{label}: the suite's signature does not verify"));
            }
            if ecdsa::verify(&pk, &want_sts, &flipped(&suite_sig)) {
                failures.push(format!("{label}: a flipped signature verifies"));
            }
            let mut other_sts = want_sts.clone();
            other_sts[0] ^= 1;
            if ecdsa::verify(&pk, &other_sts, &suite_sig) {
                failures.push(format!("{label}: verifies another string to sign"));
            }
            let chain = derive_chain(secret, &auth.key_scope());
            let seam = check(Some(&chain), &c.string_to_sign, &auth.signature);
            if seam.matches != Some(true) || seam.computed.is_some() {
                failures.push(format!("{label}: check {seam:?}"));
            }
            let bad = check(Some(&chain), &c.string_to_sign, &flipped(&auth.signature));
            if bad.matches != Some(false) {
                failures.push(format!("{label}: flipped signature {bad:?}"));
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
    assert_eq!((checked, keys), (76, 38));
}

/// Through `analyze`, as `report` and the TUI run it: valid under `aws` with the suite's
/// credentials (session tokens included, one appended after signing), the public key shown,
/// and invalid with a flipped signature or another secret. The normalised cases only: `aws`
/// reads service `service` with the normalising rule.
#[test]
fn analyze_gives_valid_and_the_public_key() {
    let mut seen = 0;
    for case in cases() {
        let ctx = json(case.join("context.json"));
        if !ctx["normalize"].as_bool().unwrap() {
            continue;
        }
        let c = &ctx["credentials"];
        let creds = Credentials::parse(&format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            c["access_key_id"].as_str().unwrap(),
            c["secret_access_key"].as_str().unwrap()
        ));
        let wrong = Credentials::parse(&format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = not-the-secret\n",
            c["access_key_id"].as_str().unwrap(),
        ));
        let want = json(suite().join("get-vanilla/public-key.json"));
        let cache = KeyCache::default();
        for placement in ["header", "query"] {
            let raw = fs::read(case.join(format!("{placement}-signed-request.txt"))).unwrap();
            let req = first_request(&raw);
            let a = analyze(&req, &verifier(&creds, "aws", &cache));
            let label = format!("{}/{placement}", case.display());
            assert_eq!(a.verdict, Verdict::Valid, "{label}: {:?}", a.findings);
            // The suite's post-sts-header-after presigned URL carries a token added after signing.
            let appended = a
                .findings
                .iter()
                .any(|f| f.code.as_str() == "session-token-appended");
            assert_eq!(
                appended,
                case.ends_with("post-sts-header-after") && placement == "query",
                "{label}"
            );
            let k = a.public_key.as_ref().expect("public key");
            assert_eq!(
                k.x,
                want["X"].as_str().unwrap().to_ascii_lowercase(),
                "{label}"
            );
            assert_eq!(
                k.y,
                want["Y"].as_str().unwrap().to_ascii_lowercase(),
                "{label}"
            );
            assert!(a.signing_key.is_none(), "{label}: no HMAC chain for SigV4A");

            let sig = a.auth.signature.clone().unwrap();
            let tampered =
                String::from_utf8(raw.clone())
                    .unwrap()
                    .replacen(&sig, &flipped(&sig), 1);
            let t = analyze(
                &first_request(tampered.as_bytes()),
                &verifier(&creds, "aws", &cache),
            );
            assert_eq!(t.verdict, Verdict::Invalid, "{label}: flipped");
            let w = analyze(&req, &verifier(&wrong, "aws", &cache));
            assert_eq!(w.verdict, Verdict::Invalid, "{label}: wrong secret");
            assert_ne!(w.public_key.as_ref(), Some(k), "{label}");
            seen += 1;
        }
    }
    assert!(seen >= 45, "{seen}");
}

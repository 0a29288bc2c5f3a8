//! AWS documentation's published examples (tests/vectors/aws-docs): S3 SigV4 header, presigned
//! and chunked; S3 SigV2 header and query; Query SigV2; IAM SigV4 GET and form POST.

use std::fs;

use serde_json::Value;
use sigscope::credentials::Credentials;
use sigscope::engine::{analyze, KeyCache, Verdict};
use sigscope::http::{parse_raw, Message};

use crate::support::{root, verifier};

#[test]
fn published_examples_reproduce_under_aws() {
    let dir = root().join("tests/vectors/aws-docs");
    let expected: Value =
        serde_json::from_slice(&fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for (name, want) in expected.as_object().unwrap() {
        let p = parse_raw(&fs::read(dir.join(format!("{name}.http"))).unwrap());
        assert!(p.errors.is_empty(), "{name}: {:?}", p.errors);
        let Some(Message::Request(req, _)) = p.messages.into_iter().next() else {
            panic!("{name}: no request")
        };
        let secret = want["secret"].as_str().unwrap();
        let creds = Credentials::parse(&format!(
            "[a]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key={secret}\n[b]\naws_access_key_id=AKIDEXAMPLE\naws_secret_access_key={secret}\n"
        ));
        let cache = KeyCache::default();
        let v = verifier(&creds, "aws", &cache);
        let a = analyze(&req, &v);
        let mode = a.auth.mode.as_str();
        if mode != want["mode"].as_str().unwrap() {
            failures.push(format!("{name}: mode {mode}"));
            continue;
        }
        let aws = a.dialect("aws").unwrap();
        if aws.signature.as_deref() != want["signature"].as_str() {
            failures.push(format!(
                "{name}: signature {:?}, published {}\n{}",
                aws.signature,
                want["signature"],
                String::from_utf8_lossy(&aws.string_to_sign)
            ));
        }
        if a.verdict != Verdict::Valid {
            failures.push(format!("{name}: verdict {:?} {:?}", a.verdict, a.findings));
        }
        if let Some(sts) = want["string_to_sign"].as_str() {
            if aws.string_to_sign != sts.as_bytes() {
                failures.push(format!(
                    "{name}: string to sign\n{}",
                    String::from_utf8_lossy(&aws.string_to_sign)
                ));
            }
        }
        if let Some(chunks) = want["chunks"].as_array() {
            let got: Vec<_> = aws
                .chunks
                .iter()
                .map(|c| (c.signature.clone(), c.matches))
                .collect();
            let want: Vec<_> = chunks
                .iter()
                .map(|c| (c.as_str().map(String::from), Some(true)))
                .collect();
            if got != want {
                failures.push(format!("{name}: chunks {got:?}"));
            }
        }
        if let Some(ks) = want["keystone-legacy-signature"].as_str() {
            let k = a.dialect("keystone-legacy").unwrap();
            if k.signature.as_deref() != Some(ks) || k.matches != Some(false) {
                failures.push(format!("{name}: keystone-legacy {:?}", k.signature));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tampered_chunk_is_identified() {
    let dir = root().join("tests/vectors/aws-docs");
    let mut raw = fs::read(dir.join("s3-sigv4-chunked.http")).unwrap();
    // Flip one byte inside the second chunk's data (1 KiB of 'a' after the 64 KiB chunk).
    let at = raw.len() - 200;
    raw[at] = b'b';
    let p = parse_raw(&raw);
    let Some(Message::Request(req, _)) = p.messages.into_iter().next() else {
        panic!()
    };
    let creds = Credentials::parse("[a]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let a = analyze(&req, &v);
    assert_eq!(a.verdict, Verdict::Invalid);
    let aws = a.dialect("aws").unwrap();
    assert_eq!(aws.matches, Some(true), "the seed signature is unaffected");
    let bad: Vec<usize> = aws
        .chunks
        .iter()
        .filter(|c| c.matches == Some(false))
        .map(|c| c.index)
        .collect();
    assert_eq!(bad, vec![1]);
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == "chunk-signature-mismatch" && f.message.contains("chunk 1")));
}

/// aws-c-auth `tests/test_chunked_signing.c`, `s_sigv4_trailing_headers_signing_test`: after
/// the documentation's chunked example (final chunk signature `b6c6ea8a…`), the trailing
/// headers `first:1st`, `second:2nd`, `third:3rd` sign to `df5735bd…`.
#[test]
fn aws_c_auth_trailing_headers_vector() {
    let dir = root().join("tests/vectors/aws-docs");
    let p = parse_raw(&fs::read(dir.join("s3-sigv4-chunked.http")).unwrap());
    let Some(Message::Request(req, _)) = p.messages.into_iter().next() else {
        panic!()
    };
    let creds = Credentials::parse("[a]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let a = analyze(&req, &v);
    let sigscope::engine::auth::Parsed::V4(auth) = &a.parsed else {
        panic!("not SigV4")
    };
    // Sent in a different order: the canonical trailer sorts them.
    let body = b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\nthird:3rd\r\nfirst:1st\r\nsecond:2nd\r\n\r\n";
    let shape = sigscope::engine::payload::Shape {
        signed: true,
        trailer: true,
    };
    let framed = sigscope::engine::payload::framing::parse(body, shape).unwrap();
    assert_eq!(
        framed.canonical_trailer(),
        "first:1st\nsecond:2nd\nthird:3rd\n"
    );
    let sts = sigscope::engine::sigv4::trailer_string_to_sign(
        auth,
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        &framed.canonical_trailer(),
    );
    let chain = cache.chain(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        &auth.key_scope(),
    );
    assert_eq!(
        sigscope::engine::sigv4::sign(&chain, sts.as_bytes()),
        "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c"
    );
}

/// The trailer example with one byte of the trailer changed: the trailer signature, not a
/// chunk's, is named; and the checksum no longer matches the decoded body.
#[test]
fn tampered_trailer_is_identified() {
    let dir = root().join("tests/vectors/aws-docs");
    let raw = fs::read(dir.join("s3-sigv4-chunked-trailer.http")).unwrap();
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("crc32c:sOO8/Q==", "crc32c:sOO8/Q=A")
        .into_bytes();
    let p = parse_raw(&raw);
    let Some(Message::Request(req, _)) = p.messages.into_iter().next() else {
        panic!()
    };
    let creds = Credentials::parse("[a]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let a = analyze(&req, &v);
    assert_eq!(a.verdict, Verdict::Invalid);
    let aws = a.dialect("aws").unwrap();
    let bad: Vec<(usize, bool)> = aws
        .chunks
        .iter()
        .filter(|c| c.matches == Some(false))
        .map(|c| (c.index, c.trailer))
        .collect();
    assert_eq!(bad, vec![(3, true)]);
    let codes: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"trailer-signature-mismatch"), "{codes:?}");
    assert!(codes.contains(&"checksum-mismatch"), "{codes:?}");
}

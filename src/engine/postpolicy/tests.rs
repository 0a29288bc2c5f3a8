use super::*;
use crate::engine::{Verdict, Verifier};

fn form(fields: &[(&str, &str)], file: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (n, v) in fields {
        b.extend_from_slice(
            format!("--B\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\nContent-Type: text/plain\r\n\r\n",
    );
    b.extend_from_slice(file);
    b.extend_from_slice(b"\r\n--B--\r\n");
    b
}

fn post(body: Vec<u8>) -> Request {
    Request {
        method: "POST".into(),
        target: b"/bk".to_vec(),
        version: "HTTP/1.1".into(),
        headers: vec![
            crate::http::Header {
                name: b"Host".to_vec(),
                value: b"127.0.0.1:9000".to_vec(),
            },
            crate::http::Header {
                name: b"Content-Type".to_vec(),
                value: b"multipart/form-data; boundary=B".to_vec(),
            },
        ],
        body,
        ..Default::default()
    }
}

#[test]
fn detection_needs_a_signed_form_post() {
    let signed = form(
        &[
            ("key", "k"),
            ("AWSAccessKeyId", "AK"),
            ("policy", "e30="),
            ("signature", "s"),
        ],
        b"x",
    );
    let d = detect(&post(signed.clone())).expect("a SigV2 form");
    assert_eq!(d.info.mode, Mode::PostPolicy);
    assert_eq!(d.malformed, None);
    // Not a POST, not form-data, or a form with no policy nor signature: not this mode.
    let mut get = post(signed.clone());
    get.method = "PUT".into();
    assert!(detect(&get).is_none());
    assert!(detect(&post(form(&[("key", "k")], b"x"))).is_none());
    let mut urlenc = post(signed);
    urlenc.headers[1].value = b"application/x-www-form-urlencoded".to_vec();
    assert!(detect(&urlenc).is_none());
}

#[test]
fn missing_fields_and_bad_credentials_are_named() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("policy", "e30="), ("AWSAccessKeyId", "AK")], "the upload form has no `signature` field"),
        (
            &[("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-credential", "AK/20260101/us-east-1/s3/aws4_request"), ("x-amz-date", "20260101T000000Z"), ("x-amz-signature", "00")],
            "the upload form has no `policy` field",
        ),
        (
            &[("x-amz-algorithm", "AWS4-ECDSA-P256-SHA256"), ("x-amz-credential", "AK/20260101/us-east-1/s3/aws4_request"), ("x-amz-date", "d"), ("x-amz-signature", "00"), ("policy", "e30=")],
            "x-amz-algorithm `AWS4-ECDSA-P256-SHA256` is not AWS4-HMAC-SHA256",
        ),
        (
            &[("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-credential", "AK/2026/us-east-1"), ("x-amz-date", "d"), ("x-amz-signature", "00"), ("policy", "e30=")],
            "x-amz-credential `AK/2026/us-east-1` is not access-key/date/region/service/aws4_request",
        ),
    ];
    for (fields, why) in cases {
        let d = detect(&post(form(fields, b"x"))).unwrap();
        assert_eq!(d.malformed.as_deref(), Some(*why));
    }
    // A form body cut short: still this mode, the reading's fault said.
    let mut b = form(
        &[
            ("policy", "e30="),
            ("AWSAccessKeyId", "AK"),
            ("signature", "s"),
        ],
        b"data",
    );
    b.truncate(b.len() - 9);
    let d = detect(&post(b)).unwrap();
    assert_eq!(
        d.malformed.as_deref(),
        Some("the upload form could not be read: part 4 is not closed by a boundary: the body ends inside it (truncated)")
    );
}

/// A SigV4 form signed here by the documented rule (HMAC-SHA256 under the scope's key,
/// hex): the verification and each verdict follow the signature and the policy.
#[test]
fn sigv4_form_verifies_and_conditions_decide() {
    use base64::Engine;
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let doc = r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"bk"},["starts-with","$key","up/"],{"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request"},{"x-amz-date":"20260101T000000Z"},["content-length-range",1,4]]}"#;
    let b64 = base64::engine::general_purpose::STANDARD.encode(doc);
    let k = crypto::derive_chain(
        secret,
        &KeyScope {
            signing: Signing::HmacSha256,
            access_key: "",
            key_prefix: "AWS4",
            date: "20260101",
            region: "us-east-1",
            service: "s3",
            terminator: "aws4_request",
        },
    );
    let sig = crypto::to_hex(&crypto::hmac_sha256(&k.k_signing, b64.as_bytes()));
    let fields = |key: &'static str, sig: String| {
        vec![
            ("key", key.to_string()),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_string()),
            (
                "x-amz-credential",
                "AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request".to_string(),
            ),
            ("x-amz-date", "20260101T000000Z".to_string()),
            ("policy", b64.clone()),
            ("x-amz-signature", sig),
        ]
    };
    struct One(&'static str);
    impl crate::engine::KeyStore for One {
        fn secret(&self, ak: &str) -> Option<&str> {
            (ak == "AKIAIOSFODNN7EXAMPLE").then_some(self.0)
        }
    }
    let keys = One(secret);
    let cache = KeyCache::default();
    let v = Verifier {
        keys: &keys,
        dialect: dialect::by_name("aws").unwrap(),
        cache: &cache,
        reveal_keys: false,
    };
    let run = |f: Vec<(&str, String)>, file: &[u8]| {
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (*a, b.as_str())).collect();
        crate::engine::analyze(&post(form(&f, file)), &v)
    };
    let a = run(fields("up/${filename}", sig.clone()), b"abc");
    assert_eq!(a.verdict, Verdict::Valid, "{:?}", a.findings);
    assert!(a.signing_key.is_some());
    let view = a.post_policy.as_deref().unwrap();
    assert!(view.conditions.iter().all(|c| c.verdict == Met::Met));
    // Another signature: invalid, and no condition blamed.
    let a = run(fields("up/${filename}", "0".repeat(64)), b"abc");
    assert_eq!(a.verdict, Verdict::Invalid);
    assert!(a.dialect("aws").unwrap().rejects.is_none());
    // A good signature, a key outside the prefix, a file too long: refused by the policy.
    let a = run(fields("down/${filename}", sig.clone()), b"abcde");
    assert_eq!(a.verdict, Verdict::Invalid);
    let codes: Vec<Code> = a.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::PolicyConditionFailed), "{codes:?}");
    assert!(codes.contains(&Code::PolicyLengthRange), "{codes:?}");
    assert_eq!(
        a.dialect("aws")
            .unwrap()
            .rejects
            .as_ref()
            .unwrap()
            .to_string(),
        r#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]"#
    );
    // Keystone has no such request.
    assert!(a.dialect("keystone").unwrap().unsupported);
}

/// Bytes made of form pieces in random order (a fixed-seed generator, so a failure
/// reproduces): the reader and the analysis never panic, and every part read lies in the body.
#[test]
fn shuffled_form_pieces_never_panic() {
    let pieces: &[&[u8]] = &[
        b"--B",
        b"--B--",
        b"\r\n",
        b"\n",
        b"\r\n\r\n",
        b"Content-Disposition: form-data; name=\"policy\"",
        b"Content-Disposition: form-data; name=\"file\"; filename=\"a\\\"",
        b"Content-Disposition: form-data; name=\"x-amz-signature\"",
        b"Content-Disposition: form-data; name=\"x-amz-credential\"",
        b"Content-Type: text/plain",
        b"eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0=",
        b"AK/20260101/us-east-1/s3/aws4_request",
        b"\xff\x00\"",
        b" \t",
        b";=",
    ];
    let v = Verifier {
        keys: &crate::engine::NoKeys,
        dialect: dialect::by_name("aws").unwrap(),
        cache: &KeyCache::default(),
        reveal_keys: false,
    };
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let n = (next() % 24) as usize;
        let body: Vec<u8> = (0..n)
            .flat_map(|_| pieces[(next() % pieces.len() as u64) as usize].to_vec())
            .collect();
        let f = form::parse(&body, "B");
        assert!(f
            .parts
            .iter()
            .all(|p| p.content.start <= p.content.end && p.content.end <= body.len()));
        let _ = crate::engine::analyze(&post(body), &v);
    }
}

#[test]
fn garbage_bodies_never_panic() {
    let junk: &[&[u8]] = &[
        b"",
        b"--B",
        b"--B\r\n",
        b"--B\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\n%%%\r\n--B--",
        b"--B\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\ne30=\r\n--B\r\nContent-Disposition: form-data; name=\"signature\"",
        b"\xff\xfe--B\r\n\r\n\r\n--B--",
    ];
    let v = Verifier {
        keys: &crate::engine::NoKeys,
        dialect: dialect::by_name("aws").unwrap(),
        cache: &KeyCache::default(),
        reveal_keys: false,
    };
    for j in junk {
        let _ = crate::engine::analyze(&post(j.to_vec()), &v);
    }
    let mut no_boundary = post(b"whatever".to_vec());
    no_boundary.headers[1].value = b"multipart/form-data".to_vec();
    let d = detect(&no_boundary).unwrap();
    assert_eq!(
        d.malformed.as_deref(),
        Some("the upload form could not be read: the Content-Type has no boundary parameter")
    );
}

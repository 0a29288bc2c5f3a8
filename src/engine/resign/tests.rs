//! Re-signed requests verify under the dialect they were signed for (the engine's verifier
//! reads them back), and the edits land where the scheme carries them. The signatures are
//! checked against independent signers in `tests/replay` (aws-sigv4, botocore, boto 2,
//! keystoneclient).

use super::*;
use crate::engine::dialect::{self, by_name};
use crate::engine::{analyze, KeyCache, KeyStore, Verifier};
use crate::http::{parse_raw, Headers, Message};

const AK: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct One;
impl KeyStore for One {
    fn secret(&self, ak: &str) -> Option<&str> {
        (ak == AK).then_some(SECRET)
    }
}

fn req(text: &str) -> Request {
    let wire = text.replace('\n', "\r\n");
    match parse_raw(wire.as_bytes()).messages.into_iter().next() {
        Some(Message::Request(r, _)) => *r,
        _ => panic!("not a request"),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap()
}

/// Which dialects accept `r` with the known secret.
fn accepted(r: &Request) -> Vec<&'static str> {
    let cache = KeyCache::default();
    let v = Verifier {
        keys: &One,
        dialect: dialect::ALL[0],
        cache: &cache,
        reveal_keys: false,
    };
    analyze(r, &v)
        .dialects
        .iter()
        .filter(|d| d.matches == Some(true) && d.rejects.is_none())
        .map(|d| d.name)
        .collect()
}

const V4_HEADER: &str = "GET /bucket/a%20b?list-type=2&prefix=x HTTP/1.1
Host: s3.example.test:9000
X-Amz-Date: 20150830T123600Z
X-Amz-Content-Sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789012345678901234567890123456789012345678901234567890123

";

#[test]
fn sigv4_header_fresh_date_verifies_under_each_dialect() {
    let r = req(V4_HEADER);
    assert!(accepted(&r).is_empty());
    for d in dialect::ALL {
        let out = resign(&r, &Options::new(d, SECRET, now())).unwrap();
        assert!(
            accepted(&out.request).contains(&d.name),
            "{} does not accept its own re-signing",
            d.name
        );
        let date = out.request.header("x-amz-date").unwrap();
        assert_eq!(date, "20261130T005320Z");
        let authz = out.request.header("authorization").unwrap();
        assert!(authz.contains("Credential=AKIDEXAMPLE/20261130/us-east-1/s3/aws4_request,"));
        assert!(authz.ends_with(&format!("Signature={}", out.signature)));
        assert_eq!(out.request.headers.len(), r.headers.len());
    }
}

#[test]
fn keep_date_keeps_the_date_and_scope() {
    let r = req(V4_HEADER);
    let mut o = Options::new(dialect::ALL[0], SECRET, now());
    o.date = DateChoice::Keep;
    let out = resign(&r, &o).unwrap();
    assert_eq!(
        out.request.header("x-amz-date").unwrap(),
        "20150830T123600Z"
    );
    assert!(out
        .request
        .header("authorization")
        .unwrap()
        .contains("/20150830/"));
    assert_eq!(accepted(&out.request), dialect::names());
}

#[test]
fn payload_hash_is_recomputed_or_kept() {
    let wrong = V4_HEADER.replace("e3b0c442", "e3b0c443");
    let r = req(&wrong);
    let o = Options::new(dialect::ALL[0], SECRET, now());
    let out = resign(&r, &o).unwrap();
    assert_eq!(
        out.request.header("x-amz-content-sha256").unwrap(),
        crate::engine::crypto::EMPTY_SHA256
    );
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    let kept = resign(
        &r,
        &Options {
            payload_hash: PayloadHash::Keep,
            ..o
        },
    )
    .unwrap();
    assert!(kept
        .request
        .header("x-amz-content-sha256")
        .unwrap()
        .starts_with("e3b0c443"));
    assert!(kept.notes.is_empty());
}

#[test]
fn sigv4_presigned_keeps_expiry_and_moves_signature() {
    let r = req("GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1
Host: s3.example.test

");
    let aws = by_name("aws").unwrap();
    let out = resign(&r, &Options::new(aws, SECRET, now())).unwrap();
    let t = out.request.target_lossy();
    assert!(t.contains("X-Amz-Date=20261130T005320Z"), "{t}");
    assert!(
        t.contains("X-Amz-Credential=AKIDEXAMPLE%2F20261130%2Fus-east-1"),
        "{t}"
    );
    assert!(t.contains("X-Amz-Expires=86400&"), "{t}");
    assert!(
        t.ends_with(&format!("X-Amz-Signature={}", out.signature)),
        "{t}"
    );
    assert!(accepted(&out.request).contains(&"aws"));
    let keystone = by_name("keystone").unwrap();
    assert!(matches!(
        resign(&r, &Options::new(keystone, SECRET, now())),
        Err(ResignError::Unsupported(_))
    ));
}

#[test]
fn sigv2_header_and_presigned() {
    let r = req("PUT /bucket/key HTTP/1.1
Host: s3.example.test
Date: Tue, 27 Mar 2007 21:15:45 +0000
Content-Type: text/plain
x-amz-meta-a: 1
Authorization: AWS AKIDEXAMPLE:bm90IGEgc2lnbmF0dXJl
Content-Length: 0

");
    for d in dialect::ALL.iter().filter(|d| d.sigv2.is_some()) {
        let out = resign(&r, &Options::new(d, SECRET, now())).unwrap();
        assert_eq!(
            out.request.header("date").unwrap(),
            "Mon, 30 Nov 2026 00:53:20 GMT"
        );
        assert_eq!(
            out.request.header("authorization").unwrap(),
            format!("AWS AKIDEXAMPLE:{}", out.signature)
        );
        assert!(accepted(&out.request).contains(&d.name), "{}", d.name);
    }
    let p = req(
        "GET /bucket/key?AWSAccessKeyId=AKIDEXAMPLE&Expires=1175139620&Signature=abc HTTP/1.1
Host: s3.example.test

",
    );
    let out = resign(&p, &Options::new(dialect::ALL[0], SECRET, now())).unwrap();
    let t = out.request.target_lossy();
    assert!(
        t.contains(&format!("Expires={}", 1_796_000_000 + 3600)),
        "{t}"
    );
    assert!(accepted(&out.request).contains(&"aws"));
    let no_v2 = dialect::ALL.iter().find(|d| d.sigv2.is_none());
    if let Some(d) = no_v2 {
        assert!(matches!(
            resign(&r, &Options::new(d, SECRET, now())),
            Err(ResignError::NoVerifier { .. })
        ));
    }
}

#[test]
fn query_v2_in_a_form_body_and_v0_v1_in_the_url() {
    let body = "Action=DescribeInstances&AWSAccessKeyId=AKIDEXAMPLE&SignatureMethod=HmacSHA1&SignatureVersion=2&Timestamp=2011-10-03T15%3A19%3A30Z&Version=2014-06-15&Signature=bad%2B";
    let r = req(&format!(
        "POST / HTTP/1.1
Host: ec2.example.test:8773
Content-Type: application/x-www-form-urlencoded; charset=utf-8
Content-Length: {}

{body}",
        body.len()
    ));
    for d in dialect::ALL.iter().filter(|d| d.query.is_some()) {
        let out = resign(&r, &Options::new(d, SECRET, now())).unwrap();
        let b = String::from_utf8(out.request.body.clone()).unwrap();
        assert!(b.contains("Timestamp=2026-11-30T00%3A53%3A20Z&"), "{b}");
        assert_eq!(
            out.request.header("content-length").unwrap(),
            b.len().to_string()
        );
        assert!(accepted(&out.request).contains(&d.name), "{}: {b}", d.name);
    }
    for v in ["0", "1"] {
        let r = req(&format!("GET /?Action=DescribeImages&AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion={v}&Timestamp=2011-10-03T15:19:30&Version=2009-11-30&Signature=x HTTP/1.1
Host: ec2.example.test

"));
        for d in dialect::ALL.iter().filter(|d| {
            d.query
                .as_ref()
                .is_some_and(|q| q.versions.contains(&(v.as_bytes()[0] - b'0')))
        }) {
            let out = resign(&r, &Options::new(d, SECRET, now())).unwrap();
            assert!(accepted(&out.request).contains(&d.name), "v{v} {}", d.name);
        }
    }
}

#[test]
fn unsigned_and_malformed_requests_are_refused_with_the_reason() {
    let r = req("GET / HTTP/1.1\nHost: h\n\n");
    let e = resign(&r, &Options::new(dialect::ALL[0], SECRET, now())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the request carries no signature to re-sign (anonymous)"
    );
    let r = req("GET / HTTP/1.1\nHost: h\nAuthorization: AWS4-HMAC-SHA256 Credential=x\n\n");
    let e = resign(&r, &Options::new(dialect::ALL[0], SECRET, now())).unwrap_err();
    assert!(matches!(e, ResignError::Malformed(_)));
}

#[test]
fn resign_with_looks_the_secret_up_and_says_what_is_missing() {
    let r = req(V4_HEADER);
    let o = |s| Options::new(dialect::ALL[0], s, now());
    let out = resign_with(&r, &One, o).unwrap();
    assert!(accepted(&out.request).contains(&"aws"));
    let other = req(&V4_HEADER.replace("AKIDEXAMPLE/", "AKIDOTHER/"));
    assert_eq!(
        resign_with(&other, &One, o).unwrap_err().to_string(),
        "no secret for access key AKIDOTHER"
    );
    let anon = req("GET / HTTP/1.1\nHost: h\n\n");
    assert_eq!(
        resign_with(&anon, &One, o).unwrap_err(),
        ResignError::NotSigned("anonymous")
    );
}

#[test]
fn staleness_in_words() {
    let r = req(V4_HEADER);
    let s = staleness(&r, now()).unwrap();
    assert!(s
        .to_string()
        .starts_with("the date is stale: signed at 20150830T123600Z, "));
    let fresh = resign(&r, &Options::new(dialect::ALL[0], SECRET, now())).unwrap();
    assert_eq!(staleness(&fresh.request, now()), None);
    let p = req(
        "GET /b?AWSAccessKeyId=AKIDEXAMPLE&Expires=1175139620&Signature=abc HTTP/1.1\nHost: h\n\n",
    );
    assert_eq!(
        staleness(&p, now()).unwrap().to_string(),
        "the date is stale: the URL expired at Thu, 29 Mar 2007 03:40:20 GMT"
    );
}

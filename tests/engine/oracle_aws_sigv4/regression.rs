//! Regression tests: sigscope bugs found by the oracle tests, now fixed in src/, each kept as
//! the minimal example that reproduced it. They assert the correct behaviour.

use sigscope::engine::{Mode, Verdict};
use sigscope::http::{parse_raw, Header, Request};

use super::agreement::parse_one;
use super::cases::Case;
use super::signing::sign_case;
use super::{creds, lossy, run, AK, SK, V4_AUTH};

/// `GET /a` signed with header auth for `service` at 2015-08-30T12:36:00Z.
fn plain_case(service: &'static str) -> Case {
    Case {
        method: "GET",
        endpoint: ("https", "example.amazonaws.com"),
        pass_host: false,
        segments: vec!["a".into()],
        trailing_slash: false,
        query: Vec::new(),
        empty_query_mark: false,
        headers: Vec::new(),
        sign_content_length: false,
        body: Vec::new(),
        region: "us-east-1",
        service,
        time: 1_440_938_160,
        presign: None,
        token: None,
        token_excluded: false,
        sha256_header: false,
        access_key: AK.into(),
        secret: SK.into(),
        seed: 0,
    }
}

#[test]
fn regression_http_chunk_size_overflow() {
    let raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n";
    let p = parse_raw(raw);
    assert!(
        p.messages.is_empty() && p.errors.len() == 1,
        "{:?}",
        p.errors
    );
}

#[test]
fn regression_aws_chunked_chunk_size_overflow() {
    let req = Request {
        method: "PUT".into(),
        target: b"/k".to_vec(),
        version: "HTTP/1.1".into(),
        headers: vec![
            Header::new("Host", "h"),
            Header::new("X-Amz-Date", "20150830T123600Z"),
            Header::new("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            Header::new("Authorization", V4_AUTH),
        ],
        body: b"ffffffffffffffff;chunk-signature=00\r\n".to_vec(),
        ..Request::default()
    };
    let a = run(&req, &creds(AK, SK), "aws");
    assert!(a.findings.iter().any(|f| f.code == "aws-chunked-malformed"));
}

#[test]
fn regression_duplicate_signature_component_last_wins() {
    // Sign a plain request with aws-sigv4, then put a second, wrong `Signature=` *before* the
    // real one. sigscope used to keep the last value of each component and say `valid`; MinIO
    // (and the servers derived from it) refuse any Authorization value that does not have
    // exactly three components, and AWS documents exactly three. Expected: malformed.
    let s = sign_case(&plain_case("sts"));
    assert_eq!(run(&s.req, &s.keys, "aws").verdict, Verdict::Valid);
    let mut req = s.req.clone();
    let h = req
        .headers
        .iter_mut()
        .find(|h| h.name == b"authorization")
        .unwrap();
    let v = lossy(&h.value).replacen(
        "AWS4-HMAC-SHA256 ",
        &format!("AWS4-HMAC-SHA256 Signature={}, ", "0".repeat(64)),
        1,
    );
    // AWS4-HMAC-SHA256 Signature=000…0, Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request,
    //   SignedHeaders=host;x-amz-date, Signature=<the real one>
    h.value = v.into_bytes();
    let a = run(&req, &s.keys, "aws");
    assert_eq!(a.verdict, Verdict::Malformed, "{}", lossy(&req.to_wire()));
}

#[test]
fn regression_sigv2_non_ascii_relative_path() {
    // A request target that does not start with `/` and whose first character is not ASCII
    // (here `é`; an invalid byte, read as U+FFFD, does the same), with SigV2 header auth:
    // computing the botocore dialect (bucket_root_slash) panicked with "byte index 1 is not a
    // char boundary". Found by `garbage_requests_never_panic`.
    let raw = "GET é HTTP/1.1\r\nAuthorization: AWS AKIDEXAMPLE:c2ln\r\n\r\n";
    let req = parse_one(raw.as_bytes()).unwrap();
    let a = run(&req, &creds(AK, SK), "aws");
    assert_eq!(a.auth.mode, Mode::Sigv2Header);
}

#[test]
fn regression_bare_x_amz_header_not_required_signed() {
    // S3 refuses x-amz-* headers that are not signed, and the `aws` dialect enforces it for
    // s3 (an unsigned `x-amz-meta-a` is refused). After the hot-path rewrite the check read
    // `h.name.len() > 6 && h.name[..6] == "x-amz-"`, so a header named `x-amz-` itself slipped
    // through, where the former `n.starts_with("x-amz-")` caught it. Found by
    // `mutated_signed_requests_are_not_valid` (a signed `X-Amz-Meta-Note` truncated to `X-Amz-`).
    let s = sign_case(&plain_case("s3"));
    assert_eq!(run(&s.req, &s.keys, "aws").verdict, Verdict::Valid);
    let mut control = s.req.clone();
    control.headers.push(Header::new("x-amz-meta-a", "v"));
    assert_eq!(run(&control, &s.keys, "aws").verdict, Verdict::Invalid);
    let mut req = s.req.clone();
    req.headers.push(Header::new("x-amz-", "v"));
    assert_eq!(run(&req, &s.keys, "aws").verdict, Verdict::Invalid);
}

#[test]
fn regression_raw_plus_in_query_is_a_space() {
    // Issue #12: the `aws` dialect signed a raw `+` in the query as `%2B`, where AWS and
    // aws-sigv4 (`form_urlencoded::parse`) read it as a space and sign `%20`; the oracle's
    // generator never sent a raw `+`, so it did not see it. With the generator drawing raw `+`,
    // the oracle property shrinks the old behaviour to `GET /a?a+b`. Here: a space and a plus
    // in names and values, a name without `=`, a repeated name out of order, each wire encoding
    // of them the generator can pick (a space as `+` or `%20`, `+` as `%2B` or `%2b`).
    let mut c = plain_case("execute-api");
    c.query = vec![
        ("a b".into(), None),
        ("a+b".into(), Some("+ +".into())),
        ("acl".into(), None),
        ("a".into(), Some("2".into())),
        ("a".into(), Some("1".into())),
    ];
    let mut raw_plus = 0;
    for seed in 0..32 {
        c.seed = seed;
        let s = sign_case(&c);
        let target = lossy(&s.req.target);
        raw_plus += usize::from(target.contains('+'));
        let a = run(&s.req, &s.keys, "aws");
        assert_eq!(a.verdict, Verdict::Valid, "{target}");
        let creq = a.dialect("aws").and_then(|d| d.canonical_request.clone());
        let creq = lossy(&creq.unwrap_or_default());
        assert_eq!(
            creq.lines().nth(2),
            Some("a=1&a=2&a%20b=&a%2Bb=%2B%20%2B&acl="),
            "{target}"
        );
    }
    assert!(raw_plus > 0, "no seed sent a raw +");
}

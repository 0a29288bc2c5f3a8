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

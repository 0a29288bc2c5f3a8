//! The `aws` dialect's re-signing against the aws-sigv4 crate: a request signed by aws-sigv4
//! with a wrong secret at one time, re-signed by sigscope with the right secret at another,
//! must carry exactly what aws-sigv4 writes when it signs the same request with the right
//! secret at that time.

use std::time::{Duration, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use sigscope::engine::dialect::by_name;
use sigscope::engine::resign::{resign, Options};
use sigscope::http::{Header, Headers, Request};
use time::OffsetDateTime;

pub(crate) const AK: &str = "AKIDEXAMPLE";
pub(crate) const RIGHT: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub(crate) const WRONG: &str = "not-the-secret";
const CAPTURED_AT: u64 = 1_440_938_160; // 2015-08-30T12:36:00Z
const REPLAYED_AT: u64 = 1_796_000_000;

pub(crate) struct Case {
    pub(crate) method: &'static str,
    pub(crate) scheme_authority: &'static str,
    pub(crate) path_and_query: &'static str,
    pub(crate) headers: &'static [(&'static str, &'static str)],
    pub(crate) body: &'static [u8],
    pub(crate) region: &'static str,
    pub(crate) service: &'static str,
    pub(crate) presign: Option<u64>,
}

/// aws-sigv4's request: the headers it was given plus the ones it adds, or the presigned
/// target; as sigscope's `Request`.
pub(crate) fn aws_signed(c: &Case, secret: &str, at: u64) -> Request {
    let url = format!("{}{}", c.scheme_authority, c.path_and_query);
    let host = c.scheme_authority.split("://").nth(1).unwrap();
    let identity = aws_credential_types::Credentials::new(AK, secret, None, None, "test").into();
    let mut settings = SigningSettings::default();
    if c.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    if let Some(e) = c.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(e));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(c.region)
        .name(c.service)
        .time(UNIX_EPOCH + Duration::from_secs(at))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut given: Vec<(&str, &str)> = vec![("Host", host)];
    given.extend(c.headers.iter().copied());
    let body = if c.presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(c.body)
    };
    let signable =
        SignableRequest::new(c.method, url.as_str(), given.iter().copied(), body).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut r = http::Request::builder()
        .method(c.method)
        .uri(url.as_str())
        .body(())
        .unwrap();
    for (n, v) in &given {
        r.headers_mut().append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    instructions.apply_to_request_http1x(&mut r);
    let mut headers: Vec<Header> = r
        .headers()
        .iter()
        .map(|(n, v)| Header::new(n.as_str(), v.as_bytes()))
        .collect();
    headers.push(Header::new("Content-Length", c.body.len().to_string()));
    Request {
        method: c.method.into(),
        target: r
            .uri()
            .path_and_query()
            .unwrap()
            .as_str()
            .as_bytes()
            .to_vec(),
        version: "HTTP/1.1".into(),
        headers,
        body: c.body.to_vec(),
        ..Request::default()
    }
}

fn at(secs: u64) -> OffsetDateTime {
    OffsetDateTime::from(UNIX_EPOCH + Duration::from_secs(secs))
}

fn check(c: &Case) {
    let captured = aws_signed(c, WRONG, CAPTURED_AT);
    let expected = aws_signed(c, RIGHT, REPLAYED_AT);
    let aws = by_name("aws").unwrap();
    let out = resign(&captured, &Options::new(aws, RIGHT, at(REPLAYED_AT))).unwrap();
    let r = &out.request;
    assert_eq!(
        r.target_lossy(),
        expected.target_lossy(),
        "{} {}",
        c.method,
        c.path_and_query
    );
    for name in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
        assert_eq!(
            r.header(name),
            expected.header(name),
            "{name} of {} {}",
            c.method,
            c.path_and_query
        );
    }
    assert_eq!(r.headers.len(), expected.headers.len());
    // And the captured request was indeed signed otherwise.
    assert_ne!(
        (captured.header("authorization"), captured.target_lossy()),
        (expected.header("authorization"), expected.target_lossy())
    );
}

#[test]
fn s3_header_signing_matches_aws_sigv4() {
    check(&Case {
        method: "PUT",
        scheme_authority: "http://127.0.0.1:9000",
        path_and_query: "/bucket/a%20key%2Bplus/x.txt?tagging=&versionId=3",
        headers: &[
            ("Content-Type", "text/plain"),
            ("x-amz-meta-note", "two  spaces"),
        ],
        body: b"hello, replay",
        region: "us-east-1",
        service: "s3",
        presign: None,
    });
}

#[test]
fn non_s3_header_signing_matches_aws_sigv4() {
    check(&Case {
        method: "POST",
        scheme_authority: "https://sts.example.test",
        path_and_query: "/a/./b/../c?Action=GetCallerIdentity&Version=2011-06-15",
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: b"x=1",
        region: "eu-west-3",
        service: "sts",
        presign: None,
    });
}

#[test]
fn s3_presigned_url_matches_aws_sigv4() {
    check(&Case {
        method: "GET",
        scheme_authority: "http://s3.example.test:8080",
        path_and_query: "/bucket/photos/2015/a%20b.jpg?response-content-type=image%2Fjpeg",
        headers: &[],
        body: b"",
        region: "us-west-2",
        service: "s3",
        presign: Some(3600),
    });
}

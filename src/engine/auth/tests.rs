use super::*;
use crate::http::Header;

fn req(target: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        target: target.as_bytes().to_vec(),
        version: "HTTP/1.1".into(),
        headers: headers.iter().map(|(k, v)| Header::new(*k, *v)).collect(),
        ..Default::default()
    }
}

#[test]
fn detects_each_mode() {
    let cases: Vec<(Request, Mode)> = vec![
        (req("/", &[("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=ab")]), Mode::Sigv4Header),
        (req("/", &[("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=ab"), ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")]), Mode::Sigv4Streaming),
        (req("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", &[]), Mode::Sigv4Query),
        (req("/", &[("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=AK/20150830/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=30"), ("X-Amz-Region-Set", "*")]), Mode::Sigv4aHeader),
        (req("/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AK%2F20150830%2Fs3%2Faws4_request&X-Amz-Date=20150830T000000Z&X-Amz-Region-Set=us-east-1%2Cus-west-2&X-Amz-SignedHeaders=host&X-Amz-Signature=30", &[]), Mode::Sigv4aQuery),
        (req("/b/k", &[("Authorization", "AWS AK:c2ln")]), Mode::Sigv2Header),
        (req("/b/k?AWSAccessKeyId=AK&Expires=1&Signature=c2ln", &[]), Mode::Sigv2Query),
        (req("/?AWSAccessKeyId=AK&Action=A&SignatureVersion=0&Timestamp=t&Signature=x", &[]), Mode::QueryV0),
        (req("/?AWSAccessKeyId=AK&SignatureVersion=1&Signature=x", &[]), Mode::QueryV1),
        (req("/?AWSAccessKeyId=AK&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=x", &[]), Mode::QueryV2),
        (req("/", &[("Authorization", "Basic dXNlcjpwdw==")]), Mode::Basic),
        (req("/", &[("Authorization", "Bearer abc")]), Mode::Bearer),
        (req("/", &[("X-Auth-Token", "gAAAA")]), Mode::XAuthToken),
        (req("/", &[]), Mode::Anonymous),
    ];
    for (r, mode) in cases {
        let d = detect(&r);
        assert_eq!(d.info.mode, mode, "{:?}", r.target_lossy());
        assert!(d.malformed.is_none(), "{:?}", d.malformed);
    }
}

#[test]
fn garbage_is_malformed_not_panic() {
    for bad in [
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AK",
        "AWS4-HMAC-SHA256 Credential=AK/a/b/c/d, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AK/a/b/c/d, Junk",
        "AWS nocolon",
        "AWS :",
        "Negotiate xyz",
        "\u{1b}[2J",
    ] {
        let d = detect(&req("/", &[("Authorization", bad)]));
        assert!(d.malformed.is_some(), "{bad}");
    }
    let d = detect(&req("/?X-Amz-Algorithm=HMAC-MD5", &[]));
    assert!(d.malformed.unwrap().contains("HMAC-MD5"));
}

#[test]
fn malformed_messages_keep_their_text() {
    let why = |target: &str, authz: Option<&str>| {
        let h: Vec<(&str, &str)> = authz.map(|a| ("Authorization", a)).into_iter().collect();
        detect(&req(target, &h)).malformed.unwrap()
    };
    let v4 = |rest: &str| why("/", Some(&format!("AWS4-HMAC-SHA256 {rest}")));
    assert_eq!(v4("Credential=AK"), "Credential `AK` has no scope");
    assert_eq!(
        v4("Credential=AK/a/b\u{1b}"),
        "credential scope `a/b\\x1b` must be date/region/service/aws4_request"
    );
    assert_eq!(
        v4("Junk"),
        "Authorization component `Junk` is not key=value"
    );
    assert_eq!(v4("Foo=1"), "unknown Authorization component `Foo`");
    assert_eq!(
        v4("Signature=a, Signature =b"),
        "Authorization repeats `Signature=`"
    );
    assert_eq!(v4("Signature=a"), "Authorization has no Credential=");
    assert_eq!(
        v4("Credential=AK/a/b/c/d"),
        "Authorization has no SignedHeaders="
    );
    assert_eq!(
        why("/", Some("AWS4-ECDSA-P256-SHA256 x")),
        "Authorization component `x` is not key=value"
    );
    // SigV4A's scope has no region; the region set is its own header.
    assert_eq!(
        why(
            "/",
            Some("AWS4-ECDSA-P256-SHA256 Credential=AK/d/r/s/aws4_request, SignedHeaders=host, Signature=30")
        ),
        "credential scope `d/r/s/aws4_request` must be date/service/aws4_request (SigV4A has no region in its scope)"
    );
    assert_eq!(
        why(
            "/",
            Some("AWS4-ECDSA-P256-SHA256 Credential=AK/d/s/aws4_request, SignedHeaders=host, Signature=30")
        ),
        "SigV4A request without x-amz-region-set"
    );
    assert_eq!(
        why("/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AK%2Fd%2Fs%2Faws4_request&X-Amz-SignedHeaders=host&X-Amz-Signature=30&X-Amz-Date=d", None),
        "presigned URL has no X-Amz-Region-Set"
    );
    assert_eq!(
        why("/", Some("AWS x")),
        "Authorization `AWS` needs `AWS AccessKeyId:Signature`"
    );
    assert_eq!(
        why("/", Some("Nego\u{1b}tiate")),
        "unrecognised Authorization scheme `Nego\\x1btiate`"
    );
    assert_eq!(
        why("/", Some("Basic %%%")),
        "Basic credentials are not base64"
    );
    assert_eq!(
        why("/?X-Amz-Algorithm=HMAC-MD5", None),
        "X-Amz-Algorithm `HMAC-MD5` is not AWS4-HMAC-SHA256"
    );
    assert_eq!(
        why("/?X-Amz-Algorithm=AWS4-HMAC-SHA256", None),
        "presigned URL has no X-Amz-Credential"
    );
    assert_eq!(
        why("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2Fa%2Fb%2Fc%2Fd&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", None),
        "presigned URL has no X-Amz-Date"
    );
    assert_eq!(
        why("/?SignatureVersion=3", None),
        "unsupported SignatureVersion `3`"
    );
    assert_eq!(
        why("/?SignatureVersion=2", None),
        "Query signature without AWSAccessKeyId"
    );
    assert_eq!(
        why("/?SignatureVersion=2&AWSAccessKeyId=AK", None),
        "Query signature without Signature"
    );
}

#[test]
fn masked_headers_are_the_credential_bearing_ones() {
    let m = |n: &str, v: &str| masked_header(n.as_bytes(), v.as_bytes());
    assert_eq!(
        m("Authorization", "Basic dXNlcjpwYXNzd29yZA==").unwrap(),
        "Basic dXNl•••• (20 chars)"
    );
    assert!(!m("Proxy-Authorization", "Bearer abcdefghijkl")
        .unwrap()
        .contains("efgh"));
    assert!(!m("X-Subject-Token", "gAAAAABsecrettoken")
        .unwrap()
        .contains("secret"));
    assert!(!m("x-amz-security-token", "FQoGZXIvYXdzEXAMPLE")
        .unwrap()
        .contains("EXAMPLE"));
    assert_eq!(
        m(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AK/x, Signature=ab"
        ),
        None
    );
    assert_eq!(m("Authorization", "AWS AK:c2ln"), None);
    assert_eq!(m("Host", "h"), None);
}

#[test]
fn masks_secrets() {
    assert_eq!(mask("abc"), "•••• (3 chars)");
    assert_eq!(mask("AQoDYXdzEPT//////////wEXAMPLE"), "AQoD•••• (29 chars)");
}

/// A presigned session token is masked wherever the target is shown; nothing else changes,
/// and a target without one is not copied.
#[test]
fn a_presigned_session_token_is_masked_in_the_target() {
    use super::super::secret::shown_target;
    use std::borrow::Cow;
    let token = "IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJHMEUCIQDexample%2Fexample%2Btoken%3D%3D";
    let t = format!(
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={token}&X-Amz-Signature=abc"
    );
    let shown = String::from_utf8(shown_target(t.as_bytes()).into_owned()).unwrap();
    assert!(
        !shown.contains("DexampleExample") && !shown.contains(token),
        "{shown}"
    );
    assert_eq!(
        shown,
        format!(
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={}&X-Amz-Signature=abc",
            mask(token).replacen(" (", "(", 1).replace(' ', "-")
        )
    );
    // Any case, percent-encoded name, first or last.
    for t in [
        format!("/?x-amz-security-token={token}"),
        format!("/?a=1&X%2DAmz%2DSecurity%2DToken={token}"),
    ] {
        let shown = shown_target(t.as_bytes());
        assert!(!String::from_utf8_lossy(&shown).contains(token), "{t}");
    }
    for plain in [
        "/b/k",
        "/b/k?X-Amz-Signature=abc&acl",
        "/?X-Amz-Security-Token",
        "/?x=X-Amz-Security-Token=1",
    ] {
        assert!(
            matches!(shown_target(plain.as_bytes()), Cow::Borrowed(_)),
            "{plain}"
        );
    }
}

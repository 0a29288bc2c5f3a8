use super::*;

#[test]
fn first_difference_lines_and_columns() {
    assert_eq!(first_difference("a\nb", "a\nb"), None);
    assert_eq!(
        first_difference("POST\n/\n\nhost:x", "POST\n/\nAction=1\nhost:x"),
        Some((3, 1, "".into(), "Action=1".into()))
    );
    assert_eq!(
        first_difference("a\nhost:x:80", "a\nhost:x"),
        Some((2, 7, "host:x:80".into(), "host:x".into()))
    );
    assert_eq!(first_difference("a", "a\nb").map(|d| d.0), Some(2));
}

#[test]
fn changes_between_legs_include_a_body_known_only_by_digest() {
    let before = Request {
        method: "PUT".into(),
        target: b"/k".to_vec(),
        headers: vec![crate::http::Header::new("Host", "a:9200")],
        body_digest: Some(crate::http::BodyDigest {
            len: 3,
            sha256_hex: crate::engine::crypto::sha256_hex(b"abc"),
        }),
        ..Default::default()
    };
    let mut after = Request {
        headers: vec![crate::http::Header::new("Host", "a")],
        body: b"abd".to_vec(),
        ..before.clone()
    };
    after.body_digest = None;
    let c = request_changes(&before, &after);
    assert!(c.iter().any(|x| x.contains("`host` changed")), "{c:?}");
    assert!(c.iter().any(|x| x.contains("the body changed")), "{c:?}");
    after.body = b"abc".to_vec();
    assert!(!request_changes(&before, &after)
        .iter()
        .any(|x| x.contains("body")));
}

#[test]
fn host_names_imply_regions() {
    assert_eq!(
        host_region_service("s3.eu-west-1.amazonaws.com"),
        Some((Some("eu-west-1".into()), "s3".into()))
    );
    assert_eq!(
        host_region_service("bucket.s3.us-west-2.amazonaws.com:443"),
        Some((Some("us-west-2".into()), "s3".into()))
    );
    assert_eq!(
        host_region_service("b.s3-ap-south-1.amazonaws.com"),
        Some((Some("ap-south-1".into()), "s3".into()))
    );
    assert_eq!(
        host_region_service("iam.amazonaws.com"),
        Some((None, "iam".into()))
    );
    assert_eq!(host_region_service("127.0.0.1:8003"), None);
}

/// Equal strings prove only what the secret lets them prove: without it, a request changed
/// before the capture point looks exactly like another secret, so both are named.
#[test]
fn equal_server_strings_claim_no_more_than_the_secret_shows() {
    let result = |matches| DialectResult {
        name: "aws",
        canonical_request: None,
        string_to_sign: bytes::Bytes::new(),
        signature: None,
        matches,
        rejects: None,
        unsupported: false,
        chunks: Vec::new(),
    };
    let none = super::server::strings_agree(&result(None), "");
    assert!(
        none.contains("another secret") && none.contains("changed before"),
        "{none}"
    );
    assert!(none.contains("enter the secret"), "{none}");
    // Dialects whose strings part from the server's are a third explanation, named.
    let rules = ", or the client signs by other rules than the server's: botocore signs line 5 as `/b/` where the server has `/b`";
    let other = super::server::strings_agree(&result(None), rules);
    assert!(other.contains("botocore signs line 5"), "{other}");
    assert!(other.contains("enter the secret"), "{other}");
    let wrong = super::server::strings_agree(&result(Some(false)), "");
    assert!(
        wrong.contains("another secret") && wrong.contains("changed before"),
        "{wrong}"
    );
    let right = super::server::strings_agree(&result(Some(true)), "");
    assert!(right.contains("the server holds another secret"), "{right}");
    assert!(!right.contains("changed before"), "{right}");
}

/// SigV4A region sets: `*`, lists, prefix wildcards (issue 15).
#[test]
fn region_sets_cover_their_regions() {
    use super::facts::region_set_covers as covers;
    assert!(covers("*", "eu-west-1"));
    assert!(covers("us-east-1,eu-west-1", "eu-west-1"));
    assert!(covers("us-east-1, eu-west-1", "eu-west-1"));
    assert!(covers("eu-*", "eu-west-1"));
    assert!(!covers("us-east-1", "eu-west-1"));
    assert!(!covers("us-*,ap-south-1", "eu-west-1"));
    assert!(!covers("eu-west-10", "eu-west-1"));
}

#[test]
fn http2_host_messages_per_knob_value() {
    use crate::engine::dialect::H2Host;
    let req = |host: &str, host_added: bool| Request {
        version: "HTTP/2".into(),
        headers: vec![crate::http::Header::new("host", host)],
        h2_authority: Some(crate::http::Authority {
            value: b"a.example".to_vec(),
            host_added,
        }),
        ..Default::default()
    };
    let curl = req("a.example", true);
    assert_eq!(
        facts::h2_host_message(&curl, H2Host::Authority, "aws"),
        None
    );
    assert_eq!(
        facts::h2_host_message(&curl, H2Host::HostHeader, "s3s"),
        Some("this HTTP/2 request has no Host header, only the :authority `a.example`, which the client signed as the host; s3s reads the host from a Host header only, finds none and signs an empty host".into())
    );
    let both = req("b.example", false);
    assert_eq!(
        facts::h2_host_message(&both, H2Host::HostHeaderElseAuthority, "minio"),
        None
    );
    assert!(
        facts::h2_host_message(&both, H2Host::Authority, "aws")
            .is_some_and(|m| m
                .contains("Host header `b.example` that differs from its :authority `a.example`"))
    );
    // HTTP/1.1: nothing to say.
    assert_eq!(
        facts::h2_host_message(&Request::default(), H2Host::HostHeader, "s3s"),
        None
    );
}

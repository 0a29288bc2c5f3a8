//! The endpoint's error bodies read back, through sigscope's server-error parser (the one
//! that reads real S3, STS/IAM and Keystone bodies), to exactly the strings the verifier
//! computed — including strings holding XML-special characters and carriage returns — and
//! the codes S3 uses for each failure.

use sigscope::credentials::Credentials;
use sigscope::engine::server_error::{self, ServerExpected};
use sigscope::engine::{self, KeyCache};
use sigscope::http::{Message, Request, Response};
use sigscope::live::respond::{answer, infer, Policy, Style};

use crate::support::{root, verifier};

fn load(name: &str) -> Request {
    let raw = std::fs::read(root().join("tests/vectors/aws-docs").join(name)).unwrap();
    sigscope::http::parse_raw(&raw)
        .messages
        .into_iter()
        .find_map(|m| match m {
            Message::Request(r, _) => Some(*r),
            _ => None,
        })
        .unwrap()
}

fn analyse(req: &Request, secret: &str, at: &str) -> engine::Analysis {
    analyse_as(req, "AKIAIOSFODNN7EXAMPLE", secret, at)
}

fn analyse_as(req: &Request, ak: &str, secret: &str, at: &str) -> engine::Analysis {
    let creds = Credentials::parse(&format!(
        "[t]\naws_access_key_id = {ak}\naws_secret_access_key = {secret}\n"
    ));
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let t =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap();
    let seen = Vec::new();
    engine::analyze_observed(
        &engine::diagnose::Observed {
            request: req,
            response: None,
            time: Some(t),
            context: engine::diagnose::Context {
                seen_hosts: &seen,
                earlier_leg: None,
                multipart: None,
                sessions: &[],
            },
        },
        &v,
    )
}

fn read_back(status: u16, body: &[u8]) -> ServerExpected {
    server_error::parse(&Response {
        status,
        body: body.to_vec(),
        ..Default::default()
    })
    .unwrap_or_else(|| panic!("unreadable: {}", String::from_utf8_lossy(body)))
}

const NOW_2013: &str = "2013-05-24T00:00:30Z";

#[test]
fn signature_mismatch_round_trips_in_every_style() {
    let req = load("s3-sigv4-get-object.http");
    let a = analyse(&req, "the-wrong-secret", NOW_2013);
    assert_eq!(a.verdict, engine::Verdict::Invalid);
    let d = a.dialect("aws").unwrap();
    let sts = String::from_utf8(d.string_to_sign.to_vec()).unwrap();
    let cr = String::from_utf8(d.canonical_request.clone().unwrap().to_vec()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for style in [Style::S3, Style::Query, Style::Gcs] {
        let p = Policy {
            style: Some(style),
            ..Default::default()
        };
        let ans = answer(&a, &req, &p, now, "RID");
        assert_eq!(ans.status, 403);
        let se = read_back(ans.status, &ans.body);
        assert_eq!(se.code, "SignatureDoesNotMatch", "{style:?}");
        assert_eq!(
            se.string_to_sign.as_deref(),
            Some(sts.as_str()),
            "{style:?}"
        );
        assert_eq!(
            se.canonical_request.as_deref(),
            Some(cr.as_str()),
            "{style:?}"
        );
    }
    let body = answer(&a, &req, &Policy::default(), now, "RID").body;
    let text = String::from_utf8(body).unwrap();
    // The byte forms S3 adds decode to the same strings.
    let hex = |s: &str| {
        s.bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(text.contains(&format!(
        "<StringToSignBytes>{}</StringToSignBytes>",
        hex(&sts)
    )));
    assert!(text.contains(&format!(
        "<CanonicalRequestBytes>{}</CanonicalRequestBytes>",
        hex(&cr)
    )));
    assert!(text.contains("<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>"));
    assert!(!text.contains("the-wrong-secret"));
    let ks = answer(
        &a,
        &req,
        &Policy {
            style: Some(Style::Keystone),
            ..Default::default()
        },
        now,
        "RID",
    );
    assert_eq!(ks.status, 401);
    let se = read_back(401, &ks.body);
    assert_eq!(se.code, "Unauthorized");
    assert_eq!(se.message.as_deref(), Some("Invalid EC2 signature."));
}

#[test]
fn hostile_characters_survive_the_xml() {
    // A SigV2 request whose signed x-amz-* header holds XML specials, quotes and a CR.
    let mut req = load("s3-sigv2-object-put.http");
    req.headers.push(sigscope::http::Header::new(
        "x-amz-meta-evil",
        b"</StringToSign><Code>Fake</Code>&amp;'\"\r]]>".to_vec(),
    ));
    let a = analyse(&req, "wrong", "2007-03-27T21:15:50Z");
    assert_eq!(a.verdict, engine::Verdict::Invalid);
    let sts = a.dialect("aws").unwrap().string_to_sign.clone();
    let ans = answer(
        &a,
        &req,
        &Policy::default(),
        time::OffsetDateTime::now_utc(),
        "R",
    );
    let se = read_back(ans.status, &ans.body);
    assert_eq!(se.code, "SignatureDoesNotMatch");
    assert_eq!(se.string_to_sign.unwrap().as_bytes(), &sts[..]);
}

#[test]
fn skew_region_anonymous_unknown_key_and_success() {
    let req = load("s3-sigv4-get-object.http");
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let now = time::OffsetDateTime::now_utc();
    // Valid and on time: 200.
    let a = analyse(&req, secret, NOW_2013);
    assert_eq!(a.verdict, engine::Verdict::Valid);
    assert_eq!(infer(&a, &req), Style::S3);
    assert_eq!(answer(&a, &req, &Policy::default(), now, "R").status, 200);
    // Valid but a year late: RequestTimeTooSkewed with both times.
    let a = analyse(&req, secret, "2014-05-24T00:00:00Z");
    let ans = answer(&a, &req, &Policy::default(), now, "R");
    let se = read_back(ans.status, &ans.body);
    assert_eq!(
        (ans.status, se.code.as_str()),
        (403, "RequestTimeTooSkewed")
    );
    assert_eq!(se.request_time.as_deref(), Some("20130524T000000Z"));
    assert!(se.server_time.is_some());
    // Scoped to us-east-1 at an endpoint claiming eu-west-1.
    let a = analyse(&req, secret, NOW_2013);
    let p = Policy {
        region: Some("eu-west-1".into()),
        ..Default::default()
    };
    let ans = answer(&a, &req, &p, now, "R");
    let se = read_back(ans.status, &ans.body);
    assert_eq!(
        (ans.status, se.code.as_str()),
        (400, "AuthorizationHeaderMalformed")
    );
    assert_eq!(se.region.as_deref(), Some("eu-west-1"));
    // No secret for the key: InvalidAccessKeyId (S3), InvalidClientTokenId (Query).
    let creds = Credentials::parse("");
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let a = engine::analyze(&req, &v);
    let ans = answer(&a, &req, &Policy::default(), now, "R");
    assert_eq!(read_back(ans.status, &ans.body).code, "InvalidAccessKeyId");
    let q = Policy {
        style: Some(Style::Query),
        ..Default::default()
    };
    let ans = answer(&a, &req, &q, now, "R");
    assert_eq!(
        read_back(ans.status, &ans.body).code,
        "InvalidClientTokenId"
    );
    // Anonymous: 403 AccessDenied unless allowed.
    let mut anon = req.clone();
    anon.headers
        .retain(|h| !h.name.eq_ignore_ascii_case(b"authorization"));
    let a = engine::analyze(&anon, &v);
    assert_eq!(a.verdict, engine::Verdict::Anonymous);
    let ans = answer(&a, &anon, &Policy::default(), now, "R");
    assert_eq!(
        (ans.status, read_back(403, &ans.body).code.as_str()),
        (403, "AccessDenied")
    );
    let allow = Policy {
        allow_anonymous: true,
        ..Default::default()
    };
    assert_eq!(answer(&a, &anon, &allow, now, "R").status, 200);
}

#[test]
fn query_requests_get_query_bodies() {
    let req = load("sigv4-iam-post-2011.http");
    let a = analyse_as(&req, "AKIDEXAMPLE", "wrong", "2011-09-09T23:36:00Z");
    assert_eq!(a.verdict, engine::Verdict::Invalid);
    assert_eq!(infer(&a, &req), Style::Query);
    let ans = answer(
        &a,
        &req,
        &Policy::default(),
        time::OffsetDateTime::now_utc(),
        "R",
    );
    assert_eq!(ans.status, 403);
    let text = String::from_utf8(ans.body.clone()).unwrap();
    assert!(text.contains("<ErrorResponse"), "{text}");
    let se = read_back(403, &ans.body);
    let d = a.dialect("aws").unwrap();
    assert_eq!(se.string_to_sign.unwrap().as_bytes(), &d.string_to_sign[..]);
    assert_eq!(
        se.canonical_request.unwrap().as_bytes(),
        &d.canonical_request.clone().unwrap()[..]
    );
}

/// aws-chunked uploads with trailers (issue 14) answered as S3 answers them: the AWS
/// documentation's signed-trailer example accepted, its trailer changed refused for the
/// trailer signature; real botocore unsigned-trailer uploads accepted, a changed chunk
/// `BadDigest`, a wrong decoded length `IncompleteBody`.
#[test]
fn trailer_uploads_are_answered_as_s3_does() {
    let at = "2013-05-24T00:00:10Z";
    let now =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).unwrap();
    let docs = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let code = |a: &engine::Analysis, req: &Request| {
        let ans = answer(a, req, &Policy::default(), now, "RID");
        let code = (ans.status >= 300).then(|| read_back(ans.status, &ans.body).code);
        (ans.status, code)
    };
    let req = load("s3-sigv4-chunked-trailer.http");
    assert_eq!(code(&analyse(&req, docs, at), &req), (200, None));
    let raw =
        std::fs::read(root().join("tests/vectors/aws-docs/s3-sigv4-chunked-trailer.http")).unwrap();
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("sOO8/Q==", "sOO8/Q=A");
    let bad = crate::support::request(&raw);
    assert_eq!(
        code(&analyse(&bad, docs, at), &bad),
        (403, Some("SignatureDoesNotMatch".to_string()))
    );
    // The real botocore uploads (tests/vectors/payload), at their own time.
    let xs = crate::support::load(root().join("tests/vectors/payload/botocore-trailers.pcapng"));
    let suite = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let want = [
        (200, None),
        (200, None),
        (200, None),
        (200, None),
        (200, None),
        (400, Some("BadDigest")),
        (400, Some("BadDigest")),
        (400, Some("IncompleteBody")),
    ];
    for (x, (status, c)) in xs.iter().zip(want) {
        let t = x
            .time
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let a = analyse_as(&x.request, "AKIDEXAMPLE", suite, &t);
        let ans = answer(&a, &x.request, &Policy::default(), x.time.unwrap(), "RID");
        let got = (ans.status >= 300).then(|| read_back(ans.status, &ans.body).code);
        assert_eq!(
            (ans.status, got.as_deref()),
            (status, c),
            "{}",
            x.request.target_lossy()
        );
    }
}

/// S3 Express (issue 15), from botocore's capture (tests/vectors/s3express): a request on an
/// expired session is answered `ExpiredToken`, one signed with the IAM key pair and the
/// session's token, or with the token in `X-Amz-Security-Token`, `AccessDenied`; a good
/// session request 200.
#[test]
fn s3_express_refusals() {
    let dir = root().join("tests/vectors/s3express");
    let creds = Credentials::load_file(&dir.join("credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let mut ctx = sigscope::pipeline::CaptureContext::default();
    let mut got = Vec::new();
    sigscope::ingest::stream_path(
        &dir.join("session.pcap"),
        0,
        &Default::default(),
        &mut |mut x| {
            let c = ctx.next_exchange(&mut x);
            let a = sigscope::pipeline::analyze(&x, c.as_context(), &v);
            let now = x.time.unwrap();
            got.push(answer(&a, &x.request, &Policy::default(), now, "RID"));
        },
    );
    let codes: Vec<(u16, Option<&str>)> = got.iter().map(|a| (a.status, a.code)).collect();
    assert_eq!(
        codes,
        [
            (200, None),
            (200, None),
            (200, None),
            (200, None),
            (200, None),
            (403, Some("AccessDenied")),
            (403, Some("AccessDenied")),
            (200, None),
            (400, Some("ExpiredToken")),
        ]
    );
    let se = read_back(400, &got[8].body);
    assert!(se.message.unwrap().contains("expired"));
}

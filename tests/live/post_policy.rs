//! `sigscope listen` as the endpoint of browser uploads (issue 15): the forms botocore and
//! boto 2 made (`tests/vectors/postpolicy`, posted by `requests` when they were generated)
//! sent again, byte for byte, to a fresh listener, which must answer each as S3 documents it
//! (the manifest's status and code, written by hand). The valid forms' policies expire in
//! 2046; the expired one expired when it was made.

use crate::harness::{raw_http, shared, Listener};
use crate::support::{load, root};

#[test]
fn listener_answers_real_forms_as_s3() {
    let _shared = shared();
    let dir = root().join("tests/vectors/postpolicy");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("forms.json")).unwrap()).unwrap();
    let cases = m["cases"].as_array().unwrap();
    let xs = load(dir.join("forms.pcapng"));
    assert_eq!(xs.len(), cases.len());
    let creds = dir.join("credentials");
    let l = Listener::start(&["--credentials", creds.to_str().unwrap()]);
    for (x, c) in xs.iter().zip(cases) {
        let name = c["case"].as_str().unwrap();
        let (status, _, body) = raw_http(l.addr, &x.request.to_wire());
        assert_eq!(
            status as u64,
            c["expect_status"].as_u64().unwrap(),
            "{name}"
        );
        let body = String::from_utf8_lossy(&body);
        match c["expect_code"].as_str() {
            Some(code) => assert!(
                body.contains(&format!("<Code>{code}</Code>")),
                "{name}: {body}"
            ),
            None => assert!(!body.contains("<Error>"), "{name}: {body}"),
        }
    }
    // A form whose file part was cut off by the client: S3's MalformedPOSTRequest.
    let mut cut = xs[0].request.clone();
    let n = cut.body.len() - 40;
    cut.body.truncate(n);
    cut.headers
        .retain(|h| !h.name.eq_ignore_ascii_case(b"content-length"));
    cut.headers
        .push(sigscope::http::Header::new("Content-Length", n.to_string()));
    let (status, _, body) = raw_http(l.addr, &cut.to_wire());
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>MalformedPOSTRequest</Code>"), "{body}");
    l.stop();
}

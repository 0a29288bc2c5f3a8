//! `sigscope listen` against real botocore 1.43.11 clients (tests/live/botocore_client.py):
//! the endpoint answers 200 to correctly signed S3 SigV4, S3 SigV2 and Query (STS form POST)
//! requests and 403 to the same signed with a wrong secret, and the 403 body's StringToSign
//! and CanonicalRequest — read back through sigscope's own server-error parser — equal what
//! botocore logged while signing. The proxy in front of an S3-like upstream that verifies with
//! botocore's signer records both verdicts. Saved sessions replay to the same verdicts.

use crate::harness::*;
use sigscope::http::{Header, Response};

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn creds() -> std::path::PathBuf {
    root().join("tests/captures/credentials")
}

/// What the server says it computed, parsed from the body our endpoint sent.
fn server_strings(status: u16, body: &str) -> sigscope::engine::server_error::ServerExpected {
    let r = Response {
        status,
        headers: vec![Header::new("Content-Type", "application/xml")],
        body: body.as_bytes().to_vec(),
        ..Default::default()
    };
    sigscope::engine::server_error::parse(&r).unwrap_or_else(|| panic!("unparsable: {body}"))
}

#[test]
fn botocore_against_the_endpoint_and_replay() {
    let _shared = shared();
    let Some(py) = python() else { return };
    let dir = tempdir("live-endpoint");
    let saved = dir.join("session.pcapng");
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    let cases = [
        "s3v4-put",
        "s3v4-get",
        "s3v2-put",
        "s3v2-get",
        "query-post",
        "s3v4-put-large",
    ];
    let good = botocore(&py, &l.url(), AK, SK, &cases);
    let bad = botocore(
        &py,
        &l.url(),
        AK,
        "not/the/right/secret/at/all/000000000000",
        &cases,
    );

    for c in &good {
        assert_eq!(c["status"], 200, "valid request refused: {c}");
        assert!(c["error_code"].is_null(), "{c}");
    }
    for c in &bad {
        let case = c["case"].as_str().unwrap();
        assert_eq!(c["status"], 403, "{c}");
        if case.ends_with("-get") {
            // HEAD: no body, botocore sees the bare status.
            continue;
        }
        assert_eq!(c["error_code"], "SignatureDoesNotMatch", "{c}");
        let se = server_strings(403, c["body"].as_str().unwrap());
        assert_eq!(se.code, "SignatureDoesNotMatch");
        assert_eq!(
            se.string_to_sign.as_deref(),
            c["string_to_sign"].as_str(),
            "{case}: our StringToSign differs from botocore's"
        );
        if case.starts_with("s3v2") {
            assert!(c["canonical_request"].is_null());
            assert!(se.canonical_request.is_none());
        } else {
            assert_eq!(
                se.canonical_request.as_deref(),
                c["canonical_request"].as_str(),
                "{case}: our CanonicalRequest differs from botocore's"
            );
        }
        if case.starts_with("s3") {
            assert_eq!(se.access_key.as_deref(), Some(AK));
            // StringToSignBytes decodes to the same string.
            let body = c["body"].as_str().unwrap();
            assert!(body.contains("<StringToSignBytes>"), "{body}");
            assert!(body.contains("<SignatureProvided>"), "{body}");
        }
    }
    let (live, stderr) = l.stop();
    assert_eq!(live.len(), 2 * cases.len(), "{stderr:?}");
    let verdicts: Vec<_> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == "valid").count(),
        cases.len(),
        "{verdicts:?}"
    );
    assert_eq!(
        verdicts.iter().filter(|v| **v == "invalid").count(),
        cases.len(),
        "{verdicts:?}"
    );
    for (i, x) in live.iter().enumerate() {
        assert_eq!(x["index"], i);
        assert!(x["source"]
            .as_str()
            .unwrap()
            .starts_with("listen:127.0.0.1:"));
        assert!(x["time"].is_string());
        assert!(x["client"].as_str().unwrap().starts_with("127.0.0.1:"));
        // Header case as botocore sent it.
        let names: Vec<&str> = x["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[0].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Authorization") || names.contains(&"authorization"));
        assert!(
            names.contains(&"Authorization"),
            "header case lost: {names:?}"
        );
    }
    let large = live
        .iter()
        .find(|x| {
            x["request"]["target"]
                .as_str()
                .unwrap()
                .ends_with("large.bin")
        })
        .unwrap();
    assert_eq!(large["request"]["body_len"], 256 * 1024);
    let expect = large["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("expect") && h[1] == "100-continue");
    assert!(
        expect,
        "botocore sent no Expect: 100-continue: {}",
        large["request"]["headers"]
    );

    // The saved session replays to the same exchanges and verdicts.
    let (replayed, rstderr) = report(&saved, Some(&creds()));
    assert!(!rstderr.contains("skipped"), "{rstderr}");
    let mut a: Vec<_> = live.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    for (x, y) in live.iter().zip(&replayed) {
        assert_eq!(x["request"]["body_sha256"], y["request"]["body_sha256"]);
        assert_eq!(x["request"]["headers"], y["request"]["headers"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The S3-like upstream from tests/diagnosis/gen (botocore's own signer verifying, S3's error
/// XML), on a free port.
struct Upstream(std::process::Child, u16);

impl Upstream {
    fn start(py: &std::path::Path) -> Upstream {
        let port = free_port();
        let mut child = std::process::Command::new(py)
            .arg(root().join("tests/diagnosis/gen/s3_server.py"))
            .args(["--port", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let t0 = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(child.try_wait().unwrap().is_none(), "s3_server.py exited");
            assert!(t0.elapsed().as_secs() < 20, "s3_server.py not listening");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Upstream(child, port)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn codes(x: &serde_json::Value) -> Vec<String> {
    x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn proxy_in_front_of_a_botocore_verifying_upstream() {
    let _shared = shared();
    let Some(py) = python() else { return };
    let up = Upstream::start(&py);
    let upstream = format!("http://127.0.0.1:{}", up.1);
    let dir = tempdir("live-proxy");
    let saved = dir.join("proxy.pcapng");

    // Host preserved: the upstream sees what the client signed.
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--upstream",
        &upstream,
        "--preserve-host",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let good = botocore(&py, &l.url(), AK, SK, &["s3v4-put", "s3v4-get", "s3v2-put"]);
    let bad = botocore(
        &py,
        &l.url(),
        AK,
        "wrong/secret/wrong/secret/wrong/secret00",
        &["s3v4-put"],
    );
    for c in &good {
        assert_eq!(c["status"], 200, "{c}");
    }
    assert_eq!(bad[0]["status"], 403);
    // The upstream's own 403 body reaches the client unchanged, with botocore's strings.
    let se = server_strings(403, bad[0]["body"].as_str().unwrap());
    assert_eq!(
        se.string_to_sign.as_deref(),
        bad[0]["string_to_sign"].as_str()
    );
    let (live, stderr) = l.stop();
    assert_eq!(live.len(), 4, "{stderr:?}");
    for x in &live[..3] {
        assert_eq!(x["verdict"], "valid", "{x}");
        assert_eq!(x["response"]["status"], 200);
        assert!(!codes(x).contains(&"upstream-disagrees".to_string()), "{x}");
    }
    // Both sides reject the wrong secret, and the upstream's strings agree with ours.
    assert_eq!(live[3]["verdict"], "invalid");
    assert_eq!(live[3]["response"]["status"], 403);
    assert_eq!(live[3]["server_expected"]["code"], "SignatureDoesNotMatch");
    assert!(
        codes(&live[3]).contains(&"strings-agree-key-differs".to_string()),
        "{}",
        live[3]
    );
    let (replayed, _) = report(&saved, Some(&creds()));
    let mut a: Vec<_> = live.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // Host rewritten to the upstream's: SigV4 signs Host, so the upstream refuses a request
    // that is valid as the client sent it — the disagreement is flagged; SigV2 does not sign
    // Host, and both accept.
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--upstream",
        &upstream,
    ]);
    let r = botocore(&py, &l.url(), AK, SK, &["s3v4-put", "s3v2-put"]);
    assert_eq!(r[0]["status"], 403, "{}", r[0]);
    assert_eq!(r[1]["status"], 200, "{}", r[1]);
    let (live, _) = l.stop();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0]["verdict"], "valid");
    assert_eq!(live[0]["response"]["status"], 403);
    let c = codes(&live[0]);
    assert!(c.contains(&"upstream-disagrees".to_string()), "{c:?}");
    assert!(
        c.contains(&"server-likely-dialect".to_string())
            || c.contains(&"server-strings-differ".to_string()),
        "{c:?}"
    );
    // The upstream's StringToSign names a different host than the client signed.
    let theirs = live[0]["server_expected"]["canonical_request"]
        .as_str()
        .unwrap();
    assert!(
        theirs.contains(&format!("host:127.0.0.1:{}", up.1)),
        "{theirs}"
    );
    assert_eq!(live[1]["verdict"], "valid");
    assert_eq!(live[1]["response"]["status"], 200);
    assert!(!codes(&live[1]).contains(&"upstream-disagrees".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn botocore_follows_the_region_in_our_authorization_header_malformed() {
    let _shared = shared();
    let Some(py) = python() else { return };
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--region",
        "us-east-1",
    ]);
    let r = botocore(&py, &l.url(), AK, SK, &["s3v4-put-eu"]);
    // botocore's S3 region redirector read <Region> from our 400 and retried, signed anew.
    assert_eq!(r[0]["status"], 200, "{}", r[0]);
    assert!(r[0]["string_to_sign"]
        .as_str()
        .unwrap()
        .contains("/us-east-1/s3/aws4_request"));
    let (live, _) = l.stop();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0]["auth"]["region"], "eu-west-1");
    assert_eq!(live[0]["response"]["status"], 400);
    assert_eq!(
        live[0]["server_expected"]["code"],
        "AuthorizationHeaderMalformed"
    );
    assert_eq!(live[0]["server_expected"]["region"], "us-east-1");
    assert!(codes(&live[0]).contains(&"region-mismatch".to_string()));
    assert_eq!(live[1]["auth"]["region"], "us-east-1");
    assert_eq!(
        (
            live[1]["verdict"].as_str(),
            live[1]["response"]["status"].as_u64()
        ),
        (Some("valid"), Some(200))
    );
}

#[test]
fn botocore_s3_express_sessions_against_the_endpoint() {
    // botocore's own CreateSession (signed with the IAM key pair) is answered by the endpoint
    // with a session of its own; the PutObject and GetObject botocore then signs with that
    // session verify, and a GetObject signed with the IAM key pair and the session's token is
    // refused as S3 Express refuses it.
    let _shared = shared();
    let Some(py) = python() else { return };
    let l = Listener::start(&["--credentials", creds().to_str().unwrap()]);
    let got = botocore(
        &py,
        &l.url(),
        AK,
        SK,
        &["s3express-put", "s3express-get", "s3express-iam"],
    );
    assert_eq!(got[0]["status"], 200, "{}", got[0]);
    assert_eq!(got[1]["status"], 200, "{}", got[1]);
    assert_eq!(got[2]["status"], 403, "{}", got[2]);
    let se = server_strings(403, got[2]["body"].as_str().unwrap());
    assert_eq!(se.code, "AccessDenied");
    assert!(se.message.unwrap().contains("x-amz-s3session-token"));
    let (lines, _) = l.stop();
    let modes: Vec<&str> = lines
        .iter()
        .map(|x| x["auth"]["mode"].as_str().unwrap())
        .collect();
    // CreateSession, PutObject, CreateSession, GetObject, CreateSession, the IAM-signed GET.
    assert!(modes.contains(&"s3express"), "{modes:?}");
    for x in &lines {
        let c = codes(x);
        match x["auth"]["mode"].as_str().unwrap() {
            "s3express" if x["response"]["status"] == 200 => {
                assert_eq!(x["verdict"], "valid", "{x}");
                assert!(c.iter().any(|c| c == "s3express-session-learned"), "{c:?}");
            }
            "s3express" => assert!(c.iter().any(|c| c == "s3express-iam-credentials"), "{c:?}"),
            _ => {}
        }
    }
    // The session secret the endpoint handed botocore never reaches the printed lines.
    let secret = got[2]["session_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 40);
    for x in &lines {
        assert!(!x.to_string().contains(secret));
    }
}

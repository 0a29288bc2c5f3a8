//! Against a real S3-compatible server (issue 17): Ceph RGW 16.2 from ../shared/servers
//! (`install-ceph-rgw.sh`, `start-ceph-rgw.sh`; `.ci/run`'s `start_rgw`). A botocore PutObject
//! signed with a wrong secret is captured through `sigscope listen --upstream RGW --save`;
//! replayed as captured RGW refuses it again, re-signed with the right secret it stores it,
//! and `--ab` names the dialects RGW accepts.
//!
//! Runs when `SIGSCOPE_RGW_ENDPOINT` (`http://127.0.0.1:7480`) names a reachable RGW with the
//! shared key pair (`S3_ACCESS_KEY`/`S3_SECRET_KEY` override it); skipped with a message
//! otherwise, unless `SIGSCOPE_REQUIRE_RGW=1`, which makes that a failure.

use std::path::Path;
use std::process::Command;

use crate::loopback::{listen, python, replay_to, scratch, status};
use crate::support::root;

/// RGW's endpoint when it answers, else `None` (skipped loudly, or a failure when required).
fn rgw() -> Option<String> {
    let required = std::env::var_os("SIGSCOPE_REQUIRE_RGW").is_some_and(|v| v == "1");
    let endpoint = std::env::var("SIGSCOPE_RGW_ENDPOINT").ok();
    let reachable = endpoint.as_deref().is_some_and(|e| {
        let hostport = e.trim_start_matches("http://").trim_end_matches('/');
        std::net::TcpStream::connect(hostport).is_ok()
    });
    if reachable {
        return endpoint;
    }
    let msg = match &endpoint {
        None => "SIGSCOPE_RGW_ENDPOINT is not set (../shared/servers/start-ceph-rgw.sh starts one)"
            .to_string(),
        Some(e) => format!("RGW does not answer at {e}"),
    };
    assert!(!required, "SIGSCOPE_REQUIRE_RGW=1: {msg}");
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    None
}

/// Runs tests/live/botocore_client.py against `endpoint`: one JSON line per case.
fn botocore(
    py: &Path,
    endpoint: &str,
    ak: &str,
    sk: &str,
    cases: &[&str],
) -> Vec<serde_json::Value> {
    let o = Command::new(py)
        .arg(root().join("tests/live/botocore_client.py"))
        .args([endpoint, ak, sk])
        .args(cases)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rgw_refuses_the_wrong_secret_again_and_accepts_it_re_signed() {
    let Some(endpoint) = rgw() else { return };
    let Some(py) = python() else { return };
    let ak = std::env::var("S3_ACCESS_KEY").unwrap_or_else(|_| "AKIDEXAMPLE".into());
    let sk = std::env::var("S3_SECRET_KEY")
        .unwrap_or_else(|_| "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into());
    let dir = scratch("rgw");
    // The bucket (RGW starts empty; a second run finds it there, which RGW allows).
    let made = botocore(&py, &endpoint, &ak, &sk, &["s3v4-create"]);
    assert_eq!(made[0]["status"], 200, "{}", made[0]);

    // Captured: botocore's PutObject signed with a wrong secret, through the listener.
    let saved = dir.join("rgw.pcapng");
    let l = listen(&[
        "--upstream",
        &endpoint,
        "--preserve-host",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let wrong = "wrong/secret/wrong/secret/wrong/secret00";
    let url = format!("http://127.0.0.1:{}", l.port);
    let put = botocore(&py, &url, &ak, wrong, &["s3v4-put"]);
    assert_eq!(put[0]["status"], 403, "{}", put[0]);
    assert_eq!(put[0]["error_code"], "SignatureDoesNotMatch", "{}", put[0]);
    l.terminate();

    let creds = dir.join("rgw.credentials");
    std::fs::write(
        &creds,
        format!("[default]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\n"),
    )
    .unwrap();
    let (input, creds) = (saved.to_str().unwrap(), creds.to_str().unwrap());
    // As captured: RGW's 403 again.
    let out = replay_to(input, &endpoint, creds, &[]);
    assert_eq!(status(&out, "captured"), "403", "{out}");
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert!(out.contains("SignatureDoesNotMatch"), "{out}");
    // Re-signed with the right secret, as RGW's own dialect: stored.
    let out = replay_to(input, &endpoint, creds, &["--resign", "ceph-rgw"]);
    assert_eq!(status(&out, "re-signed as ceph-rgw"), "200", "{out}");
    // Every dialect in turn: RGW accepts its own rules (and those that agree with them on
    // this request), and the table says so.
    let out = replay_to(input, &endpoint, creds, &["--ab"]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as ceph-rgw"), "200", "{out}");
    let accepted = out
        .lines()
        .find_map(|l| l.strip_prefix("The server accepted: "))
        .unwrap_or_else(|| panic!("no dialect accepted:\n{out}"));
    assert!(accepted.contains("re-signed as ceph-rgw"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `--ab` names RGW 16.2's dialect by a rule only it has: the conformance corpus's botocore
/// request with a repeated query name (tests/conformance/rgw-16.2.15, case
/// query-repeated-unsorted, issue 20), which RGW 16.2 refuses as captured because it signs
/// only the last value of a name. Re-signed under each dialect in turn, RGW accepts exactly
/// the dialects that keep only the last value: `ceph-rgw-16.2` among them, `aws` and
/// `botocore` not.
#[test]
fn ab_names_rgw_16_by_its_repeated_query_rule() {
    let Some(endpoint) = rgw() else { return };
    let corpus = root().join("tests/conformance/rgw-16.2.15");
    let input = corpus.join("requests.pcap");
    let creds = corpus.join("credentials");
    let (input, creds) = (input.to_str().unwrap(), creds.to_str().unwrap());
    // Exchange 0 is the corpus's CreateBucket of `conformance`: re-signed, it makes the bucket
    // here (RGW answers 200 again when it already exists and is ours).
    let out = replay_to(input, &endpoint, creds, &["--resign", "aws"]);
    assert_eq!(status(&out, "re-signed as aws"), "200", "{out}");
    let answers = std::fs::read_to_string(corpus.join("answers.tsv")).unwrap();
    let n = answers
        .lines()
        .find(|l| l.split('\t').nth(1) == Some("query-repeated-unsorted"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_string();
    let out = crate::loopback::replay(&[
        input,
        "--exchange",
        &n,
        "--to",
        &endpoint,
        "--credentials",
        creds,
        "--ab",
    ]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as ceph-rgw-16.2"), "200", "{out}");
    assert_eq!(status(&out, "re-signed as aws"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as botocore"), "403", "{out}");
    // The rules read from newer RGW source keep every value: refused by 16.2.
    assert_eq!(status(&out, "re-signed as ceph-rgw"), "403", "{out}");
    let accepted = out
        .lines()
        .find_map(|l| l.strip_prefix("The server accepted: "))
        .unwrap_or_else(|| panic!("no dialect accepted:\n{out}"));
    assert!(accepted.contains("ceph-rgw-16.2"), "{out}");
    assert!(!accepted.contains("as aws"), "{out}");
}

//! Re-signed requests against the client libraries behind the dialects, for the same
//! request, time and secret: boto 2.49's Query v1/v2 signers (`boto2`) and botocore 1.43.11's
//! SigV4Auth (`botocore`), run by `gen/sign.py` in the venv (skipped without it unless
//! SIGSCOPE_REQUIRE_PYTHON is set). keystoneclient 0.9.0 (`keystone-legacy`) verifies
//! re-signed requests live in `loopback.rs`.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{json, Value};
use sigscope::engine::dialect::by_name;
use sigscope::engine::encode::decode_params;
use sigscope::engine::resign::{resign, Options};
use sigscope::http::{Headers, Request};
use time::OffsetDateTime;

use crate::aws_sigv4::{AK, RIGHT};
use crate::support::{request, root};

/// The venv's Python with boto 2 and botocore importable, or None (skipped loudly).
fn python() -> Option<std::path::PathBuf> {
    let venv =
        std::env::var("SIGSCOPE_VENV").unwrap_or_else(|_| "/tmp/sigscope-fixtures-venv".into());
    let py = std::path::Path::new(&venv).join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import boto.auth, botocore.auth"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = format!("boto 2.49 and botocore 1.43.11 not importable in {venv} (tests/live/requirements.txt; boto 2 needs Python 3.11 or older)");
        assert!(
            std::env::var_os("SIGSCOPE_REQUIRE_PYTHON").is_none(),
            "SIGSCOPE_REQUIRE_PYTHON is set: {msg}"
        );
        eprintln!("\n*** SKIPPED: {msg} ***\n");
        return None;
    }
    Some(py)
}

/// Each case's signature as the library computes it.
fn library_signatures(py: &std::path::Path, cases: &[Value]) -> Vec<String> {
    let mut child = Command::new(py)
        .arg(root().join("tests/replay/gen/sign.py"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for c in cases {
        writeln!(stdin, "{c}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["signature"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap()
}

fn resigned(r: &Request, dialect: &str) -> sigscope::engine::resign::Resigned {
    resign(r, &Options::new(by_name(dialect).unwrap(), RIGHT, at())).unwrap()
}

/// boto 2's input for a Query request: its decoded parameters but the signature.
fn boto2_case(r: &Request, version: u8) -> Value {
    let params: serde_json::Map<String, Value> = decode_params(r.query().unwrap())
        .into_iter()
        .filter(|(k, _)| k.as_slice() != b"Signature")
        .map(|(k, v)| {
            (
                String::from_utf8(k).unwrap(),
                Value::String(String::from_utf8(v).unwrap()),
            )
        })
        .collect();
    json!({
        "lib": "boto2-query", "version": version, "access": AK, "secret": RIGHT,
        "verb": r.method, "host": r.header("host").unwrap(),
        "path": String::from_utf8_lossy(r.path()), "params": params,
    })
}

#[test]
fn query_and_sigv4_re_signing_matches_boto2_and_botocore() {
    let Some(py) = python() else { return };
    let v2 = request("GET /?AWSAccessKeyId=AKIDEXAMPLE&Action=DescribeInstances&Filter.1.Name=tag%3AName&Filter.1.Value.1=a%20b~c%2Fd&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2011-10-03T15%3A19%3A30Z&Version=2014-06-15&Signature=bm90IGl0 HTTP/1.1\r\nHost: ec2.example.test:8773\r\n\r\n");
    let v1 = request("GET /?Action=DescribeImages&AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=1&Timestamp=2011-10-03T15%3A19%3A30Z&Version=2009-11-30&ImageId.1=ami-12345678&Signature=bm90IGl0 HTTP/1.1\r\nHost: ec2.example.test\r\n\r\n");
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let v4 = request(&format!("POST /a%20b/c HTTP/1.1\r\nHost: sts.example.test\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nX-Amz-Date: 20150830T123600Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-3/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00\r\nContent-Length: {}\r\n\r\n{body}", body.len()));

    let r_v2 = resigned(&v2, "boto2");
    let r_v1 = resigned(&v1, "boto2");
    let r_v4 = resigned(&v4, "botocore");
    let rq = &r_v4.request;
    let headers: Vec<Value> = rq
        .headers
        .iter()
        .filter(|h| !h.name.eq_ignore_ascii_case(b"authorization"))
        .map(|h| {
            json!([
                String::from_utf8_lossy(&h.name),
                String::from_utf8_lossy(&h.value)
            ])
        })
        .collect();
    let cases = vec![
        boto2_case(&r_v2.request, 2),
        boto2_case(&r_v1.request, 1),
        json!({
            "lib": "botocore-sigv4", "access": AK, "secret": RIGHT, "method": "POST",
            "url": format!("http://sts.example.test{}", rq.target_lossy()),
            "headers": headers,
            "body_b64": base64::engine::general_purpose::STANDARD.encode(&rq.body),
            "signed": ["content-type", "host", "x-amz-date"],
            "amz_date": rq.header("x-amz-date").unwrap(), "region": "eu-west-3", "service": "sts",
        }),
    ];
    let lib = library_signatures(&py, &cases);
    assert_eq!(lib.len(), 3);
    assert_eq!(r_v2.signature, lib[0], "Query v2 under boto2");
    assert_eq!(r_v1.signature, lib[1], "Query v1 under boto2");
    assert_eq!(r_v4.signature, lib[2], "SigV4 under botocore");
    // The re-signed requests carry the new date and the signature the library computes.
    assert!(r_v2
        .request
        .target_lossy()
        .contains("Timestamp=2026-11-30T00%3A53%3A20Z"));
    assert_eq!(rq.header("x-amz-date").unwrap(), "20261130T005320Z");
}

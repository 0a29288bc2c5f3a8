//! The `sigscope` binary as scripts and CI use it: `report` in its three formats, `--check`,
//! `--dialect`, credentials handling, bad input.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, root};

fn bin() -> Command {
    let mut c = Command::new(support::bin());
    // No user credentials leak into the tests.
    let empty = std::env::temp_dir().join("sigscope-test-home");
    let _ = fs::create_dir_all(&empty);
    c.env("HOME", &empty)
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).current_dir(root()).output().unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sigscope-cli-{}-{name}", std::process::id()));
    fs::create_dir_all(&d).unwrap();
    d
}

fn is_str_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

#[test]
fn demo_report_follows_the_json_contract() {
    let o = run(&["report", "samples/demo.http", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 6);
    let mut modes = Vec::new();
    for (i, x) in lines.iter().enumerate() {
        assert_eq!(x["index"], i);
        assert!(x["source"]
            .as_str()
            .unwrap()
            .starts_with("samples/demo.http:"));
        assert!(
            is_str_or_null(&x["time"])
                && is_str_or_null(&x["client"])
                && is_str_or_null(&x["server"])
        );
        let r = &x["request"];
        assert!(r["method"].is_string() && r["target"].is_string());
        assert!(r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h.as_array().unwrap().len() == 2));
        assert!(r["body_len"].is_u64());
        assert_eq!(r["body_sha256"].as_str().unwrap().len(), 64);
        assert!(x["response"].is_null() || x["response"]["status"].is_u64());
        let a = &x["auth"];
        for k in ["access_key", "signature", "date", "region", "service"] {
            assert!(is_str_or_null(&a[k]), "{k}");
        }
        assert!(a["signed_headers"].is_null() || a["signed_headers"].is_array());
        modes.push(a["mode"].as_str().unwrap().to_string());
        assert_eq!(x["verifier"], "aws");
        for d in x["dialects"].as_array().unwrap() {
            assert!(d["name"].is_string());
            assert!(is_str_or_null(&d["canonical_request"]) && d["string_to_sign"].is_string());
            assert!(is_str_or_null(&d["signature"]));
            assert!(d["matches"].is_boolean() || d["matches"].is_null());
        }
        assert!(x["client_dialects"].is_array());
        for f in x["findings"].as_array().unwrap() {
            assert!(f["code"].is_string() && f["message"].is_string());
        }
        let want = if a["mode"] == "anonymous" {
            "anonymous"
        } else {
            "valid"
        };
        assert_eq!(x["verdict"], want, "{i}: {}", x["findings"]);
    }
    for m in [
        "sigv4-header",
        "sigv2-header",
        "sigv4-query",
        "query-v2",
        "anonymous",
    ] {
        assert!(modes.iter().any(|x| x == m), "demo lacks {m}: {modes:?}");
    }
}

#[test]
fn seed_case_valid_for_aws_invalid_for_keystone_legacy() {
    let o = run(&[
        "report",
        "samples/seed-cfn-push-stats.http",
        "--format",
        "json",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let x = &json_lines(&o)[0];
    assert_eq!(x["verdict"], "valid");
    let client: Vec<&str> = x["client_dialects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for d in ["aws", "botocore", "boto2"] {
        assert!(client.contains(&d), "{client:?}");
    }
    assert!(!client.contains(&"keystone-legacy"));

    let o = run(&[
        "report",
        "samples/seed-cfn-push-stats.http",
        "--format",
        "json",
        "--check",
        "--dialect",
        "keystone-legacy",
    ]);
    assert_eq!(o.status.code(), Some(3), "--check exits 3 on invalid");
    let x = &json_lines(&o)[0];
    assert_eq!(x["verdict"], "invalid");
    assert_eq!(x["verifier"], "keystone-legacy");
    let kl = x["dialects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "keystone-legacy")
        .unwrap();
    // The legacy verifier's canonical query holds the form body parameters.
    assert!(kl["canonical_request"]
        .as_str()
        .unwrap()
        .contains("\nAction=PutMetricData&"));
}

#[test]
fn without_a_secret_everything_is_still_computed() {
    let d = tmp("nosecret");
    fs::copy(
        root().join("samples/seed-cfn-push-stats.http"),
        d.join("seed.http"),
    )
    .unwrap();
    let o = bin()
        .args(["report", "seed.http", "--format", "json", "--check"])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "unverified is not a failure");
    let x = &json_lines(&o)[0];
    assert_eq!(x["verdict"], "unverified");
    assert!(x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "no-secret"));
    let aws = &x["dialects"][0];
    assert!(aws["canonical_request"]
        .as_str()
        .unwrap()
        .starts_with("POST\n/v1/\n"));
    assert!(aws["signature"].is_null() && aws["matches"].is_null());
}

#[test]
fn secrets_never_appear_in_any_format() {
    let secrets = [
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "89cdf9e94e2643cab35b8b8ac5a51f83",
    ];
    for fmt in ["json", "text", "markdown"] {
        let o = run(&["report", "samples/demo.http", "--format", fmt]);
        assert!(o.status.success());
        let out =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        for s in secrets {
            assert!(!out.contains(s), "{fmt} output shows a secret");
        }
        assert!(
            out.contains("cfn-push-stats") || out.contains("/v1/"),
            "{fmt} output is empty"
        );
    }
    // Derived keys are masked unless asked for.
    let o = run(&["report", "samples/demo.http", "--format", "json"]);
    let x = &json_lines(&o)[0];
    assert!(x["signing_key"]["k_signing"]
        .as_str()
        .unwrap()
        .ends_with('…'));
    let o = run(&[
        "report",
        "samples/demo.http",
        "--format",
        "json",
        "--reveal-derived-keys",
    ]);
    let x = &json_lines(&o)[0];
    assert_eq!(x["signing_key"]["k_signing"].as_str().unwrap().len(), 64);
}

#[test]
fn text_and_markdown_carry_the_same_content() {
    let o = run(&[
        "report",
        "samples/seed-cfn-push-stats.http",
        "--format",
        "text",
        "--dialect",
        "keystone-legacy",
    ]);
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(
        t.contains("[INVALID]") && t.contains("client dialect(s): aws, botocore, boto2, keystone")
    );
    assert!(t.contains("Action=PutMetricData"));
    let o = run(&[
        "report",
        "samples/seed-cfn-push-stats.http",
        "--format",
        "markdown",
        "--dialect",
        "keystone-legacy",
    ]);
    let m = String::from_utf8(o.stdout).unwrap();
    assert!(
        m.starts_with("# sigscope: #0 `POST /v1/`, invalid under keystone-legacy\n"),
        "{m}"
    );
    assert!(m.contains("| keystone-legacy | no |") && m.contains("| aws | yes |"));
    // A bug report: sigscope's version, the request head with its User-Agent, and the
    // comparison the Diff tab shows, the canonical query string (line 3) marked.
    assert!(
        m.contains(&format!("| sigscope | {} |", env!("CARGO_PKG_VERSION"))),
        "{m}"
    );
    assert!(
        m.contains("\n```http\nPOST /v1/ HTTP/1.1\n") && m.contains("\nUser-Agent: Boto/2.49.0 "),
        "{m}"
    );
    assert!(
        m.contains(
            "| | line | client signed (as aws computes it) | line | keystone-legacy computes |"
        ),
        "{m}"
    );
    assert!(
        m.contains("| **→** | 3 | *(empty)* | 3 | `Action=PutMetricData&"),
        "{m}"
    );
}

/// The markdown bug report's request head: credentials masked as in every output, long
/// values cut in the middle (the end of a SigV4 Authorization, the signature, kept); the
/// diff of a refused request is against a dialect that would refuse it.
#[test]
fn the_markdown_request_head_masks_and_cuts() {
    let d = tmp("markdown-head");
    let f = d.join("head.http");
    let long = format!("start-{}-end", "x".repeat(400));
    fs::write(
        &f,
        format!(
            "GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpodW50ZXIy\r\nX-Amz-Security-Token: FQoGZXIvYXdzEXAMPLETOKENVALUE\r\nX-Long: {long}\r\nUser-Agent: curl/8.5.0\r\n\r\n"
        ),
    )
    .unwrap();
    let o = bin()
        .args(["report", f.to_str().unwrap(), "--format", "markdown"])
        .output()
        .unwrap();
    let m = String::from_utf8_lossy(&o.stdout);
    assert!(
        !m.contains("dXNlcjpodW50ZXIy") && !m.contains("EXAMPLETOKENVALUE"),
        "{m}"
    );
    assert!(
        m.contains("\nAuthorization: Basic dXNl•••• (16 chars)\n"),
        "{m}"
    );
    assert!(m.contains("\nUser-Agent: curl/8.5.0\n"), "{m}");
    let cut = m
        .lines()
        .find(|l| l.starts_with("X-Long: "))
        .unwrap_or_else(|| panic!("{m}"));
    assert!(
        cut.starts_with("X-Long: start-")
            && cut.ends_with("x-end")
            && cut.contains("…(130 characters cut)…"),
        "{cut}"
    );
    // The demo's seed case, valid under aws and refused: compared with keystone-legacy.
    let o = run(&[
        "report",
        "samples/demo.pcap",
        "--credentials",
        "samples/demo.credentials",
        "--format",
        "markdown",
    ]);
    let m = String::from_utf8_lossy(&o.stdout);
    let seed = m.split("\n# sigscope: #1 ").next().unwrap();
    assert!(seed.contains("\n### Against keystone-legacy\n"), "{seed}");
    assert!(
        seed.contains("The server refused a request that aws accepts; keystone-legacy is a dialect that would refuse it."),
        "{seed}"
    );
    assert!(
        seed.contains("| **→** | 3 | *(empty)* | 3 | `Action=PutMetricData&"),
        "{seed}"
    );
}

#[test]
fn hostile_bytes_are_escaped_and_garbage_is_reported() {
    let d = tmp("hostile");
    let f = d.join("evil.http");
    fs::write(
        &f,
        b"GET /\x1b[2J HTTP/1.1\r\nHost: h\x07\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\x1b]0;pwn\x07/x, Signature=\xff\r\n\r\n",
    )
    .unwrap();
    for fmt in ["text", "markdown", "json"] {
        let o = bin()
            .args(["report", f.to_str().unwrap(), "--format", fmt])
            .output()
            .unwrap();
        assert!(o.status.success(), "{fmt}");
        assert!(
            !o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07),
            "{fmt} wrote a raw control byte"
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("malformed"), "{fmt}: {out}");
    }
    // Not HTTP at all: a clear message, exit 2.
    let g = d.join("garbage.bin");
    fs::write(&g, [0u8, 159, 146, 150, 1, 2, 3]).unwrap();
    let o = bin()
        .args(["report", g.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a recognised input"));
    // Truncated: what came before the damage is reported, exit 0.
    let t = d.join("truncated.http");
    fs::write(&t, b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nshort").unwrap();
    let o = bin()
        .args(["report", t.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_lines(&o).len(), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("body truncated"));
}

#[test]
fn dialects_command_lists_every_dialect() {
    let o = run(&["dialects"]);
    let t = String::from_utf8(o.stdout).unwrap();
    for d in [
        "aws",
        "botocore",
        "boto2",
        "keystone-legacy",
        "keystone",
        "ceph-rgw",
        "ceph-rgw-16.2",
        "minio",
        "moto",
        "garage",
    ] {
        assert!(t.contains(&format!("{d} — ")), "{d}");
    }
    assert!(t.contains("form_post_query"));
    for json in [
        &["dialects", "--json"][..],
        &["dialects", "--format", "json"],
    ] {
        let o = run(json);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 11);
        assert_eq!(v[3]["sigv4"]["form_post_query"], "merge-form-body");
    }
    // One dialect: its rules and sources, as text or data.
    let o = run(&["dialects", "keystone-legacy"]);
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.starts_with("keystone-legacy — "), "{t}");
    assert!(!t.contains("\nbotocore — "));
    let o = run(&["dialects", "minio", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "minio");
}

/// `dialects` refuses what only report, listen and the UI read, rather than ignoring it; a
/// mistyped name gets a suggestion.
#[test]
fn dialects_refuses_report_options_and_unknown_names() {
    for args in [
        &["dialects", "--check"][..],
        &["dialects", "--body-cap", "1M"],
        &["dialects", "--credentials", "samples/demo.credentials"],
        &["dialects", "--format", "markdown"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("`dialects`"), "{args:?}: {err}");
    }
    let o = run(&["dialects", "keystne"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `keystone`?"));
}

#[test]
fn unknown_dialect_and_missing_file_are_clear_errors() {
    let o = run(&["report", "samples/demo.http", "--dialect", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("unknown dialect `nope`; known: aws, botocore")
    );
    let o = run(&["report", "does-not-exist.http"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does-not-exist.http"));
    let _ = Path::new("unused");
}

#[test]
fn explicit_credentials_file_and_environment() {
    let d = tmp("creds");
    fs::copy(
        root().join("samples/seed-cfn-push-stats.http"),
        d.join("seed.http"),
    )
    .unwrap();
    fs::write(d.join("c"), "[x]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n").unwrap();
    let o = bin()
        .args([
            "report",
            "seed.http",
            "--format",
            "json",
            "--credentials",
            "c",
        ])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(json_lines(&o)[0]["verdict"], "valid");
    let o = bin()
        .args(["report", "seed.http", "--format", "json"])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(json_lines(&o)[0]["verdict"], "invalid");
}

#[test]
fn demo_capture_names_the_seed_rule_by_default() {
    // The bundled capture: the seed case answered 403 by a real keystoneclient 0.9.0 verifier.
    let o = run(&["report", "samples/demo.pcap", "--format", "json"]);
    assert!(o.status.success());
    let x = &json_lines(&o)[0];
    assert_eq!(x["response"]["status"], 403);
    let f = x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "server-likely-dialect")
        .expect("server-likely-dialect");
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains("keystone-legacy (canonical query string of a form POST"),
        "{m}"
    );
    // And with the legacy verifier, the divergence is the canonical query line.
    let o = run(&[
        "report",
        "samples/demo.pcap",
        "--format",
        "json",
        "--dialect",
        "keystone-legacy",
    ]);
    let d = &json_lines(&o)[0]["divergence"];
    assert_eq!(
        (d["step"].as_str(), d["line"].as_u64(), d["ours"].as_str()),
        (Some("canonical_request"), Some(3), Some(""))
    );
    assert!(d["theirs"]
        .as_str()
        .unwrap()
        .starts_with("Action=PutMetricData&"));
    assert!(d["knob"]
        .as_str()
        .unwrap()
        .starts_with("canonical query string of a form POST"));
}

#[test]
fn tsv_lists_requests_without_verifying() {
    let o = run(&["report", "samples/demo.pcap", "--format", "tsv"]);
    assert!(o.status.success());
    let t = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        "index\tsource\ttime\tclient\tserver\tmethod\ttarget\thost\tauth\taccess_key\tstatus"
    );
    assert_eq!(lines.len(), 7);
    let first: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(first.len(), 11);
    assert_eq!(
        (first[1], first[5], first[6], first[8], first[10]),
        ("samples/demo.pcap:4", "POST", "/v1/", "sigv4-header", "403")
    );
    // A tab or newline from the capture cannot break the table.
    let d = tmp("tsv");
    fs::write(
        d.join("t.http"),
        b"GET /a\tb HTTP/1.1\r\nHost: h\x1b\r\n\r\n",
    )
    .unwrap();
    let o = bin()
        .args(["report", "t.http", "--format", "tsv"])
        .current_dir(&d)
        .output()
        .unwrap();
    let t = String::from_utf8(o.stdout).unwrap();
    assert_eq!(t.lines().count(), 2);
    assert!(t.contains("/a\\tb") && t.contains("h\\x1b"));
}

/// `report INPUT --format tsv` with the input given as `arg` and `stdin` fed to it.
fn tsv_of(arg: &str, stdin: Option<&str>) -> Output {
    let mut c = bin();
    c.args([
        "report",
        arg,
        "--format",
        "tsv",
        "--credentials",
        "/dev/null",
    ])
    .current_dir(root());
    c.stdin(match stdin {
        Some(f) => std::process::Stdio::from(fs::File::open(root().join(f)).unwrap()),
        None => std::process::Stdio::null(),
    });
    c.output().unwrap()
}

#[test]
fn a_pipe_or_a_fifo_reads_like_the_file() {
    // A HAR file, made here: none is committed.
    let dir = tmp("pipes");
    let har = dir.join("one.har");
    fs::write(
        &har,
        r#"{"log": {"version": "1.2", "entries": [{"startedDateTime": "2024-01-01T00:00:00Z",
        "request": {"method": "GET", "url": "http://h.example/a", "httpVersion": "HTTP/1.1",
        "headers": [{"name": "Host", "value": "h.example"}]}}]}}"#,
    )
    .unwrap();
    let har = har.to_str().unwrap().to_string();
    for f in [
        "samples/demo.pcap",
        "tests/captures/keepalive.pcap",
        "tests/captures/pcapng-ipv6.pcapng",
        "samples/demo.http",
        har.as_str(),
    ] {
        let file = tsv_of(f, None);
        assert!(file.status.success(), "{f}");
        let want = String::from_utf8(file.stdout).unwrap();
        assert!(want.lines().count() > 1, "{f}: {want}");
        // `-`: standard input, named `stdin` in the source column.
        let piped = tsv_of("-", Some(f));
        let err = String::from_utf8_lossy(&piped.stderr);
        assert!(piped.status.success(), "{f} through stdin: {err}");
        assert_eq!(
            String::from_utf8(piped.stdout).unwrap(),
            want.replace(&format!("\t{f}:"), "\tstdin:"),
            "{f} through stdin"
        );
        // A FIFO, written by another process while it is read.
        let fifo = dir.join("fifo");
        let _ = fs::remove_file(&fifo);
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let mut writer = Command::new("sh")
            .arg("-c")
            .arg(format!("cat '{}' > '{}'", f, fifo.display()))
            .current_dir(root())
            .spawn()
            .unwrap();
        let fifo_name = fifo.to_str().unwrap();
        let read = tsv_of(fifo_name, None);
        writer.wait().unwrap();
        let err = String::from_utf8_lossy(&read.stderr);
        assert!(read.status.success(), "{f} through a FIFO: {err}");
        assert_eq!(
            String::from_utf8(read.stdout).unwrap(),
            want.replace(&format!("\t{f}:"), &format!("\t{fifo_name}:")),
            "{f} through a FIFO"
        );
    }
}

/// The inputs no run can read: missing, a directory (the tests run as root, who can read a
/// chmod 000 file, so a directory and a dangling symlink stand for "unreadable"), random bytes.
fn unreadable_inputs(dir: &Path) -> Vec<String> {
    let random = dir.join("random.bin");
    let bytes: Vec<u8> = (0..512u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(&random, bytes).unwrap();
    let dangling = dir.join("dangling.pcap");
    let _ = fs::remove_file(&dangling);
    std::os::unix::fs::symlink(dir.join("gone"), &dangling).unwrap();
    [
        dir.join("missing.pcap"),
        dir.to_path_buf(),
        dangling,
        random,
    ]
    .iter()
    .map(|p| p.to_str().unwrap().to_string())
    .collect()
}

#[test]
fn an_unreadable_input_is_a_one_line_error_and_exit_2() {
    let dir = tmp("unreadable");
    for f in unreadable_inputs(&dir) {
        let o = run(&["report", &f, "--format", "json"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{f}: {err}");
        assert_eq!(err.lines().count(), 1, "{f}: {err}");
        assert!(err.starts_with(&format!("sigscope: {f}: ")), "{f}: {err}");
        // The UI entry says the same, before any UI opens (a terminal from `script`; the
        // timeout catches a UI left waiting for keys).
        let bin = support::bin();
        let o = Command::new("timeout")
            .args(["20", "script", "-qec", &format!("{bin} '{f}'"), "/dev/null"])
            .env("HOME", std::env::temp_dir().join("sigscope-test-home"))
            .env("TERM", "xterm")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(2), "UI on {f}: {out}");
        assert!(
            out.contains(&format!("sigscope: {f}: ")),
            "UI on {f}: {out}"
        );
    }
    // With a readable input beside them, the readable one is reported and the run succeeds.
    let mut args = vec!["report".to_string(), "samples/demo.http".into()];
    args.extend(unreadable_inputs(&dir));
    args.extend(["--format", "tsv", "--credentials", "/dev/null"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 7);
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 4);
}

#[test]
fn a_mistyped_subcommand_or_dialect_gets_a_suggestion() {
    let o = run(&["reprot", "samples/demo.http"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `report`?"), "{err}");
    let o = run(&["report", "samples/demo.http", "--dialect", "botocor"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `botocore`?"), "{err}");
    // Nothing near: no suggestion, the list only.
    let o = run(&["report", "samples/demo.http", "--dialect", "azure"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn an_io_error_is_said_once() {
    let o = run(&[
        "report",
        "samples/demo.http",
        "--credentials",
        "/nonexistent/creds",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn counts_agree_with_their_nouns() {
    let o = run(&[
        "report",
        "tests/captures/large-body.pcap",
        "--format",
        "tsv",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(", 1 TCP connection, 1 HTTP exchange"), "{err}");
}

#[test]
fn the_proxy_says_an_upstream_failure_with_one_prefix() {
    use std::io::{BufRead, BufReader, Read, Write};
    // Port 1 on loopback: nothing listens there, so every forward fails.
    let mut child = bin()
        .args(["listen", "--port", "0", "--format", "json"])
        .args([
            "--upstream",
            "http://127.0.0.1:1",
            "--credentials",
            "/dev/null",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let rest = l.split_once("listening on http://")?.1;
            rest.split_whitespace().next().map(str::to_string)
        })
        .expect("the listener says where it listens");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
    assert!(
        answer.contains("sigscope: upstream http://127.0.0.1:1"),
        "{answer}"
    );
    let notice = lines
        .map_while(Result::ok)
        .find(|l| l.contains("upstream http://127.0.0.1:1"))
        .expect("a notice for the failed forward");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(notice.starts_with("sigscope: upstream "), "{notice}");
}

/// `--check` says on stderr how many failed and which; TSV, which does not verify, refuses it;
/// a request valid under the verifier that the server refused says so in its heading.
#[test]
fn check_summarises_and_refusal_is_visible() {
    let o = run(&[
        "report",
        "samples/seed-cfn-push-stats.http",
        "--format",
        "json",
        "--check",
        "--dialect",
        "keystone-legacy",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .any(|l| l == "sigscope: check: 1 invalid, 0 unverified of 1: #0"),
        "{err}"
    );
    let o = run(&["report", "samples/demo.pcap", "--format", "tsv", "--check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--check needs a format that verifies"));
    // The demo's seed case: valid under aws, refused (403) by the keystoneclient 0.9.0 server.
    let o = run(&["report", "samples/demo.pcap", "--format", "text"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let first = out.lines().next().unwrap();
    assert_eq!(first, "#0 POST /v1/ → 403  [VALID · REFUSED BY THE SERVER]");
    let o = run(&["report", "samples/demo.pcap", "--format", "markdown"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(
            "# sigscope: #0 `POST /v1/` → 403, valid under aws, refused by the server\n"
        ),
        "{out}"
    );
    // An accepted valid request keeps its plain verdict.
    assert!(
        out.contains(
            "\n# sigscope: #1 `PUT /examplebucket/test%24file.text` → 200, valid under aws\n"
        ),
        "{out}"
    );
}

/// Scenario g of tests/diagnosis: a real botocore PUT whose body a hook changed after signing,
/// answered 400 XAmzContentSHA256Mismatch. The signature verifies (the verdict stays valid,
/// as the oracle tests want), yet it is a failed request: every report says so, `--check`
/// counts it and fails, and its server's line mentions it (issue 12 §3).
#[test]
fn a_body_that_does_not_match_is_a_failure_everywhere() {
    let scen = ["report", "tests/diagnosis/scenarios.pcap"];
    let creds = ["--credentials", "tests/diagnosis/credentials"];
    let with = |fmt: &str, more: &[&str]| {
        let mut args: Vec<&str> = scen.to_vec();
        args.extend(creds);
        args.extend(["--format", fmt]);
        args.extend(more);
        run(&args)
    };
    let o = with("text", &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l == "#12 PUT /diagbucket/g-payload.txt → 400  [VALID · BODY DOES NOT MATCH]"),
        "{out}"
    );
    // The control PUT (j) keeps its plain verdict.
    assert!(
        out.lines()
            .any(|l| l == "#15 PUT /diagbucket/j-control.txt → 200  [VALID]"),
        "{out}"
    );
    let o = with("markdown", &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("\n# sigscope: #12 `PUT /diagbucket/g-payload.txt` → 400, valid under aws, but the body does not match its signed payload hash and its x-amz-checksum\n"),
        "{out}"
    );
    let lines = json_lines(&with("json", &[]));
    assert_eq!(lines[12]["verdict"], "valid");
    assert_eq!(
        lines[12]["body_mismatch"],
        // botocore 1.43 also sent x-amz-checksum-crc32 of the body it signed (issue 14).
        serde_json::json!(["payload-hash", "checksum"])
    );
    for (i, l) in lines.iter().enumerate().filter(|(i, _)| *i != 12) {
        assert_eq!(l["body_mismatch"], serde_json::json!([]), "#{i}");
    }
    // Without the secret the mismatch is still a fact of the body, though nothing is valid.
    let o = run(&[
        scen[0],
        scen[1],
        "--credentials",
        "/dev/null",
        "--format",
        "json",
    ]);
    let lines = json_lines(&o);
    assert_eq!(lines[12]["verdict"], "unverified");
    assert_eq!(
        lines[12]["body_mismatch"],
        // botocore 1.43 also sent x-amz-checksum-crc32 of the body it signed (issue 14).
        serde_json::json!(["payload-hash", "checksum"])
    );
    let o = with("json", &["--check"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines().any(|l| l.starts_with("sigscope: check: ")
            && l.contains(" invalid, 1 valid with a body that does not match, ")
            && l.split(": ")
                .last()
                .is_some_and(|ids| ids.split(' ').any(|i| i == "#12"))),
        "{err}"
    );
    assert!(
        err.lines().any(
            |l| l.starts_with("sigscope: 127.0.0.1:9100 (SigV4 for s3): ")
                && l.ends_with("; 1 valid request with a body that does not match what was signed")
        ),
        "{err}"
    );
}

/// `--dialect auto` on the real-client diagnosis capture: every exchange is judged under the
/// dialect its server's answers point to, and where that dialect explains every answer of its
/// server, the verdict agrees with what the server answered: valid where it accepted,
/// invalid where it refused the signature (the real keystoneclient 0.9.0 refused the seed
/// request; botocore's own signer, with the server's secret, refused the wrong secret).
#[test]
fn auto_judges_each_server_by_its_answers() {
    let args = [
        "report",
        "tests/diagnosis/scenarios.pcap",
        "--credentials",
        "tests/diagnosis/credentials",
        "--format",
        "json",
        "--dialect",
        "auto",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines = json_lines(&o);
    let seed = &lines[0];
    assert_eq!(seed["server"], "127.0.0.1:8003");
    assert_eq!(
        (&seed["verifier"], &seed["verdict"]),
        (&"keystone-legacy".into(), &"invalid".into())
    );
    assert!(
        err.contains("127.0.0.1:8003 (SigV4 for 127): behaves like keystone-legacy")
            && err.contains("--dialect auto judges its requests as keystone-legacy"),
        "{err}"
    );
    // The servers (endpoint, Host, scheme) whose line says their dialect explains all of
    // their answers.
    let whole: Vec<&str> = err
        .lines()
        .filter(|l| {
            let n: Vec<&str> = l
                .split(" explains ")
                .nth(1)
                .unwrap_or("")
                .split(' ')
                .collect();
            n.len() > 2 && n[0] == n[2]
        })
        .filter_map(|l| l.strip_prefix("sigscope: ")?.split(": behaves like").next())
        .collect();
    // The same key for an exchange, as the report counts it.
    let key = |x: &Value| -> String {
        let server = x["server"].as_str().unwrap_or("");
        let mode = x["auth"]["mode"].as_str().unwrap_or("");
        let what = if mode.starts_with("sigv4") {
            format!("SigV4 for {}", x["auth"]["service"].as_str().unwrap_or("?"))
        } else if mode.starts_with("sigv2") {
            "S3 SigV2".into()
        } else {
            "EC2/Query".into()
        };
        let host = x["request"]["headers"]
            .as_array()
            .and_then(|h| {
                h.iter().find(|h| {
                    h[0].as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("host"))
                })
            })
            .and_then(|h| h[1].as_str())
            .unwrap_or(server);
        if host == server {
            format!("{server} ({what})")
        } else {
            format!("{server} (Host {host}, {what})")
        }
    };
    let mut judged = 0;
    for x in &lines {
        let status = x["response"]["status"].as_u64().unwrap_or(0);
        let code = x["server_expected"]["code"].as_str().unwrap_or("");
        // Requests through a proxy: the client leg's server is the proxy, whose refusal no
        // dialect explains (the proxy changed the request).
        if !whole.contains(&key(x).as_str()) || x["auth"]["mode"] == "anonymous" {
            continue;
        }
        match (status, code) {
            (200..=299, _) => assert_eq!(x["verdict"], "valid", "{x}"),
            // Not when the server read other bytes than the client signed (a proxy changed
            // them, or a `+` in a presigned Signature became a space): no rule explains that.
            (403, "SignatureDoesNotMatch")
                if !["request-altered", "signature-plus-unescaped"]
                    .contains(&x["findings"][0]["code"].as_str().unwrap_or("")) =>
            {
                assert_eq!(x["verdict"], "invalid", "{x}")
            }
            _ => continue,
        }
        judged += 1;
    }
    assert!(judged >= 8, "{judged} exchanges compared");
    // A pipe is read once: it is kept in a temporary file and read twice, under its name.
    let data = fs::read(root().join(args[1])).unwrap();
    let mut child = bin()
        .args(["report", "-"])
        .args(&args[2..])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &data).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stdout)
            .replace("\"stdin:", "\"tests/diagnosis/scenarios.pcap:"),
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&piped.stderr).contains("stdin"));
}

#[test]
fn auto_needs_a_server_that_answers() {
    let o = run(&[
        "listen",
        "--port",
        "0",
        "--dialect",
        "auto",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--upstream"));
    let o = run(&["report", "samples/demo.http", "--dialect", "aut"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `auto`?"));
}

/// A presigned request's session token is masked wherever the request is shown (JSON target,
/// the text and markdown heads), as the header's is, and the request still verifies; the
/// canonical request keeps it, exact, as it keeps a header token.
#[test]
fn a_presigned_session_token_is_masked_in_every_head() {
    let dir = "tests/vectors/aws-signing-test-suite/v4/get-vanilla-with-session-token";
    let tmp = tempfile::tempdir().unwrap();
    let http = tmp.path().join("presigned.http");
    let raw = fs::read(root().join(dir).join("query-signed-request.txt")).unwrap();
    fs::write(&http, &raw).unwrap();
    let creds = tmp.path().join("credentials");
    fs::write(
        &creds,
        "[default]\naws_access_key_id=AKIDEXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let args = |fmt: &'static str| {
        vec![
            "report".to_string(),
            http.to_string_lossy().into_owned(),
            "--credentials".into(),
            creds.to_string_lossy().into_owned(),
            "--dialect".into(),
            "aws".into(),
            "--format".into(),
            fmt.into(),
        ]
    };
    let out = |fmt| {
        let a = args(fmt);
        let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{fmt}");
        o
    };
    let j = &json_lines(&out("json"))[0];
    assert_eq!(j["verdict"], "valid", "{j}");
    let target = j["request"]["target"].as_str().unwrap();
    assert!(
        target.contains("X-Amz-Security-Token=6e86••••(64-chars)&"),
        "{target}"
    );
    assert!(j["dialects"][0]["canonical_request"]
        .as_str()
        .unwrap()
        .contains(token));
    for fmt in ["text", "markdown"] {
        let o = String::from_utf8(out(fmt).stdout).unwrap();
        let heads: Vec<&str> = o.lines().filter(|l| l.contains("GET /?")).collect();
        assert!(!heads.is_empty(), "{o}");
        assert!(heads.iter().all(|h| !h.contains(token)), "{fmt}: {heads:?}");
        assert!(
            heads.iter().any(|h| h.contains("6e86••••(64-chars)")),
            "{fmt}: {heads:?}"
        );
    }
}

//! `sigscope replay` without Python: what reaches a server (a loopback socket in this test
//! that records the bytes and answers), the audit line, and the refusals with their reasons.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{bin, root};

/// A server that takes one connection, reads one request (head, then Content-Length bytes),
/// sends `answer` and hands the bytes it read to the test.
fn one_shot(answer: &'static [u8]) -> (u16, mpsc::Receiver<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let got = crate::support::serve_once(l, answer, Duration::from_secs(20));
        let _ = tx.send(got);
    });
    (port, rx)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(bin())
        .arg("replay")
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

const S3_ERROR: &[u8] = b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: 104\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>x</Message></Error>";

#[test]
fn as_captured_sends_the_captured_request_and_logs_the_audit_line() {
    let demo = root().join("samples/demo.http");
    let x = crate::support::load(&demo).remove(1);
    let (port, got) = one_shot(S3_ERROR);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("replay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.log");
    let (code, out, err) = run(&[
        demo.to_str().unwrap(),
        "--exchange",
        "1",
        "--to",
        &format!("http://127.0.0.1:{port}"),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let got = got.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(got, x.request.to_wire(), "the request as captured");
    assert!(
        out.contains("as captured  403 Forbidden  SignatureDoesNotMatch"),
        "{out}"
    );
    let log = std::fs::read_to_string(&log).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("replay: sending"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains(&format!(
            "replay: sending PUT /examplebucket/test%24file.text ({} bytes, as captured) to http://127.0.0.1:{port} (Host 127.0.0.1:8003) at 20",
            got.len()
        )),
        "{line}"
    );
    assert!(
        log.contains(&format!("http://127.0.0.1:{port} answered 403")),
        "{log}"
    );
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    assert!(!log.contains(secret) && !out.contains(secret) && !err.contains(secret));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn keep_date_re_signs_with_the_captured_date() {
    let demo = root().join("samples/demo.http");
    let (port, got) = one_shot(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let (code, out, err) = run(&[
        demo.to_str().unwrap(),
        "--exchange",
        "0",
        "--to",
        &format!("http://127.0.0.1:{port}"),
        "--resign",
        "keystone-legacy",
        "--keep-date",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let got = String::from_utf8(got.recv_timeout(Duration::from_secs(20)).unwrap()).unwrap();
    assert!(
        got.contains("\r\nX-Amz-Date: 20150830T123600Z\r\n"),
        "{got}"
    );
    assert!(
        got.contains("Credential=AKIDEXAMPLE/20150830/0/127/aws4_request,"),
        "{got}"
    );
    // Re-signed: not the captured signature.
    assert!(
        !got.contains("ab2e6158b16919c7a93a8e3e11d3298d4c4d63b50750217a5554600a16f5e3c9"),
        "{got}"
    );
    assert!(
        out.contains("re-signed as keystone-legacy  200 OK"),
        "{out}"
    );
    assert!(
        out.contains("verdict on what was sent (aws): invalid"),
        "{out}"
    );
}

#[test]
fn refusals_say_why() {
    let demo = root().join("samples/demo.pcap");
    let demo = demo.to_str().unwrap();
    let (code, _, err) = run(&[demo, "--exchange", "99"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no exchange #99 (6 exchanges)"), "{err}");
    let (code, _, err) = run(&[
        demo,
        "--exchange",
        "1",
        "--body-cap",
        "4",
        "--to",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the body was captured only in part (4 of 21 bytes kept)"),
        "{err}"
    );
    let (code, _, err) = run(&[
        demo,
        "--exchange",
        "5",
        "--resign",
        "aws",
        "--to",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "cannot re-sign as aws: the request carries no signature to re-sign (anonymous)"
        ),
        "{err}"
    );
    // Nobody listens on the discard port: no answer, exit 1.
    let (code, out, _) = run(&[
        demo,
        "--exchange",
        "5",
        "--to",
        "http://127.0.0.1:9",
        "--timeout",
        "5",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("as captured  no answer"), "{out}");
    assert!(out.contains("cannot connect to 127.0.0.1:9"), "{out}");
}

/// HTTPS: `sigscope listen` with a self-signed certificate for `localhost`. Without trusting
/// it the replay gets no answer and says why; with `--cacert` or `--insecure` it is sent.
#[test]
fn https_with_cacert_or_insecure() {
    use crate::loopback::{listen, replay_to, scratch, status, wrong_secret_put};
    let dir = scratch("tls");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let (http, creds) = wrong_secret_put(&dir, 1);
    let s = listen(&[
        "--credentials",
        creds.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let to = format!("https://localhost:{}", s.port);
    let (http, creds, cert) = (
        http.to_str().unwrap(),
        creds.to_str().unwrap(),
        cert.to_str().unwrap(),
    );
    let (code, out, _) = run(&[http, "--exchange", "0", "--to", &to, "--credentials", creds]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("as captured  no answer"), "{out}");
    assert!(
        out.contains("TLS: invalid peer certificate: UnknownIssuer"),
        "{out}"
    );
    let out = replay_to(http, &to, creds, &["--cacert", cert]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    let out = replay_to(http, &to, creds, &["--insecure", "--resign", "aws"]);
    assert_eq!(status(&out, "re-signed as aws"), "200", "{out}");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// A CONNECT proxy for one connection: records the CONNECT line, answers 200, then relays
/// both ways.
fn connect_proxy() -> (u16, mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if c.read(&mut b).unwrap_or(0) == 0 {
                return;
            }
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let target = head.split(' ').nth(1).unwrap().to_string();
        let _ = tx.send(head.lines().next().unwrap().to_string());
        let mut up = std::net::TcpStream::connect(target).unwrap();
        c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let (mut c2, mut up2) = (c.try_clone().unwrap(), up.try_clone().unwrap());
        std::thread::spawn(move || std::io::copy(&mut c2, &mut up2));
        let _ = std::io::copy(&mut up, &mut c);
    });
    (port, rx)
}

#[test]
fn through_the_proxy_the_environment_names_unless_no_proxy_lists_the_host() {
    let demo = root().join("samples/demo.pcap");
    let demo = demo.to_str().unwrap();
    let (port, got) = one_shot(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let (pport, connect) = connect_proxy();
    let to = format!("http://127.0.0.1:{port}");
    let o = Command::new(bin())
        .args(["replay", demo, "--exchange", "5", "--to", &to])
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("http_proxy", format!("http://127.0.0.1:{pport}"))
        .env_remove("no_proxy")
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("as captured  200 OK"), "{out}");
    assert_eq!(
        connect.recv_timeout(Duration::from_secs(20)).unwrap(),
        format!("CONNECT 127.0.0.1:{port} HTTP/1.1")
    );
    let sent = String::from_utf8(got.recv_timeout(Duration::from_secs(20)).unwrap()).unwrap();
    assert!(
        sent.starts_with("GET /public-bucket/index.html HTTP/1.1\r\n"),
        "{sent}"
    );
    // NO_PROXY lists the host: straight there (the proxy, still waiting, would refuse).
    let (port, got) = one_shot(b"HTTP/1.1 204 No Content\r\n\r\n");
    let o = Command::new(bin())
        .args([
            "replay",
            demo,
            "--exchange",
            "5",
            "--to",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("NO_PROXY", "example.test,127.0.0.1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("as captured  204 No Content"), "{out}");
    assert!(got.recv_timeout(Duration::from_secs(20)).is_ok());
}

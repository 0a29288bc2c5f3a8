//! The TUI's exports checked against outside truth: the curl command is run by bash and curl
//! against a local listener and what arrives is verified by the engine; raw HTTP and HAR are
//! read back by sigscope's own readers and must give the same requests and verdicts.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sigscope::credentials::Credentials;
use sigscope::engine::{self, Analysis, KeyCache, Verdict};
use sigscope::exchange::Exchange;
use sigscope::http::{self, Header, Headers, Message, Request, Response};
use sigscope::tui::export;

use crate::support::{self, have_tool, root, verifier};

fn load(rel: &str) -> Vec<Exchange> {
    let v = support::load(root().join(rel));
    assert!(!v.is_empty(), "{rel}");
    v
}

fn creds() -> Credentials {
    Credentials::load_file(&root().join("samples/demo.credentials")).unwrap()
}

fn analyze(r: &Request) -> Analysis {
    let c = creds();
    let cache = KeyCache::default();
    let v = verifier(&c, "aws", &cache);
    engine::analyze(r, &v)
}

fn secret_of(ak: &str) -> String {
    use sigscope::engine::KeyStore;
    creds().secret(ak).unwrap().to_string()
}

// ---------------------------------------------------------------------------------------------
// curl, against a listener

fn have_curl() -> bool {
    have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL")
}

/// Reads one request off a connection the way a server frames it; answers 100 Continue when
/// asked and 200 at the end.
fn serve_one(l: TcpListener) -> Vec<u8> {
    let (mut c, _) = l.accept().unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let mut continued = false;
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let body_start = end + 4;
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            if head.contains("\r\nexpect: 100-continue") && !continued {
                c.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
                continued = true;
            }
            let done = if head.contains("\r\ntransfer-encoding: chunked") {
                http::decode_chunked(&data, body_start).is_ok()
            } else {
                let cl = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse::<usize>().unwrap())
                    .unwrap_or(0);
                data.len() >= body_start + cl
            };
            if done {
                break;
            }
        }
        let n = c.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    data
}

struct Sent {
    command: String,
    wire: Vec<u8>,
    request: Request,
    dir: PathBuf,
}

/// Exports `x` with the URL pointed at a listener, runs the command with bash in a fresh
/// directory (holding body.bin when the command wants it) and returns what arrived.
fn send(x: &Exchange, env: &[(&str, &str)]) -> Sent {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let server = std::thread::spawn(move || serve_one(l));
    let command = export::curl_to(x, None, Some(&base));
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sigscope-export-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(b) = export::body_file(x) {
        std::fs::write(dir.join(export::BODY_FILE), b).unwrap();
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&command)
        .current_dir(&dir)
        // No ~/.curlrc of the machine changes what curl sends.
        .env("HOME", &dir)
        .env("CURL_HOME", &dir)
        .env_remove("AWS_SESSION_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wire = server.join().unwrap();
    let p = http::parse_raw(&wire);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let Some(Message::Request(r, _)) = p.messages.into_iter().next() else {
        panic!("no request arrived")
    };
    Sent {
        command,
        wire,
        request: *r,
        dir,
    }
}

impl Drop for Sent {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn aws_env(ak: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ak.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret_of(ak)),
    ]
}

fn env_refs<'a>(e: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    e.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn sorted_params(q: Option<&[u8]>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v: Vec<(Vec<u8>, Vec<u8>)> = q
        .map(|q| {
            sigscope::engine::encode::split_pairs(q)
                .into_iter()
                .map(|(k, v)| {
                    (
                        sigscope::engine::encode::percent_decode(k, false),
                        sigscope::engine::encode::percent_decode(v.unwrap_or(b""), false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn without(hs: &[Header], names: &[&str]) -> Vec<(String, Vec<u8>)> {
    hs.iter()
        .filter(|h| {
            !names
                .iter()
                .any(|n| h.name.eq_ignore_ascii_case(n.as_bytes()))
        })
        .map(|h| {
            (
                String::from_utf8_lossy(&h.name).to_ascii_lowercase(),
                h.value.clone(),
            )
        })
        .collect()
}

/// A header-signed SigV4 request re-signed by curl: valid under `aws` for the key, same
/// method, path, query (as parameters) and body, every other captured header sent unchanged.
fn check_resigned(x: &Exchange) -> Sent {
    let orig = &x.request;
    let ak = analyze(orig).auth.access_key.clone().unwrap();
    let env = aws_env(&ak);
    let s = send(x, &env_refs(&env));
    let got = &s.request;
    assert!(s.command.contains("--aws-sigv4 'aws:amz:"), "{}", s.command);
    assert!(
        !s.command.contains(&secret_of(&ak)),
        "the secret is never in the command"
    );
    let a = analyze(got);
    assert_eq!(
        a.verdict,
        Verdict::Valid,
        "#{} {}\n{}\n{:?}",
        x.index,
        s.command,
        String::from_utf8_lossy(&s.wire),
        a.findings
    );
    assert_eq!(got.method, orig.method);
    assert_eq!(got.path(), orig.path());
    if s.command.contains("query rewritten") {
        assert_ne!(got.query(), orig.query());
        assert_eq!(sorted_params(got.query()), sorted_params(orig.query()));
    } else {
        assert_eq!(got.query(), orig.query());
    }
    assert_eq!(got.body, orig.body);
    // curl's signature, not the captured one.
    assert_ne!(got.header("authorization"), orig.header("authorization"));
    let dropped = ["authorization", "x-amz-date", "host", "content-length"];
    let sent = without(&got.headers, &dropped);
    let mut rest = sent.iter();
    for h in without(&orig.headers, &dropped) {
        assert!(
            rest.any(|g| *g == h),
            "#{}: {h:?} not sent in order\n{}",
            x.index,
            String::from_utf8_lossy(&s.wire)
        );
    }
    s
}

/// Re-sent as captured: the same request line, the same headers in the same order (Host and
/// Content-Length where curl puts them), the same body, and still the verdict it had.
fn check_as_captured(x: &Exchange, env: &[(&str, &str)]) -> Sent {
    let orig = &x.request;
    let s = send(x, env);
    let got = &s.request;
    assert!(!s.command.contains("--aws-sigv4"), "{}", s.command);
    assert_eq!(got.method, orig.method);
    assert_eq!(got.target, orig.target, "{}", s.command);
    assert_eq!(got.body, orig.body);
    let moved = ["host", "content-length"];
    assert_eq!(
        without(&got.headers, &moved),
        without(&orig.headers, &moved),
        "#{}\n{}\n{}",
        x.index,
        s.command,
        String::from_utf8_lossy(&s.wire)
    );
    assert_eq!(got.header("host"), orig.header("host"));
    if orig.has_header("content-length") {
        assert_eq!(got.header("content-length"), orig.header("content-length"));
    }
    assert_eq!(
        got.header_values("authorization"),
        orig.header_values("authorization")
    );
    assert_eq!(analyze(got).verdict, analyze(orig).verdict);
    s
}

#[test]
fn curl_resends_demo_capture() {
    if !have_curl() {
        return;
    }
    let xs = load("samples/demo.pcap");
    assert_eq!(xs.len(), 6);
    // #0 boto 2 form POST (SigV4), #1 botocore S3 PUT with a body (SigV4): re-signed.
    let s = check_resigned(&xs[0]);
    assert!(s.command.contains("'aws:amz:0:127'"), "{}", s.command);
    let s = check_resigned(&xs[1]);
    assert!(s.command.contains("'aws:amz:us-east-1:s3'"));
    assert!(s.command.contains("-X PUT"));
    // #2 SigV2, #3 presigned SigV4, #4 Query v2, #5 anonymous: byte for byte.
    for x in &xs[2..] {
        let s = check_as_captured(x, &[]);
        let v = analyze(&s.request).verdict;
        let want = if x.index == 5 {
            Verdict::Anonymous
        } else {
            Verdict::Valid
        };
        assert_eq!(v, want, "#{}", x.index);
    }
    assert_eq!(analyze(&xs[2].request).auth.mode, engine::Mode::Sigv2Header);
}

#[test]
fn curl_resends_sigv4_gets_with_queries_and_encoded_paths() {
    if !have_curl() {
        return;
    }
    let xs = load("tests/captures/keepalive.pcap");
    let mut resigned = 0;
    let mut rewritten = 0;
    for x in &xs {
        let mode = analyze(&x.request).auth.mode;
        if mode == engine::Mode::Sigv4Header {
            let s = check_resigned(x);
            resigned += 1;
            rewritten += usize::from(s.command.contains("query rewritten"));
            if x.request.method == "HEAD" {
                assert!(s.command.contains("--head"));
            }
        } else {
            check_as_captured(x, &[]);
        }
    }
    // GET /, the list-objects query, PUT, GETs, the encoded path, HEAD, DELETE.
    assert_eq!(resigned, 8);
    assert_eq!(
        rewritten, 1,
        "the list-objects query is not in canonical order"
    );
}

#[test]
fn curl_resends_chunked_uploads() {
    if !have_curl() {
        return;
    }
    let xs = load("tests/captures/chunked-upload.pcap");
    // #0 presigned PUT sent chunked, #1 aws-chunked with a trailer, signed STREAMING-UNSIGNED…
    let s = check_as_captured(&xs[0], &[]);
    assert_eq!(analyze(&s.request).verdict, Verdict::Valid);
    let s = check_resigned(&xs[1]);
    assert_eq!(
        s.request.header("transfer-encoding").as_deref(),
        Some("chunked")
    );
}

/// A capture built to break out of the quoting: nothing but curl runs, no local file is read,
/// the bytes arrive as captured, secrets come from the environment.
#[test]
fn hostile_capture_cannot_inject_shell() {
    if !have_curl() {
        return;
    }
    let evil_values: &[&[u8]] = &[
        b"'; touch PWNED1; echo '",
        b"$(touch PWNED2)",
        b"`touch PWNED3`",
        b"\"; touch PWNED4; \"",
        b"a\x1b]52;c;dG91Y2ggUFdORUQ=\x07b\x1b[2J",
        b"\\'\\\\ ${IFS} !! ~ * ?",
        "\u{202e}txt.exe \u{feff}é".as_bytes(),
    ];
    let bodies: &[&[u8]] = &[
        b"@/etc/passwd",
        b"@/etc/hostname\n'$(touch PWNED5)'\r\n",
        b"\x00\x01'$(touch PWNED6)'\\c\xff\xfe%s",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let mut headers = vec![
            Header::new("Host", "127.0.0.1:1'$(touch PWNED7)'"),
            Header::new("Authorization", "Basic dXNlcjpodW50ZXIy"),
            Header::new("X-Auth-Token", "tok'$(touch PWNED8)'"),
        ];
        for (j, v) in evil_values.iter().enumerate() {
            headers.push(Header::new(format!("X-Evil-{j}"), *v));
        }
        headers.push(Header::new("Content-Length", body.len().to_string()));
        let x = Exchange {
            index: 900 + i,
            request: Request {
                method: "PUT".into(),
                target: b"/x'$(touch${IFS}PWNED9)'/`id`?a=$(id)&b=;touch%20PWNED10;\"'[1]{2}"
                    .to_vec(),
                version: "HTTP/1.1".into(),
                headers,
                body: body.to_vec(),
                ..Default::default()
            },
            ..Default::default()
        };
        let cmd = export::curl(&x, None);
        assert!(
            cmd.bytes().all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
            "control or non-ASCII bytes in:\n{cmd}"
        );
        assert!(
            !cmd.contains("dXNlcjpodW50ZXIy") && !cmd.contains("tok'"),
            "{cmd}"
        );
        let env = [
            ("BASIC_CREDENTIALS", "ZnJvbTplbnY="),
            ("AUTH_TOKEN", "token-from-env"),
        ];
        let s = send(&x, &env);
        let got = &s.request;
        let leftovers: Vec<_> = std::fs::read_dir(&s.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            leftovers.is_empty(),
            "the command created {leftovers:?}:\n{}",
            s.command
        );
        assert_eq!(got.body, *body, "{}", s.command);
        assert_eq!(got.target, x.request.target);
        assert_eq!(
            got.header("authorization").as_deref(),
            Some("Basic ZnJvbTplbnY=")
        );
        assert_eq!(
            got.header("x-auth-token").as_deref(),
            Some("token-from-env")
        );
        assert_eq!(
            got.header_values("host"),
            vec![&b"127.0.0.1:1'$(touch PWNED7)'"[..]]
        );
        for (j, v) in evil_values.iter().enumerate() {
            assert_eq!(
                got.header_values(&format!("x-evil-{j}")),
                vec![*v],
                "{}",
                s.command
            );
        }
    }
}

#[test]
fn curl_reads_large_and_incomplete_bodies_from_a_file() {
    if !have_curl() {
        return;
    }
    let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let x = Exchange {
        index: 950,
        request: Request {
            method: "POST".into(),
            target: b"/upload".to_vec(),
            version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("Host", "example.com"),
                Header::new("Content-Type", "application/octet-stream"),
                Header::new("Content-Length", body.len().to_string()),
            ],
            body: body.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(export::body_file(&x).is_some());
    let s = check_as_captured(&x, &[]);
    assert!(s.command.contains("--data-binary @body.bin"));
    assert!(s.command.len() < 2_000, "the body is not inlined");
    assert_eq!(s.request.body, body);
    // A capped body says it is incomplete.
    let mut y = x.clone();
    y.request.body.truncate(10);
    y.request.body_digest = Some(http::BodyDigest {
        len: 200_000,
        sha256_hex: String::new(),
    });
    let c = export::curl(&y, None);
    assert!(c.contains("only the first 10 of 200000 body bytes"), "{c}");
    assert!(export::body_file(&y).is_some());
}

#[test]
fn curl_session_tokens_come_from_the_environment() {
    if !have_curl() {
        return;
    }
    // The demo PUT with a session token header: curl signs the token it is given.
    let mut x = load("samples/demo.pcap").swap_remove(1);
    x.request
        .headers
        .push(Header::new("X-Amz-Security-Token", "CAPTUREDTOKEN"));
    let mut env = aws_env("AKIDEXAMPLE");
    env.push(("AWS_SESSION_TOKEN", "token-from-env".into()));
    let c = export::curl(&x, None);
    assert!(!c.contains("CAPTUREDTOKEN"), "{c}");
    assert!(c.contains("\"$AWS_SESSION_TOKEN\""));
    let s = send(&x, &env_refs(&env));
    assert_eq!(
        s.request.header("x-amz-security-token").as_deref(),
        Some("token-from-env")
    );
}

// ---------------------------------------------------------------------------------------------
// raw HTTP and HAR, read back by sigscope

const FIXTURES: &[&str] = &[
    "samples/demo.pcap",
    "tests/captures/keepalive.pcap",
    "tests/captures/chunked-upload.pcap",
    "tests/captures/pcapng-ipv6.pcapng",
];

fn same_request(a: &Request, b: &Request, what: &str) {
    assert_eq!(a.method, b.method, "{what}");
    assert_eq!(a.target, b.target, "{what}");
    assert_eq!(a.version, b.version, "{what}");
    assert_eq!(a.headers, b.headers, "{what}");
    assert_eq!(a.body, b.body, "{what}");
}

fn same_response(a: &Option<Response>, b: &Option<Response>, what: &str) {
    let (Some(a), Some(b)) = (a, b) else {
        assert_eq!(a.is_some(), b.is_some(), "{what}");
        return;
    };
    assert_eq!(
        (a.status, &a.reason, &a.headers, &a.body),
        (b.status, &b.reason, &b.headers, &b.body),
        "{what}"
    );
}

#[test]
fn raw_http_reads_back_as_the_same_exchanges() {
    for f in FIXTURES {
        let xs = load(f);
        let mut all = Vec::new();
        let mut kept = Vec::new();
        for x in &xs {
            let raw = export::raw_http(x);
            let back = sigscope::ingest::from_raw(&raw, "x.http", 0);
            assert!(
                back.errors.is_empty(),
                "{f} #{}: {:?}",
                x.index,
                back.errors
            );
            assert_eq!(back.exchanges.len(), 1);
            let y = &back.exchanges[0];
            let what = format!("{f} #{}", x.index);
            same_request(&y.request, &x.request, &what);
            assert_eq!(
                y.request.raw_chunked_body, x.request.raw_chunked_body,
                "{what}"
            );
            same_response(&y.response, &x.response, &what);
            assert_eq!(analyze(&y.request).verdict, analyze(&x.request).verdict);
            all.extend_from_slice(&raw);
            kept.push(x);
        }
        // One file holding them all, as the save action writes a selection.
        let path = std::env::temp_dir().join(format!(
            "sigscope-raw-{}-{}.http",
            std::process::id(),
            Path::new(f).file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&path, &all).unwrap();
        let mut back = Vec::new();
        let s = sigscope::ingest::stream_path(
            &path,
            0,
            &sigscope::capture::Options::default(),
            &mut |x| back.push(x),
        );
        assert!(s.errors.is_empty(), "{f}: {:?}", s.errors);
        assert_eq!(back.len(), kept.len(), "{f}");
        for (y, x) in back.iter().zip(&kept) {
            same_request(&y.request, &x.request, f);
            same_response(&y.response, &x.response, f);
        }
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn raw_http_masks_secrets_and_keeps_framing() {
    let x = Exchange {
        request: Request {
            method: "POST".into(),
            target: b"/a\r\nX-Injected: 1".to_vec(),
            version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("Host", "h"),
                Header::new("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
                Header::new("X-Note", "one\r\nX-Forged: yes"),
            ],
            // No framing header: the body runs to the response, which must start a line.
            body: b"unframed body".to_vec(),
            ..Default::default()
        },
        response: Some(Response {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: vec![Header::new("Transfer-Encoding", "chunked")],
            body: b"de-chunked".to_vec(),
        }),
        ..Default::default()
    };
    let raw = export::raw_http(&x);
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("e30.c2ln"), "{text}");
    let back = sigscope::ingest::from_raw(&raw, "x", 0);
    assert!(back.errors.is_empty(), "{:?}", back.errors);
    let y = &back.exchanges[0];
    assert!(!y.request.has_header("x-forged") && !y.request.has_header("x-injected"));
    assert_eq!(
        y.request.header("x-note").as_deref(),
        Some("one  X-Forged: yes")
    );
    assert_eq!(y.request.body, b"unframed body");
    let r = y.response.as_ref().unwrap();
    assert_eq!(r.body, b"de-chunked");
    assert!(y
        .request
        .header("authorization")
        .unwrap()
        .starts_with("Bearer eyJh"));
}

#[test]
fn har_reads_back_and_reverifies() {
    for f in FIXTURES {
        let xs = load(f);
        let analyses: Vec<Analysis> = xs.iter().map(|x| analyze(&x.request)).collect();
        let items: Vec<(&Exchange, Option<&Analysis>)> = xs
            .iter()
            .zip(&analyses)
            .map(|(x, a)| (x, Some(a)))
            .collect();
        let har = export::har(&items);
        let v: serde_json::Value = serde_json::from_str(&har).unwrap();
        assert_eq!(v["log"]["version"], "1.2");
        assert_eq!(v["log"]["creator"]["name"], "sigscope");
        let entries = v["log"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), xs.len());
        for (e, (x, a)) in entries.iter().zip(xs.iter().zip(&analyses)) {
            for k in ["startedDateTime", "request", "response", "cache", "timings"] {
                assert!(!e[k].is_null(), "{f}: entry without {k}");
            }
            for k in [
                "method",
                "url",
                "httpVersion",
                "headers",
                "queryString",
                "headersSize",
                "bodySize",
                "cookies",
            ] {
                assert!(!e["request"][k].is_null(), "{f}: request without {k}");
            }
            assert_eq!(e["_sigscope"]["verdict"], a.verdict.as_str());
            assert_eq!(e["request"]["bodySize"], x.request.body_len());
            // The query string, decoded, as HAR viewers show it.
            let q: Vec<(String, String)> = e["request"]["queryString"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let want: Vec<(String, String)> = x
                .request
                .query()
                .map(sigscope::engine::encode::decode_params)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            assert_eq!(q, want);
        }
        let (back, errors) = sigscope::ingest::har::parse(har.as_bytes(), "x.har", 0);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back.len(), xs.len());
        for ((y, x), a) in back.iter().zip(&xs).zip(&analyses) {
            let what = format!("{f} #{}", x.index);
            same_request(&y.request, &x.request, &what);
            same_response(&y.response, &x.response, &what);
            assert_eq!(y.time, x.time, "{what}");
            let b = analyze(&y.request);
            assert_eq!(b.verdict, a.verdict, "{what}");
            assert_eq!(b.client_dialects, a.client_dialects, "{what}");
        }
    }
}

#[test]
fn har_masks_tokens_but_keeps_signatures() {
    let mut xs = load("samples/demo.pcap");
    let mut x = xs.swap_remove(5);
    x.request
        .headers
        .push(Header::new("Authorization", "Basic dXNlcjpodW50ZXIy"));
    x.request
        .headers
        .push(Header::new("X-Amz-Security-Token", "SESSIONTOKENVALUE"));
    x.request.body = b"\xff\x00binary".to_vec();
    x.response = None;
    let signed = load("samples/demo.pcap").swap_remove(2);
    let har = export::har(&[(&x, None), (&signed, None)]);
    assert!(!har.contains("dXNlcjpodW50ZXIy") && !har.contains("SESSIONTOKENVALUE"));
    assert!(har.contains(&signed.request.header("authorization").unwrap()));
    let (back, _) = sigscope::ingest::har::parse(har.as_bytes(), "x.har", 0);
    assert_eq!(back[0].request.body, b"\xff\x00binary");
    assert!(back[0].response.is_none());
    assert!(back[0]
        .request
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
}

#[test]
fn json_and_markdown_are_the_reports() {
    let xs = load("samples/demo.pcap");
    for x in &xs {
        let a = analyze(&x.request);
        let j = export::json(x, &a);
        assert!(!j.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["index"], x.index);
        assert_eq!(v["verdict"], a.verdict.as_str());
        assert_eq!(v["request"]["method"], x.request.method);
        // The analysis, when the TUI has it, changes nothing but saves detecting the mode again.
        assert_eq!(export::curl(x, Some(&a)), export::curl(x, None));
        let m = export::markdown(x, &a);
        assert!(
            m.starts_with(&format!("# sigscope: #{} `{}", x.index, x.request.method)),
            "{m}"
        );
    }
}

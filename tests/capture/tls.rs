//! HTTPS in captures (issue 13): the fixtures of tests/captures/tls (curl and openssl
//! s_client against a Python ssl server and `openssl s_server -www`, made by
//! tests/captures/tls/gen/make.sh), decrypted with the key log beside each (X.keys) or with
//! the secrets inside the pcapng, list the same requests at the same frames as tshark with
//! the same key log: the committed TSV, and tshark itself when installed. boto3.pcap (boto3
//! over HTTPS with SSLKEYLOGFILE through `sigscope listen` to moto, made by
//! tests/captures/tls/gen/make_boto3.sh) is one of them, and its requests all verify.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use sigscope::capture::tls::KeyLog;
use sigscope::capture::{Options, Stats};
use sigscope::http::Headers;
use sigscope::ingest::stream_path;

use crate::parity::{parse_tsv, Row};
use crate::support::root;

fn fixtures() -> Vec<PathBuf> {
    let dir = root().join("tests/captures/tls");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    v
}

/// The key log beside a capture (`FILE.keys`), when there is one.
pub(crate) fn keys_of(f: &Path) -> Option<PathBuf> {
    let k = PathBuf::from(format!("{}.keys", f.display()));
    k.exists().then_some(k)
}

/// Reading options for a capture: its key log when it has one.
pub(crate) fn options(f: &Path) -> Options {
    let mut k = KeyLog::default();
    if let Some(p) = keys_of(f) {
        k.add_file(&p).unwrap();
    }
    Options {
        keylog: Arc::new(k),
        ..Default::default()
    }
}

pub(crate) fn read(f: &Path, opts: &Options) -> (Vec<Row>, Stats) {
    let mut rows = Vec::new();
    let summary = stream_path(f, 0, opts, &mut |x| {
        let frame = x.source.rsplit(':').next().unwrap().parse().unwrap();
        let r = &x.request;
        rows.push((
            frame,
            r.method.clone(),
            String::from_utf8_lossy(&r.target).into_owned(),
            r.header("host").unwrap_or_default(),
            r.header("authorization").unwrap_or_default(),
        ));
    });
    assert!(
        summary.errors.is_empty(),
        "{}: {:?}",
        f.display(),
        summary.errors
    );
    (rows, summary.capture.unwrap())
}

fn tshark(f: &Path) -> Option<String> {
    let out = crate::parity::tshark_requests(f, keys_of(f).as_deref())?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn same_requests_as_tshark_with_the_key_log() {
    let fx = fixtures();
    assert!(fx.len() >= 10, "TLS capture fixtures missing");
    let require = std::env::var("SIGSCOPE_REQUIRE_TSHARK").is_ok();
    let mut failures = Vec::new();
    for f in &fx {
        let (got, stats) = read(f, &options(f));
        assert!(!got.is_empty(), "{}: no requests", f.display());
        // Signed in the Authorization header, or presigned (boto3.pcap's two presigned GETs:
        // query SigV2 and SigV4).
        assert!(
            got.iter().all(|r| r.4.starts_with("AWS4-HMAC-SHA256 ")
                || r.2.contains("X-Amz-Signature=")
                || r.2.contains("&Signature=")),
            "{}: every fixture request is signed: {got:?}",
            f.display()
        );
        assert!(stats.tls_connections >= 1, "{}", f.display());
        let tsv = fs::read_to_string(format!("{}.tshark.tsv", f.display())).unwrap();
        if got != parse_tsv(&tsv) {
            failures.push(format!(
                "{}: ours {got:#?}\ncommitted tshark {tsv}",
                f.display()
            ));
        }
        match tshark(f) {
            Some(live) if got != parse_tsv(&live) => failures.push(format!(
                "{}: ours {got:#?}\nlive tshark {live}",
                f.display()
            )),
            Some(_) => {}
            None => assert!(!require, "tshark is required but could not run"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn sigscope(args: &[&str], env: Option<(&str, &Path)>) -> (String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigscope"));
    c.current_dir(root().join("tests/captures"))
        .env_remove("SSLKEYLOGFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["report", "--credentials", "credentials", "--format", "json"])
        .args(args);
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every hex secret of a key log, both cases.
fn secrets(keys: &Path) -> Vec<String> {
    let text = fs::read_to_string(keys).unwrap();
    let mut v = Vec::new();
    for l in text.lines() {
        if let Some(s) = l.split_whitespace().nth(2) {
            v.push(s.to_lowercase());
            v.push(s.to_uppercase());
        }
    }
    assert!(!v.is_empty());
    v
}

#[test]
fn report_verifies_decrypted_requests_and_never_shows_a_secret() {
    let all = [
        "tls13-aes256gcm.pcap",
        "tls12-chacha20.pcap",
        "missing-key.pcap",
    ];
    let mut args = Vec::new();
    for f in all {
        args.extend(["--keylog".to_string(), format!("tls/{f}.keys")]);
    }
    args.extend(all.iter().map(|f| format!("tls/{f}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, err) = sigscope(&args, None);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{err}");
    for l in &lines {
        assert_eq!(l["verdict"], "valid", "{l}");
    }
    assert!(
        err.contains("tls/missing-key.pcap: TLS 127.0.0.1:")
            && err.contains("not decrypted: no key in the key log for its client random"),
        "{err}"
    );
    for f in all {
        for s in secrets(&root().join(format!("tests/captures/tls/{f}.keys"))) {
            assert!(
                !out.contains(&s) && !err.contains(&s),
                "a secret of {f} was shown"
            );
        }
    }
    // SSLKEYLOGFILE is the default key log.
    let keys = root().join("tests/captures/tls/tls13-chacha20.pcap.keys");
    let (out, _) = sigscope(&["tls/tls13-chacha20.pcap"], Some(("SSLKEYLOGFILE", &keys)));
    assert_eq!(out.lines().count(), 2);
    // An unreadable --keylog is an error that names it.
    let (out, err) = sigscope(
        &[
            "--keylog",
            "tls/nonexistent.keys",
            "tls/tls13-chacha20.pcap",
        ],
        None,
    );
    assert!(
        out.is_empty() && err.contains("tls/nonexistent.keys"),
        "{err}"
    );
}

#[test]
fn boto3_over_https_decrypts_and_verifies() {
    // boto3 1.44 with SSLKEYLOGFILE: S3 calls, aws-chunked uploads with the default CRC32
    // trailer (put_object and a multipart upload), presigned GETs fetched by requests.
    let (out, err) = sigscope(&["--keylog", "tls/boto3.pcap.keys", "tls/boto3.pcap"], None);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            let target = l["request"]["target"].as_str().unwrap();
            let path = target.split('?').next().unwrap().to_string();
            let mode = l["auth"]["mode"].as_str().unwrap_or("none").to_string();
            (
                l["request"]["method"].as_str().unwrap().to_string(),
                path,
                mode,
            )
        })
        .collect();
    let want = [
        ("PUT", "/boto3bucket", "sigv4-header"),
        ("PUT", "/boto3bucket/hello.txt", "sigv4-header"),
        ("HEAD", "/boto3bucket/hello.txt", "sigv4-header"),
        ("GET", "/boto3bucket/hello.txt", "sigv4-header"),
        ("GET", "/boto3bucket", "sigv4-header"),
        ("POST", "/boto3bucket/multi.bin", "sigv4-header"),
        ("PUT", "/boto3bucket/multi.bin", "sigv4-header"),
        ("PUT", "/boto3bucket/multi.bin", "sigv4-header"),
        ("POST", "/boto3bucket/multi.bin", "sigv4-header"),
        ("GET", "/boto3bucket/multi.bin", "sigv2-query"),
        ("GET", "/boto3bucket/multi.bin", "sigv4-query"),
        ("DELETE", "/boto3bucket/hello.txt", "sigv4-header"),
        ("DELETE", "/boto3bucket/multi.bin", "sigv4-header"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want, "{err}");
    assert!(err.contains("13 TLS connections (13 decrypted)"), "{err}");
    let mut trailers = 0;
    for l in &lines {
        assert_eq!(l["verdict"], "valid", "{l}");
        assert_eq!(l["response"]["status"].as_u64().unwrap() / 100, 2, "{l}");
        let headers = l["request"]["headers"].as_array().unwrap();
        let streaming = headers.iter().any(|h| {
            h[0].as_str()
                .unwrap()
                .eq_ignore_ascii_case("x-amz-content-sha256")
                && h[1] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        });
        if streaming {
            // The trailer checksum was recomputed over the decoded payload and agrees.
            trailers += 1;
            let codes: Vec<&str> = l["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect();
            assert!(!codes.contains(&"checksum-mismatch"), "{l}");
        }
    }
    assert_eq!(
        trailers, 3,
        "put_object and two parts stream with a trailer"
    );
    for s in secrets(&root().join("tests/captures/tls/boto3.pcap.keys")) {
        assert!(!out.contains(&s) && !err.contains(&s), "a secret was shown");
    }
}

#[test]
fn http2_over_tls_is_read_as_http2() {
    // curl --http2 against nghttpd (ALPN h2): the request tshark lists as HTTP/2 is read, with
    // `:authority` as its Host (tests/captures/h2 has more of these, tests/capture/h2.rs).
    let f = root().join("tests/captures/tls/h2/tls13-h2.pcap");
    let tsv = fs::read_to_string(format!("{}.tshark.tsv", f.display())).unwrap();
    let (rows, stats) = read(&f, &options(&f));
    assert_eq!(rows, parse_tsv(&tsv), "{tsv}");
    assert_eq!(rows.len(), 1);
    assert_eq!((stats.tls_connections, stats.tls_decrypted), (1, 1));
    assert!(stats.tls_encrypted.is_empty(), "{stats:?}");
    assert_eq!((stats.h2_connections, stats.h2_undecoded_blocks), (1, 0));
    assert_eq!(
        stats.not_response_bytes + stats.skipped_bytes,
        0,
        "{stats:?}"
    );
}

#[test]
fn a_resumed_tls13_session_is_read() {
    // The second connection resumes the first's session with a PSK: no certificate, and
    // secrets the key log has under the second ClientHello's random.
    let f = root().join("tests/captures/tls/tls13-resumed.pcap");
    let (rows, stats) = read(&f, &options(&f));
    let paths: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(
        paths,
        ["/examplebucket/first.txt", "/examplebucket/resumed.txt"]
    );
    assert_eq!((stats.tls_connections, stats.tls_decrypted), (2, 2));
}

/// Reads `inner`, writing `keys` to `path` when first read: a key log written after the
/// capture reader started (as by a client still running).
struct WritesKeysOnRead {
    inner: std::io::Cursor<Vec<u8>>,
    keys: Option<(PathBuf, Vec<u8>)>,
}

impl std::io::Read for WritesKeysOnRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some((p, k)) = self.keys.take() {
            fs::write(p, k)?;
        }
        self.inner.read(buf)
    }
}

#[test]
fn a_key_log_written_after_the_reader_started_is_read_again() {
    let f = root().join("tests/captures/tls/missing-key.pcap");
    let dir = std::env::temp_dir().join(format!("sigscope-growing-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.txt");
    let keys = fs::read(format!("{}.keys", f.display())).unwrap();
    let count = |grow: bool| {
        fs::write(&path, "").unwrap();
        let mut k = KeyLog::default();
        k.watch_file(&path).unwrap();
        let reader = WritesKeysOnRead {
            inner: std::io::Cursor::new(fs::read(&f).unwrap()),
            keys: grow.then(|| (path.clone(), keys.clone())),
        };
        let opts = Options {
            keylog: Arc::new(k),
            ..Default::default()
        };
        let mut n = 0;
        let stats = sigscope::capture::replay(reader, "growing", 0, opts, &mut |_| n += 1);
        (n, stats.tls_decrypted)
    };
    // The key log is empty when the reader starts; written once it reads, it is read again
    // when the first connection finds no key.
    assert_eq!(count(true), (1, 1));
    assert_eq!(count(false), (0, 0));
    // Through the CLI: an empty --keylog file is accepted and watched.
    fs::write(&path, "").unwrap();
    let (_, err) = sigscope(
        &["--keylog", path.to_str().unwrap(), "tls/missing-key.pcap"],
        None,
    );
    assert!(err.contains("no key in the key log"), "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn resumed_tls12_sessions_and_early_data_say_what_they_read() {
    let dir = root().join("tests/captures/tls");
    // Only the first connection's CLIENT_RANDOM: the resumed one uses the session's master
    // secret (by session ID, and by ticket).
    for f in [
        "tls12-resumed-id-firstkey.pcap",
        "tls12-resumed-ticket-firstkey.pcap",
    ] {
        let f = dir.join(f);
        let (rows, stats) = read(&f, &options(&f));
        assert_eq!((rows.len(), stats.tls_decrypted), (2, 2), "{}", f.display());
    }
    let f = dir.join("tls13-early-data.pcap");
    let (rows, stats) = read(&f, &options(&f));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].2, "/examplebucket/resumed.txt");
    assert!(stats.tls_encrypted.is_empty(), "{stats:?}");
    let f = dir.join("tls12-rsa-nokey.pcap");
    let (rows, stats) = read(&f, &options(&f));
    assert_eq!(rows.len(), 1);
    assert!(
        stats
            .tls_notes
            .iter()
            .any(|n| n.contains("RSA key exchange")),
        "{:?}",
        stats.tls_notes
    );
    let f = dir.join("tls13-early-nokey.pcap");
    let (rows, stats) = read(&f, &options(&f));
    assert_eq!(rows.len(), 1);
    assert!(
        stats
            .tls_notes
            .iter()
            .any(|n| n.contains("early data (0-RTT)")),
        "{:?}",
        stats.tls_notes
    );
}

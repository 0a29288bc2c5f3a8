//! `sigscope replay` on loopback against real verifiers: the demo's keystone-legacy server
//! (heat + keystone 2014.1 with the real python-keystoneclient 0.9.0 Ec2Signer,
//! samples/gen/demo_server.py), an S3-like server whose signatures botocore computes
//! (tests/diagnosis/gen/s3_server.py), and `sigscope listen` as an endpoint. Each server is
//! started here on a free port and stopped by its PID. Python and the venv (SIGSCOPE_VENV,
//! with tests/live/requirements.txt) are needed: skipped without them unless
//! SIGSCOPE_REQUIRE_PYTHON is set.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::aws_sigv4::{aws_signed, Case, AK, RIGHT, WRONG};
use crate::support::{bin, root};

/// A server process, killed (by its PID) when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Stops it with SIGTERM (a listener saves what is in flight first) and waits for it
    /// (15 s at most; then the drop kills it).
    pub(crate) fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t0 = Instant::now();
        while self.child.try_wait().is_ok_and(|s| s.is_none())
            && t0.elapsed() < Duration::from_secs(15)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `cmd` (its stderr read for `listening on`) and waits until it listens.
fn start(mut cmd: Command, port: u16) -> Server {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let log = Arc::new(Mutex::new(Vec::new()));
    let err = child.stderr.take().unwrap();
    let into = log.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            into.lock().unwrap().push(l);
        }
    });
    let t0 = Instant::now();
    loop {
        let lines = log.lock().unwrap().clone();
        if let Some(l) = lines.iter().find(|l| l.contains("listening on")) {
            // `sigscope listen --port 0` says which port it took.
            // (the address is the first word after it: a reverse proxy names its upstream
            // after it, with a port of its own).
            let port = l
                .split("listening on ")
                .nth(1)
                .and_then(|a| {
                    a.split_whitespace()
                        .next()?
                        .rsplit_once(':')?
                        .1
                        .parse()
                        .ok()
                })
                .filter(|_| port == 0)
                .unwrap_or(port);
            return Server { child, port, log };
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("server exited ({st}): {lines:?}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server not listening: {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The venv's Python with the pinned botocore, or None (skipped loudly) unless
/// SIGSCOPE_REQUIRE_PYTHON is set.
pub(crate) fn python() -> Option<PathBuf> {
    let venv =
        std::env::var("SIGSCOPE_VENV").unwrap_or_else(|_| "/tmp/sigscope-fixtures-venv".into());
    let py = Path::new(&venv).join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "1.43.11"
        });
    if ok {
        return Some(py);
    }
    let msg = format!(
        "botocore 1.43.11 not found in {venv} (pip install -r tests/live/requirements.txt)"
    );
    assert!(
        std::env::var_os("SIGSCOPE_REQUIRE_PYTHON").is_none(),
        "SIGSCOPE_REQUIRE_PYTHON is set: {msg}"
    );
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    None
}

/// The python-keystoneclient 0.9.0 source tree whose Ec2Signer the demo server runs:
/// SIGSCOPE_KS_LEGACY_ROOT, else the sdist fetched once with the venv's pip (as
/// samples/gen/make_demo_pcap.sh does) into cargo's test scratch directory.
fn keystone_0_9_0(py: &Path) -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("SIGSCOPE_KS_LEGACY_ROOT") {
        return Some(PathBuf::from(r));
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keystoneclient-0.9.0");
    let tree = dir.join("python-keystoneclient-0.9.0");
    static FETCH: Mutex<()> = Mutex::new(());
    let _one = FETCH.lock().unwrap_or_else(|p| p.into_inner());
    if !tree.join("keystoneclient/contrib/ec2/utils.py").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let fetched = Command::new(py)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-binary=:all:",
                "python-keystoneclient==0.9.0",
                "-d",
            ])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new("tar")
                .args(["-xzf", "python-keystoneclient-0.9.0.tar.gz"])
                .current_dir(&dir)
                .status()
                .is_ok_and(|s| s.success());
        if !fetched {
            let msg = "python-keystoneclient 0.9.0 could not be fetched with pip (set SIGSCOPE_KS_LEGACY_ROOT to its source tree)";
            assert!(
                std::env::var_os("SIGSCOPE_REQUIRE_PYTHON").is_none(),
                "SIGSCOPE_REQUIRE_PYTHON is set: {msg}"
            );
            eprintln!("\n*** SKIPPED: {msg} ***\n");
            return None;
        }
    }
    Some(tree)
}

pub(crate) fn demo_server() -> Option<Server> {
    let py = python()?;
    let ks = keystone_0_9_0(&py)?;
    let port = free_port();
    let mut cmd = Command::new(py);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(root().join("samples/gen/demo_server.py"))
        .arg(ks)
        .arg(root().join("samples/demo.credentials"))
        .args(["--port", &port.to_string()]);
    Some(start(cmd, port))
}

/// `sigscope replay ARGS…` with no proxy and no ambient credentials: stdout, and whether it
/// succeeded (stderr shown on failure).
pub(crate) fn replay(args: &[&str]) -> String {
    let o = Command::new(bin())
        .arg("replay")
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        o.status.success(),
        "replay {args:?}: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// `sigscope replay INPUT --exchange 0 --to TO --credentials CREDS EXTRA…`, as [`replay`].
pub(crate) fn replay_to(input: &str, to: &str, creds: &str, extra: &[&str]) -> String {
    let mut args = vec![input, "--exchange", "0", "--to", to, "--credentials", creds];
    args.extend_from_slice(extra);
    replay(&args)
}

/// The status cell of the table row named `what`.
pub(crate) fn status(out: &str, what: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{what}  ")))
        .unwrap_or_else(|| panic!("no row `{what}` in:\n{out}"));
    line[what.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn url(s: &Server) -> String {
    format!("http://127.0.0.1:{}", s.port)
}

#[test]
fn keystone_legacy_demo_seed_refused_as_captured_accepted_re_signed() {
    let Some(s) = demo_server() else { return };
    let to = url(&s);
    let demo = root().join("samples/demo.pcap");
    let demo = demo.to_str().unwrap();
    let out = replay(&[demo, "--exchange", "0", "--to", &to]);
    assert_eq!(status(&out, "captured"), "403", "{out}");
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert!(
        out.contains("note: the date is stale: signed at 20150830T123600Z"),
        "{out}"
    );
    let out = replay(&[
        demo,
        "--exchange",
        "0",
        "--to",
        &to,
        "--resign",
        "keystone-legacy",
    ]);
    assert_eq!(status(&out, "re-signed as keystone-legacy"), "200", "{out}");
    let out = replay(&[demo, "--exchange", "0", "--to", &to, "--resign", "aws"]);
    assert_eq!(status(&out, "re-signed as aws"), "403", "{out}");
    // A Query v2 request (keystoneclient's Ec2Signer signed it) re-signed with a fresh
    // Timestamp: keystoneclient 0.9.0 accepts it too.
    let out = replay(&[
        demo,
        "--exchange",
        "4",
        "--to",
        &to,
        "--resign",
        "keystone-legacy",
    ]);
    assert_eq!(status(&out, "re-signed as keystone-legacy"), "200", "{out}");
    // The server logs what keystoneclient 0.9.0 computed for each.
    assert!(s
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("Ec2Signer 0.9.0 computed")));
}

#[test]
fn ab_names_the_keystone_legacy_server() {
    let Some(s) = demo_server() else { return };
    let demo = root().join("samples/demo.pcap");
    let out = replay(&[
        demo.to_str().unwrap(),
        "--exchange",
        "0",
        "--to",
        &url(&s),
        "--ab",
    ]);
    assert!(
        out.ends_with("The server accepted: re-signed as keystone-legacy\n"),
        "{out}"
    );
}

/// A PUT signed by aws-sigv4 just now with the wrong secret, as a raw HTTP file, and a
/// credentials file with the right one.
pub(crate) fn wrong_secret_put(dir: &Path, port: u16) -> (PathBuf, PathBuf) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let authority = format!("http://127.0.0.1:{port}");
    let case = Case {
        method: "PUT",
        scheme_authority: Box::leak(authority.into_boxed_str()),
        path_and_query: "/bucket/replayed%20object.txt",
        headers: &[
            ("Content-Type", "text/plain"),
            ("x-amz-meta-note", "replayed"),
        ],
        body: b"re-signed and sent again",
        region: "us-east-1",
        service: "s3",
        presign: None,
    };
    let req = aws_signed(&case, WRONG, now);
    let http = dir.join("wrong-secret.http");
    std::fs::write(&http, req.to_wire()).unwrap();
    let creds = dir.join("right.credentials");
    std::fs::write(
        &creds,
        format!("[default]\naws_access_key_id = {AK}\naws_secret_access_key = {RIGHT}\n"),
    )
    .unwrap();
    (http, creds)
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("replay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn botocore_s3_server_accepts_the_wrong_secret_request_re_signed_with_the_right_one() {
    let Some(py) = python() else { return };
    let port = free_port();
    let mut cmd = Command::new(py);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(root().join("tests/diagnosis/gen/s3_server.py"))
        .args(["--port", &port.to_string()]);
    let s = start(cmd, port);
    let dir = scratch("s3");
    let (http, creds) = wrong_secret_put(&dir, s.port);
    let (http, creds) = (http.to_str().unwrap(), creds.to_str().unwrap());
    let to = url(&s);
    let out = replay_to(http, &to, creds, &[]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert!(out.contains("SignatureDoesNotMatch"), "{out}");
    let out = replay_to(http, &to, creds, &["--resign", "aws"]);
    assert_eq!(status(&out, "re-signed as aws"), "200", "{out}");
    assert!(
        out.contains("verdict on what was sent (aws): valid"),
        "{out}"
    );
    let out = replay_to(http, &to, creds, &["--ab"]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as botocore"), "200", "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

pub(crate) fn listen(args: &[&str]) -> Server {
    let mut cmd = Command::new(bin());
    cmd.args(["listen", "--port", "0", "--format", "json"])
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    start(cmd, 0)
}

#[test]
fn sigscope_listen_as_the_endpoint() {
    let dir = scratch("listen");
    let (http, creds) = wrong_secret_put(&dir, 1);
    let s = listen(&["--credentials", creds.to_str().unwrap()]);
    let (http, creds) = (http.to_str().unwrap(), creds.to_str().unwrap());
    let to = url(&s);
    let out = replay_to(http, &to, creds, &[]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    let out = replay_to(http, &to, creds, &["--resign", "aws"]);
    assert_eq!(status(&out, "re-signed as aws"), "200", "{out}");
    drop(s);
    // A listener judging as keystone-legacy accepts the demo's seed request re-signed so.
    let demo_creds = root().join("samples/demo.credentials");
    let s = listen(&[
        "--credentials",
        demo_creds.to_str().unwrap(),
        "--dialect",
        "keystone-legacy",
    ]);
    let demo = root().join("samples/demo.pcap");
    let out = replay(&[
        demo.to_str().unwrap(),
        "--exchange",
        "0",
        "--to",
        &url(&s),
        "--ab",
    ]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as aws"), "403", "{out}");
    assert_eq!(status(&out, "re-signed as keystone-legacy"), "200", "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// boto 2.49 (tests/live/requirements.txt; it imports on Python 3.11 and older only).
fn have_boto2() -> bool {
    let Some(py) = python() else { return false };
    let ok = Command::new(py)
        .args(["-c", "import boto.utils"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "boto 2.49 does not import in the venv (it needs Python 3.11 or older)";
        assert!(
            std::env::var_os("SIGSCOPE_REQUIRE_PYTHON").is_none(),
            "SIGSCOPE_REQUIRE_PYTHON is set: {msg}"
        );
        eprintln!("\n*** SKIPPED: {msg} ***\n");
    }
    ok
}

fn s3_server(sigv2: &str) -> Option<Server> {
    let py = python()?;
    let port = free_port();
    let mut cmd = Command::new(py);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(root().join("tests/diagnosis/gen/s3_server.py"))
        .args(["--port", &port.to_string(), "--sigv2", sigv2]);
    Some(start(cmd, port))
}

/// A SigV2 GET dated now with both Date and x-amz-date, and a signature that is not one.
fn sigv2_get(dir: &Path, port: u16) -> (PathBuf, PathBuf) {
    let now = sigscope::engine::time::format_http_date(time::OffsetDateTime::now_utc());
    let http = dir.join("sigv2.http");
    std::fs::write(
        &http,
        format!(
            "GET /bucket/sigv2-object.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nDate: {now}\r\nx-amz-date: {now}\r\nAuthorization: AWS {AK}:bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==\r\n\r\n"
        ),
    )
    .unwrap();
    let creds = dir.join("right.credentials");
    std::fs::write(
        &creds,
        format!("[default]\naws_access_key_id = {AK}\naws_secret_access_key = {RIGHT}\n"),
    )
    .unwrap();
    (http, creds)
}

/// SigV2 with x-amz-date: botocore's HmacV1Auth signs the Date header's value on the date
/// line, boto 2 (and S3's documentation) leaves the line empty. Each S3 server accepts the
/// request re-signed as its own client library, and `--ab` tells them apart.
#[test]
fn sigv2_re_signed_as_botocore_or_boto2_against_each_server() {
    for (rules, accepted, refused) in [
        ("botocore", "botocore", "boto2"),
        ("boto2", "boto2", "botocore"),
    ] {
        if rules == "boto2" && !have_boto2() {
            return;
        }
        let Some(s) = s3_server(rules) else { return };
        let dir = scratch(&format!("sigv2-{rules}"));
        let (http, creds) = sigv2_get(&dir, s.port);
        let (http, creds) = (http.to_str().unwrap(), creds.to_str().unwrap());
        let out = replay_to(http, &url(&s), creds, &["--ab"]);
        assert_eq!(status(&out, "as captured"), "403", "{out}");
        assert_eq!(
            status(&out, &format!("re-signed as {accepted}")),
            "200",
            "{rules}: {out}"
        );
        assert_eq!(
            status(&out, &format!("re-signed as {refused}")),
            "403",
            "{rules}: {out}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A presigned URL signed with the wrong secret, re-signed: S3SigV4QueryAuth (botocore) on
/// the server computes the same signature.
#[test]
fn presigned_url_re_signed_accepted_by_botocore() {
    let Some(s) = s3_server("botocore") else {
        return;
    };
    let dir = scratch("presigned");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let case = Case {
        method: "GET",
        scheme_authority: Box::leak(format!("http://127.0.0.1:{}", s.port).into_boxed_str()),
        path_and_query: "/bucket/shared%20file.txt?response-content-type=text%2Fplain",
        headers: &[],
        body: b"",
        region: "us-east-1",
        service: "s3",
        presign: Some(600),
    };
    let http = dir.join("presigned.http");
    std::fs::write(&http, aws_signed(&case, WRONG, now).to_wire()).unwrap();
    let (_, creds) = sigv2_get(&dir, s.port);
    let (http, creds) = (http.to_str().unwrap(), creds.to_str().unwrap());
    let out = replay_to(http, &url(&s), creds, &["--resign", "botocore"]);
    assert_eq!(status(&out, "re-signed as botocore"), "200", "{out}");
    let out = replay_to(http, &url(&s), creds, &[]);
    assert_eq!(status(&out, "as captured"), "403", "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

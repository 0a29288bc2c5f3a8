//! Shared by the live-listener tests: runs the real `sigscope listen` binary on a free
//! loopback port, collects its JSON lines and notices, stops it with SIGTERM (the graceful
//! path, which must flush the saved capture), and speaks raw HTTP/1.1 to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub use crate::support::{bin, root};

/// The abuse tests load the machine in ways that would skew the timings of any other listener
/// test running beside them, and theirs. They ran alone when each file was its own test binary
/// and still do: they take this lock exclusively, every other listener test takes it shared.
static MACHINE: RwLock<()> = RwLock::new(());

/// For a listener test that may run beside others (but not beside the abuse tests).
pub fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|p| p.into_inner())
}

/// For an abuse test: no other listener test runs meanwhile.
pub fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|p| p.into_inner())
}

pub struct Listener {
    child: Option<Child>,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(r: impl Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(l) = line else { break };
            into.lock().unwrap().push(l);
        }
    });
}

impl Listener {
    /// `sigscope listen --port 0 --format json ARGS…`; returns once it is listening.
    pub fn start(args: &[&str]) -> Listener {
        let mut child = Command::new(bin())
            .args(["listen", "--port", "0", "--format", "json"])
            .args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sigscope listen");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), stdout.clone());
        collect(child.stderr.take().unwrap(), stderr.clone());
        let t0 = Instant::now();
        let addr = loop {
            let found = stderr.lock().unwrap().iter().find_map(|l| {
                let at = l.find("listening on ")?;
                let rest = &l[at + "listening on ".len()..];
                let rest = rest.split_once("://")?.1;
                rest.split_whitespace().next()?.parse::<SocketAddr>().ok()
            });
            if let Some(a) = found {
                break a;
            }
            if let Ok(Some(st)) = child.try_wait() {
                panic!(
                    "sigscope listen exited ({st}): {:?}",
                    stderr.lock().unwrap()
                );
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "listener never said it listens"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Listener {
            child: Some(child),
            addr,
            stdout,
            stderr,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    pub fn exchanges(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Waits until at least `n` exchanges were printed.
    pub fn wait_exchanges(&self, n: usize, timeout: Duration) -> Vec<serde_json::Value> {
        let t0 = Instant::now();
        loop {
            let x = self.exchanges();
            if x.len() >= n || t0.elapsed() > timeout {
                return x;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        if let Some(c) = &self.child {
            // SAFETY: signalling our own child by its pid.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(c.id() as i32, libc::SIGTERM);
            }
        }
    }

    /// SIGTERM, then waits for the drain; returns the JSON lines and stderr.
    pub fn stop(mut self) -> (Vec<serde_json::Value>, Vec<String>) {
        let mut child = self.child.take().unwrap();
        // SAFETY: signalling our own child by its pid.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("listener did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the reader threads see the end of the pipes.
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            status.success(),
            "listener exit status {status}: {:?}",
            self.stderr()
        );
        (self.exchanges(), self.stderr())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One raw HTTP/1.1 exchange on a new connection; the response is read until the connection
/// closes or `Content-Length` bytes arrived. Returns (status, head, body).
pub fn raw_http(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    read_response(&mut s)
}

pub fn read_response(s: &mut TcpStream) -> (u16, String, Vec<u8>) {
    read_response_buffered(s, &mut Vec::new())
}

/// Reads one response; bytes past it (a pipelined response) stay in `buf` for the next call.
pub fn read_response_buffered(s: &mut TcpStream, buf: &mut Vec<u8>) -> (u16, String, Vec<u8>) {
    let mut tmp = [0u8; 65536];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if status / 100 == 1 {
                buf.drain(..end + 4);
                continue;
            }
            let len = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            let body_start = end + 4;
            loop {
                if let Some(n) = len {
                    if buf.len() >= body_start + n {
                        let body = buf[body_start..body_start + n].to_vec();
                        buf.drain(..body_start + n);
                        return (status, head, body);
                    }
                }
                match s.read(&mut tmp) {
                    Ok(0) | Err(_) => {
                        let body = buf[body_start..].to_vec();
                        buf.clear();
                        return (status, head, body);
                    }
                    Ok(k) => buf.extend_from_slice(&tmp[..k]),
                }
            }
        }
        match s.read(&mut tmp) {
            Ok(0) | Err(_) => return (0, String::from_utf8_lossy(buf).into_owned(), Vec::new()),
            Ok(k) => buf.extend_from_slice(&tmp[..k]),
        }
    }
}

pub fn get(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    raw_http(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// `sigscope report --format json` on a file: the replay of a saved session.
pub fn report(path: &Path, credentials: Option<&Path>) -> (Vec<serde_json::Value>, String) {
    let mut c = Command::new(bin());
    c.args(["report", "--format", "json"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    if let Some(k) = credentials {
        c.arg("--credentials").arg(k);
    }
    let out = c.arg(path).output().expect("run sigscope report");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "report failed: {stderr}");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, stderr)
}

/// The verdict-relevant view of an exchange, to compare a live run with its replay.
pub fn summary(x: &serde_json::Value) -> (String, String, String, Option<u64>) {
    (
        x["request"]["method"].as_str().unwrap_or("").to_string(),
        x["request"]["target"].as_str().unwrap_or("").to_string(),
        x["verdict"].as_str().unwrap_or("").to_string(),
        x["response"]["status"].as_u64(),
    )
}

pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sigscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A free loopback port (bound, then released for a child process to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Python with the pinned botocore (tests/live/requirements.txt), or None with a loud
/// message; with SIGSCOPE_REQUIRE_PYTHON set (CI) a missing one fails the test.
pub fn python() -> Option<PathBuf> {
    let venv =
        std::env::var("SIGSCOPE_VENV").unwrap_or_else(|_| "/tmp/sigscope-fixtures-venv".into());
    let py = Path::new(&venv).join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match ok.as_deref() {
        Some("1.43.11") => Some(py),
        other => {
            let msg = format!(
                "botocore 1.43.11 not found in {venv} (got {other:?}); install it with \
                 `python3.11 -m venv {venv} && {venv}/bin/pip install -r tests/live/requirements.txt`"
            );
            if std::env::var_os("SIGSCOPE_REQUIRE_PYTHON").is_some() {
                panic!("SIGSCOPE_REQUIRE_PYTHON is set: {msg}");
            }
            eprintln!("\n*** SKIPPED: {msg} ***\n");
            None
        }
    }
}

/// Runs tests/live/botocore_client.py; one JSON object per case.
pub fn botocore(
    py: &Path,
    url: &str,
    ak: &str,
    sk: &str,
    cases: &[&str],
) -> Vec<serde_json::Value> {
    let out = Command::new(py)
        .arg(root().join("tests/live/botocore_client.py"))
        .args([url, ak, sk])
        .args(cases)
        .output()
        .expect("run botocore_client.py");
    assert!(
        out.status.success(),
        "botocore_client.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

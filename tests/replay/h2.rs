//! HTTP/2 replays (issue 17): a request captured as HTTP/2 goes again as HTTP/2 — with prior
//! knowledge in the clear, by ALPN `h2` over TLS — to `nghttpd` (nghttp2's server, which
//! speaks nothing else: an HTTP/1.1 request gets no answer from it), and its answer is shown.
//! The captures are tests/captures/h2's (real clients: python-hyper h2 with botocore's
//! signer in the clear, curl over TLS 1.3). Skipped without nghttpd unless
//! SIGSCOPE_REQUIRE_NGHTTP2 is set.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::loopback::{free_port, replay, status};
use crate::support::{have_tool, load, root};

/// `nghttpd` serving `docroot` on a free port, killed (by its PID) when dropped.
struct Nghttpd {
    child: Child,
    port: u16,
}

impl Nghttpd {
    /// In the clear (`tls`: `None`), or over TLS with this certificate and key.
    fn start(docroot: &Path, tls: Option<(&Path, &Path)>) -> Nghttpd {
        let port = free_port();
        let mut cmd = Command::new("nghttpd");
        cmd.arg("-d").arg(docroot);
        match tls {
            None => {
                cmd.args(["--no-tls", &port.to_string()]);
            }
            Some((cert, key)) => {
                cmd.arg(port.to_string()).arg(key).arg(cert);
            }
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(child.try_wait().unwrap().is_none(), "nghttpd exited");
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "nghttpd not listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Nghttpd { child, port }
    }
}

impl Drop for Nghttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A docroot holding the object the captures GET (`/examplebucket/a.txt`).
fn docroot(name: &str) -> std::path::PathBuf {
    let dir = crate::loopback::scratch(name);
    std::fs::create_dir_all(dir.join("root/examplebucket")).unwrap();
    std::fs::write(dir.join("root/examplebucket/a.txt"), "hello over h2\n").unwrap();
    dir
}

fn h2_capture(name: &str) -> String {
    root()
        .join("tests/captures/h2")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn an_h2c_capture_is_replayed_with_prior_knowledge() {
    if !have_tool("nghttpd", "--version", "SIGSCOPE_REQUIRE_NGHTTP2") {
        return;
    }
    let dir = docroot("h2c");
    let s = Nghttpd::start(&dir.join("root"), None);
    let to = format!("http://127.0.0.1:{}", s.port);
    let input = h2_capture("h2c-prior.pcap");
    let out = replay(&[&input, "--exchange", "0", "--to", &to]);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with(" over HTTP/2, as captured"),
        "{out}"
    );
    assert_eq!(status(&out, "as captured"), "200", "{out}");
    assert!(out.contains("as captured  200 OK"), "{out}");
    // The same server gets nothing it can read from an HTTP/1.1 request.
    let h1 = root().join("samples/demo.http");
    let o = Command::new(crate::support::bin())
        .args([
            "replay",
            h1.to_str().unwrap(),
            "--exchange",
            "0",
            "--to",
            &to,
        ])
        .args(["--timeout", "5"])
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(status(&out, "as captured"), "no", "{out}");

    // The UI's replay: the answer, its body included, as a new exchange.
    let x = load(&input).remove(0);
    assert_eq!(x.request.version, "HTTP/2");
    let mut x = x;
    x.server = Some(format!("127.0.0.1:{}", s.port));
    let sent = sigscope::tui::replay::replay_exchange(
        &x,
        Default::default(),
        &sigscope::credentials::Credentials::default(),
        &Default::default(),
    )
    .unwrap();
    let r = sent.response.unwrap();
    assert_eq!((r.status, r.version.as_str()), (200, "HTTP/2"));
    assert_eq!(r.body, b"hello over h2\n");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_h2_capture_over_tls_is_replayed_by_alpn_h2() {
    if !have_tool("nghttpd", "--version", "SIGSCOPE_REQUIRE_NGHTTP2") {
        return;
    }
    let dir = docroot("h2-tls");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let s = Nghttpd::start(&dir.join("root"), Some((&cert, &key)));
    let input = h2_capture("tls13-h2-sequence.pcap");
    let keys = format!("{input}.keys");
    let to = format!("https://localhost:{}", s.port);
    let out = replay(&[
        &input,
        "--keylog",
        &keys,
        "--exchange",
        "0",
        "--to",
        &to,
        "--cacert",
        cert.to_str().unwrap(),
    ]);
    assert!(
        out.lines()
            .next()
            .unwrap()
            .ends_with(" over HTTP/2, as captured"),
        "{out}"
    );
    assert!(out.contains("as captured  200 OK"), "{out}");
    assert!(!out.contains("answered over HTTP/1.1"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

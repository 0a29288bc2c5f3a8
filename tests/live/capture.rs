//! `sigscope capture -i lo` (issue 16): real clients (curl `--aws-sigv4`, botocore) against
//! `sigscope listen`, sniffed on loopback. The live JSON lines, the replay of the saved
//! pcapng, the listener's own verdicts and tshark's reading of the saved file must agree.
//! Capturing needs root (CAP_NET_RAW): without it these tests skip, loudly, unless
//! SIGSCOPE_REQUIRE_CAPTURE is set (CI runs as root and sets it).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{bin, python, report, root, shared, summary, tempdir, Listener};
use crate::support::have_tool;

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn creds() -> std::path::PathBuf {
    root().join("tests/captures/credentials")
}

/// Whether this process may capture (root); else a loud skip, or a failure under
/// SIGSCOPE_REQUIRE_CAPTURE.
pub fn can_capture() -> bool {
    // SAFETY: geteuid has no preconditions.
    #[allow(unsafe_code)]
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(
            std::env::var_os("SIGSCOPE_REQUIRE_CAPTURE").is_none(),
            "SIGSCOPE_REQUIRE_CAPTURE is set but the tests do not run as root"
        );
        eprintln!("\n*** SKIPPED: live capture needs root (CI runs as root and sets SIGSCOPE_REQUIRE_CAPTURE) ***\n");
    }
    root
}

/// A running `sigscope capture … --format json`, its lines collected.
pub struct Sniff {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(r: impl std::io::Read + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(l) = line else { break };
            into.lock().unwrap().push(l);
        }
    });
}

impl Sniff {
    /// Starts the capture and returns once it says it captures.
    pub fn start(args: &[&str]) -> Sniff {
        let mut child = Command::new(bin())
            .args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sigscope capture");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), stdout.clone());
        collect(child.stderr.take().unwrap(), stderr.clone());
        let t0 = Instant::now();
        while !stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("capturing on"))
        {
            if let Ok(Some(st)) = child.try_wait() {
                panic!("capture exited ({st}): {:?}", stderr.lock().unwrap());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "capture never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Sniff {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits until `n` lines were printed (the exchanges are complete on the wire by then).
    pub fn wait_lines(&self, n: usize, timeout: Duration) {
        let t0 = Instant::now();
        while self.stdout.lock().unwrap().len() < n && t0.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGINT (Ctrl-C), then the JSON lines and stderr.
    pub fn stop(mut self) -> (Vec<serde_json::Value>, Vec<String>) {
        // SAFETY: signalling our own child by its pid.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "capture did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(100));
        let err = self.stderr.lock().unwrap().clone();
        assert!(status.success(), "capture exit status {status}: {err:?}");
        let out = self
            .stdout
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        (out, err)
    }
}

impl Drop for Sniff {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sigscope capture -i IFACE port PORT --format json --credentials (the fixtures') EXTRA…`.
fn sniff_json(iface: &str, port: &str, extra: &[&str]) -> Sniff {
    let c = creds();
    let mut args = vec!["capture", "-i", iface, "port", port, "--format", "json"];
    args.extend_from_slice(&["--credentials", c.to_str().unwrap()]);
    args.extend_from_slice(extra);
    Sniff::start(&args)
}

/// curl's own SigV4 signer; returns the HTTP status.
pub fn curl(url: &str, secret: &str, extra: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
        .arg(format!("{AK}:{secret}"))
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tshark's requests (method, URI) and response codes in the saved file, in frame order.
fn tshark(path: &Path) -> (Vec<(String, String)>, Vec<u64>) {
    let fields = |filter: &str, f: &[&str]| -> Vec<Vec<String>> {
        let mut c = Command::new("tshark");
        c.arg("-r").arg(path).args(["-Y", filter, "-T", "fields"]);
        for x in f {
            c.args(["-e", x]);
        }
        let out = c.output().expect("run tshark");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    };
    let reqs = fields("http.request", &["http.request.method", "http.request.uri"])
        .into_iter()
        .map(|v| (v[0].clone(), v[1].clone()))
        .collect();
    // Interim answers (100 Continue) are not an exchange's response.
    let codes = fields("http.response.code >= 200", &["http.response.code"])
        .into_iter()
        .map(|v| v[0].parse().unwrap())
        .collect();
    (reqs, codes)
}

#[test]
fn live_json_replay_listener_and_tshark_agree() {
    let _shared = shared();
    if !can_capture()
        || !have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL")
        || !have_tool("tshark", "-v", "SIGSCOPE_REQUIRE_TSHARK")
    {
        return;
    }
    let dir = tempdir("capture-lo");
    let saved = dir.join("saved.pcapng");
    let l = Listener::start(&["--credentials", creds().to_str().unwrap()]);
    let port = l.addr.port().to_string();
    let sniff = sniff_json("lo", &port, &["-w", saved.to_str().unwrap()]);
    let url = format!("{}/bucket/live.txt", l.url());
    assert_eq!(curl(&url, SK, &[]), "200");
    assert_eq!(curl(&url, "not/the/right/secret", &[]), "403");
    assert_eq!(
        curl(&url, SK, &["-X", "PUT", "--data-binary", "hello"]),
        "200"
    );
    let mut n = 3;
    if let Some(py) = python() {
        let good = crate::harness::botocore(&py, &l.url(), AK, SK, &["s3v4-put", "s3v2-get"]);
        let bad = crate::harness::botocore(&py, &l.url(), AK, "wrong/secret", &["s3v4-get"]);
        assert!(good.iter().all(|c| c["status"] == 200), "{good:?}");
        assert!(bad.iter().all(|c| c["status"] == 403), "{bad:?}");
        n += 3;
    }
    sniff.wait_lines(n, Duration::from_secs(10));
    let (live, err) = sniff.stop();
    let (endpoint, _) = l.stop();
    let (replayed, _) = report(&saved, Some(&creds()));

    let sum = |v: &[serde_json::Value]| v.iter().map(summary).collect::<Vec<_>>();
    assert_eq!(live.len(), n, "live: {:?}\nstderr: {err:?}", sum(&live));
    // The endpoint judged each request itself: the sniffer, which only watched, agrees.
    assert_eq!(sum(&live), sum(&endpoint));
    assert_eq!(sum(&live), sum(&replayed));
    let verdicts: Vec<_> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(&verdicts[..3], ["valid", "invalid", "valid"]);
    // Whole verdict lines (dialects, diagnosis) are the same live and replayed; only where
    // the exchange was read from differs.
    for (a, b) in live.iter().zip(&replayed) {
        let (mut a, mut b) = (a.clone(), b.clone());
        for x in [&mut a, &mut b] {
            x.as_object_mut().unwrap().remove("source");
        }
        assert_eq!(a, b);
    }
    let (treqs, tcodes) = tshark(&saved);
    let ours: Vec<_> = live
        .iter()
        .map(|x| {
            (
                x["request"]["method"].as_str().unwrap().to_string(),
                x["request"]["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(treqs, ours);
    let codes: Vec<u64> = live
        .iter()
        .map(|x| x["response"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(tcodes, codes);
    assert!(
        err.iter().any(|l| l.contains("packets captured")),
        "no summary: {err:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `sigscope ARGS` to its end; (exit code, stderr).
fn fails(args: &[&str]) -> (i32, String) {
    let out = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_interface_is_named_with_those_that_exist() {
    // Listing interfaces needs no privilege: this runs as any user.
    let (code, err) = fails(&["capture", "-i", "nosuch0", "port", "80", "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("there is no interface named nosuch0"), "{err}");
    assert!(
        err.contains("Interfaces here: ") && err.contains("lo"),
        "{err}"
    );
    // The shorthand says the same. The veth pair of the test beside this one
    // (`an_interface_that_goes_away…`, named `sgd…`) may come or go between the two runs.
    let (code2, err2) = fails(&["-i", "nosuch0", "--format", "json"]);
    let without_veth = |e: &str| -> String {
        e.trim_end()
            .split(", ")
            .filter(|i| !i.starts_with("sgd"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert_eq!((code2, without_veth(&err2)), (code, without_veth(&err)));
}

#[test]
fn a_bad_filter_shows_libpcap_s_words() {
    if !can_capture() {
        return;
    }
    let (code, err) = fails(&[
        "capture", "-i", "lo", "tcp", "port", "7480", "and", "--format", "json",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the capture filter `tcp port 7480 and` is not valid: ")
            && err.contains("syntax error"),
        "{err}"
    );
}

#[test]
fn without_cap_net_raw_the_message_says_how() {
    if !can_capture() || !have_tool("setpriv", "--version", "SIGSCOPE_REQUIRE_SETPRIV") {
        return;
    }
    // As nobody, with no capabilities at all (setpriv from util-linux); from a copy nobody
    // may run wherever the build directory is.
    let dir = tempdir("capture-nobody");
    let copy = dir.join("sigscope");
    std::fs::copy(bin(), &copy).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(&copy)
        .args(["capture", "-i", "lo", "--format", "json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot capture on lo: permission denied"),
        "{err}"
    );
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip \"$(command -v sigscope)\""),
        "{err}"
    );
    assert!(err.contains("sudo"), "{err}");
    assert!(
        err.contains("Interfaces here: ") && err.contains("lo"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn list_interfaces_names_loopback() {
    let out = Command::new(bin()).arg("-D").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains(". lo ") && l.contains("loopback")),
        "{text}"
    );
}

#[test]
fn an_interface_that_goes_away_ends_the_capture_and_keeps_what_was_saved() {
    if !can_capture() || !have_tool("ip", "-V", "SIGSCOPE_REQUIRE_IPROUTE") {
        return;
    }
    let _shared = shared();
    // A veth pair of our own: deleting one end makes the interface disappear under libpcap.
    let (a, b) = (
        format!("sgd{}a", std::process::id() % 100_000),
        format!("sgd{}b", std::process::id() % 100_000),
    );
    let ip = |args: &[&str]| Command::new("ip").args(args).status().unwrap().success();
    if !ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]) {
        assert!(
            std::env::var_os("SIGSCOPE_REQUIRE_CAPTURE").is_none(),
            "cannot create a veth pair"
        );
        eprintln!("\n*** SKIPPED: cannot create a veth pair here ***\n");
        return;
    }
    assert!(ip(&["addr", "add", "10.211.7.1/24", "dev", &a]) && ip(&["link", "set", &a, "up"]));
    assert!(ip(&["link", "set", &b, "up"]));
    let dir = tempdir("capture-down");
    let saved = dir.join("down.pcapng");
    let sniff = Sniff::start(&[
        "capture",
        "-i",
        &a,
        "--format",
        "json",
        "-w",
        saved.to_str().unwrap(),
    ]);
    // Something to capture: a connection attempt to a neighbour that does not exist sends
    // ARP requests out of `a`.
    let _ = std::net::TcpStream::connect_timeout(
        &"10.211.7.2:80".parse().unwrap(),
        Duration::from_millis(1500),
    );
    assert!(ip(&["link", "del", &a]));
    let mut child = sniff;
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "capture kept running"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(100));
    let err = child.stderr.lock().unwrap().join("\n");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("the capture on {a} ended: "))
            && err.contains("what was captured is kept"),
        "{err}"
    );
    let captured: u64 = err
        .split(" packet")
        .find(|s| s.contains(&format!("capturing on {a}")))
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count: {err}"));
    assert!(captured > 0, "{err}");
    let mut frames = 0u64;
    sigscope::capture::packets::read_frames(
        std::fs::File::open(&saved).unwrap(),
        |_| frames += 1,
        |_| {},
    )
    .unwrap();
    assert_eq!(frames, captured, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-i any`: Linux cooked v2 frames (link type 276), read as on any interface.
#[test]
fn any_interface_reads_linux_cooked_v2() {
    let _shared = shared();
    if !can_capture() || !have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL") {
        return;
    }
    let dir = tempdir("capture-any");
    let saved = dir.join("any.pcapng");
    let l = Listener::start(&["--credentials", creds().to_str().unwrap()]);
    let port = l.addr.port().to_string();
    let sniff = sniff_json("any", &port, &["-w", saved.to_str().unwrap()]);
    let url = format!("{}/bucket/any.txt", l.url());
    assert_eq!(curl(&url, SK, &[]), "200");
    assert_eq!(curl(&url, "not/the/right/secret", &[]), "403");
    sniff.wait_lines(2, Duration::from_secs(10));
    let (live, err) = sniff.stop();
    let verdicts: Vec<_> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["valid", "invalid"], "{err:?}");
    let mut links = std::collections::BTreeSet::new();
    sigscope::capture::packets::read_frames(
        std::fs::File::open(&saved).unwrap(),
        |f| {
            links.insert(f.linktype);
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(links, [276].into());
    let _ = std::fs::remove_dir_all(&dir);
}

/// HTTPS decrypted live (issue 16 with issue 13's key logs): the key log handed to the capture
/// is empty when it starts; curl writes its secrets there (SSLKEYLOGFILE) as it connects, and
/// the capture reads the file again when a connection's key is missing, so both requests come
/// out decrypted and judged: the right secret valid, the wrong one invalid.
#[test]
fn https_is_decrypted_live_from_a_key_log_written_after_the_start() {
    let _shared = shared();
    if !can_capture() || !have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL") {
        return;
    }
    let dir = tempdir("capture-tls");
    let (cert, key) = crate::keylog::cert(&dir);
    let keys = dir.join("client.keys");
    std::fs::write(&keys, "").unwrap();
    let c = creds();
    let l = Listener::start(&[
        "--credentials",
        c.to_str().unwrap(),
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ]);
    let port = l.addr.port().to_string();
    let sniff = sniff_json("lo", &port, &["--keylog", keys.to_str().unwrap()]);
    let url = format!("https://localhost:{port}/bucket/secret.txt");
    for (secret, want) in [(SK, "200"), ("not/the/right/secret", "403")] {
        let out = Command::new("curl")
            .env("SSLKEYLOGFILE", &keys)
            .args([
                "-s",
                "-k",
                "--http1.1",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
            .arg(format!("{AK}:{secret}"))
            .arg(&url)
            .output()
            .expect("run curl");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    }
    assert!(
        std::fs::metadata(&keys).unwrap().len() > 0,
        "curl wrote no key log"
    );
    sniff.wait_lines(2, Duration::from_secs(10));
    let (live, err) = sniff.stop();
    let _ = l.stop();
    let got: Vec<(&str, &str)> = live
        .iter()
        .map(|x| {
            (
                x["request"]["target"].as_str().unwrap(),
                x["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("/bucket/secret.txt", "valid"),
            ("/bucket/secret.txt", "invalid")
        ],
        "stderr: {err:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

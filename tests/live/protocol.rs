//! HTTP features of `sigscope listen`: keep-alive and pipelining, chunked uploads, an
//! aws-chunked upload (the AWS documentation's example, verified chunk by chunk), TLS on the
//! listener and towards an https upstream, the connection limit, and the graceful drain of
//! an exchange in flight at SIGTERM.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::support::have_tool;

#[test]
fn keep_alive_pipelining_and_chunked_uploads() {
    let _shared = shared();
    let l = Listener::start(&["--allow-anonymous"]);
    let addr = l.addr;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Two pipelined requests in one write, then a chunked upload on the same connection.
    s.write_all(
        format!("GET /one HTTP/1.1\r\nHost: {addr}\r\n\r\nGET /two?x=1 HTTP/1.1\r\nHost: {addr}\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut buf = Vec::new();
    assert_eq!(read_response_buffered(&mut s, &mut buf).0, 200);
    assert_eq!(read_response_buffered(&mut s, &mut buf).0, 200);
    s.write_all(
        format!("PUT /chunked HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5;ext=1\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(read_response_buffered(&mut s, &mut buf).0, 200);
    drop(s);
    let (live, _) = l.stop();
    let targets: Vec<_> = live
        .iter()
        .map(|x| x["request"]["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["/one", "/two?x=1", "/chunked"]);
    let port = |x: &serde_json::Value| x["client"].as_str().unwrap().to_string();
    assert!(
        live.iter().all(|x| port(x) == port(&live[0])),
        "not one connection"
    );
    let c = &live[2];
    assert_eq!(c["request"]["body_len"], 11);
    use sha2::Digest;
    assert_eq!(
        c["request"]["body_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(b"hello world"))
    );
}

#[test]
fn aws_chunked_upload_is_verified_chunk_by_chunk() {
    let _shared = shared();
    let dir = tempdir("live-awschunked");
    let creds = dir.join("credentials");
    std::fs::write(
        &creds,
        "[docs]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let raw = std::fs::read(root().join("tests/vectors/aws-docs/s3-sigv4-chunked.http")).unwrap();
    let parsed = sigscope::http::parse_raw(&raw);
    let req = parsed
        .messages
        .iter()
        .find_map(|m| match m {
            sigscope::http::Message::Request(r, _) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    let l = Listener::start(&["--credentials", creds.to_str().unwrap()]);
    let (status, _, body) = raw_http(l.addr, &req.to_wire());
    // Signed in 2013: the signature and every chunk verify, and S3 would refuse the time.
    let se = sigscope::engine::server_error::parse(&sigscope::http::Response {
        status,
        body,
        ..Default::default()
    })
    .unwrap();
    assert_eq!((status, se.code.as_str()), (403, "RequestTimeTooSkewed"));
    assert_eq!(se.request_time.as_deref(), Some("20130524T000000Z"));
    let (live, _) = l.stop();
    assert_eq!(live.len(), 1);
    let x = &live[0];
    assert_eq!(x["auth"]["mode"], "sigv4-streaming");
    assert_eq!(x["verdict"], "valid", "{x}");
    let aws = x["dialects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "aws")
        .unwrap();
    let chunks = aws["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3);
    assert!(chunks.iter().all(|c| c["matches"] == true), "{chunks:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 14: a signed-trailer upload (the AWS documentation's example) through the proxy
/// reaches the upstream byte for byte, and both legs verify its three chunks and its trailer.
#[test]
fn aws_chunked_trailer_upload_is_forwarded_unchanged() {
    let _shared = shared();
    let dir = tempdir("live-trailer");
    let creds = dir.join("credentials");
    std::fs::write(
        &creds,
        "[docs]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let raw =
        std::fs::read(root().join("tests/vectors/aws-docs/s3-sigv4-chunked-trailer.http")).unwrap();
    let req = crate::support::request(&String::from_utf8(raw).unwrap());
    let upstream = Listener::start(&["--credentials", creds.to_str().unwrap()]);
    let url = format!("http://{}", upstream.addr);
    let proxy = Listener::start(&[
        "--credentials",
        creds.to_str().unwrap(),
        "--upstream",
        &url,
        "--preserve-host",
    ]);
    let (status, _, _) = raw_http(proxy.addr, &req.to_wire());
    // Signed in 2013: the upstream refuses the time, not the signature.
    assert_eq!(status, 403);
    let (front, _) = proxy.stop();
    let (back, _) = upstream.stop();
    assert_eq!((front.len(), back.len()), (1, 1));
    for x in [&front[0], &back[0]] {
        assert_eq!(x["verdict"], "valid", "{x}");
        assert_eq!(x["request"]["body_len"], 66946);
        assert_eq!(
            x["request"]["body_sha256"],
            front[0]["request"]["body_sha256"]
        );
        let aws = x["dialects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "aws")
            .unwrap();
        let chunks = aws["chunks"].as_array().unwrap();
        assert_eq!(chunks.len(), 4, "{chunks:?}");
        assert!(chunks.iter().all(|c| c["matches"] == true), "{chunks:?}");
        assert_eq!(chunks[3]["trailer"], true);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_listener_and_tls_upstream() {
    let _shared = shared();
    let dir = tempdir("live-tls");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let a = Listener::start(&[
        "--allow-anonymous",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(a
        .stderr()
        .iter()
        .any(|l| l.contains("listening on https://")));
    let a_port = a.addr.port();
    let upstream = format!("https://localhost:{a_port}");
    let b = Listener::start(&[
        "--upstream",
        &upstream,
        "--upstream-ca",
        cert.to_str().unwrap(),
    ]);
    let (status, head, _) = get(b.addr, "/through-tls?a=b");
    assert_eq!(status, 200, "{head}");
    // Without trusting the certificate the proxy refuses to forward, and says why.
    let c = Listener::start(&["--upstream", &upstream]);
    let (status, _, body) = get(c.addr, "/untrusted");
    assert_eq!(status, 502);
    let body = String::from_utf8_lossy(&body).to_string();
    assert!(
        body.contains("TLS") && body.to_lowercase().contains("certificate"),
        "{body}"
    );
    let (cx, _) = c.stop();
    assert_eq!(cx[0]["response"]["status"], 502);
    let (bx, _) = b.stop();
    let (ax, _) = a.stop();
    assert_eq!(ax.len(), 1, "the TLS endpoint saw {ax:?}");
    assert_eq!(ax[0]["request"]["target"], "/through-tls?a=b");
    // Host is rewritten to the upstream's by default.
    let host = ax[0]["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("host"))
        .unwrap()[1]
        .clone();
    assert_eq!(host, format!("localhost:{a_port}"));
    assert_eq!(bx.len(), 1);
    assert_eq!(bx[0]["response"]["status"], 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn connection_limit_says_why_and_recovers() {
    let _shared = shared();
    let l = Listener::start(&["--allow-anonymous", "--max-connections", "2"]);
    let hold: Vec<_> = (0..2)
        .map(|_| TcpStream::connect(l.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (status, _, body) = get(l.addr, "/third");
    assert_eq!(status, 503);
    assert!(String::from_utf8_lossy(&body).contains("--max-connections"));
    drop(hold);
    let t0 = Instant::now();
    loop {
        let (status, _, _) = get(l.addr, "/after");
        if status == 200 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "never recovered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, stderr) = l.stop();
    assert!(
        stderr.iter().any(|l| l.contains("--max-connections")),
        "{stderr:?}"
    );
}

#[test]
fn sigterm_drains_the_exchange_in_flight() {
    let _shared = shared();
    let dir = tempdir("live-drain");
    let saved = dir.join("drain.pcapng");
    let l = Listener::start(&["--allow-anonymous", "--save", saved.to_str().unwrap()]);
    let mut s = TcpStream::connect(l.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"PUT /drain HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    l.terminate();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(b"56789").unwrap();
    let (status, head, _) = read_response(&mut s);
    assert_eq!(status, 200, "{head}");
    drop(s);
    let (live, stderr) = l.stop();
    assert_eq!(live.len(), 1, "{stderr:?}");
    assert_eq!(live[0]["request"]["body_len"], 10);
    let (replayed, _) = report(&saved, None);
    assert_eq!(replayed.len(), 1);
    assert_eq!(summary(&replayed[0]), summary(&live[0]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The saved capture as Wireshark's dissectors read it: the same requests in the same order,
/// with IP and TCP checksums verified and no expert warning (malformed packet, lost segment,
/// retransmission, bad checksum). tshark is required in CI (SIGSCOPE_REQUIRE_TSHARK).
#[test]
fn saved_capture_reads_cleanly_in_tshark() {
    let _shared = shared();
    if !have_tool("tshark", "--version", "SIGSCOPE_REQUIRE_TSHARK") {
        return;
    }
    let dir = tempdir("live-tshark");
    let saved = dir.join("t.pcapng");
    let l = Listener::start(&["--allow-anonymous", "--save", saved.to_str().unwrap()]);
    let addr = l.addr;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let big = vec![b'z'; 1 << 20];
    let mut reqs: Vec<Vec<u8>> = vec![
        format!("GET /a?b=c HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(),
        format!("PUT /chunked HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").into_bytes(),
    ];
    let mut large = format!(
        "PUT /large HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    large.extend_from_slice(&big);
    reqs.push(large);
    for r in &reqs {
        s.write_all(r).unwrap();
        assert_eq!(read_response_buffered(&mut s, &mut buf).0, 200);
    }
    // Expect: 100-continue: the head, the interim response, then the body.
    s.write_all(format!("PUT /expect HTTP/1.1\r\nHost: {addr}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n").as_bytes()).unwrap();
    let mut tmp = [0u8; 64];
    let n = std::io::Read::read(&mut s, &mut tmp).unwrap();
    assert!(
        tmp[..n].starts_with(b"HTTP/1.1 100"),
        "{:?}",
        String::from_utf8_lossy(&tmp[..n])
    );
    s.write_all(b"hello").unwrap();
    assert_eq!(read_response_buffered(&mut s, &mut buf).0, 200);
    drop(s);
    let (live, _) = l.stop();
    let ours: Vec<String> = live
        .iter()
        .map(|x| {
            format!(
                "{}\t{}",
                x["request"]["method"].as_str().unwrap(),
                x["request"]["target"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(ours.len(), 4);
    let tshark = |filter: &str, fields: &[&str]| {
        let mut c = Command::new("tshark");
        c.arg("-r").arg(&saved).args([
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-Y",
            filter,
            "-T",
            "fields",
        ]);
        for f in fields {
            c.args(["-e", f]);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tshark("http.request", &["http.request.method", "http.request.uri"]),
        ours
    );
    let statuses = tshark("http.response", &["http.response.code"]);
    assert_eq!(statuses, ["200", "200", "200", "100", "200"]);
    let warnings = tshark(
        "_ws.malformed || _ws.expert.severity >= warning",
        &["frame.number", "_ws.expert.message"],
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

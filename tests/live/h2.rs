//! HTTP/2 cleartext (prior knowledge) on the same port as HTTP/1.1, with curl — a real client
//! with its own SigV4 signer (`--aws-sigv4`) and HTTP/2 stack (nghttp2): the endpoint verifies
//! multiplexed streams, the proxy forwards them to an HTTP/1.1 upstream, and both saved
//! sessions replay to the same verdicts.

use std::process::Command;

use crate::harness::*;

const USER_OK: &str = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const USER_BAD: &str = "AKIDEXAMPLE:not-the-secret";

fn curl_ok() -> bool {
    let v = Command::new("curl").arg("--version").output();
    let ok = v
        .as_ref()
        .map(|o| {
            let t = String::from_utf8_lossy(&o.stdout);
            t.contains("HTTP2") && t.contains("nghttp2")
        })
        .unwrap_or(false);
    if !ok {
        let msg = "curl with HTTP/2 (nghttp2) is needed";
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI installs curl)");
        }
        eprintln!("\n*** SKIPPED: {msg} ***\n");
    }
    ok
}

/// curl --http2-prior-knowledge, SigV4-signed, one request per connection; returns
/// "status version" per URL.
fn curl(user: &str, extra: &[&str], urls: &[String]) -> Vec<String> {
    let mut c = Command::new("curl");
    c.args([
        "-s",
        "--http2-prior-knowledge",
        "--aws-sigv4",
        "aws:amz:us-east-1:s3",
        "--user",
        user,
    ])
    .args(extra)
    .args(["-w", "%{http_code} %{http_version}\\n"]);
    for u in urls {
        c.args(["-o", "/dev/null", u]);
    }
    let out = c.output().expect("run curl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

fn creds() -> std::path::PathBuf {
    root().join("tests/captures/credentials")
}

#[test]
fn endpoint_over_h2c_with_curl() {
    let _shared = shared();
    if !curl_ok() {
        return;
    }
    let dir = tempdir("live-h2");
    let saved = dir.join("h2.pcapng");
    let blob = dir.join("blob");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(&blob, &data).unwrap();
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    let url = |p: &str| format!("{}{p}", l.url());
    let l_port = l.addr.port();
    let put = curl(
        USER_OK,
        &[
            "-X",
            "PUT",
            "--data-binary",
            &format!("@{}", blob.display()),
        ],
        &[url("/bucket/blob")],
    );
    assert_eq!(put, ["200 2"]);
    let get = curl(USER_OK, &[], &[url("/bucket/b?x=1")]);
    assert_eq!(get, ["200 2"]);
    let bad = curl(USER_BAD, &[], &[url("/bucket/a")]);
    assert_eq!(bad, ["403 2"]);
    // The same port still speaks HTTP/1.1.
    let h1 = Command::new("curl")
        .args([
            "-s",
            "--http1.1",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            USER_OK,
        ])
        .args([
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version}",
            &url("/bucket/h1"),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&h1.stdout), "200 1.1");
    let (live, stderr) = l.stop();
    assert_eq!(live.len(), 4, "{stderr:?}");
    let verdicts: Vec<_> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == "valid").count(),
        3,
        "{verdicts:?}"
    );
    let badx = live.iter().find(|x| x["verdict"] == "invalid").unwrap();
    assert_eq!(badx["response"]["status"], 403);
    let putx = live
        .iter()
        .find(|x| x["request"]["method"] == "PUT")
        .unwrap();
    assert_eq!(putx["request"]["body_len"], 300_000);
    use sha2::Digest;
    assert_eq!(
        putx["request"]["body_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&data))
    );
    let (replayed, rstderr) = report(&saved, Some(&creds()));
    let mut a: Vec<_> = live.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "{rstderr}");
    // Saved as HTTP/2 (issue 13): curl's three HTTP/2 connections are read back as HTTP/2,
    // every header block decoded; the HTTP/1.1 one as HTTP/1.1.
    assert!(
        rstderr.contains("4 TCP connections, 4 HTTP exchanges, 3 HTTP/2 connections")
            && !rstderr.contains("not decoded"),
        "{rstderr}"
    );
    // tshark reads the saved frames as HTTP/2 too (told the port, as for any h2c).
    let port = l_port;
    match Command::new("tshark")
        .arg("-r")
        .arg(&saved)
        .args(["-d", &format!("tcp.port=={port},http2")])
        .args(["-Y", "http2.headers.method", "-T", "fields"])
        .args(["-e", "http2.headers.method", "-e", "http2.headers.path"])
        .output()
    {
        Ok(o) if o.status.success() => {
            let mut rows: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            rows.sort();
            assert_eq!(
                rows,
                ["GET\t/bucket/a", "GET\t/bucket/b?x=1", "PUT\t/bucket/blob"]
            );
        }
        _ => assert!(
            std::env::var("SIGSCOPE_REQUIRE_TSHARK").is_err(),
            "tshark is required but could not run"
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn proxy_forwards_h2c_streams_to_an_http1_upstream() {
    let _shared = shared();
    if !curl_ok() {
        return;
    }
    let dir = tempdir("live-h2-proxy");
    let saved = dir.join("h2p.pcapng");
    let up = Listener::start(&["--credentials", creds().to_str().unwrap()]);
    let upstream = up.url();
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--upstream",
        &upstream,
        "--preserve-host",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let ok = curl(
        USER_OK,
        &["-X", "PUT", "--data-binary", "hello over h2"],
        &[format!("{}/bucket/h2.txt", l.url())],
    );
    assert_eq!(ok, ["200 2"]);
    let bad = curl(USER_BAD, &[], &[format!("{}/bucket/h2.txt", l.url())]);
    assert_eq!(bad, ["403 2"]);
    let (px, _) = l.stop();
    let (ux, _) = up.stop();
    // The upstream got HTTP/1.1 with the client's Host (from :authority) and the body.
    assert_eq!(ux.len(), 2);
    assert_eq!(ux[0]["verdict"], "valid", "{}", ux[0]);
    assert_eq!(ux[0]["request"]["body_len"], 13);
    // The proxy recorded both verdicts: its own and the upstream's answer.
    assert_eq!(px.len(), 2);
    assert_eq!(
        (
            px[0]["verdict"].as_str(),
            px[0]["response"]["status"].as_u64()
        ),
        (Some("valid"), Some(200))
    );
    assert_eq!(
        (
            px[1]["verdict"].as_str(),
            px[1]["response"]["status"].as_u64()
        ),
        (Some("invalid"), Some(403))
    );
    assert_eq!(px[1]["server_expected"]["code"], "SignatureDoesNotMatch");
    let (replayed, _) = report(&saved, Some(&creds()));
    let mut a: Vec<_> = px.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_streams_on_one_connection() {
    let _shared = shared();
    // hyper's HTTP/2 client (the h2 crate): 20 requests multiplexed on one connection.
    let l = Listener::start(&["--allow-anonymous"]);
    let addr = l.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (send, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tcp),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let mut js = Vec::new();
        for i in 0..20 {
            let mut send = send.clone();
            js.push(tokio::spawn(async move {
                let req = hyper::Request::builder()
                    .method("PUT")
                    .uri(format!("http://{addr}/stream/{i}"))
                    .body(http_body_util::Full::new(bytes::Bytes::from(vec![
                        b'x';
                        i * 100
                    ])))
                    .unwrap();
                send.send_request(req)
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }));
        }
        let mut v = Vec::new();
        for j in js {
            v.push(j.await.unwrap());
        }
        v
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Closes the client's connection (its task lives in the runtime).
    drop(rt);
    let (live, _) = l.stop();
    assert_eq!(live.len(), 20);
    let client = live[0]["client"].clone();
    assert!(
        live.iter().all(|x| x["client"] == client),
        "not one connection"
    );
    for x in &live {
        let i: usize = x["request"]["target"].as_str().unwrap()["/stream/".len()..]
            .parse()
            .unwrap();
        assert_eq!(x["request"]["body_len"], i * 100);
    }
}

#[test]
fn h2_negotiated_by_alpn_on_the_tls_listener() {
    let _shared = shared();
    if !curl_ok() {
        return;
    }
    let dir = tempdir("live-h2-tls");
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let saved = dir.join("tls.pcapng");
    let l = Listener::start(&[
        "--credentials",
        creds().to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--save",
        saved.to_str().unwrap(),
    ]);
    let url = format!("https://localhost:{}/bucket/tls.txt", l.addr.port());
    let run = |version: &str, user: &str| {
        let o = Command::new("curl")
            .args(["-s", version, "--cacert", cert.to_str().unwrap()])
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", user])
            .args([
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{http_version}",
                &url,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    assert_eq!(run("--http2", USER_OK), "200 2");
    assert_eq!(run("--http2", USER_BAD), "403 2");
    assert_eq!(run("--http1.1", USER_OK), "200 1.1");
    let (live, _) = l.stop();
    let v: Vec<_> = live
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(v, ["valid", "invalid", "valid"]);
    // The session is saved in the clear, HTTP/2 as HTTP/2 (issue 13), and reads back the same.
    let (replayed, rstderr) = report(&saved, Some(&creds()));
    let mut a: Vec<_> = live.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "{rstderr}");
    assert!(rstderr.contains("2 HTTP/2 connections"), "{rstderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

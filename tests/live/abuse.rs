//! Abuse of `sigscope listen`: 10,000 concurrent connections, slowloris, oversized and too
//! many headers, malformed chunked encoding, a stalled body, a body over the memory cap. In
//! every case the listener keeps serving other clients, says what happened, and the saved
//! capture stays readable. Bounded in time; everything runs on loopback and is cleaned up.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::harness::*;

/// Raises this process's open-files limit (inherited by the listener it spawns); false when
/// it cannot reach `want`.
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
#[allow(unsafe_code)]
fn raise_nofile(want: u64) -> bool {
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return false;
        }
        if r.rlim_cur as u64 >= want {
            return true;
        }
        let hard = (r.rlim_max as u64).max(want);
        let new = libc::rlimit {
            rlim_cur: want as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 {
            return true;
        }
        // Without the privilege to raise the hard limit, take what it allows.
        let new = libc::rlimit {
            rlim_cur: r.rlim_max,
            rlim_max: r.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 && r.rlim_max as u64 >= want
    }
}

fn ok_get(addr: std::net::SocketAddr, path: &str) -> Duration {
    let t0 = Instant::now();
    let (status, head, _) = get(addr, path);
    assert_eq!(status, 200, "a normal client was not served: {head}");
    t0.elapsed()
}

#[test]
fn ten_thousand_concurrent_connections() {
    let _one = alone();
    const N: usize = 10_000;
    if !raise_nofile(N as u64 + 2048) {
        let msg = format!("cannot raise the open-files limit to {}", N + 2048);
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI runs as root and must be able to)");
        }
        eprintln!("\n*** SKIPPED ten_thousand_concurrent_connections: {msg} ***\n");
        return;
    }
    let dir = tempdir("live-10k");
    let saved = dir.join("10k.pcapng");
    let l = Listener::start(&[
        "--allow-anonymous",
        "--max-connections",
        "20000",
        "--header-timeout",
        "60",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let addr = l.addr;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t0 = Instant::now();
    let served = rt.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Open all connections first (in waves, so the accept backlog is not overrun), and
        // keep them open.
        let mut conns = Vec::with_capacity(N);
        for wave in 0..N / 500 {
            let mut js = Vec::new();
            for _ in 0..500 {
                js.push(tokio::spawn(tokio::net::TcpStream::connect(addr)));
            }
            for j in js {
                conns.push(
                    j.await
                        .unwrap()
                        .unwrap_or_else(|e| panic!("connect in wave {wave}: {e}")),
                );
            }
        }
        // With 10,000 idle connections open, a new client is served.
        let fresh = tokio::task::spawn_blocking(move || ok_get(addr, "/fresh"))
            .await
            .unwrap();
        assert!(
            fresh < Duration::from_secs(10),
            "fresh client waited {fresh:?}"
        );
        // Then every connection sends a request at once and reads its answer.
        let mut js = Vec::with_capacity(N);
        for (i, mut c) in conns.into_iter().enumerate() {
            js.push(tokio::spawn(async move {
                let req = format!("GET /c/{i} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
                c.write_all(req.as_bytes()).await?;
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                loop {
                    let n = tokio::time::timeout(Duration::from_secs(60), c.read(&mut tmp))
                        .await
                        .map_err(|_| std::io::Error::other("timeout"))??;
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            return Ok::<bool, std::io::Error>(head.starts_with("http/1.1 200"));
                        }
                    }
                }
                Ok(false)
            }));
        }
        let mut ok = 0;
        for j in js {
            if let Ok(Ok(true)) = j.await {
                ok += 1;
            }
        }
        ok
    });
    assert_eq!(
        served, N,
        "only {served} of {N} concurrent requests were answered 200"
    );
    assert!(t0.elapsed() < Duration::from_secs(240));
    let (live, stderr) = l.stop();
    assert_eq!(live.len(), N + 1, "{:?}", &stderr[..stderr.len().min(20)]);
    assert!(live
        .iter()
        .all(|x| x["response"]["status"] == 200 && x["verdict"] == "anonymous"));
    let (replayed, rstderr) = report(&saved, None);
    assert_eq!(replayed.len(), N + 1, "{rstderr}");
    let mut a: Vec<_> = live.iter().map(summary).collect();
    let mut b: Vec<_> = replayed.iter().map(summary).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads until the peer closes (Ok(true)) or the deadline passes (Ok(false)).
fn closed_within(s: &mut TcpStream, d: Duration) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let t0 = Instant::now();
    let mut tmp = [0u8; 4096];
    while t0.elapsed() < d {
        match s.read(&mut tmp) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn slowloris_oversized_malformed_and_stalled_clients() {
    let _one = alone();
    let dir = tempdir("live-abuse");
    let saved = dir.join("abuse.pcapng");
    let l = Listener::start(&[
        "--allow-anonymous",
        "--header-timeout",
        "1",
        "--idle-timeout",
        "1",
        "--max-header-size",
        "16K",
        "--body-cap",
        "64K",
        "--save",
        saved.to_str().unwrap(),
    ]);
    let addr = l.addr;
    let mut normal = 0;

    // Slowloris: 200 connections dribbling a request head, one header line every 300 ms.
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(2500) {
        for s in &mut slow {
            let _ = s.write_all(b"X-Slow: 1\r\n");
        }
        // Meanwhile everyone else is served promptly.
        let took = ok_get(addr, "/during-slowloris");
        normal += 1;
        assert!(
            took < Duration::from_secs(1),
            "normal request took {took:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut still_open = 0;
    for s in &mut slow {
        if !closed_within(s, Duration::from_millis(1500)) {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "{still_open} slowloris connections outlived the header timeout"
    );
    drop(slow);

    // A head larger than --max-header-size: 431.
    let big = format!(
        "GET /big HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 << 10)
    );
    let (status, head, _) = raw_http(addr, big.as_bytes());
    assert_eq!(status, 431, "{head}");
    // Too many headers: 431 too.
    let mut many = String::from("GET /many HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let (status, head, _) = raw_http(addr, many.as_bytes());
    assert_eq!(status, 431, "{head}");
    ok_get(addr, "/after-big");
    normal += 1;

    // Malformed chunked encoding: 400, connection closed, nothing else affected.
    for bad in [
        &b"PUT /chunky HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"[..],
        &b"PUT /chunky HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"[..],
        &b"PUT /chunky HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"[..],
        // Ambiguous framing: two lengths, or a transfer coding that does not end in chunked.
        &b"PUT /dup HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\nabc"[..],
        &b"PUT /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n"[..],
    ] {
        let (status, head, _) = raw_http(addr, bad);
        assert!(status == 400 || status == 0, "malformed chunked answered {status}: {head}");
    }
    ok_get(addr, "/after-chunked");
    normal += 1;

    // A body that stalls halfway: closed after the idle timeout.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"PUT /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .unwrap();
    assert!(
        closed_within(&mut s, Duration::from_secs(4)),
        "stalled body kept open"
    );

    // A body over the memory cap: still received whole, hashed whole.
    let body: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
    let mut req = format!(
        "PUT /large HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let (status, _, _) = raw_http(addr, &req);
    assert_eq!(status, 200);
    normal += 1;

    let (live, stderr) = l.stop();
    let text = stderr.join("\n");
    assert!(text.contains("--header-timeout"), "{text}");
    assert!(
        text.contains("431") && text.contains("--max-header-size"),
        "{text}"
    );
    assert!(text.contains("--idle-timeout"), "{text}");
    let ok: Vec<_> = live
        .iter()
        .filter(|x| x["response"]["status"] == 200)
        .collect();
    assert_eq!(ok.len(), normal, "{live:?}");
    let large = live
        .iter()
        .find(|x| x["request"]["target"] == "/large")
        .unwrap();
    assert_eq!(large["request"]["body_len"], 1 << 20);
    use sha2::Digest;
    assert_eq!(
        large["request"]["body_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&body))
    );
    // The saved file stays valid: it replays, with every served exchange in it.
    let (replayed, rstderr) = report(&saved, None);
    let rok = replayed
        .iter()
        .filter(|x| x["response"]["status"] == 200)
        .count();
    assert_eq!(rok, normal, "{rstderr}");
    let rlarge = replayed
        .iter()
        .find(|x| x["request"]["target"] == "/large")
        .unwrap();
    assert_eq!(
        rlarge["request"]["body_sha256"],
        large["request"]["body_sha256"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

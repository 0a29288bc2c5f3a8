//! Writes a large, deterministic pcap of signed AWS HTTP/1.1 traffic for the capture-ingest
//! benchmark (`bench/capture/run.sh`).
//!
//!     cargo run --release --example gen_capture -- OUT.pcap --requests 1000000 \
//!         [--min-bytes 1073741824] [--concurrency 32] [--seed 1] [--large-put-permille 5]
//!
//! The file is a legacy pcap (magic a1b2c3d4, microsecond timestamps, DLT_EN10MB). Clients on
//! 127.0.0.2–127.0.0.251 talk to a server on 127.0.0.1:80 over many TCP connections, several
//! running at once with their packets interleaved. Each connection has a SYN/SYN-ACK/ACK
//! handshake, 1–16 keep-alive request/response pairs, and a FIN/FIN/ACK close. Segments carry
//! at most 1448 payload bytes (MSS of a 1500-byte Ethernet MTU with TCP timestamps); the
//! server ACKs every second client segment. Sequence numbers, lengths and the IPv4 and TCP
//! checksums are all correct.
//!
//! Requests:
//! * generated here and really signed (SigV4 with HMAC-SHA256, SigV2 with HMAC-SHA1) with the
//!   test key `AKIDEXAMPLE` (tests/captures/credentials): S3 GET/HEAD/PUT with header auth,
//!   PUTs of 4–64 KiB, SigV4 presigned GETs, SigV2 GETs, and a few GETs signed with the wrong
//!   secret (answered `403 SignatureDoesNotMatch`);
//! * the real client requests of tests/vectors/real (botocore, boto2), byte for byte, minus a
//!   `Connection: close` header; those that sent `Expect: 100-continue` get a
//!   `100 Continue` before their body, and the one that AWS rejects gets a 403.
//!
//! Timestamps start at 2015-08-30 12:36:00 UTC and each X-Amz-Date / Date is the capture time
//! of its request. Same arguments, same bytes (xorshift PRNG, fixed seed). Prints what it
//! wrote (size, requests, responses, packets, connections, expected verdicts) as `key=value`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

mod pcap;
mod sign;
mod traffic;

use pcap::*;
use sign::*;
use traffic::*;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const WRONG_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY00";
const REGION: &str = "us-east-1";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// 2015-08-30T12:36:00Z, the date of the fixtures' signatures.
const START_UNIX: u64 = 1_440_938_160;
const MSS: usize = 1448;
const SERVER_IP: [u8; 4] = [127, 0, 0, 1];
const SERVER_PORT: u16 = 80;

// ------------------------------------------------------------------------------------ main

struct Args {
    out: String,
    requests: u64,
    min_bytes: u64,
    concurrency: usize,
    seed: u64,
    large_put_permille: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        out: String::new(),
        requests: 1_000_000,
        min_bytes: 0,
        concurrency: 32,
        seed: 1,
        large_put_permille: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match x.as_str() {
            "--requests" => a.requests = num("--requests")?,
            "--min-bytes" => a.min_bytes = num("--min-bytes")?,
            "--concurrency" => a.concurrency = num("--concurrency")?.max(1) as usize,
            "--seed" => a.seed = num("--seed")?,
            "--large-put-permille" => a.large_put_permille = num("--large-put-permille")?.min(1000),
            "-h" | "--help" => return Err(String::new()),
            _ if x.starts_with('-') => return Err(format!("unknown option {x}")),
            _ if a.out.is_empty() => a.out = x,
            _ => return Err(format!("unexpected argument {x}")),
        }
    }
    if a.out.is_empty() {
        return Err("missing OUT.pcap".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_capture: {e}");
            }
            eprintln!(
                "usage: gen_capture OUT.pcap [--requests N] [--min-bytes N] [--concurrency N] [--seed N] [--large-put-permille N]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}

fn run(a: &Args) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let mut gen = Gen::new(a.seed, a.large_put_permille);
    let mut out = Out {
        pcap: Pcap::create(&a.out)?,
        ts: START_UNIX * 1_000_000,
        rng: Rng(a.seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1),
    };
    let (mut requests, mut responses, mut valid, mut invalid, mut conns) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut next_port: u32 = 0;
    let mut active: Vec<Conn> = Vec::with_capacity(a.concurrency);

    let done = |requests: u64, bytes: u64| requests >= a.requests && bytes >= a.min_bytes;

    while !done(requests, out.pcap.bytes) || active.iter().any(|c| c.pending.is_some()) {
        // Open connections up to the concurrency while there is work left.
        while active.len() < a.concurrency && !done(requests, out.pcap.bytes) {
            let host = 2 + (conns % 250) as u8;
            let port = 32768 + (next_port % 28_000) as u16;
            next_port += 1;
            let mut c = Conn {
                client: Ep {
                    ip: [127, 0, 0, host],
                    port,
                },
                server: Ep {
                    ip: SERVER_IP,
                    port: SERVER_PORT,
                },
                cseq: out.rng.next() as u32,
                sseq: out.rng.next() as u32,
                cid: out.rng.next() as u16,
                sid: out.rng.next() as u16,
                left: out.rng.range(1, 16) as u32,
                pending: None,
            };
            out.tick(50, 2000);
            out.c2s(&mut c, SYN, &[])?;
            out.s2c(&mut c, SYN | ACK, &[])?;
            out.c2s(&mut c, ACK, &[])?;
            conns += 1;
            active.push(c);
        }
        if active.is_empty() {
            break;
        }
        let i = out.rng.below(active.len() as u64) as usize;
        out.tick(5, 300);
        let c = &mut active[i];
        if let Some(resp) = c.pending.take() {
            out.send(c, false, &resp)?;
            responses += 1;
            c.left -= 1;
            let finished = done(requests, out.pcap.bytes);
            if c.left == 0 || finished {
                out.c2s(c, FIN | ACK, &[])?;
                out.s2c(c, FIN | ACK, &[])?;
                out.c2s(c, ACK, &[])?;
                active.swap_remove(i);
            }
        } else if done(requests, out.pcap.bytes) {
            // Targets met: close idle connections without another request.
            out.c2s(c, FIN | ACK, &[])?;
            out.s2c(c, FIN | ACK, &[])?;
            out.c2s(c, ACK, &[])?;
            active.swap_remove(i);
        } else {
            let ex = gen.exchange(out.ts);
            out.send(c, true, &ex.request_head)?;
            if ex.expect_continue {
                out.tick(20, 200);
                out.send(c, false, b"HTTP/1.1 100 Continue\r\n\r\n")?;
                responses += 1;
            }
            if !ex.request_body.is_empty() {
                out.send(c, true, &ex.request_body)?;
            }
            requests += 1;
            if ex.valid {
                valid += 1;
            } else {
                invalid += 1;
            }
            c.pending = Some(ex.response);
        }
    }
    for mut c in active.drain(..) {
        out.c2s(&mut c, FIN | ACK, &[])?;
        out.s2c(&mut c, FIN | ACK, &[])?;
        out.c2s(&mut c, ACK, &[])?;
    }
    out.pcap.w.flush()?;
    let bytes = out.pcap.bytes;
    println!("file={}", a.out);
    println!("bytes={bytes}");
    println!("mib={:.1}", bytes as f64 / (1u64 << 20) as f64);
    println!("requests={requests}");
    println!("responses={responses}");
    println!("packets={}", out.pcap.packets);
    println!("connections={conns}");
    println!("expected_valid={valid}");
    println!("expected_invalid={invalid}");
    println!(
        "capture_seconds={:.1}",
        (out.ts - START_UNIX * 1_000_000) as f64 / 1e6
    );
    println!("generate_seconds={:.1}", started.elapsed().as_secs_f64());
    Ok(())
}

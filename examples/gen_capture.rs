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

/// Real client requests (see tests/vectors/real/README.md) and whether AWS accepts them.
const FIXTURES: &[(&str, &[u8], bool)] = &[
    (
        "botocore/query-v2",
        include_bytes!("../tests/vectors/real/botocore/query-v2.http"),
        true,
    ),
    (
        "botocore/s3-sigv2-get",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv2-get.http"),
        true,
    ),
    (
        "botocore/s3-sigv2-presigned",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv2-presigned.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-key-special",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv4-key-special.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-presigned",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv4-presigned.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-put",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv4-put.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-query-plus",
        include_bytes!("../tests/vectors/real/botocore/s3-sigv4-query-plus.http"),
        true,
    ),
    (
        "botocore/sigv4-get-query",
        include_bytes!("../tests/vectors/real/botocore/sigv4-get-query.http"),
        true,
    ),
    (
        "botocore/sigv4-post-form",
        include_bytes!("../tests/vectors/real/botocore/sigv4-post-form.http"),
        true,
    ),
    (
        "botocore/sigv4-session-token",
        include_bytes!("../tests/vectors/real/botocore/sigv4-session-token.http"),
        true,
    ),
    // `?k=v+w`: AWS reads the `+` as a space, as botocore signed it, so it verifies under aws.
    (
        "botocore/sigv4-path-encoding",
        include_bytes!("../tests/vectors/real/botocore/sigv4-path-encoding.http"),
        true,
    ),
    (
        "boto2/cfn-push-stats-post",
        include_bytes!("../tests/vectors/real/boto2/cfn-push-stats-post.http"),
        true,
    ),
    (
        "boto2/query-v2-post",
        include_bytes!("../tests/vectors/real/boto2/query-v2-post.http"),
        true,
    ),
    (
        "boto2/s3-sigv2-put",
        include_bytes!("../tests/vectors/real/boto2/s3-sigv2-put.http"),
        true,
    ),
];

const BUCKETS: &[&str] = &[
    "examplebucket",
    "logs-prod-eu",
    "media-assets",
    "backup-2015",
];
const PREFIXES: &[&str] = &[
    "photos/2015%20summer",
    "logs/app/2015/08/30",
    "data/part",
    "uploads/tmp",
    "reports/q3",
    "videos/raw",
];
const EXTS: &[&str] = &["txt", "log", "csv", "bin", "dat", "parquet"];

// ------------------------------------------------------------------------------------ PRNG

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    /// Inclusive range.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

// ------------------------------------------------------------------------------------ pcap

struct Pcap {
    w: BufWriter<File>,
    frame: Vec<u8>,
    bytes: u64,
    packets: u64,
}

#[derive(Clone, Copy)]
struct Ep {
    ip: [u8; 4],
    port: u16,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

fn csum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [b] = chunks.remainder() {
        sum += (*b as u32) << 8;
    }
    // fold now and then so a 64 KiB payload cannot overflow
    (sum & 0xffff) + (sum >> 16)
}

fn csum_fin(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

impl Pcap {
    fn create(path: &str) -> std::io::Result<Pcap> {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&262_144u32.to_le_bytes()); // snaplen
        h.extend_from_slice(&1u32.to_le_bytes()); // DLT_EN10MB
        w.write_all(&h)?;
        Ok(Pcap {
            w,
            frame: Vec::with_capacity(2048),
            bytes: 24,
            packets: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        ts_us: u64,
        src: Ep,
        dst: Ep,
        ip_id: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let syn = flags & SYN != 0;
        let tcp_len = if syn { 24 } else { 20 }; // SYNs carry an MSS option
        let ip_len = 20 + tcp_len + payload.len();
        let f = &mut self.frame;
        f.clear();
        // Ethernet: locally administered MACs derived from the IPs
        f.extend_from_slice(&[0x02, 0, dst.ip[0], dst.ip[1], dst.ip[2], dst.ip[3]]);
        f.extend_from_slice(&[0x02, 0, src.ip[0], src.ip[1], src.ip[2], src.ip[3]]);
        f.extend_from_slice(&[0x08, 0x00]);
        // IPv4
        let ip0 = f.len();
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&(ip_len as u16).to_be_bytes());
        f.extend_from_slice(&ip_id.to_be_bytes());
        f.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]); // DF, TTL 64, TCP, checksum
        f.extend_from_slice(&src.ip);
        f.extend_from_slice(&dst.ip);
        let ipc = csum_fin(csum_add(0, &f[ip0..ip0 + 20]));
        f[ip0 + 10..ip0 + 12].copy_from_slice(&ipc.to_be_bytes());
        // TCP
        let t0 = f.len();
        f.extend_from_slice(&src.port.to_be_bytes());
        f.extend_from_slice(&dst.port.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
        f.push(((tcp_len / 4) as u8) << 4);
        f.push(flags);
        f.extend_from_slice(&65535u16.to_be_bytes()); // window
        f.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        if syn {
            f.extend_from_slice(&[2, 4]);
            f.extend_from_slice(&(MSS as u16).to_be_bytes());
        }
        f.extend_from_slice(payload);
        let mut sum = 0u32;
        sum = csum_add(sum, &src.ip);
        sum = csum_add(sum, &dst.ip);
        sum = csum_add(sum, &[0, 6]);
        sum = csum_add(sum, &((tcp_len + payload.len()) as u16).to_be_bytes());
        sum = csum_add(sum, &f[t0..]);
        let tc = csum_fin(sum);
        f[t0 + 16..t0 + 18].copy_from_slice(&tc.to_be_bytes());

        let len = f.len() as u32;
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&len.to_le_bytes());
        rec[12..16].copy_from_slice(&len.to_le_bytes());
        self.w.write_all(&rec)?;
        self.w.write_all(f)?;
        self.bytes += 16 + len as u64;
        self.packets += 1;
        Ok(())
    }
}

// ------------------------------------------------------------------------------------ signing

type HmacSha256 = Hmac<Sha256>;

fn hmac256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn signing_key(secret: &str, date: &str, service: &str) -> [u8; 32] {
    let k = hmac256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac256(&k, REGION.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    hmac256(&k, b"aws4_request")
}

fn sigv4(key: &[u8; 32], amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    hex::encode(hmac256(key, sts.as_bytes()))
}

fn sigv2(secret: &str, sts: &str) -> String {
    let mut m = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct Clock {
    /// `YYYYMMDD`, `YYYYMMDDTHHMMSSZ`, RFC 1123 date
    date: String,
    amz: String,
    http: String,
    sec: u64,
}

impl Clock {
    fn at(&mut self, secs: u64) {
        if secs == self.sec {
            return;
        }
        self.sec = secs;
        let days = (secs / 86_400) as i64;
        let (y, m, d) = civil(days);
        let (hh, mm, ss) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        self.date = format!("{y:04}{m:02}{d:02}");
        self.amz = format!("{}T{hh:02}{mm:02}{ss:02}Z", self.date);
        const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MON: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        self.http = format!(
            "{}, {d:02} {} {y} {hh:02}:{mm:02}:{ss:02} GMT",
            WD[(days % 7) as usize],
            MON[m as usize - 1]
        );
    }
}

// ------------------------------------------------------------------------------------ HTTP

struct Exchange {
    /// Client writes: headers, then the body (each split into MSS segments).
    request_head: Vec<u8>,
    request_body: Vec<u8>,
    /// `Expect: 100-continue`: the server answers `100 Continue` between head and body.
    expect_continue: bool,
    response: Vec<u8>,
    valid: bool,
}

struct Gen {
    rng: Rng,
    clock: Clock,
    key_date: String,
    key_good: [u8; 32],
    key_bad: [u8; 32],
    large_put_permille: u64,
    fixtures: Vec<(Vec<u8>, Vec<u8>, bool, bool)>,
    body: Vec<u8>,
}

fn split_fixture(raw: &[u8]) -> (Vec<u8>, Vec<u8>, bool) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("fixture has a header end")
        + 4;
    let head = std::str::from_utf8(&raw[..end]).expect("ASCII headers");
    let mut out = String::new();
    let mut expect = false;
    for line in head.split_inclusive("\r\n") {
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:") {
            continue; // keep-alive here, so no `Connection: close`
        }
        if l.starts_with("expect:") && l.contains("100-continue") {
            expect = true;
        }
        out.push_str(line);
    }
    (out.into_bytes(), raw[end..].to_vec(), expect)
}

impl Gen {
    fn new(seed: u64, large_put_permille: u64) -> Gen {
        let fixtures = FIXTURES
            .iter()
            .map(|(_, raw, ok)| {
                let (h, b, e) = split_fixture(raw);
                (h, b, e, *ok)
            })
            .collect();
        let mut g = Gen {
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            clock: Clock {
                date: String::new(),
                amz: String::new(),
                http: String::new(),
                sec: u64::MAX,
            },
            key_date: String::new(),
            key_good: [0; 32],
            key_bad: [0; 32],
            large_put_permille,
            fixtures,
            body: Vec::new(),
        };
        g.clock.at(START_UNIX);
        g
    }

    fn set_time(&mut self, ts_us: u64) {
        self.clock.at(ts_us / 1_000_000);
        if self.key_date != self.clock.date {
            self.key_date = self.clock.date.clone();
            self.key_good = signing_key(SECRET_KEY, &self.key_date, "s3");
            self.key_bad = signing_key(WRONG_SECRET, &self.key_date, "s3");
        }
    }

    fn object_path(&mut self) -> (String, &'static str) {
        let b = *self.rng.pick(BUCKETS);
        let p = *self.rng.pick(PREFIXES);
        let e = *self.rng.pick(EXTS);
        let n = self.rng.below(1_000_000);
        (format!("/{b}/{p}/obj-{n:06}.{e}"), e)
    }

    fn invocation_id(&mut self) -> String {
        let a = self.rng.next();
        let b = self.rng.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    fn request_id(&mut self) -> (String, String) {
        let id = format!("{:016X}", self.rng.next());
        let mut host = [0u8; 48];
        self.rng.fill(&mut host);
        (id, base64::engine::general_purpose::STANDARD.encode(host))
    }

    fn response(
        &mut self,
        status: &str,
        ctype: &str,
        extra: &str,
        body: &[u8],
        head_only: usize,
    ) -> Vec<u8> {
        let (id, host) = self.request_id();
        let len = if head_only > 0 { head_only } else { body.len() };
        let mut r = format!(
            "HTTP/1.1 {status}\r\nx-amz-id-2: {host}\r\nx-amz-request-id: {id}\r\nDate: {}\r\n{extra}Content-Type: {ctype}\r\nContent-Length: {len}\r\nServer: AmazonS3\r\n\r\n",
            self.clock.http
        )
        .into_bytes();
        if head_only == 0 {
            r.extend_from_slice(body);
        }
        r
    }

    fn denied(&mut self) -> Vec<u8> {
        let (id, host) = self.request_id();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId><RequestId>{id}</RequestId><HostId>{host}</HostId></Error>"
        );
        format!(
            "HTTP/1.1 403 Forbidden\r\nx-amz-request-id: {id}\r\nx-amz-id-2: {host}\r\nContent-Type: application/xml\r\nDate: {}\r\nContent-Length: {}\r\nServer: AmazonS3\r\n\r\n{body}",
            self.clock.http,
            body.len()
        )
        .into_bytes()
    }

    /// A small object body: text for the text types, random bytes otherwise.
    fn object(&mut self, ext: &str) -> Vec<u8> {
        let n = self.rng.range(16, 512) as usize;
        let mut obj = vec![0u8; n];
        self.rng.fill(&mut obj);
        if content_type(ext).starts_with("text/") {
            for (i, b) in obj.iter_mut().enumerate() {
                *b = if i % 64 == 63 {
                    b'\n'
                } else {
                    b"abcdefghij,0123456789 "[(*b % 22) as usize]
                };
            }
        }
        obj
    }

    fn etag(&mut self) -> String {
        format!(
            "ETag: \"{:016x}{:016x}\"\r\n",
            self.rng.next(),
            self.rng.next()
        )
    }

    /// S3 SigV4 with header auth (botocore's S3SigV4Auth shape).
    fn s3_v4(&mut self, method: &str, body_len: usize, wrong_key: bool) -> Exchange {
        let (path, ext) = self.object_path();
        let mut body = std::mem::take(&mut self.body);
        body.resize(body_len, 0);
        self.rng.fill(&mut body);
        let payload_hash = if body_len == 0 {
            EMPTY_SHA256.to_string()
        } else {
            sha256_hex(&body)
        };
        let amz = self.clock.amz.clone();
        let date = self.clock.date.clone();
        let ctype = "application/octet-stream";
        let (signed, canon_headers, extra) = if method == "PUT" {
            (
                "content-type;host;x-amz-content-sha256;x-amz-date",
                format!("content-type:{ctype}\nhost:127.0.0.1\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz}\n"),
                format!("Content-Type: {ctype}\r\nContent-Length: {body_len}\r\n"),
            )
        } else {
            (
                "host;x-amz-content-sha256;x-amz-date",
                format!("host:127.0.0.1\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz}\n"),
                String::new(),
            )
        };
        let canonical = format!("{method}\n{path}\n\n{canon_headers}\n{signed}\n{payload_hash}");
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let key = if wrong_key {
            self.key_bad
        } else {
            self.key_good
        };
        let sig = sigv4(&key, &amz, &scope, &canonical);
        let inv = self.invocation_id();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nUser-Agent: Botocore/1.43.11 sigscope-bench\r\nX-Amz-Date: {amz}\r\nX-Amz-Content-SHA256: {payload_hash}\r\n{extra}Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={sig}\r\namz-sdk-invocation-id: {inv}\r\namz-sdk-request: attempt=1\r\n\r\n"
        )
        .into_bytes();
        let response = if wrong_key {
            self.denied()
        } else {
            match method {
                "PUT" => {
                    let etag = self.etag();
                    self.response("200 OK", "application/xml", &etag, b"", 0)
                }
                "HEAD" => {
                    let etag = self.etag();
                    let len = self.rng.range(1, 10_000_000) as usize;
                    self.response("200 OK", content_type(ext), &etag, b"", len)
                }
                _ => {
                    let obj = self.object(ext);
                    let etag = self.etag();
                    self.response("200 OK", content_type(ext), &etag, &obj, 0)
                }
            }
        };
        let ex = Exchange {
            request_head: head,
            request_body: body.clone(),
            expect_continue: false,
            response,
            valid: !wrong_key,
        };
        self.body = body;
        ex
    }

    /// S3 SigV4 presigned GET (botocore's S3SigV4QueryAuth shape), fetched by a plain client.
    fn s3_v4_presigned(&mut self) -> Exchange {
        let (path, ext) = self.object_path();
        let amz = self.clock.amz.clone();
        let date = self.clock.date.clone();
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY}%2F{date}%2F{REGION}%2Fs3%2Faws4_request&X-Amz-Date={amz}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        );
        let canonical = format!("GET\n{path}\n{query}\nhost:127.0.0.1\n\nhost\nUNSIGNED-PAYLOAD");
        let sig = sigv4(&self.key_good, &amz, &scope, &canonical);
        let head = format!(
            "GET {path}?{query}&X-Amz-Signature={sig} HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
        )
        .into_bytes();
        let obj = self.object(ext);
        let etag = self.etag();
        let response = self.response("200 OK", content_type(ext), &etag, &obj, 0);
        Exchange {
            request_head: head,
            request_body: Vec::new(),
            expect_continue: false,
            response,
            valid: true,
        }
    }

    /// S3 SigV2 GET with header auth (botocore's HmacV1Auth shape).
    fn s3_v2_get(&mut self) -> Exchange {
        let (path, ext) = self.object_path();
        let date = self.clock.http.clone();
        let sig = sigv2(SECRET_KEY, &format!("GET\n\n\n{date}\n{path}"));
        let inv = self.invocation_id();
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nUser-Agent: Botocore/1.43.11 sigscope-bench\r\nDate: {date}\r\nAuthorization: AWS {ACCESS_KEY}:{sig}\r\namz-sdk-invocation-id: {inv}\r\namz-sdk-request: attempt=1\r\n\r\n"
        )
        .into_bytes();
        let obj = self.object(ext);
        let etag = self.etag();
        let response = self.response("200 OK", content_type(ext), &etag, &obj, 0);
        Exchange {
            request_head: head,
            request_body: Vec::new(),
            expect_continue: false,
            response,
            valid: true,
        }
    }

    fn fixture(&mut self) -> Exchange {
        let i = self.rng.below(self.fixtures.len() as u64) as usize;
        let (head, body, expect, ok) = self.fixtures[i].clone();
        let response = if ok {
            let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></Response>";
            self.response("200 OK", "text/xml", "", body, 0)
        } else {
            self.denied()
        };
        Exchange {
            request_head: head,
            request_body: body,
            expect_continue: expect,
            response,
            valid: ok,
        }
    }

    fn exchange(&mut self, ts_us: u64) -> Exchange {
        self.set_time(ts_us);
        let r = self.rng.below(1000);
        let large = self.large_put_permille;
        match r {
            _ if r < large => {
                let n = self.rng.range(4 << 10, 64 << 10) as usize;
                self.s3_v4("PUT", n, false)
            }
            _ if r < 300 => self.s3_v4("GET", 0, false),
            _ if r < 360 => self.s3_v4("HEAD", 0, false),
            _ if r < 460 => {
                let n = self.rng.range(64, 2048) as usize;
                self.s3_v4("PUT", n, false)
            }
            _ if r < 560 => self.s3_v4_presigned(),
            _ if r < 660 => self.s3_v2_get(),
            _ if r < 680 => self.s3_v4("GET", 0, true),
            _ => self.fixture(),
        }
    }
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        _ => "application/octet-stream",
    }
}

// ------------------------------------------------------------------------------------ TCP

struct Conn {
    client: Ep,
    server: Ep,
    cseq: u32,
    sseq: u32,
    cid: u16,
    sid: u16,
    left: u32,
    /// The response the server still owes, with the request's expected verdict.
    pending: Option<Vec<u8>>,
}

struct Out {
    pcap: Pcap,
    ts: u64,
    rng: Rng,
}

impl Out {
    fn tick(&mut self, lo: u64, hi: u64) -> u64 {
        self.ts += self.rng.range(lo, hi);
        self.ts
    }

    fn c2s(&mut self, c: &mut Conn, flags: u8, data: &[u8]) -> std::io::Result<()> {
        let ts = self.tick(2, 30);
        c.cid = c.cid.wrapping_add(1);
        self.pcap
            .packet(ts, c.client, c.server, c.cid, c.cseq, c.sseq, flags, data)?;
        c.cseq = c
            .cseq
            .wrapping_add(data.len() as u32 + u32::from(flags & (SYN | FIN) != 0));
        Ok(())
    }

    fn s2c(&mut self, c: &mut Conn, flags: u8, data: &[u8]) -> std::io::Result<()> {
        let ts = self.tick(2, 30);
        c.sid = c.sid.wrapping_add(1);
        self.pcap
            .packet(ts, c.server, c.client, c.sid, c.sseq, c.cseq, flags, data)?;
        c.sseq = c
            .sseq
            .wrapping_add(data.len() as u32 + u32::from(flags & (SYN | FIN) != 0));
        Ok(())
    }

    /// One application write, as MSS-sized segments; the peer ACKs every second one.
    fn send(&mut self, c: &mut Conn, from_client: bool, data: &[u8]) -> std::io::Result<()> {
        let n = data.len().div_ceil(MSS);
        for (i, seg) in data.chunks(MSS).enumerate() {
            let last = i + 1 == n;
            let flags = if last { PSH | ACK } else { ACK };
            if from_client {
                self.c2s(c, flags, seg)?;
                if i % 2 == 1 || last {
                    self.s2c(c, ACK, &[])?;
                }
            } else {
                self.s2c(c, flags, seg)?;
                if i % 2 == 1 || last {
                    self.c2s(c, ACK, &[])?;
                }
            }
        }
        Ok(())
    }
}

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

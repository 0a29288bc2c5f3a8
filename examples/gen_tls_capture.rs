//! Writes a large pcap of TLS 1.3 traffic carrying SigV4-signed HTTP/1.1 exchanges, and its
//! NSS key log, for the HTTPS benchmark (`bench/tls/run.sh`, issue 13).
//!
//!     cargo run --release --example gen_tls_capture -- OUT.pcap OUT.keys \
//!         [--min-bytes 1073741824] [--seed 1]
//!
//! Each connection (client 127.0.0.N:port → server 127.0.0.1:443, Ethernet/IPv4/TCP, MSS
//! 1448, sequence numbers and IPv4 checksums right) has a SYN handshake, a ClientHello and a
//! ServerHello in the clear (TLS_AES_128_GCM_SHA256, supported_versions 1.3, an X25519 key
//! share), the server's EncryptedExtensions + Finished and the client's Finished under the
//! handshake traffic keys, then 1–16 keep-alive exchanges under the application traffic keys,
//! and a FIN close. The traffic secrets are made up (random per connection), the records are
//! really sealed with AES-128-GCM under the keys RFC 8446 §7.3 derives from them (HKDF-Expand-
//! Label, written out here from the RFC rather than taken from sigscope), and the key log
//! names them: tshark decrypts the file with it, which is what checks this generator
//! (`bench/tls/run.sh` compares the requests both list). There is no real key exchange or
//! certificate: no reader of a key log needs one.
//!
//! Requests: S3 PUTs of 4–128 KiB and GETs answered with 4–128 KiB, signed with SigV4 by the
//! test key `AKIDEXAMPLE` (tests/captures/credentials), with `x-amz-content-sha256` the body's
//! hash. Same arguments, same bytes (xorshift PRNG).

use std::fs::File;
use std::io::{BufWriter, Write};

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, KeyInit};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MSS: usize = 1448;
/// 2015-08-30T12:36:00Z.
const START: u64 = 1_440_938_160;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        b
    }
}

// ------------------------------------------------------------------------ pcap, TCP

struct Pcap {
    w: BufWriter<File>,
    bytes: u64,
    packets: u64,
    usec: u64,
}

impl Pcap {
    fn new(path: &str) -> std::io::Result<Pcap> {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
        w.write_all(&0xa1b2c3d4u32.to_le_bytes())?;
        w.write_all(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
        w.write_all(&262_144u32.to_le_bytes())?;
        w.write_all(&1u32.to_le_bytes())?;
        Ok(Pcap {
            w,
            bytes: 24,
            packets: 0,
            usec: START * 1_000_000,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        self.usec += 7;
        let total = 20 + 20 + payload.len();
        let mut f = Vec::with_capacity(14 + total);
        f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 8, 0]);
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&src.0);
        ip[16..20].copy_from_slice(&dst.0);
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&src.1.to_be_bytes());
        f.extend_from_slice(&dst.1.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&ack.to_be_bytes());
        f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        let (s, us) = (self.usec / 1_000_000, self.usec % 1_000_000);
        for v in [s as u32, us as u32, f.len() as u32, f.len() as u32] {
            self.w.write_all(&v.to_le_bytes()).unwrap();
        }
        self.w.write_all(&f).unwrap();
        self.bytes += 16 + f.len() as u64;
        self.packets += 1;
    }
}

/// One TCP connection's two directions: their next sequence numbers.
struct Conn {
    ends: [([u8; 4], u16); 2],
    seq: [u32; 2],
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

impl Conn {
    fn open(p: &mut Pcap, client: ([u8; 4], u16), rng: &mut Rng) -> Conn {
        let server = ([127, 0, 0, 1], 443);
        let mut c = Conn {
            ends: [client, server],
            seq: [rng.next() as u32, rng.next() as u32],
        };
        p.tcp(client, server, c.seq[0], 0, SYN, &[]);
        c.seq[0] = c.seq[0].wrapping_add(1);
        p.tcp(server, client, c.seq[1], c.seq[0], SYN | ACK, &[]);
        c.seq[1] = c.seq[1].wrapping_add(1);
        p.tcp(client, server, c.seq[0], c.seq[1], ACK, &[]);
        c
    }

    /// Bytes from direction `d` (0 client, 1 server), in MSS-sized segments, then an ACK.
    fn send(&mut self, p: &mut Pcap, d: usize, data: &[u8]) {
        for chunk in data.chunks(MSS) {
            p.tcp(
                self.ends[d],
                self.ends[1 - d],
                self.seq[d],
                self.seq[1 - d],
                ACK | PSH,
                chunk,
            );
            self.seq[d] = self.seq[d].wrapping_add(chunk.len() as u32);
        }
        p.tcp(
            self.ends[1 - d],
            self.ends[d],
            self.seq[1 - d],
            self.seq[d],
            ACK,
            &[],
        );
    }

    fn close(&mut self, p: &mut Pcap) {
        for d in 0..2 {
            p.tcp(
                self.ends[d],
                self.ends[1 - d],
                self.seq[d],
                self.seq[1 - d],
                FIN | ACK,
                &[],
            );
            self.seq[d] = self.seq[d].wrapping_add(1);
        }
        p.tcp(
            self.ends[0],
            self.ends[1],
            self.seq[0],
            self.seq[1],
            ACK,
            &[],
        );
    }
}

// ------------------------------------------------------------------------ TLS 1.3

/// HKDF-Expand-Label(secret, label, "", len), RFC 8446 §7.1, SHA-256.
fn expand_label(secret: &[u8], label: &str, len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let hk = hkdf::Hkdf::<Sha256>::from_prk(secret).expect("32-byte PRK");
    let mut out = vec![0u8; len];
    hk.expand(&info, &mut out).expect("length");
    out
}

/// One direction's record protection: AES-128-GCM, RFC 8446 §5.2–5.3.
struct Sealer {
    aead: Aes128Gcm,
    iv: [u8; 12],
    seq: u64,
}

impl Sealer {
    fn new(secret: &[u8; 32]) -> Sealer {
        let key = expand_label(secret, "key", 16);
        let iv: [u8; 12] = expand_label(secret, "iv", 12).try_into().expect("12");
        Sealer {
            aead: Aes128Gcm::new_from_slice(&key).expect("16-byte key"),
            iv,
            seq: 0,
        }
    }

    /// Protected records of `content_type` carrying `data` (at most 2^14 bytes each).
    fn seal(&mut self, content_type: u8, data: &[u8], out: &mut Vec<u8>) {
        for chunk in data.chunks(1 << 14) {
            let mut body = chunk.to_vec();
            body.push(content_type);
            let len = body.len() + 16;
            let header = [23, 3, 3, (len >> 8) as u8, len as u8];
            let mut nonce = self.iv;
            for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
                *n ^= s;
            }
            self.seq += 1;
            let tag = self
                .aead
                .encrypt_in_place_detached((&nonce).into(), &header, &mut body)
                .expect("seal");
            out.extend_from_slice(&header);
            out.extend_from_slice(&body);
            out.extend_from_slice(&tag);
        }
    }
}

fn handshake(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, 0, (body.len() >> 8) as u8, body.len() as u8];
    m.extend_from_slice(body);
    m
}

fn record(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ty, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
    r.extend_from_slice(body);
    r
}

fn ext(ty: u16, data: &[u8]) -> Vec<u8> {
    let mut e = ty.to_be_bytes().to_vec();
    e.extend_from_slice(&(data.len() as u16).to_be_bytes());
    e.extend_from_slice(data);
    e
}

fn client_hello(random: &[u8; 32], sid: &[u8; 32], share: &[u8; 32]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    b.push(32);
    b.extend_from_slice(sid);
    b.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    let mut exts = ext(43, &[2, 3, 4]);
    exts.extend(ext(10, &[0, 2, 0, 0x1d]));
    exts.extend(ext(13, &[0, 2, 0x08, 0x04]));
    let mut ks = vec![0, 36, 0, 0x1d, 0, 32];
    ks.extend_from_slice(share);
    exts.extend(ext(51, &ks));
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend(exts);
    record(22, &handshake(1, &b))
}

fn server_hello(random: &[u8; 32], sid: &[u8; 32], share: &[u8; 32]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(random);
    b.push(32);
    b.extend_from_slice(sid);
    b.extend_from_slice(&[0x13, 0x01, 0]);
    let mut exts = ext(43, &[3, 4]);
    let mut ks = vec![0, 0x1d, 0, 32];
    ks.extend_from_slice(share);
    exts.extend(ext(51, &ks));
    b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    b.extend(exts);
    record(22, &handshake(2, &b))
}

// ------------------------------------------------------------------------ HTTP, SigV4

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn request(method: &str, path: &str, body: &[u8], unix: u64) -> Vec<u8> {
    let (y, mo, d) = civil((unix / 86_400) as i64);
    let s = unix % 86_400;
    let date = format!("{y:04}{mo:02}{d:02}");
    let amz = format!("{date}T{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60);
    let host = "examplebucket.s3.amazonaws.com";
    let hash = hex::encode(Sha256::digest(body));
    let canonical = format!(
        "{method}\n{path}\n\nhost:{host}\nx-amz-content-sha256:{hash}\nx-amz-date:{amz}\n\nhost;x-amz-content-sha256;x-amz-date\n{hash}"
    );
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{SECRET_KEY}").as_bytes(), &date);
    for part in ["us-east-1", "s3", "aws4_request"] {
        k = hmac(&k, part);
    }
    let sig = hex::encode(hmac(&k, &sts));
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nx-amz-content-sha256: {hash}\r\nx-amz-date: {amz}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn response(body_len: usize) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\n\r\n").into_bytes();
    r.resize(r.len() + body_len, b'r');
    r
}

// ------------------------------------------------------------------------ main

struct Totals {
    connections: u64,
    requests: u64,
}

fn connection(p: &mut Pcap, keys: &mut impl Write, rng: &mut Rng, n: u64, t: &mut Totals) {
    let client = (
        [127, 0, (2 + n / 60_000 % 250) as u8, (2 + n % 250) as u8],
        1024 + (n % 60_000) as u16,
    );
    let mut c = Conn::open(p, client, rng);
    let random: [u8; 32] = rng.bytes();
    let secrets: [[u8; 32]; 4] = [rng.bytes(), rng.bytes(), rng.bytes(), rng.bytes()];
    for (label, s) in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ]
    .iter()
    .zip(&secrets)
    {
        writeln!(keys, "{label} {} {}", hex::encode(random), hex::encode(s)).expect("key log");
    }
    let sid: [u8; 32] = rng.bytes();
    c.send(p, 0, &client_hello(&random, &sid, &rng.bytes()));
    let mut flight = server_hello(&rng.bytes(), &sid, &rng.bytes());
    let mut hs = handshake(8, &[0, 0]);
    hs.extend(handshake(20, &rng.bytes::<32>()));
    Sealer::new(&secrets[1]).seal(22, &hs, &mut flight);
    c.send(p, 1, &flight);
    let mut fin = Vec::new();
    Sealer::new(&secrets[0]).seal(22, &handshake(20, &rng.bytes::<32>()), &mut fin);
    let (mut up, mut down) = (Sealer::new(&secrets[2]), Sealer::new(&secrets[3]));
    let mut first = Some(fin);
    for i in 0..rng.range(1, 16) {
        let size = rng.range(4 << 10, 128 << 10) as usize;
        let unix = p.usec / 1_000_000;
        let (req, resp) = if rng.next() % 2 == 0 {
            let body = vec![b'a' + (i % 26) as u8; size];
            (
                request("PUT", &format!("/obj/{n}/{i}"), &body, unix),
                response(0),
            )
        } else {
            (
                request("GET", &format!("/obj/{n}/{i}"), b"", unix),
                response(size),
            )
        };
        let mut out = first.take().unwrap_or_default();
        up.seal(23, &req, &mut out);
        c.send(p, 0, &out);
        let mut back = Vec::new();
        down.seal(23, &resp, &mut back);
        c.send(p, 1, &back);
        t.requests += 1;
    }
    c.close(p);
    t.connections += 1;
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(keys_path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: gen_tls_capture OUT.pcap OUT.keys [--min-bytes N] [--seed N]");
        std::process::exit(2);
    };
    let opt = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let min_bytes = opt("--min-bytes", 1 << 30);
    let mut rng = Rng(opt("--seed", 1).max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut p = Pcap::new(out)?;
    let mut keys = BufWriter::new(File::create(keys_path)?);
    let mut t = Totals {
        connections: 0,
        requests: 0,
    };
    while p.bytes < min_bytes {
        connection(&mut p, &mut keys, &mut rng, t.connections, &mut t);
    }
    p.w.flush()?;
    keys.flush()?;
    println!(
        "bytes={} packets={} connections={} requests={}",
        p.bytes, p.packets, t.connections, t.requests
    );
    Ok(())
}

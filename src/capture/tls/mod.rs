//! TLS records of one TCP connection decrypted with the secrets of an NSS key log: TLS 1.3
//! (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305; KeyUpdate; HelloRetryRequest) and TLS 1.2
//! AEAD suites. What comes out is each direction's application data, which the HTTP reader
//! takes as if it had been sent in the clear; what cannot be decrypted is said, with why.
//!
//! Secrets and derived keys are never formatted into any message.

pub mod cbc;
pub mod crypto;
pub mod keylog;
pub mod keyring;
mod waiting;

use crypto::{Keys, Open, Suite};
pub use keylog::{KeyLog, KeyLogError};
pub use keyring::Keyring;

use super::tcp::Piece;

/// The largest record: 2^14 bytes of plaintext plus what protection may add (RFC 8446 §5.2
/// allows 256, RFC 5246 §6.2.3 2048).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// Handshake messages are kept only to be parsed; certificates chains are rarely larger.
const MAX_HANDSHAKE: usize = 1 << 20;
/// The random of a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Why (part of) a connection stayed encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// No key log was given at all.
    NoKeyLog,
    /// The key log has no secrets for this connection's client random.
    NoKey,
    /// The key log has some secrets for it, not the ones this version needs.
    MissingSecret,
    /// TLS 1.3 0-RTT data, and the key log has no `CLIENT_EARLY_TRAFFIC_SECRET` for it.
    NoEarlySecret,
    /// TLS 1.2 RSA key exchange and no key for its client random: Wireshark could use the
    /// server's private key; sigscope reads key logs only.
    RsaNoKey,
    UnsupportedSuite(u16),
    UnsupportedVersion(u16),
    /// The capture has no ClientHello and ServerHello of this connection.
    NoHandshake,
    /// Records failed authentication: wrong secrets, or damaged bytes.
    BadMac,
    /// Bytes missing from the TCP stream: the record boundaries were lost.
    Gap,
    /// Not TLS records after all, or a record longer than TLS allows.
    NotRecords,
    /// No application data: the handshake did not finish in the capture, or nothing was
    /// sent after it.
    NoData,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::NoKeyLog => write!(f, "no key log given (--keylog or SSLKEYLOGFILE)"),
            Why::NoKey => write!(f, "no key in the key log for its client random"),
            Why::MissingSecret => write!(f, "the key log lacks a secret this handshake needs"),
            Why::RsaNoKey => write!(
                f,
                "RSA key exchange and no key in the key log for its client random (a server's private key is not used)"
            ),
            Why::NoEarlySecret => write!(
                f,
                "early data (0-RTT) and no early traffic secret in the key log for it"
            ),
            Why::UnsupportedSuite(s) => write!(f, "cipher suite 0x{s:04x} is not supported"),
            Why::UnsupportedVersion(v) => write!(f, "TLS version 0x{v:04x} is not supported"),
            Why::NoHandshake => write!(f, "the capture started after the TLS handshake"),
            Why::BadMac => write!(f, "records failed authentication (wrong secret or damaged)"),
            Why::Gap => write!(f, "bytes missing from the TCP stream broke the TLS records"),
            Why::NotRecords => write!(f, "not well-formed TLS records"),
            Why::NoData => write!(f, "no application data after the handshake in the capture"),
        }
    }
}

/// What a direction hands on.
pub enum Out<'a> {
    /// The server chose HTTP/2 by ALPN (said once, before the first application data).
    Alpn(bool),
    Data(&'a [u8]),
    Gap(u64),
}

/// What was read of one connection, for the capture's counts.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Application data bytes decrypted, both directions.
    pub decrypted_bytes: u64,
    /// Records that failed authentication.
    pub bad_records: u64,
    /// Records that could not be decrypted for `why` (or were never tried).
    pub encrypted_records: u64,
    pub why: Option<Why>,
    pub version: Option<u16>,
    pub key_updates: u64,
    pub hello_retry: bool,
    /// TLS 1.2: the ServerHello agreed to the extended master secret (RFC 7627). Nothing
    /// changes for decryption: the key log's `CLIENT_RANDOM` line carries the master secret
    /// as derived, with or without it.
    pub extended_master_secret: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Epoch {
    Clear,
    /// TLS 1.3 0-RTT: the client's records after a ClientHello offering early data.
    Early,
    Handshake,
    Application,
}

#[derive(Default)]
struct Dir {
    /// The header of the record being reassembled, and how much of it has come.
    head: [u8; 5],
    head_len: usize,
    /// Bytes of the record being reassembled, after its header (reused record to record).
    buf: Vec<u8>,
    /// Handshake messages being reassembled (clear or decrypted).
    hs: Vec<u8>,
    keys: Option<Keys>,
    /// The current TLS 1.3 traffic secret, for KeyUpdate.
    secret: Vec<u8>,
    /// TLS 1.3: the application traffic secret, taken when this direction's Finished is read.
    next: Option<Vec<u8>>,
    /// TLS 1.2: ChangeCipherSpec seen, records are protected from here on.
    protected: bool,
    lost: bool,
}

/// One TLS connection, both directions.
pub struct TlsConn {
    dirs: [Dir; 2],
    epoch: [Epoch; 2],
    client: Option<usize>,
    client_random: Option<[u8; 32]>,
    /// The server chose HTTP/2 by ALPN; `h2_said`: the reader was told.
    h2: bool,
    h2_said: bool,
    /// TLS 1.2 CBC: the server agreed to encrypt-then-MAC (RFC 7366).
    encrypt_then_mac: bool,
    server_random: Option<[u8; 32]>,
    suite: Option<Suite>,
    /// The ClientHello's session ID and session ticket (TLS 1.2 resumption).
    session_id: Vec<u8>,
    ticket: Option<Vec<u8>>,
    /// The ServerHello's cipher suite.
    suite_id: u16,
    /// TLS 1.2: the master secret in use, for the tickets the server gives.
    master: Option<Vec<u8>>,
    early: Option<Early>,
    /// The key was missing at the ServerHello and the key log may still grow (`waiting.rs`).
    waiting: Option<Box<waiting::Waiting>>,
    pub report: Report,
}

/// TLS 1.3 0-RTT (RFC 8446 §4.2.10): the client's early data is protected by keys from
/// `CLIENT_EARLY_TRAFFIC_SECRET`, under the cipher suite of the PSK it resumes, which the
/// ClientHello does not name: each offered suite of the secret's hash is tried on the first
/// early record. The client's handshake keys wait until its EndOfEarlyData, or until a
/// record that only they open (the server refused the early data).
struct Early {
    candidates: Vec<Keys>,
    /// The client's handshake traffic secret, from the ServerHello on.
    pending: Option<Vec<u8>>,
}

/// Whether the first bytes of a stream look like a TLS record (handshake, or any record
/// type when the capture started mid-connection). Fewer than three bytes are taken for TLS
/// when they begin like it: no HTTP request or response begins with such a byte.
pub fn looks_like_tls(b: &[u8]) -> bool {
    matches!(b, [20..=23] | [20..=23, 3] | [20..=23, 3, 0..=4, ..])
}

impl TlsConn {
    pub fn new() -> Self {
        TlsConn {
            dirs: [Dir::default(), Dir::default()],
            epoch: [Epoch::Clear; 2],
            client: None,
            client_random: None,
            h2: false,
            h2_said: false,
            encrypt_then_mac: false,
            server_random: None,
            suite: None,
            session_id: Vec::new(),
            ticket: None,
            suite_id: 0,
            master: None,
            early: None,
            waiting: None,
            report: Report::default(),
        }
    }

    fn fail(&mut self, why: Why) {
        // The first reason is the cause; later ones follow from it.
        if self.report.why.is_none() {
            self.report.why = Some(why);
        }
    }

    /// Reassembled TCP bytes of direction `d`.
    pub fn piece(
        &mut self,
        d: usize,
        p: Piece<'_>,
        keys: &mut Keyring,
        out: &mut dyn FnMut(Out<'_>),
    ) {
        match p {
            Piece::Gap(n) => {
                if !self.dirs[d].lost {
                    self.dirs[d].lost = true;
                    self.fail(Why::Gap);
                }
                out(Out::Gap(n));
            }
            Piece::Data(mut b) => {
                while !b.is_empty() && !self.dirs[d].lost {
                    b = self.take(d, b, keys, out);
                }
            }
        }
    }

    /// Adds bytes to the record being reassembled; handles it once complete. Returns the
    /// bytes not taken.
    fn take<'b>(
        &mut self,
        d: usize,
        b: &'b [u8],
        keys: &mut Keyring,
        out: &mut dyn FnMut(Out<'_>),
    ) -> &'b [u8] {
        let dir = &mut self.dirs[d];
        let mut rest = b;
        if dir.head_len < 5 {
            let n = (5 - dir.head_len).min(rest.len());
            dir.head[dir.head_len..dir.head_len + n].copy_from_slice(&rest[..n]);
            dir.head_len += n;
            rest = &rest[n..];
            if dir.head_len < 5 {
                return rest;
            }
            let len = usize::from(u16::from_be_bytes([dir.head[3], dir.head[4]]));
            if !looks_like_tls(&dir.head) || len > MAX_RECORD {
                dir.lost = true;
                self.fail(Why::NotRecords);
                return rest;
            }
        }
        let len = usize::from(u16::from_be_bytes([dir.head[3], dir.head[4]]));
        let n = (len - dir.buf.len()).min(rest.len());
        dir.buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        if dir.buf.len() == len {
            // The body is decrypted in place, then its buffer serves the next record.
            let header = dir.head;
            dir.head_len = 0;
            let mut body = std::mem::take(&mut dir.buf);
            self.record(d, header, &mut body, keys, out);
            body.clear();
            self.dirs[d].buf = body;
        }
        rest
    }

    fn record(
        &mut self,
        d: usize,
        header: [u8; 5],
        rec: &mut Vec<u8>,
        keys: &mut Keyring,
        out: &mut dyn FnMut(Out<'_>),
    ) {
        if self.waiting.is_some() && self.hold(d, &header, rec, keys, out) {
            return;
        }
        let ty = header[0];
        let tls13 = self.suite.is_some_and(|s| s.tls13);
        if self.epoch[d] == Epoch::Early && ty == 23 {
            return self.early_record(d, &header, rec, out);
        }
        let protected = if tls13 {
            ty == 23 && self.epoch[d] != Epoch::Clear
        } else {
            self.dirs[d].protected
        };
        if !protected {
            self.clear_record(d, ty, rec, keys);
            return;
        }
        let Some(k) = self.dirs[d].keys.as_mut() else {
            self.report.encrypted_records += 1;
            return;
        };
        match k.open(&header, rec) {
            Open::Plain(inner) => self.plain(d, inner, rec, out),
            Open::BadMac | Open::Malformed => {
                self.report.bad_records += 1;
                self.fail(Why::BadMac);
            }
        }
    }

    /// A record sent in the clear: the hellos, TLS 1.2's ChangeCipherSpec, or (when the
    /// capture missed the handshake) protected records that cannot be read.
    fn clear_record(&mut self, d: usize, ty: u8, body: &[u8], keys: &mut Keyring) {
        match ty {
            22 => {
                self.hs_bytes(d, body);
                while let Some((mt, msg)) = self.next_message(d) {
                    self.clear_handshake(d, mt, &msg, keys);
                }
            }
            20 if self.suite.is_some_and(|s| !s.tls13) => {
                self.dirs[d].protected = true;
                self.epoch[d] = Epoch::Handshake;
            }
            20 | 21 => {}
            _ => {
                self.report.encrypted_records += 1;
                if self.client_random.is_none() {
                    self.fail(Why::NoHandshake);
                }
            }
        }
    }

    fn hs_bytes(&mut self, d: usize, body: &[u8]) {
        let dir = &mut self.dirs[d];
        if dir.hs.len() + body.len() > MAX_HANDSHAKE {
            dir.hs.clear();
            dir.lost = true;
            self.fail(Why::NotRecords);
            return;
        }
        dir.hs.extend_from_slice(body);
    }

    /// The next complete handshake message of direction `d`: its type and body.
    fn next_message(&mut self, d: usize) -> Option<(u8, Vec<u8>)> {
        let hs = &mut self.dirs[d].hs;
        let [ty, a, b, c, ..] = hs[..] else {
            return None;
        };
        let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        if hs.len() < 4 + len {
            return None;
        }
        let msg = hs[4..4 + len].to_vec();
        hs.drain(..4 + len);
        Some((ty, msg))
    }

    fn clear_handshake(&mut self, d: usize, ty: u8, msg: &[u8], keys: &mut Keyring) {
        match ty {
            1 => {
                if let Ok((_, ch)) = tls_parser::parse_tls_handshake_client_hello(msg) {
                    self.client = Some(d);
                    self.client_random = <[u8; 32]>::try_from(ch.random).ok();
                    self.session_id = ch.session_id.unwrap_or_default().to_vec();
                    let mut early = false;
                    for (ty, data) in extensions(ch.ext.unwrap_or_default()) {
                        match ty {
                            35 if !data.is_empty() => self.ticket = Some(data.to_vec()),
                            42 => early = true,
                            _ => {}
                        }
                    }
                    if early && self.epoch[d] == Epoch::Clear {
                        let offered: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
                        self.offer_early(d, &offered, keys);
                    }
                }
            }
            2 => self.server_hello(d, msg, keys),
            4 => {
                // TLS 1.2 NewSessionTicket, sent in the clear before the server's
                // ChangeCipherSpec (RFC 5077 §3.3): lifetime, then the ticket.
                if let (Some(m), Some(t)) = (&self.master, msg.get(6..)) {
                    keys.remember_ticket(t, m);
                }
            }
            _ => {}
        }
    }

    fn server_hello(&mut self, d: usize, msg: &[u8], keys: &mut Keyring) {
        let Ok((_, sh)) = tls_parser::parse_tls_handshake_server_hello(msg) else {
            self.fail(Why::NotRecords);
            return;
        };
        if sh.random == HRR_RANDOM {
            // The client answers with a second ClientHello (same random); the real
            // ServerHello follows it.
            self.report.hello_retry = true;
            return;
        }
        let mut version = sh.version.0;
        self.report.extended_master_secret =
            extensions(sh.ext.unwrap_or_default()).any(|(t, _)| t == 23);
        if let Some(ext) = sh.ext {
            if let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(ext) {
                self.h2 |= alpn_h2(&exts);
                // encrypt_then_mac is extension 22; tls-parser 0.12 reads 22 as Unknown and
                // gives EncryptThenMac to 21 (padding, which a server never sends).
                self.encrypt_then_mac = exts.iter().any(|e| match e {
                    tls_parser::TlsExtension::Unknown(t, _) => t.0 == 22,
                    e => matches!(e, tls_parser::TlsExtension::EncryptThenMac),
                });
                for e in exts {
                    if let tls_parser::TlsExtension::SupportedVersions(v) = e {
                        if let Some(v) = v.first() {
                            version = v.0;
                        }
                    }
                }
            }
        }
        self.report.version = Some(version);
        self.server_random = <[u8; 32]>::try_from(sh.random).ok();
        self.suite_id = sh.cipher.0;
        let Some(suite) = Suite::from_id(sh.cipher.0) else {
            return self.fail(Why::UnsupportedSuite(sh.cipher.0));
        };
        if version != 0x0304 && version != 0x0303 || suite.tls13 != (version == 0x0304) {
            return self.fail(Why::UnsupportedVersion(version));
        }
        self.suite = Some(suite);
        let (Some(client), Some(cr)) = (self.client, self.client_random) else {
            return self.fail(Why::NoHandshake);
        };
        if client == d {
            return self.fail(Why::NotRecords);
        }
        if keys.is_empty() {
            return self.fail(Why::NoKeyLog);
        }
        let secrets = keys.secrets(&cr).cloned();
        if !suite.tls13 {
            let sid = sh.session_id.unwrap_or_default();
            return self.master12((d, msg), client, suite, secrets, sid, keys);
        }
        // A live capture may see the ServerHello before the client has written all of its
        // secrets (the traffic secrets come after the server's Finished): wait for them all.
        if !secrets.as_ref().is_some_and(|s| self.complete(s)) && self.defer(d, msg, keys) {
            return;
        }
        let Some(secrets) = secrets else {
            return self.fail(Why::NoKey);
        };
        self.dirs[client].next = secrets.client_traffic_0.clone();
        self.dirs[1 - client].next = secrets.server_traffic_0.clone();
        let client_ok = match &mut self.early {
            // The client's records stay under the early keys until its EndOfEarlyData.
            Some(e) if self.epoch[client] == Epoch::Early => {
                e.pending = secrets.client_handshake.clone();
                e.pending.is_some()
            }
            _ => self.keys13(
                client,
                suite,
                secrets.client_handshake.as_deref(),
                Epoch::Handshake,
            ),
        };
        let server_ok = self.keys13(
            1 - client,
            suite,
            secrets.server_handshake.as_deref(),
            Epoch::Handshake,
        );
        if !(client_ok && server_ok) {
            self.fail(Why::MissingSecret);
        }
    }

    /// TLS 1.2 keys: the master secret of the key log's `CLIENT_RANDOM`, else, when the
    /// handshake resumes a session of an earlier connection of the capture (the ServerHello
    /// echoes the ClientHello's session ID, or the client offered a ticket the server gave),
    /// that session's.
    fn master12(
        &mut self,
        hello: (usize, &[u8]),
        client: usize,
        suite: Suite,
        secrets: Option<keylog::Secrets>,
        server_sid: &[u8],
        keys: &mut Keyring,
    ) {
        let known = secrets.is_some();
        let resumed = || {
            let by_id = (!server_sid.is_empty() && server_sid == self.session_id)
                .then(|| keys.by_id(server_sid))
                .flatten();
            by_id
                .or_else(|| self.ticket.as_deref().and_then(|t| keys.by_ticket(t)))
                .map(<[u8]>::to_vec)
        };
        let master = secrets.and_then(|s| s.master).or_else(resumed);
        let Some(master) = master else {
            // TLS_RSA_WITH_*: AES-128/256 CBC SHA-1 and SHA-256, AES-128/256 GCM.
            let rsa = matches!(
                self.suite_id,
                0x002f | 0x0035 | 0x003c | 0x003d | 0x009c | 0x009d
            );
            if !known && self.defer(hello.0, hello.1, keys) {
                return;
            }
            return self.fail(match (known, rsa) {
                (true, _) => Why::MissingSecret,
                (false, true) => Why::RsaNoKey,
                (false, false) => Why::NoKey,
            });
        };
        if !self.keys12(client, suite, Some(&master)) {
            return self.fail(Why::MissingSecret);
        }
        keys.remember_id(server_sid, &master);
        self.master = Some(master);
    }

    /// A ClientHello offering early data: the candidate early keys, if the key log has the
    /// early secret.
    fn offer_early(&mut self, d: usize, offered: &[u16], keys: &mut Keyring) {
        let secret = self
            .client_random
            .and_then(|cr| keys.secrets(&cr))
            .and_then(|s| s.client_early.clone());
        let candidates = secret
            .map(|secret| {
                offered
                    .iter()
                    .filter_map(|&id| Suite::from_id(id))
                    .filter(|s| s.tls13 && s.hash.output_len() == secret.len())
                    .filter_map(|s| Keys::tls13(s, &secret))
                    .collect()
            })
            .unwrap_or_default();
        self.epoch[d] = Epoch::Early;
        self.early = Some(Early {
            candidates,
            pending: None,
        });
    }

    /// A record of the client's after a ClientHello offering early data: early data under
    /// the early keys (the first record picks the suite), or, when they do not open it, the
    /// first record under the handshake keys.
    fn early_record(
        &mut self,
        d: usize,
        header: &[u8; 5],
        rec: &[u8],
        out: &mut dyn FnMut(Out<'_>),
    ) {
        let Some(early) = self.early.as_mut() else {
            return;
        };
        let mut tried = false;
        let chosen = self.dirs[d].keys.is_some();
        let candidates = match &mut self.dirs[d].keys {
            Some(k) => std::slice::from_mut(k),
            None => &mut early.candidates[..],
        };
        for (i, k) in candidates.iter_mut().enumerate() {
            tried = true;
            let mut body = rec.to_vec();
            match k.open(header, &mut body) {
                Open::Plain(ty) => {
                    if !chosen {
                        let k = early.candidates.swap_remove(i);
                        early.candidates.clear();
                        self.dirs[d].keys = Some(k);
                    }
                    return self.plain(d, ty, &body, out);
                }
                _ => k.seq -= 1,
            }
        }
        // The handshake keys, once the ServerHello gave them.
        if let (Some(suite), Some(secret)) = (self.suite, early.pending.clone()) {
            if let Some(mut k) = Keys::tls13(suite, &secret) {
                let mut body = rec.to_vec();
                if let Open::Plain(ty) = k.open(header, &mut body) {
                    early.pending = None;
                    self.epoch[d] = Epoch::Handshake;
                    self.dirs[d].keys = Some(k);
                    self.dirs[d].secret = secret;
                    return self.plain(d, ty, &body, out);
                }
            }
        }
        self.report.encrypted_records += 1;
        self.fail(if tried {
            Why::BadMac
        } else {
            Why::NoEarlySecret
        });
    }

    /// Sets direction `d`'s TLS 1.3 keys from `secret`, for the records after this one.
    fn keys13(&mut self, d: usize, suite: Suite, secret: Option<&[u8]>, epoch: Epoch) -> bool {
        self.epoch[d] = epoch;
        let dir = &mut self.dirs[d];
        dir.keys = secret.and_then(|s| Keys::tls13(suite, s));
        dir.secret = secret.map(<[u8]>::to_vec).unwrap_or_default();
        dir.keys.is_some()
    }

    fn keys12(&mut self, client: usize, suite: Suite, master: Option<&[u8]>) -> bool {
        let (Some(master), Some(cr), Some(sr)) = (master, self.client_random, self.server_random)
        else {
            return false;
        };
        let Some([c, s]) = Keys::tls12(suite, master, [&cr, &sr], self.encrypt_then_mac) else {
            return false;
        };
        self.dirs[client].keys = Some(c);
        self.dirs[1 - client].keys = Some(s);
        true
    }

    /// A decrypted record's content.
    fn plain(&mut self, d: usize, ty: u8, body: &[u8], out: &mut dyn FnMut(Out<'_>)) {
        match ty {
            23 => {
                // HTTP/2 without ALPN (prior knowledge over TLS) is found by its preface
                // by the reader.
                if self.h2 && !self.h2_said {
                    self.h2_said = true;
                    out(Out::Alpn(true));
                }
                self.report.decrypted_bytes += body.len() as u64;
                out(Out::Data(body));
            }
            22 => {
                self.hs_bytes(d, body);
                while let Some((mt, msg)) = self.next_message(d) {
                    if mt == 8 {
                        // TLS 1.3 EncryptedExtensions: the protocol ALPN chose.
                        let exts = msg.get(2..).unwrap_or_default();
                        if let Ok((_, exts)) = tls_parser::parse_tls_server_hello_extensions(exts) {
                            self.h2 |= alpn_h2(&exts);
                        }
                    }
                    self.protected_handshake(d, mt);
                }
            }
            _ => {}
        }
    }

    /// Finished moves a TLS 1.3 direction to its application secret, and TLS 1.2's to the
    /// application epoch; KeyUpdate moves a TLS 1.3 direction to its next secret.
    fn protected_handshake(&mut self, d: usize, ty: u8) {
        let Some(suite) = self.suite else { return };
        match (ty, self.epoch[d]) {
            // EndOfEarlyData: the client's handshake keys from here on.
            (5, Epoch::Early) => {
                let secret = self.early.as_mut().and_then(|e| e.pending.take());
                if !self.keys13(d, suite, secret.as_deref(), Epoch::Handshake) {
                    self.fail(Why::MissingSecret);
                }
            }
            (20, Epoch::Handshake) if suite.tls13 => {
                let secret = self.dirs[d].next.take();
                if !self.keys13(d, suite, secret.as_deref(), Epoch::Application) {
                    self.fail(Why::MissingSecret);
                }
            }
            (20, Epoch::Handshake) => self.epoch[d] = Epoch::Application,
            (24, Epoch::Application) if suite.tls13 => {
                self.report.key_updates += 1;
                let next = Keys::next_secret(suite.hash, &self.dirs[d].secret);
                if !self.keys13(d, suite, Some(&next), Epoch::Application) {
                    self.fail(Why::MissingSecret);
                }
            }
            _ => {}
        }
    }
}

/// The (type, data) of each extension of a hello's extension block; stops at the first that
/// does not fit.
fn extensions(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let [t0, t1, l0, l1, rest @ ..] = b else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let data = rest.get(..len)?;
        b = &rest[len..];
        Some((u16::from_be_bytes([*t0, *t1]), data))
    })
}

/// Whether the server's extensions choose `h2` by ALPN.
fn alpn_h2(exts: &[tls_parser::TlsExtension<'_>]) -> bool {
    exts.iter().any(|e| {
        matches!(e, tls_parser::TlsExtension::ALPN(v) if v.first().is_some_and(|p| *p == b"h2"))
    })
}

impl Default for TlsConn {
    fn default() -> Self {
        Self::new()
    }
}

//! TLS cases real tools do not make on demand, built from a real fixture's bytes: the TCP
//! payloads of tests/captures/tls (curl against a Python ssl server) re-cut at every byte of a
//! record header, one byte per segment, a damaged record, a missing key, a capture that
//! starts after the handshake or stops inside a record, and garbage. What is expected comes
//! from tshark's listing committed beside the fixture, never from sigscope.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use etherparse::{SlicedPacket, TransportSlice};
use sigscope::capture::tcp::Piece;
use sigscope::capture::tls::{KeyLog, Keyring, TlsConn, Why};
use sigscope::capture::{replay, Options, Stats};
use sigscope::exchange::Exchange;
use sigscope::http::Headers;

use crate::parity::parse_tsv;
use crate::support::root;
use crate::synthetic::{frame, pcap, Flag};

/// Each direction's turns (to the server?, bytes), in capture order.
type Turns = Vec<(bool, Vec<u8>)>;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/captures/tls").join(name)
}

/// The TCP payloads of a loopback fixture (in order, no loss), merged into turns.
fn turns(name: &str, server_port: u16) -> Turns {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let mut out: Turns = Vec::new();
    let mut rdr = pcap_parser::LegacyPcapReader::new(1 << 20, &bytes[..]).unwrap();
    use pcap_parser::traits::PcapReaderIterator;
    loop {
        let n = match rdr.next() {
            Ok((n, pcap_parser::PcapBlockOwned::Legacy(b))) => {
                let p = SlicedPacket::from_ethernet(b.data).unwrap();
                if let Some(TransportSlice::Tcp(t)) = p.transport {
                    let to_server = t.destination_port() == server_port;
                    let data = t.payload();
                    if !data.is_empty() {
                        match out.last_mut() {
                            Some((d, v)) if *d == to_server => v.extend_from_slice(data),
                            _ => out.push((to_server, data.to_vec())),
                        }
                    }
                }
                n
            }
            Ok((n, _)) => n,
            Err(pcap_parser::PcapError::Eof) => break,
            Err(pcap_parser::PcapError::Incomplete(_)) => {
                rdr.refill().unwrap();
                continue;
            }
            Err(e) => panic!("{e:?}"),
        };
        rdr.consume(n);
    }
    out
}

/// A capture of `turns`, each cut into segments where `cuts(turn, bytes)` says.
fn rebuild(turns: &Turns, cuts: &dyn Fn(usize, &[u8]) -> Vec<usize>) -> Vec<u8> {
    let mut frames = vec![
        frame(true, 0, Flag::Syn, b""),
        frame(false, 0, Flag::SynAck, b""),
    ];
    let mut seq = [1u32, 1u32];
    for (i, (to_server, bytes)) in turns.iter().enumerate() {
        let d = usize::from(!*to_server);
        let mut at: Vec<usize> = cuts(i, bytes);
        at.retain(|&c| c > 0 && c < bytes.len());
        at.sort_unstable();
        at.dedup();
        at.push(bytes.len());
        let mut start = 0;
        for end in at {
            frames.push(frame(*to_server, seq[d], Flag::Ack, &bytes[start..end]));
            seq[d] = seq[d].wrapping_add((end - start) as u32);
            start = end;
        }
    }
    pcap(1, &frames)
}

fn keys(name: &str) -> Arc<KeyLog> {
    let mut k = KeyLog::default();
    k.add_file(&fixture(&format!("{name}.keys"))).unwrap();
    Arc::new(k)
}

fn run(capture: &[u8], keylog: Arc<KeyLog>) -> (Vec<Exchange>, Stats) {
    let mut out = Vec::new();
    let opts = Options {
        keylog,
        ..Default::default()
    };
    let stats = replay(std::io::Cursor::new(capture), "t.pcap", 0, opts, &mut |x| {
        out.push(x)
    });
    (out, stats)
}

/// (method, target, authorization) of tshark's listing of the fixture.
fn expected(name: &str) -> Vec<(String, String, String)> {
    let tsv = std::fs::read_to_string(fixture(&format!("{name}.tshark.tsv"))).unwrap();
    parse_tsv(&tsv)
        .into_iter()
        .map(|r| (r.1, r.2, r.4))
        .collect()
}

fn requests(x: &[Exchange]) -> Vec<(String, String, String)> {
    x.iter()
        .map(|x| {
            let r = &x.request;
            let target = String::from_utf8_lossy(&r.target).into_owned();
            (
                r.method.clone(),
                target,
                r.header("authorization").unwrap_or_default(),
            )
        })
        .collect()
}

/// Where each record of `bytes` starts (a turn is a whole number of records here).
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut at = 0;
    while at + 5 <= bytes.len() {
        v.push(at);
        at += 5 + usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
    }
    v
}

const SUITES: [(&str, u16); 6] = [
    ("tls13-aes128gcm.pcap", 18441),
    ("tls13-chacha20.pcap", 18443),
    ("tls12-aes256gcm.pcap", 18445),
    ("tls12-chacha20.pcap", 18446),
    ("tls12-cbc-sha256-etm.pcap", 18454),
    ("tls12-cbc-sha1.pcap", 18455),
];

#[test]
fn records_split_at_every_byte_of_their_header_and_one_byte_per_segment() {
    for (name, port) in SUITES {
        let t = turns(name, port);
        let want = expected(name);
        assert_eq!(want.len(), 2, "{name}");
        for k in 1..=6 {
            let cap = rebuild(&t, &|_, b| record_starts(b).iter().map(|s| s + k).collect());
            let (x, s) = run(&cap, keys(name));
            assert_eq!(
                requests(&x),
                want,
                "{name}, cut {k} bytes into each record: {s:?}"
            );
            assert!(x.iter().all(|x| x.response.is_some()), "{name}");
            assert_eq!((s.tls_connections, s.tls_decrypted), (1, 1), "{name}");
        }
        let cap = rebuild(&t, &|_, b| (1..b.len()).collect());
        let (x, _) = run(&cap, keys(name));
        assert_eq!(requests(&x), want, "{name}, one byte per segment");
    }
}

#[test]
fn a_damaged_record_is_reported_and_the_rest_still_read() {
    for (name, port) in SUITES {
        let mut t = turns(name, port);
        let want = expected(name);
        // The client's first turn with application data after its Finished carries the GET
        // (TLS 1.3: turn 2 has the Finished and the GET together; TLS 1.2: turn 2 is the
        // key exchange and Finished, turn 3 the GET). Damage the last record of that turn.
        let get = t
            .iter()
            .position(|(c, b)| {
                let last = record_starts(b).last().copied();
                *c && last.is_some_and(|l| b[l] == 23 && b.len() - l > 200)
            })
            .unwrap();
        let last = *record_starts(&t[get].1).last().unwrap();
        t[get].1[last + 40] ^= 0x01;
        let (x, s) = run(&rebuild(&t, &|_, _| Vec::new()), keys(name));
        assert_eq!(requests(&x), want[1..], "{name}: {s:?}");
        assert_eq!(s.tls_bad_records, 1, "{name}");
        assert!(
            s.summary().contains("1 record failed authentication"),
            "{}",
            s.summary()
        );
    }
}

#[test]
fn what_stays_encrypted_says_why() {
    let name = "tls13-aes128gcm.pcap";
    let t = turns(name, 18441);
    let cap = rebuild(&t, &|_, _| Vec::new());
    let why = |s: &Stats| s.tls_encrypted.clone();
    let (x, s) = run(&cap, Arc::new(KeyLog::default()));
    assert!(x.is_empty());
    assert_eq!(why(&s), BTreeMap::from([(Why::NoKeyLog, 1)]));
    assert!(s
        .summary()
        .contains("1 TLS connection (0 decrypted, 1 not read: no key log given"));
    // Another connection's secrets only.
    let (x, s) = run(&cap, keys("tls13-chacha20.pcap"));
    assert!(x.is_empty());
    assert_eq!(why(&s), BTreeMap::from([(Why::NoKey, 1)]));
    // The capture starts after the handshake.
    let late: Turns = t.iter().skip(4).cloned().collect();
    let (x, s) = run(&rebuild(&late, &|_, _| Vec::new()), keys(name));
    assert!(x.is_empty());
    assert_eq!(why(&s), BTreeMap::from([(Why::NoHandshake, 1)]));
    // The one-key-missing fixture: the first connection read, the second said.
    let (x, s) = crate::tls::read(
        &fixture("missing-key.pcap"),
        &Options {
            keylog: keys("missing-key.pcap"),
            ..Default::default()
        },
    );
    assert_eq!(x.len(), 1);
    assert_eq!((s.tls_connections, s.tls_decrypted), (2, 1));
    assert_eq!(why(&s), BTreeMap::from([(Why::NoKey, 1)]));
}

#[test]
fn a_capture_cut_inside_a_record_keeps_what_came_before() {
    let name = "tls13-aes128gcm.pcap";
    let bytes = std::fs::read(fixture(name)).unwrap();
    let want = expected(name);
    // Cut in the middle of the PUT's frame (tshark: the PUT ends at frame 15).
    for cut in [bytes.len() - 1, bytes.len() / 2, bytes.len() * 3 / 4] {
        let (x, s) = run(&bytes[..cut], keys(name));
        assert!(s.error.is_some(), "cut at {cut}");
        let got = requests(&x);
        assert!(want.starts_with(&got), "cut at {cut}: {got:?}");
    }
}

#[test]
fn garbage_never_panics() {
    let name = "tls13-aes128gcm.pcap";
    let t = turns(name, 18441);
    let k = keys(name);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut conn = TlsConn::new();
        let mut k = Keyring::new(k.clone(), false);
        for (i, (to_server, bytes)) in t.iter().enumerate() {
            let mut b = bytes.clone();
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            if next() % 5 == 0 {
                b.truncate((next() as usize) % b.len());
            }
            let d = usize::from(!*to_server);
            conn.piece(d, Piece::Data(&b), &mut k, &mut |_| {});
            if i == 3 {
                conn.piece(d, Piece::Gap(7), &mut k, &mut |_| {});
            }
        }
        let mut b = vec![0u8; (next() % 3000) as usize];
        b.iter_mut().for_each(|x| *x = next() as u8);
        conn.piece(0, Piece::Data(&b), &mut k, &mut |_| {});
    }
}

/// Feeds a fixture's turns straight to one `TlsConn`; returns it and what it handed on
/// (client bytes, server bytes).
fn feed(name: &str, port: u16, keylog: &KeyLog, skip: usize) -> (TlsConn, [Vec<u8>; 2]) {
    let mut conn = TlsConn::new();
    let mut keyring = Keyring::new(std::sync::Arc::new(keylog.clone()), false);
    let mut out = [Vec::new(), Vec::new()];
    for (to_server, bytes) in turns(name, port).iter().skip(skip) {
        let d = usize::from(!*to_server);
        conn.piece(d, Piece::Data(bytes), &mut keyring, &mut |o| {
            if let sigscope::capture::tls::Out::Data(b) = o {
                out[d].extend_from_slice(b)
            }
        });
    }
    (conn, out)
}

#[test]
fn key_update_hello_retry_and_versions_are_seen() {
    let k = |n: &str| keys(n);
    let (c, out) = feed("tls13-keyupdate.pcap", 18448, &k("tls13-keyupdate.pcap"), 0);
    assert_eq!((c.report.key_updates, c.report.version), (1, Some(0x0304)));
    // The request after the KeyUpdate is read under the next secret.
    assert!(String::from_utf8_lossy(&out[0]).contains("GET /examplebucket/after.txt HTTP/1.1"));
    assert_eq!(c.report.why, None);
    let (c, out) = feed("tls13-hrr.pcap", 18447, &k("tls13-hrr.pcap"), 0);
    assert!(c.report.hello_retry && out[0].starts_with(b"GET /examplebucket/hrr.txt"));
    let (c, _) = feed("tls12-chacha20.pcap", 18446, &k("tls12-chacha20.pcap"), 0);
    assert_eq!(
        (c.report.version, c.report.hello_retry),
        (Some(0x0303), false)
    );
    // OpenSSL 3.0 negotiates the extended master secret (RFC 7627) on every TLS 1.2
    // fixture (tshark lists extension 23 in their ServerHellos): decrypted all the same.
    assert!(c.report.extended_master_secret && c.report.decrypted_bytes > 0);
    let (c, _) = feed("tls13-aes128gcm.pcap", 18441, &k("tls13-aes128gcm.pcap"), 0);
    assert!(!c.report.extended_master_secret);
    // Started after the handshake: every record counted as unread.
    let (c, out) = feed("tls13-aes128gcm.pcap", 18441, &k("tls13-aes128gcm.pcap"), 4);
    assert!(out[0].is_empty() && out[1].is_empty());
    assert!(c.report.encrypted_records >= 2, "{:?}", c.report);
    assert_eq!(c.report.why, Some(Why::NoHandshake));
}

/// A ClientHello record with one more (empty) extension of type `ty` at the end of its
/// extension block, every length in front of it updated.
fn with_extension(ch_record: &[u8], ty: u16) -> Vec<u8> {
    let mut r = ch_record.to_vec();
    let body = 9;
    let sid = r[body + 34] as usize;
    let at = body + 35 + sid;
    let suites = u16::from_be_bytes([r[at], r[at + 1]]) as usize;
    let at = at + 2 + suites;
    let comp = r[at] as usize;
    let ext_len_at = at + 1 + comp;
    let ext_len = u16::from_be_bytes([r[ext_len_at], r[ext_len_at + 1]]) as usize;
    let end = ext_len_at + 2 + ext_len;
    r.splice(end..end, [(ty >> 8) as u8, ty as u8, 0, 0]);
    let bump = |r: &mut Vec<u8>, i: usize| {
        let v = u16::from_be_bytes([r[i], r[i + 1]]) + 4;
        r[i..i + 2].copy_from_slice(&v.to_be_bytes());
    };
    bump(&mut r, ext_len_at);
    bump(&mut r, 3);
    let hs = u32::from_be_bytes([0, r[6], r[7], r[8]]) + 4;
    r[6..9].copy_from_slice(&hs.to_be_bytes()[1..]);
    r
}

#[test]
fn early_data_offered_to_a_tls12_server_changes_nothing() {
    // A client offering 0-RTT (early_data, 42) to a server that answers with TLS 1.2: there
    // is no early data, and its records are TLS 1.2's.
    let name = "tls12-aes128gcm.pcap";
    let mut t = turns(name, 18444);
    let (to_server, first) = &t[0];
    assert!(*to_server && first[0] == 22 && first[5] == 1);
    let len = 5 + u16::from_be_bytes([first[3], first[4]]) as usize;
    let mut changed = with_extension(&first[..len], 42);
    changed.extend_from_slice(&first[len..]);
    t[0].1 = changed;
    let keylog = keys(name);
    let mut conn = TlsConn::new();
    let mut keyring = Keyring::new(keylog, false);
    let mut out = Vec::new();
    for (to_server, bytes) in &t {
        let d = usize::from(!*to_server);
        conn.piece(d, Piece::Data(bytes), &mut keyring, &mut |o| {
            if let sigscope::capture::tls::Out::Data(b) = o {
                if d == 0 {
                    out.extend_from_slice(b)
                }
            }
        });
    }
    assert_eq!(conn.report.why, None, "{:?}", conn.report);
    assert!(out.starts_with(b"GET /examplebucket/key.txt HTTP/1.1"));
}

/// A live capture sees the ServerHello before the client writes its secrets (issue 16 with
/// issue 13): with a key log that may still grow, the connection's records wait for the key,
/// which is written here only after the ServerHello has been read; then everything is read as
/// with the key log complete from the start. A key that never comes leaves the connection
/// "no key", its waiting records counted; a complete file's connection does not wait.
#[test]
fn a_key_written_after_the_server_hello_still_decrypts_a_live_capture() {
    for (name, port) in [
        ("tls13-aes128gcm.pcap", 18441),
        ("tls12-chacha20.pcap", 18446),
    ] {
        let complete = {
            let mut k = KeyLog::default();
            k.add_file(&fixture(&format!("{name}.keys"))).unwrap();
            k
        };
        let (_, want) = feed(name, port, &complete, 0);
        assert!(!want[0].is_empty() && !want[1].is_empty(), "{name}");
        let run = |write_key: bool, may_grow: bool, partial_first: bool| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("keys");
            std::fs::write(&path, "").unwrap();
            let mut log = KeyLog::default();
            log.watch_file(&path).unwrap();
            let mut keyring = Keyring::new(Arc::new(log), may_grow);
            let mut conn = TlsConn::new();
            let mut out = [Vec::new(), Vec::new()];
            for (i, (to_server, bytes)) in turns(name, port).iter().enumerate() {
                // Turn 0 is the ClientHello, turn 1 the ServerHello and what follows it. A
                // client writes its handshake secrets before its traffic secrets: with
                // `partial_first`, a turn reads a key log that has only the former.
                let keys = fixture(&format!("{name}.keys"));
                if i == 2 && write_key && partial_first {
                    let text = std::fs::read_to_string(&keys).unwrap();
                    let handshake: String = text
                        .lines()
                        .filter(|l| l.contains("HANDSHAKE"))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    std::fs::write(&path, handshake).unwrap();
                }
                if i == 3 && write_key && partial_first {
                    // The rest, appended as a client writes it.
                    let text = std::fs::read_to_string(&keys).unwrap();
                    let rest: String = text
                        .lines()
                        .filter(|l| !l.contains("HANDSHAKE"))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap();
                    std::io::Write::write_all(&mut f, rest.as_bytes()).unwrap();
                }
                if i == 2 && write_key && !partial_first {
                    std::fs::copy(&keys, &path).unwrap();
                }
                let d = usize::from(!*to_server);
                conn.piece(d, Piece::Data(bytes), &mut keyring, &mut |o| {
                    if let sigscope::capture::tls::Out::Data(b) = o {
                        out[d].extend_from_slice(b)
                    }
                });
            }
            conn.give_up();
            (conn, out)
        };
        for partial_first in [false, true] {
            let (c, got) = run(true, true, partial_first);
            assert_eq!(got, want, "{name}, partial first: {partial_first}");
            assert_eq!(c.report.why, None, "{name}");
        }
        let (c, got) = run(false, true, false);
        assert!(got[0].is_empty() && got[1].is_empty(), "{name}");
        assert_eq!(c.report.why, Some(Why::NoKey), "{name}");
        assert!(c.report.encrypted_records > 0, "{name}");
        // Reading a file (the key log not expected to grow): no waiting, "no key" at once.
        let (c, got) = run(true, false, false);
        assert!(got[0].is_empty() && got[1].is_empty(), "{name}");
        assert_eq!(c.report.why, Some(Why::NoKey), "{name}");
    }
}

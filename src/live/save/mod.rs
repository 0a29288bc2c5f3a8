//! `--save FILE.pcapng`: every byte the listener receives and sends on a client connection,
//! as synthesised Ethernet/IP/TCP packets (handshake, data segments with consistent sequence
//! and acknowledgement numbers, FIN at close) with real nanosecond timestamps.
//!
//! A dedicated thread owns the file, fed by a channel; it flushes whenever it has nothing more
//! queued, so every completed exchange is on disk by the time the next one arrives and a crash
//! loses at most the exchange in flight. The file is plain pcapng: `sigscope FILE.pcapng`,
//! tshark and Wireshark read it.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::exchange::Exchange;

/// Largest TCP payload per synthesised segment (well under the 64 KiB IP limit).
pub const SEGMENT: usize = 32 * 1024;

/// Direction of a data segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

#[derive(Debug)]
pub enum SaveMsg {
    Open {
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        ts_nanos: i128,
    },
    Data {
        conn: u64,
        dir: Dir,
        bytes: Vec<u8>,
        ts_nanos: i128,
    },
    Close {
        conn: u64,
        ts_nanos: i128,
    },
    /// A request the UI sent again and its answer (issue 17): a connection of its own, on
    /// an interface of its own whose name says what it replays ([`ReplaySave`]).
    Replay(Box<ReplaySave>),
    /// The listener stopped: close what is open, flush, end the thread.
    Stop,
}

/// A replay as `--save` keeps it: a connection from sigscope to the server it was sent to,
/// the request's bytes and the answer's, on an interface named by
/// [`crate::exchange::ReplayOf::interface_name`] (read back into [`Exchange::replay`]).
#[derive(Debug)]
pub struct ReplaySave {
    pub label: String,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub ts_nanos: i128,
    pub request: Vec<u8>,
    pub response: Vec<u8>,
}

impl ReplaySave {
    /// The replay exchange `x` as saved; `None` when it is no replay or had no answer.
    /// `n` numbers it among the session's replays (its client port, 40000 + n, tells them
    /// apart).
    pub fn of(x: &Exchange, n: u16) -> Option<ReplaySave> {
        let r = x.replay.as_ref()?;
        let response = x.response.as_ref()?;
        let server = x
            .server
            .as_deref()
            .and_then(|s| std::net::ToSocketAddrs::to_socket_addrs(s).ok()?.next())
            .unwrap_or_else(|| SocketAddr::from(([192, 0, 2, 1], 80)));
        let ip: IpAddr = match server.ip() {
            IpAddr::V4(_) => [127, 0, 0, 1].into(),
            IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        Some(ReplaySave {
            label: r.interface_name(),
            client: SocketAddr::new(ip, 40000u16.wrapping_add(n)),
            server,
            ts_nanos: x
                .time
                .map_or_else(super::now_nanos, |t| t.unix_timestamp_nanos()),
            request: x.request.to_wire(),
            response: response.to_wire(),
        })
    }
}

/// Where the UI's replays go to be saved: the listener's saver once it runs (nothing is
/// kept before, or without `--save`).
#[derive(Clone, Debug, Default)]
pub struct ReplaySink(pub(crate) std::sync::Arc<std::sync::OnceLock<SaveTx>>);

impl ReplaySink {
    /// Saves the replay exchange `x` (nothing for an exchange that is no replay); whether
    /// it was handed to the saver.
    pub fn save(&self, x: &Exchange) -> bool {
        static N: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(1);
        let Some(tx) = self.0.get() else {
            return false;
        };
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match ReplaySave::of(x, n) {
            Some(r) => tx.send(SaveMsg::Replay(Box::new(r))).is_ok(),
            None => false,
        }
    }
}

pub type SaveTx = std::sync::mpsc::Sender<SaveMsg>;

/// Minimal pcapng writer: one section, one Ethernet interface with nanosecond timestamps,
/// Enhanced Packet Blocks.
pub struct PcapngWriter<W: Write> {
    out: W,
    scratch: Vec<u8>,
}

impl<W: Write> PcapngWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<Self> {
        // LINKTYPE_ETHERNET, nanosecond timestamps, no interface name.
        out.write_all(&crate::capture::pcapng_out::header(1, 0, ""))?;
        Ok(PcapngWriter {
            out,
            scratch: Vec::new(),
        })
    }

    /// One Enhanced Packet Block on interface `iface`.
    pub fn packet(&mut self, iface: u32, ts_nanos: i128, data: &[u8]) -> std::io::Result<()> {
        self.scratch.clear();
        crate::capture::pcapng_out::packet_on(
            &mut self.scratch,
            iface,
            ts_nanos,
            data,
            data.len() as u32,
        );
        self.out.write_all(&self.scratch)
    }

    /// Another Ethernet interface, named `name`.
    pub fn interface(&mut self, name: &str) -> std::io::Result<()> {
        self.out
            .write_all(&crate::capture::pcapng_out::interface(1, 0, name))
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

fn checksum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        sum += (*last as u32) << 8;
    }
    sum
}

fn checksum_fold(mut sum: u32) -> u16 {
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame carrying one TCP segment from `src` to `dst` (IPv4 or IPv6, as the
/// addresses are; a mixed pair is written as IPv6 with v4-mapped addresses).
pub fn tcp_frame(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.port().to_be_bytes());
    tcp.extend_from_slice(&dst.port().to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.push(5 << 4);
    tcp.push(flags);
    tcp.extend_from_slice(&65535u16.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend_from_slice(payload);
    let tcp_len = tcp.len();

    let mut f = Vec::with_capacity(14 + 40 + tcp_len);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // destination MAC (locally administered)
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            f.extend_from_slice(&0x0800u16.to_be_bytes());
            let mut ip = [0u8; 20];
            ip[0] = 0x45;
            ip[2..4].copy_from_slice(&((20 + tcp_len) as u16).to_be_bytes());
            ip[6] = 0x40; // don't fragment
            ip[8] = 64;
            ip[9] = 6;
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let c = checksum_fold(checksum_add(0, &ip));
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            let mut sum = checksum_add(0, &s.octets());
            sum = checksum_add(sum, &d.octets());
            sum += 6 + tcp_len as u32;
            let c = checksum_fold(checksum_add(sum, &tcp));
            tcp[16..18].copy_from_slice(&c.to_be_bytes());
            f.extend_from_slice(&ip);
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(v) => v.to_ipv6_mapped(),
                IpAddr::V6(v) => v,
            };
            let (s, d) = (v6(s), v6(d));
            f.extend_from_slice(&0x86DDu16.to_be_bytes());
            let mut ip = [0u8; 40];
            ip[0] = 0x60;
            ip[4..6].copy_from_slice(&(tcp_len as u16).to_be_bytes());
            ip[6] = 6;
            ip[7] = 64;
            ip[8..24].copy_from_slice(&s.octets());
            ip[24..40].copy_from_slice(&d.octets());
            let mut sum = checksum_add(0, &s.octets());
            sum = checksum_add(sum, &d.octets());
            sum += tcp_len as u32 + 6;
            let c = checksum_fold(checksum_add(sum, &tcp));
            tcp[16..18].copy_from_slice(&c.to_be_bytes());
            f.extend_from_slice(&ip);
        }
    }
    f.extend_from_slice(&tcp);
    f
}

struct Conn {
    client: SocketAddr,
    server: SocketAddr,
    /// Next sequence number of each side.
    seq_c: u32,
    seq_s: u32,
}

/// Turns the listener's connection events into packets.
pub struct Session<W: Write> {
    w: PcapngWriter<W>,
    conns: HashMap<u64, Conn>,
    pub packets: u64,
    /// Interfaces written (the listener's, then one per replay), and the one packets go on.
    interfaces: u32,
    iface: u32,
}

impl<W: Write> Session<W> {
    pub fn new(out: W) -> std::io::Result<Self> {
        Ok(Session {
            w: PcapngWriter::new(out)?,
            conns: HashMap::new(),
            packets: 0,
            interfaces: 1,
            iface: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        ts: i128,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> std::io::Result<()> {
        self.packets += 1;
        self.w.packet(
            self.iface,
            ts,
            &tcp_frame(src, dst, seq, ack, flags, payload),
        )
    }

    /// A replay: its own interface, then a whole connection on it.
    fn replay(&mut self, r: ReplaySave) -> std::io::Result<()> {
        self.w.interface(&r.label)?;
        let (iface, back) = (self.interfaces, self.iface);
        self.interfaces += 1;
        self.iface = iface;
        let conn = u64::MAX - u64::from(iface);
        let ts_nanos = r.ts_nanos;
        let msgs = [
            SaveMsg::Open {
                conn,
                client: r.client,
                server: r.server,
                ts_nanos,
            },
            SaveMsg::Data {
                conn,
                dir: Dir::ClientToServer,
                bytes: r.request,
                ts_nanos,
            },
            SaveMsg::Data {
                conn,
                dir: Dir::ServerToClient,
                bytes: r.response,
                ts_nanos,
            },
            SaveMsg::Close { conn, ts_nanos },
        ];
        let mut done = Ok(());
        for m in msgs {
            done = done.and_then(|()| self.handle(m));
        }
        self.iface = back;
        done
    }

    pub fn handle(&mut self, m: SaveMsg) -> std::io::Result<()> {
        match m {
            SaveMsg::Open {
                conn,
                client,
                server,
                ts_nanos,
            } => {
                // Initial sequence numbers derived from the connection id: distinct per
                // connection, deterministic for a given session.
                let isn_c = (conn as u32).wrapping_mul(0x9E37_79B9) ^ 0x1000;
                let isn_s = (conn as u32).wrapping_mul(0x85EB_CA6B) ^ 0x2000;
                self.emit(ts_nanos, client, server, isn_c, 0, SYN, &[])?;
                self.emit(
                    ts_nanos,
                    server,
                    client,
                    isn_s,
                    isn_c.wrapping_add(1),
                    SYN | ACK,
                    &[],
                )?;
                self.emit(
                    ts_nanos,
                    client,
                    server,
                    isn_c.wrapping_add(1),
                    isn_s.wrapping_add(1),
                    ACK,
                    &[],
                )?;
                self.conns.insert(
                    conn,
                    Conn {
                        client,
                        server,
                        seq_c: isn_c.wrapping_add(1),
                        seq_s: isn_s.wrapping_add(1),
                    },
                );
            }
            SaveMsg::Data {
                conn,
                dir,
                bytes,
                ts_nanos,
            } => {
                let Some(c) = self.conns.get(&conn) else {
                    return Ok(());
                };
                let (src, dst, mut seq, ack) = match dir {
                    Dir::ClientToServer => (c.client, c.server, c.seq_c, c.seq_s),
                    Dir::ServerToClient => (c.server, c.client, c.seq_s, c.seq_c),
                };
                for part in bytes.chunks(SEGMENT) {
                    self.emit(ts_nanos, src, dst, seq, ack, PSH | ACK, part)?;
                    seq = seq.wrapping_add(part.len() as u32);
                }
                if let Some(c) = self.conns.get_mut(&conn) {
                    match dir {
                        Dir::ClientToServer => c.seq_c = seq,
                        Dir::ServerToClient => c.seq_s = seq,
                    }
                }
            }
            SaveMsg::Close { conn, ts_nanos } => {
                let Some(c) = self.conns.remove(&conn) else {
                    return Ok(());
                };
                self.emit(
                    ts_nanos,
                    c.server,
                    c.client,
                    c.seq_s,
                    c.seq_c,
                    FIN | ACK,
                    &[],
                )?;
                self.emit(
                    ts_nanos,
                    c.client,
                    c.server,
                    c.seq_c,
                    c.seq_s.wrapping_add(1),
                    FIN | ACK,
                    &[],
                )?;
                self.emit(
                    ts_nanos,
                    c.server,
                    c.client,
                    c.seq_s.wrapping_add(1),
                    c.seq_c.wrapping_add(1),
                    ACK,
                    &[],
                )?;
            }
            SaveMsg::Replay(r) => self.replay(*r)?,
            SaveMsg::Stop => {}
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// Creates the file and starts the thread that writes it. The thread ends when every sender
/// is dropped, after closing the connections still open and flushing.
pub fn start(
    path: &Path,
    on_error: impl Fn(String) + Send + 'static,
) -> std::io::Result<(SaveTx, std::thread::JoinHandle<u64>)> {
    let file = std::fs::File::create(path)?;
    let mut session = Session::new(std::io::BufWriter::with_capacity(256 << 10, file))?;
    session.flush()?;
    let (tx, rx) = std::sync::mpsc::channel::<SaveMsg>();
    let name = path.display().to_string();
    let h = std::thread::Builder::new()
        .name("sigscope-save".into())
        .spawn(move || {
            let mut failed = false;
            loop {
                let m = match rx.try_recv() {
                    Ok(m) => m,
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        // Nothing queued: whatever was written is complete, put it on disk.
                        if !failed {
                            if let Err(e) = session.flush() {
                                failed = true;
                                on_error(format!("--save {name}: {e}; nothing more is saved"));
                            }
                        }
                        match rx.recv() {
                            Ok(m) => m,
                            Err(_) => break,
                        }
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                };
                if matches!(m, SaveMsg::Stop) {
                    break;
                }
                if failed {
                    continue;
                }
                if let Err(e) = session.handle(m) {
                    failed = true;
                    on_error(format!("--save {name}: {e}; nothing more is saved"));
                }
            }
            if !failed {
                let open: Vec<u64> = session.conns.keys().copied().collect();
                let now = super::now_nanos();
                for conn in open {
                    let _ = session.handle(SaveMsg::Close {
                        conn,
                        ts_nanos: now,
                    });
                }
                if let Err(e) = session.flush() {
                    on_error(format!("--save {name}: {e}"));
                }
            }
            session.packets
        })?;
    Ok((tx, h))
}

#[cfg(test)]
mod tests;

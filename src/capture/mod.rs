//! pcap/pcapng replay: frames → IP/TCP (with fragment reassembly) → per-connection TCP
//! reassembly → (TLS decryption) → HTTP/1.x or HTTP/2 exchanges, streamed in capture order
//! with bounded memory.

mod app;
pub mod decode;
pub mod h2;
pub mod httpstream;
pub mod link;
mod live;
pub mod packets;
pub mod pcapng_out;
pub mod tcp;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;

use crate::engine::Finding;
use crate::exchange::Exchange;
use app::{deliver, App};
use decode::{Decoded, Decoder};
use httpstream::{Event, HttpStream, Origin, Role};
use tcp::Direction;

/// Called with (bytes read, file size) as a capture is read.
pub type Progress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Clone)]
pub struct Options {
    /// Bodies larger than this keep only their first bytes (their length and SHA-256 are
    /// still computed over everything).
    pub body_cap: usize,
    /// A request with no response after this much capture time is released without one.
    pub response_wait_nanos: i128,
    pub progress: Option<Progress>,
    /// TLS secrets (`--keylog`, `SSLKEYLOGFILE`); a pcapng's Decryption Secrets Blocks add
    /// to them for that file.
    pub keylog: std::sync::Arc<tls::KeyLog>,
    /// The key log may still be written while the capture is read (a live capture): a TLS
    /// connection whose key is missing at its ServerHello holds its records a while for it
    /// (`tls/waiting.rs`) instead of being given up at once.
    pub keys_may_grow: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_cap: 8 << 20,
            response_wait_nanos: 120 * 1_000_000_000,
            progress: None,
            keylog: Default::default(),
            keys_may_grow: false,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub frames: u64,
    pub tcp_segments: u64,
    pub not_tcp_frames: u64,
    /// QUIC flows over UDP (HTTP/3), not decrypted; and their packets.
    pub quic_flows: u64,
    pub quic_packets: u64,
    pub undecodable_frames: u64,
    pub unsupported_link_frames: u64,
    pub ip_fragments: u64,
    pub connections: u64,
    pub non_http_connections: u64,
    pub exchanges: u64,
    pub unmatched_responses: u64,
    pub skipped_bytes: u64,
    /// Of `skipped_bytes`, those from the server side of a connection that were not an HTTP
    /// response (a body written after a HEAD response, stray text): never read as requests.
    pub not_response_bytes: u64,
    pub gap_bytes: u64,
    pub retransmitted_bytes: u64,
    /// Connections that spoke TLS, those of them whose application data was decrypted, and
    /// those that stayed (partly) encrypted, by the first reason.
    pub tls_connections: u64,
    pub tls_decrypted: u64,
    pub tls_encrypted: std::collections::BTreeMap<tls::Why, u64>,
    /// TLS records that failed authentication (the others of their connection still read).
    pub tls_bad_records: u64,
    /// One line per TLS connection that stayed (partly) encrypted, saying why (bounded).
    pub tls_notes: Vec<String>,
    /// Connections read as HTTP/2, and their header blocks that could not be decoded.
    pub h2_connections: u64,
    pub h2_undecoded_blocks: u64,
    /// One line per HTTP/2 connection not wholly read, saying why (bounded).
    pub h2_notes: Vec<String>,
    /// The first problems met (bounded), for the summary.
    pub notes: Vec<String>,
    /// Why reading stopped before the end of the file, if it did.
    pub error: Option<String>,
}

impl Stats {
    fn note(&mut self, s: String) {
        if self.notes.len() < 20 {
            self.notes.push(s);
        }
    }

    /// One line for stderr.
    pub fn summary(&self) -> String {
        use crate::words::count_s;
        let mut s = format!(
            "{}, {}, {}",
            count_s(self.frames, "frame"),
            count_s(self.connections, "TCP connection"),
            count_s(self.exchanges, "HTTP exchange")
        );
        s += &self.tls_summary();
        if self.h2_connections > 0 {
            s += &format!(", {}", count_s(self.h2_connections, "HTTP/2 connection"));
            if self.h2_undecoded_blocks > 0 {
                s += &format!(
                    " ({} not decoded)",
                    count_s(self.h2_undecoded_blocks, "header block")
                );
            }
        }
        if self.non_http_connections > 0 {
            s += &format!(
                ", {} skipped (not HTTP/1)",
                count_s(self.non_http_connections, "non-HTTP connection")
            );
        }
        if self.quic_flows > 0 {
            s += &format!(
                ", {} not read (HTTP/3 over UDP: sigscope decrypts TLS over TCP only)",
                count_s(self.quic_flows, "QUIC flow")
            );
        }
        if self.not_tcp_frames > 0 {
            s += &format!(", {}", count_s(self.not_tcp_frames, "non-TCP frame"));
        }
        if self.undecodable_frames + self.unsupported_link_frames > 0 {
            s += &format!(
                ", {} not decodable",
                count_s(
                    self.undecodable_frames + self.unsupported_link_frames,
                    "frame"
                )
            );
        }
        if self.not_response_bytes > 0 {
            s += &format!(
                ", {} from servers that {} not HTTP responses",
                count_s(self.not_response_bytes, "byte"),
                if self.not_response_bytes == 1 {
                    "was"
                } else {
                    "were"
                }
            );
        }
        if self.gap_bytes > 0 {
            s += &format!(
                ", {} missing from TCP streams",
                count_s(self.gap_bytes, "byte")
            );
        }
        s
    }

    fn tls_summary(&self) -> String {
        use crate::words::count_s;
        if self.tls_connections == 0 {
            return String::new();
        }
        let mut s = format!(
            ", {} ({} decrypted",
            count_s(self.tls_connections, "TLS connection"),
            self.tls_decrypted
        );
        for (why, n) in &self.tls_encrypted {
            s += &format!(", {n} not read: {why}");
        }
        if self.tls_bad_records > 0 {
            s += &format!(
                "; {} failed authentication",
                count_s(self.tls_bad_records, "record")
            );
        }
        s + ")"
    }
}

struct Slot {
    exchange: Exchange,
    done: bool,
    ts: i128,
}

/// Releases exchanges in the order their requests completed, once each has its response (or
/// will not get one): the order tshark lists requests in, with memory bounded by what is in
/// flight rather than by the file.
struct Reorder {
    /// The id of `slots[0]`: ids are given in order and released from the front, so every id
    /// from here to `first_id + slots.len()` is present (a queue, not a map: no rebalancing
    /// moves of ~400-byte exchanges).
    first_id: u64,
    slots: VecDeque<Slot>,
    emitted: usize,
    first_index: usize,
}

impl Reorder {
    fn push(&mut self, slot: Slot) -> u64 {
        self.slots.push_back(slot);
        self.first_id + self.slots.len() as u64 - 1
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Slot> {
        let i = usize::try_from(id.checked_sub(self.first_id)?).ok()?;
        self.slots.get_mut(i)
    }

    fn release(&mut self, sink: &mut dyn FnMut(Exchange)) {
        while self.slots.front().is_some_and(|s| s.done) {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            self.first_id += 1;
            let mut x = slot.exchange;
            x.index = self.first_index + self.emitted;
            self.emitted += 1;
            sink(x);
        }
    }
}

struct Conn {
    addrs: [SocketAddr; 2],
    /// `addrs` as text, formatted once per connection rather than twice per exchange.
    names: [String; 2],
    dirs: [Direction; 2],
    app: App,
    fin: [bool; 2],
    /// Slots of requests awaiting their response, per client direction.
    awaiting: VecDeque<u64>,
    /// Responses complete before their request (a hole in the request stream held it back).
    early: VecDeque<(Box<crate::http::Response>, Vec<String>)>,
    /// HTTP/2: slots awaiting their response, and responses before their request, by stream.
    h2_awaiting: HashMap<u32, u64>,
    h2_early: HashMap<u32, (Box<crate::http::Response>, Vec<String>)>,
    /// Which of `addrs` is the server, once known: from the handshake (the SYN's receiver, the
    /// SYN-ACK's sender), else the side that did not send the first request line.
    server: Option<usize>,
    layer: Layer,
    /// The pcapng interface of its first segment, by name.
    iface: Option<std::sync::Arc<str>>,
}

/// What the connection's bytes are, decided by its first bytes.
enum Layer {
    Unknown,
    Plain,
    Tls(Box<tls::TlsConn>),
}

impl Conn {
    fn set_server(&mut self, d: usize) {
        if self.server.is_none() {
            self.server = Some(d);
            self.app.server = Some(d);
            self.app.streams[d].set_server();
        }
    }
}

pub struct Replayer<'s> {
    name: String,
    opts: Options,
    /// Looked up several times per packet: foldhash rather than SipHash (12% of the reader
    /// thread's instructions), still randomly seeded.
    conns: HashMap<(SocketAddr, SocketAddr), Conn, foldhash::fast::RandomState>,
    reorder: Reorder,
    pub stats: Stats,
    sink: &'s mut dyn FnMut(Exchange),
    events: Vec<Event>,
    /// The options' key log, plus the capture's own Decryption Secrets Blocks, and the
    /// TLS sessions seen.
    keylog: tls::Keyring,
    /// pcapng interface names, by their number across the file.
    ifaces: Vec<std::sync::Arc<str>>,
    /// QUIC flows seen (both orders of a flow are one key), up to [`MAX_QUIC_FLOWS`].
    quic: std::collections::HashSet<(SocketAddr, SocketAddr)>,
}

/// QUIC flows told apart, at most; more are counted as packets only.
const MAX_QUIC_FLOWS: usize = 10_000;

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

fn attach(slot: &mut Slot, resp: crate::http::Response, problems: Vec<String>) {
    slot.exchange.response = Some(resp);
    slot.exchange.notes.extend(problems.into_iter().map(|p| {
        Finding::new(
            crate::engine::Code::CaptureIncomplete,
            format!("response: {p}"),
        )
    }));
    slot.done = true;
}

fn fmt_addr(a: SocketAddr) -> String {
    a.to_string()
}

impl<'s> Replayer<'s> {
    pub fn new(
        name: &str,
        first_index: usize,
        opts: Options,
        sink: &'s mut dyn FnMut(Exchange),
    ) -> Self {
        Replayer {
            keylog: tls::Keyring::new(opts.keylog.clone(), opts.keys_may_grow),
            name: name.to_string(),
            opts,
            conns: HashMap::default(),
            reorder: Reorder {
                first_id: 0,
                slots: VecDeque::new(),
                emitted: 0,
                first_index,
            },
            stats: Stats::default(),
            sink,
            events: Vec::new(),
            ifaces: Vec::new(),
            quic: Default::default(),
        }
    }

    /// A pcapng interface, announced before its frames.
    fn interface(&mut self, global: u32, name: &str) {
        let i = global as usize;
        if self.ifaces.len() <= i {
            self.ifaces.resize(i + 1, std::sync::Arc::from(""));
        }
        self.ifaces[i] = std::sync::Arc::from(name);
    }

    /// A QUIC packet (HTTP/3): counted, its flow named once with why it is not read.
    fn quic(&mut self, a: SocketAddr, b: SocketAddr) {
        self.stats.quic_packets += 1;
        if self.quic.len() < MAX_QUIC_FLOWS && self.quic.insert(key(a, b)) {
            self.stats.quic_flows += 1;
            // The client is the side that is not on the well-known port, when one is.
            let (client, server) = if a.port() == 443 { (b, a) } else { (a, b) };
            self.stats.note(format!(
                "{} → {}: QUIC (HTTP/3 over UDP) is not decrypted; have the client use HTTP/1.1 or HTTP/2 over TCP to read it (curl --http2, a browser with QUIC turned off)",
                fmt_addr(client),
                fmt_addr(server)
            ));
        }
    }

    /// A frame decoded by [`Decoder`] (on the reading thread, see [`replay`]).
    fn decoded(&mut self, number: u64, ts_nanos: i128, iface: Option<u32>, d: Decoded<'_>) {
        self.stats.frames += 1;
        match d {
            Decoded::Tcp(seg) => {
                self.stats.tcp_segments += 1;
                let iface = iface.and_then(|i| self.ifaces.get(i as usize)).cloned();
                self.segment(&seg.0, number, ts_nanos, iface);
            }
            Decoded::NotTcp => self.stats.not_tcp_frames += 1,
            Decoded::Quic(a, b) => self.quic(a, b),
            Decoded::Fragment => self.stats.ip_fragments += 1,
            Decoded::Bad(why) => {
                self.stats.undecodable_frames += 1;
                let n = format!("frame {number}: {why}");
                self.stats.note(n);
            }
            Decoded::UnsupportedLink(l) => {
                if self.stats.unsupported_link_frames == 0 {
                    self.stats
                        .note(format!("frame {number}: link type {l} is not supported"));
                }
                self.stats.unsupported_link_frames += 1;
            }
        }
        self.expire(ts_nanos);
        self.reorder.release(self.sink);
    }

    fn segment(
        &mut self,
        seg: &decode::Segment<'_>,
        frame: u64,
        ts: i128,
        iface: Option<std::sync::Arc<str>>,
    ) {
        let k = key(seg.src, seg.dst);
        let conn = match self.conns.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                if seg.rst || (seg.payload.is_empty() && !seg.syn) {
                    // A stray ACK or RST of a connection we never saw carry nothing.
                    return;
                }
                self.stats.connections += 1;
                e.insert(Conn {
                    addrs: [seg.src, seg.dst],
                    names: [fmt_addr(seg.src), fmt_addr(seg.dst)],
                    dirs: [Direction::default(), Direction::default()],
                    app: App {
                        streams: [
                            HttpStream::new(self.opts.body_cap),
                            HttpStream::new(self.opts.body_cap),
                        ],
                        h2: None,
                        alpn_h2: false,
                        started: [false, false],
                        server: None,
                        body_cap: self.opts.body_cap,
                    },
                    fin: [false, false],
                    awaiting: VecDeque::new(),
                    early: VecDeque::new(),
                    h2_awaiting: HashMap::new(),
                    h2_early: HashMap::new(),
                    server: None,
                    layer: Layer::Unknown,
                    iface,
                })
            }
        };
        let d = if conn.addrs[0] == seg.src { 0 } else { 1 };
        if seg.syn {
            conn.set_server(if seg.ack { d } else { 1 - d });
        }
        let origin = Origin {
            frame,
            ts_nanos: ts,
        };
        let events = &mut self.events;
        {
            let (dirs, app, layer) = (&mut conn.dirs, &mut conn.app, &mut conn.layer);
            let keylog = &mut self.keylog;
            dirs[d].push(seg.seq, seg.syn, &seg.payload, &mut |p| {
                deliver(layer, keylog, d, p, app, origin, events)
            });
        }
        self.dispatch(k, d, ts);
        let conn = self.conns.get_mut(&k).expect("present");
        if seg.fin {
            conn.fin[d] = true;
        }
        if seg.rst || (conn.fin[0] && conn.fin[1]) {
            self.end_conn(k, ts);
        }
    }

    /// Handles the events produced by direction `d` of connection `k`; switches the
    /// connection to HTTP/2 when its HTTP/1 readers say it goes on in HTTP/2.
    fn dispatch(&mut self, k: (SocketAddr, SocketAddr), d: usize, ts: i128) {
        // Drained and handed back, so that the buffer is not reallocated for every segment.
        let mut events = std::mem::take(&mut self.events);
        loop {
            let Some(conn) = self.conns.get_mut(&k) else {
                events.clear();
                break;
            };
            for ev in events.drain(..) {
                app::event(conn, &mut self.reorder, &mut self.stats, &self.name, d, ev);
            }
            if !app::switch_to_h2(conn, &mut self.reorder, &mut events) {
                break;
            }
        }
        self.events = events;
        let _ = ts;
    }

    fn end_conn(&mut self, k: (SocketAddr, SocketAddr), ts: i128) {
        for d in 0..2 {
            let Some(conn) = self.conns.get_mut(&k) else {
                return;
            };
            let events = &mut self.events;
            let (dirs, app, layer) = (&mut conn.dirs, &mut conn.app, &mut conn.layer);
            let keylog = &mut self.keylog;
            dirs[d].flush(&mut |p| deliver(layer, keylog, d, p, app, Origin::default(), events));
            match &mut app.h2 {
                Some(h) => h.close(d, events),
                None => app.streams[d].close(events),
            }
            self.dispatch(k, d, ts);
        }
        if let Some(mut conn) = self.conns.remove(&k) {
            self.stats.gap_bytes += conn.dirs[0].gap_bytes + conn.dirs[1].gap_bytes;
            self.stats.not_response_bytes +=
                conn.app.streams[0].not_response_bytes + conn.app.streams[1].not_response_bytes;
            self.stats.retransmitted_bytes +=
                conn.dirs[0].retransmitted_bytes + conn.dirs[1].retransmitted_bytes;
            // Connections that carried nothing are neither HTTP nor anything else.
            let http = conn.app.h2.is_some()
                || conn
                    .app
                    .streams
                    .iter()
                    .any(|s| matches!(s.role, Some(Role::Requests | Role::Responses)));
            let other = conn.app.streams.iter().any(|s| s.role == Some(Role::Other));
            if other && !http {
                self.stats.non_http_connections += 1;
            }
            if let Layer::Tls(t) = &mut conn.layer {
                t.give_up();
                self.tls_done(&conn.names, &t.report);
            }
            if let Some(h) = &conn.app.h2 {
                self.h2_done(&conn.names, &h.report);
            }
            self.stats.unmatched_responses += (conn.early.len() + conn.h2_early.len()) as u64;
            let mut h2_waiting: Vec<(u32, u64)> = conn.h2_awaiting.into_iter().collect();
            h2_waiting.sort_unstable();
            for id in conn
                .awaiting
                .into_iter()
                .chain(h2_waiting.into_iter().map(|w| w.1))
            {
                if let Some(slot) = self.reorder.get_mut(id) {
                    slot.done = true;
                    slot.exchange.notes.push(Finding::new(
                        crate::engine::Code::NoResponse,
                        "the connection ended without a response to this request",
                    ));
                }
            }
        }
    }

    /// Counts an HTTP/2 connection at its end, and says why some of it was not read.
    fn h2_done(&mut self, names: &[String; 2], r: &h2::Report) {
        self.stats.h2_connections += 1;
        self.stats.h2_undecoded_blocks += r.undecoded_blocks;
        let Some(why) = r.why else { return };
        let mut what = Vec::new();
        if r.undecoded_blocks > 0 {
            what.push(format!(
                "{} not decoded",
                crate::words::count_s(r.undecoded_blocks, "header block")
            ));
        }
        if r.bad_frames > 0 {
            what.push(format!(
                "{} not valid",
                crate::words::count_s(r.bad_frames, "frame")
            ));
        }
        if r.orphan_bytes > 0 {
            what.push(format!(
                "{} of streams whose headers are not in the capture",
                crate::words::count_s(r.orphan_bytes, "body byte")
            ));
        }
        if what.is_empty() {
            what.push("not wholly read".into());
        }
        let note = format!(
            "HTTP/2 {} ↔ {}: {}: {why}",
            names[0],
            names[1],
            what.join(", ")
        );
        if self.stats.h2_notes.len() < 20 {
            self.stats.h2_notes.push(note);
        }
    }

    /// Counts a TLS connection at its end, and says why it stayed encrypted if it did.
    fn tls_done(&mut self, names: &[String; 2], r: &tls::Report) {
        self.stats.tls_connections += 1;
        self.stats.tls_bad_records += r.bad_records;
        if r.decrypted_bytes > 0 {
            self.stats.tls_decrypted += 1;
        }
        let why = match r.why {
            Some(why) => why,
            None if r.decrypted_bytes == 0 => tls::Why::NoData,
            None => return,
        };
        if r.decrypted_bytes == 0 || why != tls::Why::BadMac {
            *self.stats.tls_encrypted.entry(why).or_default() += 1;
        }
        let what = match (why, r.bad_records) {
            (_, 0) => "not decrypted".to_string(),
            (_, n) => format!("{} not decrypted", crate::words::count_s(n, "record")),
        };
        let note = format!("TLS {} ↔ {}: {what}: {why}", names[0], names[1]);
        if self.stats.tls_notes.len() < 20 {
            self.stats.tls_notes.push(note);
        }
    }

    /// Requests that waited too long for a response are released without one.
    fn expire(&mut self, now: i128) {
        let wait = self.opts.response_wait_nanos;
        let crowded = self.reorder.slots.len() > 100_000;
        for (i, slot) in self.reorder.slots.iter_mut().enumerate() {
            if slot.done {
                continue;
            }
            if now - slot.ts > wait || (crowded && i == 0) {
                slot.done = true;
                slot.exchange.notes.push(Finding::new(
                    crate::engine::Code::NoResponse,
                    format!(
                        "no response within {} s of capture time",
                        wait / 1_000_000_000
                    ),
                ));
            }
            break;
        }
    }

    /// End of the capture: every connection is flushed and every exchange released.
    pub fn finish(mut self) -> Stats {
        let mut keys: Vec<_> = self.conns.keys().copied().collect();
        keys.sort();
        for k in keys {
            self.end_conn(k, i128::MAX);
        }
        for slot in self.reorder.slots.iter_mut() {
            slot.done = true;
        }
        self.reorder.release(self.sink);
        self.stats
    }
}

/// Frames read and decoded by the reading thread, handed to the reassembling one in order.
#[derive(Default)]
struct FrameBatch {
    /// The TCP payloads of the batch, one after another.
    data: Vec<u8>,
    frames: Vec<DecodedFrame>,
    /// Key log text from Decryption Secrets Blocks met while reading the batch.
    secrets: Vec<u8>,
    /// Interfaces met while reading the batch (they precede their frames).
    interfaces: Vec<(u32, String)>,
}

struct DecodedFrame {
    number: u64,
    ts_nanos: i128,
    iface: Option<u32>,
    what: Decoded<'static>,
    /// Where a TCP segment's payload lies in `data` (its `Cow` in `what` is empty).
    payload: std::ops::Range<usize>,
}

/// Frames per batch: large enough that the channel costs nothing per frame, small enough
/// that a batch (~0.5 MB of a typical capture) stays in cache between the two threads.
const FRAME_BATCH: usize = 1024;
/// Payload bytes per batch, at most (give or take a frame): captures on loopback or with
/// segmentation offload carry 64 KB segments, and 1024 of those made 60 MB batches, eight
/// of them queued, re-faulted as they grew (a third of the time of reading such a capture).
const BATCH_BYTES: usize = 1 << 19;

impl FrameBatch {
    fn push(&mut self, number: u64, ts_nanos: i128, iface: Option<u32>, d: Decoded<'_>) {
        let (what, payload) = match d {
            Decoded::Tcp(seg) => {
                let start = self.data.len();
                self.data.extend_from_slice(&seg.0.payload);
                let seg = decode::Segment {
                    payload: std::borrow::Cow::Borrowed(&[][..]),
                    ..seg.0
                };
                (
                    Decoded::Tcp(decode::SegmentBox(seg)),
                    start..self.data.len(),
                )
            }
            Decoded::NotTcp => (Decoded::NotTcp, 0..0),
            Decoded::Quic(a, b) => (Decoded::Quic(a, b), 0..0),
            Decoded::Fragment => (Decoded::Fragment, 0..0),
            Decoded::Bad(why) => (Decoded::Bad(why), 0..0),
            Decoded::UnsupportedLink(l) => (Decoded::UnsupportedLink(l), 0..0),
        };
        self.frames.push(DecodedFrame {
            number,
            ts_nanos,
            iface,
            what,
            payload,
        });
    }
}

/// [`replay`] on the calling thread: the same reading, decoding, reassembly and parsing, frame
/// after frame, with no thread spawned. For the fuzz targets (`fuzz/`), where a thread per
/// input costs more than the parsing; `replay` stays the one the tool uses.
#[doc(hidden)]
pub fn replay_on_this_thread(
    data: &[u8],
    name: &str,
    first_index: usize,
    opts: Options,
    sink: &mut dyn FnMut(Exchange),
) -> Stats {
    let r = std::cell::RefCell::new(Replayer::new(name, first_index, opts, sink));
    let mut decoder = Decoder::default();
    let res = packets::read_frames(
        data,
        |f| {
            let d = decoder.decode(f.linktype, f.data, f.number);
            r.borrow_mut().decoded(f.number, f.ts_nanos, f.iface, d);
        },
        |meta| match meta {
            packets::Meta::Secrets(secrets) => r.borrow_mut().keylog.add_bytes(secrets),
            packets::Meta::Interface(i, name) => r.borrow_mut().interface(i, &name),
        },
    );
    let mut stats = r.into_inner().finish();
    stats.ip_fragments = stats.ip_fragments.max(decoder.fragment_frames());
    if let Err(e) = res {
        stats.error = Some(e);
    }
    stats
}

/// Replays a pcap or pcapng stream, calling `sink` with each exchange in capture order.
///
/// Two threads: one reads the file and decodes link, IP and TCP headers (and reassembles IP
/// fragments); this one reassembles TCP streams and parses HTTP, in the same frame order, so
/// the result is the same as doing both in turn, and reading overlaps with parsing.
pub fn replay<R: Read + Send>(
    reader: R,
    name: &str,
    first_index: usize,
    opts: Options,
    sink: &mut dyn FnMut(Exchange),
) -> Stats {
    let mut r = Replayer::new(name, first_index, opts, sink);
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<FrameBatch>(8);
    // Spent batches go back to be refilled: their buffers are reused, not reallocated.
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<FrameBatch>();
    let (res, fragment_frames) = std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            let mut decoder = Decoder::default();
            let batch = std::cell::RefCell::new(FrameBatch::default());
            let res = packets::read_frames(
                reader,
                |f| {
                    let d = decoder.decode(f.linktype, f.data, f.number);
                    let mut batch = batch.borrow_mut();
                    batch.push(f.number, f.ts_nanos, f.iface, d);
                    if batch.frames.len() >= FRAME_BATCH || batch.data.len() >= BATCH_BYTES {
                        let mut next = spent_rx.try_recv().unwrap_or_default();
                        next.data.clear();
                        next.frames.clear();
                        next.secrets.clear();
                        next.interfaces.clear();
                        // The receiver only goes away when this scope ends.
                        let _ = full_tx.send(std::mem::replace(&mut *batch, next));
                    }
                },
                |meta| {
                    let mut batch = batch.borrow_mut();
                    match meta {
                        packets::Meta::Secrets(secrets) => {
                            batch.secrets.extend_from_slice(secrets);
                            batch.secrets.push(b'\n');
                        }
                        packets::Meta::Interface(i, name) => batch.interfaces.push((i, name)),
                    }
                },
            );
            let batch = batch.into_inner();
            if !batch.frames.is_empty() || !batch.secrets.is_empty() || !batch.interfaces.is_empty()
            {
                let _ = full_tx.send(batch);
            }
            (res, decoder.fragment_frames())
        });
        for mut batch in full_rx {
            for (i, name) in batch.interfaces.drain(..) {
                r.interface(i, &name);
            }
            if !batch.secrets.is_empty() {
                // Secrets precede the frames they decrypt; taking them for the whole batch
                // only ever adds keys.
                r.keylog.add_bytes(&batch.secrets);
            }
            for f in batch.frames.drain(..) {
                let what = match f.what {
                    Decoded::Tcp(seg) => Decoded::Tcp(decode::SegmentBox(decode::Segment {
                        payload: std::borrow::Cow::Borrowed(&batch.data[f.payload]),
                        ..seg.0
                    })),
                    other => other,
                };
                r.decoded(f.number, f.ts_nanos, f.iface, what);
            }
            let _ = spent_tx.send(batch);
        }
        match reading.join() {
            Ok(done) => done,
            Err(_) => (Err("the capture reading thread panicked".into()), 0),
        }
    });
    let mut stats = r.finish();
    // Fragments held for reassembly were counted by the reading thread's decoder.
    stats.ip_fragments = stats.ip_fragments.max(fragment_frames);
    if let Err(e) = res {
        stats.error = Some(e);
    }
    stats
}

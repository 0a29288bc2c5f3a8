//! pcap/pcapng replay: frames → IP/TCP (with fragment reassembly) → per-connection TCP
//! reassembly → HTTP/1.x exchanges, streamed in capture order with bounded memory.

pub mod decode;
pub mod httpstream;
pub mod packets;
pub mod tcp;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;

use crate::engine::Finding;
use crate::exchange::Exchange;
use decode::{Decoded, Decoder};
use httpstream::{Event, HttpStream, Origin, Role};
use tcp::{Direction, Piece};

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            body_cap: 8 << 20,
            response_wait_nanos: 120 * 1_000_000_000,
            progress: None,
            keylog: Default::default(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub frames: u64,
    pub tcp_segments: u64,
    pub not_tcp_frames: u64,
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
        if self.non_http_connections > 0 {
            s += &format!(
                ", {} skipped (not HTTP/1)",
                count_s(self.non_http_connections, "non-HTTP connection")
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
    streams: [HttpStream; 2],
    fin: [bool; 2],
    /// Slots of requests awaiting their response, per client direction.
    awaiting: VecDeque<u64>,
    /// Responses complete before their request (a hole in the request stream held it back).
    early: VecDeque<(Box<crate::http::Response>, Vec<String>)>,
    /// Which of `addrs` is the server, once known: from the handshake (the SYN's receiver, the
    /// SYN-ACK's sender), else the side that did not send the first request line.
    server: Option<usize>,
    layer: Layer,
}

/// What the connection's bytes are, decided by its first bytes.
enum Layer {
    Unknown,
    Plain,
    Tls(Box<tls::TlsConn>),
}

/// Hands reassembled bytes of direction `d` to its HTTP reader, through TLS decryption when
/// the connection speaks TLS.
fn deliver(
    layer: &mut Layer,
    keylog: &tls::KeyLog,
    d: usize,
    p: Piece<'_>,
    stream: &mut HttpStream,
    origin: Origin,
    events: &mut Vec<Event>,
) {
    if let (Layer::Unknown, Piece::Data(b)) = (&*layer, &p) {
        if !b.is_empty() {
            *layer = match tls::looks_like_tls(b) {
                true => Layer::Tls(Box::default()),
                false => Layer::Plain,
            };
        }
    }
    match layer {
        Layer::Tls(t) => t.piece(d, p, keylog, &mut |o| match o {
            tls::Out::Data(b) => stream.feed(b, origin, events),
            tls::Out::Gap(n) => stream.gap(n, events),
        }),
        Layer::Unknown | Layer::Plain => match p {
            Piece::Data(b) => stream.feed(b, origin, events),
            Piece::Gap(n) => stream.gap(n, events),
        },
    }
}

impl Conn {
    fn set_server(&mut self, d: usize) {
        if self.server.is_none() {
            self.server = Some(d);
            self.streams[d].set_server();
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
    /// The options' key log, plus the capture's own Decryption Secrets Blocks.
    keylog: std::sync::Arc<tls::KeyLog>,
}

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
            keylog: opts.keylog.clone(),
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
        }
    }

    /// A frame decoded by [`Decoder`] (on the reading thread, see [`replay`]).
    fn decoded(&mut self, number: u64, ts_nanos: i128, d: Decoded<'_>) {
        self.stats.frames += 1;
        match d {
            Decoded::Tcp(seg) => {
                self.stats.tcp_segments += 1;
                self.segment(&seg.0, number, ts_nanos);
            }
            Decoded::NotTcp => self.stats.not_tcp_frames += 1,
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

    fn segment(&mut self, seg: &decode::Segment<'_>, frame: u64, ts: i128) {
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
                    streams: [
                        HttpStream::new(self.opts.body_cap),
                        HttpStream::new(self.opts.body_cap),
                    ],
                    fin: [false, false],
                    awaiting: VecDeque::new(),
                    early: VecDeque::new(),
                    server: None,
                    layer: Layer::Unknown,
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
            let (dirs, streams, layer) = (&mut conn.dirs, &mut conn.streams, &mut conn.layer);
            let stream = &mut streams[d];
            let keylog = &*self.keylog;
            dirs[d].push(seg.seq, seg.syn, &seg.payload, &mut |p| {
                deliver(layer, keylog, d, p, stream, origin, events)
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

    /// Handles the events produced by direction `d` of connection `k`.
    fn dispatch(&mut self, k: (SocketAddr, SocketAddr), d: usize, ts: i128) {
        // Drained and handed back, so that the buffer is not reallocated for every segment.
        let mut events = std::mem::take(&mut self.events);
        let Some(conn) = self.conns.get_mut(&k) else {
            events.clear();
            self.events = events;
            return;
        };
        for ev in events.drain(..) {
            match ev {
                Event::RequestHead { method } => {
                    conn.set_server(1 - d);
                    conn.streams[1 - d].awaiting_methods.push_back(method)
                }
                Event::Request {
                    req, end, problems, ..
                } => {
                    let exchange = Exchange {
                        index: 0,
                        source: format!("{}:{}", self.name, end.frame),
                        time: time::OffsetDateTime::from_unix_timestamp_nanos(end.ts_nanos).ok(),
                        client: Some(conn.names[d].clone()),
                        server: Some(conn.names[1 - d].clone()),
                        request: *req,
                        response: None,
                        notes: problems
                            .into_iter()
                            .map(|p| Finding::new(crate::engine::Code::CaptureIncomplete, p))
                            .collect(),
                    };
                    self.stats.exchanges += 1;
                    let mut slot = Slot {
                        exchange,
                        done: false,
                        ts: end.ts_nanos,
                    };
                    let answered = conn.early.pop_front();
                    let waits = answered.is_none();
                    if let Some((resp, problems)) = answered {
                        attach(&mut slot, *resp, problems);
                    }
                    let id = self.reorder.push(slot);
                    if waits {
                        conn.awaiting.push_back(id);
                    }
                }
                Event::Response { resp, problems, .. } => {
                    if resp.status / 100 == 1 {
                        continue;
                    }
                    match conn.awaiting.pop_front() {
                        Some(id) => {
                            if let Some(slot) = self.reorder.get_mut(id) {
                                attach(slot, *resp, problems);
                            }
                        }
                        None => conn.early.push_back((resp, problems)),
                    }
                }
                Event::Skipped { bytes, why } => {
                    self.stats.skipped_bytes += bytes;
                    let n = format!(
                        "{} → {}: skipped {}: {why}",
                        conn.addrs[d],
                        conn.addrs[1 - d],
                        crate::words::count_s(bytes, "byte")
                    );
                    if self.stats.notes.len() < 20 {
                        self.stats.notes.push(n);
                    }
                }
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
            let (dirs, streams, layer) = (&mut conn.dirs, &mut conn.streams, &mut conn.layer);
            let stream = &mut streams[d];
            let keylog = &*self.keylog;
            dirs[d].flush(&mut |p| deliver(layer, keylog, d, p, stream, Origin::default(), events));
            stream.close(events);
            self.dispatch(k, d, ts);
        }
        if let Some(conn) = self.conns.remove(&k) {
            self.stats.gap_bytes += conn.dirs[0].gap_bytes + conn.dirs[1].gap_bytes;
            self.stats.not_response_bytes +=
                conn.streams[0].not_response_bytes + conn.streams[1].not_response_bytes;
            self.stats.retransmitted_bytes +=
                conn.dirs[0].retransmitted_bytes + conn.dirs[1].retransmitted_bytes;
            // Connections that carried nothing are neither HTTP nor anything else.
            let http = conn
                .streams
                .iter()
                .any(|s| matches!(s.role, Some(Role::Requests | Role::Responses)));
            let other = conn.streams.iter().any(|s| s.role == Some(Role::Other));
            if other && !http {
                self.stats.non_http_connections += 1;
            }
            if let Layer::Tls(t) = &conn.layer {
                self.tls_done(&conn.names, &t.report);
            }
            self.stats.unmatched_responses += conn.early.len() as u64;
            for id in conn.awaiting {
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
            (tls::Why::Http2, _) => "decrypted, not read".to_string(),
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

    /// One frame as captured, for a capture read a packet at a time (live capture, issue 16):
    /// the same decoding and the same path as [`replay`], which decodes on its reading thread
    /// and then calls `decoded` in frame order. Returns the connection the frame belongs to,
    /// for a caller that tracks idle connections ([`Replayer::end_connection`]).
    pub fn frame(
        &mut self,
        decoder: &mut Decoder,
        linktype: i32,
        number: u64,
        ts_nanos: i128,
        data: &[u8],
    ) -> Option<(SocketAddr, SocketAddr)> {
        let d = decoder.decode(linktype, data, number);
        let k = match &d {
            Decoded::Tcp(seg) => Some(key(seg.0.src, seg.0.dst)),
            _ => None,
        };
        self.decoded(number, ts_nanos, d);
        k
    }

    /// Ends connection `k` as if it had closed (its bytes flushed, its requests released),
    /// for a live capture's idle timeout; nothing if it has already ended.
    pub fn end_connection(&mut self, k: (SocketAddr, SocketAddr), now: i128) {
        if self.conns.contains_key(&k) {
            self.end_conn(k, now);
        }
        self.tick(now);
    }

    /// Time passes without a frame (a quiet live capture): requests waiting too long for a
    /// response are released.
    pub fn tick(&mut self, now: i128) {
        self.expire(now);
        self.reorder.release(self.sink);
    }

    /// Whether connection `k` (as [`Replayer::frame`] returned it) is still open.
    pub fn has_connection(&self, k: &(SocketAddr, SocketAddr)) -> bool {
        self.conns.contains_key(k)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    /// Bytes held in memory: out-of-order segments, partial messages, and exchanges waiting
    /// for their response or their turn.
    pub fn held_bytes(&self) -> usize {
        let conns: usize = self
            .conns
            .values()
            .map(|c| {
                c.dirs.iter().map(|d| d.pending_bytes()).sum::<usize>()
                    + c.streams.iter().map(|s| s.buffered()).sum::<usize>()
            })
            .sum();
        let slots: usize = self
            .reorder
            .slots
            .iter()
            .map(|s| {
                s.exchange.request.body.len()
                    + s.exchange.response.as_ref().map_or(0, |r| r.body.len())
            })
            .sum();
        conns + slots
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
}

struct DecodedFrame {
    number: u64,
    ts_nanos: i128,
    what: Decoded<'static>,
    /// Where a TCP segment's payload lies in `data` (its `Cow` in `what` is empty).
    payload: std::ops::Range<usize>,
}

/// Frames per batch: large enough that the channel costs nothing per frame, small enough
/// that a batch (~0.5 MB of a typical capture) stays in cache between the two threads.
const FRAME_BATCH: usize = 1024;

impl FrameBatch {
    fn push(&mut self, number: u64, ts_nanos: i128, d: Decoded<'_>) {
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
            Decoded::Fragment => (Decoded::Fragment, 0..0),
            Decoded::Bad(why) => (Decoded::Bad(why), 0..0),
            Decoded::UnsupportedLink(l) => (Decoded::UnsupportedLink(l), 0..0),
        };
        self.frames.push(DecodedFrame {
            number,
            ts_nanos,
            what,
            payload,
        });
    }
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
                    batch.push(f.number, f.ts_nanos, d);
                    if batch.frames.len() >= FRAME_BATCH {
                        let mut next = spent_rx.try_recv().unwrap_or_default();
                        next.data.clear();
                        next.frames.clear();
                        next.secrets.clear();
                        // The receiver only goes away when this scope ends.
                        let _ = full_tx.send(std::mem::replace(&mut *batch, next));
                    }
                },
                |secrets| {
                    let mut batch = batch.borrow_mut();
                    batch.secrets.extend_from_slice(secrets);
                    batch.secrets.push(b'\n');
                },
            );
            let batch = batch.into_inner();
            if !batch.frames.is_empty() || !batch.secrets.is_empty() {
                let _ = full_tx.send(batch);
            }
            (res, decoder.fragment_frames())
        });
        for mut batch in full_rx {
            if !batch.secrets.is_empty() {
                // Secrets precede the frames they decrypt; taking them for the whole batch
                // only ever adds keys.
                std::sync::Arc::make_mut(&mut r.keylog).add_bytes(&batch.secrets);
            }
            for f in batch.frames.drain(..) {
                let what = match f.what {
                    Decoded::Tcp(seg) => Decoded::Tcp(decode::SegmentBox(decode::Segment {
                        payload: std::borrow::Cow::Borrowed(&batch.data[f.payload]),
                        ..seg.0
                    })),
                    other => other,
                };
                r.decoded(f.number, f.ts_nanos, what);
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

//! What reads a connection's bytes once TCP (and TLS) are done with them: an HTTP/1 reader
//! per direction, or one HTTP/2 reader for both once the connection is found to speak it
//! (issue 13), and how each reader's events become exchanges.

use super::httpstream::{Event, HttpStream, Origin, Role};
use super::tcp::Piece;
use super::{attach, h2, tls, Conn, Layer, Reorder, Slot, Stats};
use crate::engine::Finding;
use crate::exchange::Exchange;
use crate::http::Headers;

/// What reads a connection's decrypted or clear bytes: an HTTP/1 reader per direction, or
/// one HTTP/2 reader for both once the connection is found to speak it.
pub(super) struct App {
    pub(super) streams: [HttpStream; 2],
    pub(super) h2: Option<Box<h2::H2Conn>>,
    /// TLS chose `h2` by ALPN.
    pub(super) alpn_h2: bool,
    /// Directions that delivered bytes.
    pub(super) started: [bool; 2],
    /// The server's direction, when known.
    pub(super) server: Option<usize>,
    pub(super) body_cap: usize,
}

impl App {
    fn data(&mut self, d: usize, b: &[u8], tls: bool, origin: Origin, events: &mut Vec<Event>) {
        if b.is_empty() {
            return;
        }
        if self.h2.is_none() && !self.started[d] {
            let client = self.server.map(|s| 1 - s);
            let n = b.len().min(h2::frame::PREFACE.len());
            let start = if b.len() >= 4 && b[..n] == h2::frame::PREFACE[..n] {
                Some((h2::Start::Preface, Some(d)))
            } else if self.alpn_h2 {
                Some((h2::Start::Alpn, client))
            } else if !tls
                && self.server == Some(d)
                && !self.started[1 - d]
                && h2::frame::looks_like_frames(b)
            {
                // The server speaks first (its SETTINGS) on a connection whose handshake the
                // capture has: h2c with prior knowledge, the preface to follow.
                Some((h2::Start::ServerFirst, client))
            } else if !tls
                && !self.started[1 - d]
                && !crate::http::looks_like_start_line(b, 0)
                && h2::frame::looks_like_frames(b)
            {
                Some((h2::Start::MidConnection, client))
            } else {
                None
            };
            if let Some((start, client)) = start {
                self.h2 = Some(Box::new(h2::H2Conn::new(start, client, self.body_cap)));
            }
        }
        self.started[d] = true;
        match &mut self.h2 {
            Some(h) => h.feed(d, b, origin, events),
            None => self.streams[d].feed(b, origin, events),
        }
    }

    fn gap(&mut self, d: usize, n: u64, events: &mut Vec<Event>) {
        match &mut self.h2 {
            Some(h) => h.gap(d, n, events),
            None => self.streams[d].gap(n, events),
        }
    }
}

/// Hands reassembled bytes of direction `d` to its HTTP reader, through TLS decryption when
/// the connection speaks TLS.
pub(super) fn deliver(
    layer: &mut Layer,
    keylog: &mut tls::Keyring,
    d: usize,
    p: Piece<'_>,
    app: &mut App,
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
            tls::Out::Alpn(h2) => app.alpn_h2 = h2,
            tls::Out::Data(b) => app.data(d, b, true, origin, events),
            tls::Out::Gap(n) => app.gap(d, n, events),
        }),
        Layer::Unknown | Layer::Plain => match p {
            Piece::Data(b) => app.data(d, b, false, origin, events),
            Piece::Gap(n) => app.gap(d, n, events),
        },
    }
}

/// After `Upgrade: h2c` and its `101`, or an HTTP/2 preface where an HTTP/1 request was
/// expected: the HTTP/1 readers hand what they hold to a new HTTP/2 reader. The upgrade
/// request, still awaiting its response, becomes stream 1's.
pub(super) fn switch_to_h2(
    conn: &mut Conn,
    reorder: &mut Reorder,
    events: &mut Vec<Event>,
) -> bool {
    let app = &mut conn.app;
    if app.h2.is_some() || !app.streams.iter().any(|s| s.switched) {
        return false;
    }
    // The side that switched on a 101 is the server's; on a preface, the client's.
    let upgraded =
        (0..2).find(|&x| app.streams[x].switched && app.streams[x].role == Some(Role::Responses));
    let client = match (upgraded, conn.server) {
        (Some(s), _) => 1 - s,
        (None, Some(s)) => 1 - s,
        (None, None) => (0..2).find(|&x| app.streams[x].switched).unwrap_or(0),
    };
    let start = if upgraded.is_some() {
        h2::Start::Upgrade
    } else {
        h2::Start::Preface
    };
    let mut h = h2::H2Conn::new(start, Some(client), app.body_cap);
    if upgraded.is_some() {
        let id = conn.awaiting.pop_front();
        let settings = id
            .and_then(|id| reorder.get_mut(id))
            .and_then(|slot| slot.exchange.request.header("http2-settings"));
        h.upgraded(settings.as_deref().map(str::as_bytes));
        if let Some(id) = id {
            conn.h2_awaiting.insert(1, id);
        }
    }
    for x in [client, 1 - client] {
        let held = app.streams[x].take_held();
        h.feed(x, &held, Origin::default(), events);
    }
    app.h2 = Some(Box::new(h));
    true
}

/// One event of direction `d` of a connection.
pub(super) fn event(
    conn: &mut Conn,
    reorder: &mut Reorder,
    stats: &mut Stats,
    name: &str,
    d: usize,
    ev: Event,
) {
    match ev {
        Event::RequestHead { method } => {
            conn.set_server(1 - d);
            conn.app.streams[1 - d].awaiting_methods.push_back(method)
        }
        Event::Request {
            req,
            end,
            problems,
            h2_stream,
            ..
        } => {
            let exchange = Exchange {
                index: 0,
                source: format!("{}:{}", name, end.frame),
                time: time::OffsetDateTime::from_unix_timestamp_nanos(end.ts_nanos).ok(),
                client: Some(conn.names[d].clone()),
                server: Some(conn.names[1 - d].clone()),
                interface: conn.iface.as_deref().map(str::to_string),
                // A replay `listen --save` kept is on an interface named for it (issue 17).
                request: *req,
                response: None,
                notes: problems
                    .into_iter()
                    .map(|p| Finding::new(crate::engine::Code::CaptureIncomplete, p))
                    .collect(),
                replay: conn
                    .iface
                    .as_deref()
                    .and_then(crate::exchange::ReplayOf::from_interface),
            };
            stats.exchanges += 1;
            let mut slot = Slot {
                exchange,
                done: false,
                ts: end.ts_nanos,
            };
            let answered = match h2_stream {
                Some(s) => conn.h2_early.remove(&s),
                None => conn.early.pop_front(),
            };
            let waits = answered.is_none();
            if let Some((resp, problems)) = answered {
                attach(&mut slot, *resp, problems);
            }
            let id = reorder.push(slot);
            match (waits, h2_stream) {
                (false, _) => {}
                (true, Some(s)) => {
                    conn.h2_awaiting.insert(s, id);
                }
                (true, None) => conn.awaiting.push_back(id),
            }
        }
        Event::Response {
            resp,
            problems,
            h2_stream,
            ..
        } => {
            if resp.status / 100 == 1 {
                return;
            }
            let waiting = match h2_stream {
                Some(s) => conn.h2_awaiting.remove(&s),
                None => conn.awaiting.pop_front(),
            };
            match (waiting, h2_stream) {
                (Some(id), _) => {
                    if let Some(slot) = reorder.get_mut(id) {
                        attach(slot, *resp, problems);
                    }
                }
                (None, Some(s)) => {
                    conn.h2_early.insert(s, (resp, problems));
                }
                (None, None) => conn.early.push_back((resp, problems)),
            }
        }
        Event::Reset { stream, why } => {
            if let Some(slot) = conn
                .h2_awaiting
                .remove(&stream)
                .and_then(|id| reorder.get_mut(id))
            {
                slot.done = true;
                slot.exchange.notes.push(Finding::new(
                    crate::engine::Code::NoResponse,
                    format!("no response: {why}"),
                ));
            }
        }
        Event::Skipped { bytes, why } => {
            stats.skipped_bytes += bytes;
            let n = format!(
                "{} → {}: skipped {}: {why}",
                conn.addrs[d],
                conn.addrs[1 - d],
                crate::words::count_s(bytes, "byte")
            );
            stats.note(n);
        }
    }
}

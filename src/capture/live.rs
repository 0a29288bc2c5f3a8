//! The packet-at-a-time side of [`Replayer`], for a live capture (issue 16, `sniff/`): one
//! frame in, the same decoding and path as [`super::replay`]; idle connections ended by the
//! caller; what is held in memory, for the status line.

use std::net::SocketAddr;

use super::decode::{Decoded, Decoder};
use super::{key, Replayer};

impl Replayer<'_> {
    /// The name of the one interface a live capture reads ([`Replayer::frame`]'s frames then
    /// carry it, as the pcapng it saves names it).
    pub fn name_interface(&mut self, name: &str) {
        self.interface(0, name);
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
        let iface = (!self.ifaces.is_empty()).then_some(0);
        self.decoded(number, ts_nanos, iface, d);
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
                    + c.app.streams.iter().map(|s| s.buffered()).sum::<usize>()
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
}

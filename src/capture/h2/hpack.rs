//! One direction's HPACK state (RFC 7541): its dynamic table lives as long as the connection.
//! Seen from its start, a connection's table is wholly known; seen from its middle, only the
//! entries added since are (`decoder.rs` reads both). Once a block could not be
//! read, the entries it would have added are unknown, and so is every later reference into
//! the table: from then on each block is reported as not decoded rather than read against a
//! table that may be wrong.

use super::decoder::Decoder;

/// The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
const DEFAULT_SIZE: usize = 4096;

pub struct Table {
    inner: Decoder,
    /// Why the table is no longer known.
    lost: Option<&'static str>,
}

/// A decoded header block.
pub struct Block {
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// Fields that could not be decoded (0 when the block was read whole; when `undecoded`
    /// is set and this is 0, none was).
    pub unknown: usize,
    /// Why (part of) the block could not be decoded.
    pub undecoded: Option<String>,
}

impl Block {
    pub fn not_decoded(why: String) -> Self {
        Block {
            fields: Vec::new(),
            unknown: 0,
            undecoded: Some(why),
        }
    }
}

const BEFORE_CAPTURE: &str = "they refer to header fields sent before the capture started";

impl Table {
    pub fn new(mid_connection: bool) -> Self {
        let inner = if mid_connection {
            Decoder::partial()
        } else {
            Decoder::whole(DEFAULT_SIZE)
        };
        Table { inner, lost: None }
    }

    pub fn mid_connection(&self) -> bool {
        self.inner.is_partial()
    }

    /// The largest table size the encoder may choose, as acknowledged SETTINGS say.
    pub fn set_allowed(&mut self, size: u32) {
        self.inner
            .set_allowed(usize::try_from(size).unwrap_or(usize::MAX));
    }

    /// A block of this direction was missed: the table is unknown from here on.
    pub fn lose(&mut self) {
        if self.lost.is_none() {
            self.lost = Some("an earlier header block of this connection was lost");
        }
    }

    pub fn decode(&mut self, fragment: &[u8]) -> Block {
        if let Some(why) = self.lost {
            return Block::not_decoded(why.to_string());
        }
        match self.inner.decode(fragment) {
            Ok(d) => Block {
                undecoded: (d.unknown > 0).then(|| BEFORE_CAPTURE.to_string()),
                fields: d.fields,
                unknown: d.unknown,
            },
            Err(e) => {
                self.lost = Some("an earlier header block of this connection was not valid");
                Block::not_decoded(format!("their compression is not valid ({})", e.0))
            }
        }
    }
}

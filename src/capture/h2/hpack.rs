//! One direction's HPACK state (RFC 7541): its dynamic table lives as long as the connection.
//! Seen from its start, a connection is decoded with `fluke-hpack`; seen from its middle,
//! with [`Partial`], which knows only the entries added since. Once a block could not be
//! read, the entries it would have added are unknown, and so is every later reference into
//! the table: from then on each block is reported as not decoded rather than read against a
//! table that may be wrong.

use fluke_hpack::decoder::DecoderError;

use super::partial::Partial;

/// The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
const DEFAULT_SIZE: usize = 4096;

enum Inner {
    Whole(Box<fluke_hpack::Decoder<'static>>),
    Partial(Partial),
}

pub struct Table {
    inner: Inner,
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
            Inner::Partial(Partial::default())
        } else {
            let mut d = fluke_hpack::Decoder::new();
            d.set_max_allowed_table_size(DEFAULT_SIZE);
            Inner::Whole(Box::new(d))
        };
        Table { inner, lost: None }
    }

    pub fn mid_connection(&self) -> bool {
        matches!(self.inner, Inner::Partial(_))
    }

    /// The largest table size the encoder may choose, as acknowledged SETTINGS say.
    pub fn set_allowed(&mut self, size: u32) {
        if let Inner::Whole(d) = &mut self.inner {
            d.set_max_allowed_table_size(usize::try_from(size).unwrap_or(usize::MAX));
        }
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
        match &mut self.inner {
            Inner::Whole(d) => {
                let mut fields = Vec::new();
                let r = d.decode_with_cb(fragment, |n, v| {
                    fields.push((n.into_owned(), v.into_owned()))
                });
                match r {
                    Ok(()) => Block {
                        fields,
                        unknown: 0,
                        undecoded: None,
                    },
                    Err(e) => {
                        self.lost =
                            Some("an earlier header block of this connection was not valid");
                        Block::not_decoded(format!("their compression is not valid ({})", plain(e)))
                    }
                }
            }
            Inner::Partial(p) => match p.decode(fragment) {
                Ok(d) => Block {
                    undecoded: (d.unknown > 0).then(|| BEFORE_CAPTURE.to_string()),
                    fields: d.fields,
                    unknown: d.unknown,
                },
                Err(e) => {
                    self.lost = Some("an earlier header block of this connection was not valid");
                    Block::not_decoded(format!("their compression is not valid ({})", e.0))
                }
            },
        }
    }
}

/// An HPACK decoding error in plain words.
fn plain(e: DecoderError) -> &'static str {
    match e {
        DecoderError::HeaderIndexOutOfBounds => "a reference to a table entry that does not exist",
        DecoderError::IntegerDecodingError(_) => "a malformed number",
        DecoderError::StringDecodingError(_) => "a malformed string",
        DecoderError::InvalidMaxDynamicSize => "a table size larger than the peer allowed",
        DecoderError::SizeUpdateAtEnd => "a table size update at the end of the block",
    }
}

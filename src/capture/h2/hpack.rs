//! One direction's HPACK state (RFC 7541), decoded with `fluke-hpack`: its dynamic table
//! lives as long as the connection. Once a block could not be decoded, the entries it would
//! have added are unknown, and so is every later reference into the table: from then on each
//! block is reported as not decoded rather than read against a table that may be wrong.

use fluke_hpack::decoder::DecoderError;

/// The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
const DEFAULT_SIZE: usize = 4096;

pub struct Table {
    decoder: fluke_hpack::Decoder<'static>,
    /// Why the table is no longer known.
    lost: Option<&'static str>,
    /// The capture started mid-connection: entries added before it are unknown.
    mid_connection: bool,
}

/// A decoded header block.
pub struct Block {
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// Why (part of) the block could not be decoded; `fields` then holds nothing.
    pub undecoded: Option<String>,
}

impl Table {
    pub fn new(mid_connection: bool) -> Self {
        let mut decoder = fluke_hpack::Decoder::new();
        if mid_connection {
            // The peer may have raised the size before the capture: keep every entry seen
            // (an entry the real table evicted is never referred to again), and accept any
            // size update.
            decoder.set_max_table_size(1 << 24);
        } else {
            decoder.set_max_allowed_table_size(DEFAULT_SIZE);
        }
        Table {
            decoder,
            lost: None,
            mid_connection,
        }
    }

    /// The largest table size the encoder may choose, as acknowledged SETTINGS say.
    pub fn set_allowed(&mut self, size: u32) {
        if !self.mid_connection {
            self.decoder
                .set_max_allowed_table_size(usize::try_from(size).unwrap_or(usize::MAX));
        }
    }

    pub fn mid_connection(&self) -> bool {
        self.mid_connection
    }

    /// A block of this direction was missed: the table is unknown from here on.
    pub fn lose(&mut self) {
        if self.lost.is_none() {
            self.lost = Some("an earlier header block of this connection was lost");
        }
    }

    pub fn decode(&mut self, fragment: &[u8]) -> Block {
        if let Some(why) = self.lost {
            return Block {
                fields: Vec::new(),
                undecoded: Some(why.to_string()),
            };
        }
        let mut fields = Vec::new();
        let r = self.decoder.decode_with_cb(fragment, |n, v| {
            fields.push((n.into_owned(), v.into_owned()))
        });
        match r {
            Ok(()) => Block {
                fields,
                undecoded: None,
            },
            Err(e) => {
                let why = match e {
                    DecoderError::HeaderIndexOutOfBounds if self.mid_connection => {
                        "they refer to header fields sent before the capture started".to_string()
                    }
                    e => format!("their compression is not valid ({})", plain(e)),
                };
                self.lost = Some(if self.mid_connection {
                    "an earlier header block of this connection could not be decoded"
                } else {
                    "an earlier header block of this connection was not valid"
                });
                Block {
                    fields: Vec::new(),
                    undecoded: Some(why),
                }
            }
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

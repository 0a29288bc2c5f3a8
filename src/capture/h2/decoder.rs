//! HPACK (RFC 7541) decoding, for both kinds of connection a capture holds.
//!
//! Seen from its start ([`Decoder::whole`]), a connection's dynamic table is known: entries
//! are sized (§4.1: name + value + 32), evicted oldest first when the table grows past its
//! size (§4.4), and size updates (§6.3) may not exceed what SETTINGS allowed (§4.2).
//!
//! Seen from its middle ([`Decoder::partial`]), the table's older entries were added before
//! the capture and are unknown. New entries go in at the front (§2.3.3: index 62 is always
//! the newest), so the entries seen since the capture began keep their true indices; a
//! reference past them, or to an entry whose name was itself unknown, is a field reported as
//! not decoded, never guessed. Entries are not evicted: the real table may have dropped some
//! of them, but an encoder never refers to a dropped entry, so keeping them changes no index
//! that is used (bounded by [`MAX_KEPT`]).
//!
//! Strings use the table-driven Huffman decoder of `huffman.rs`; the representations are §6's.

use std::collections::VecDeque;

use super::huffman;

/// Entries kept (bytes of names and values); older ones are then dropped as unknown.
const MAX_KEPT: usize = 1 << 20;

/// RFC 7541 Appendix A.
pub const STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

type Field = (Vec<u8>, Vec<u8>);
/// A table entry's name (when known) and value; `None` when the entry is unknown.
type Lookup<'a> = Option<(Option<&'a [u8]>, &'a [u8])>;

/// A dynamic table entry: its name is unknown when it was added by a literal whose indexed
/// name was itself unknown.
struct Entry {
    name: Option<Vec<u8>>,
    value: Vec<u8>,
}

/// The known table's sizes (§4.1, §4.2), when the connection was seen from its start.
struct Sizes {
    /// The entries' size (§4.1).
    used: usize,
    /// The table's size, as the encoder last set it (§6.3).
    max: usize,
    /// The largest size the encoder may set (SETTINGS_HEADER_TABLE_SIZE, acknowledged).
    allowed: usize,
}

pub struct Decoder {
    entries: VecDeque<Entry>,
    /// Bytes of names and values kept (the bound of a partial table).
    kept: usize,
    /// `None` for a partial table.
    sizes: Option<Sizes>,
}

/// An entry's size in the table (§4.1).
fn entry_size(name: Option<&[u8]>, value: &[u8]) -> usize {
    name.map_or(0, <[u8]>::len) + value.len() + 32
}

/// Why a block cannot be read any further (its later fields, and entries, are lost).
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// What one block gave: the fields decoded, and how many could not be.
pub struct Decoded {
    pub fields: Vec<Field>,
    pub unknown: usize,
}

/// An integer with an `n`-bit prefix (§5.1): (value, bytes used).
fn integer(b: &[u8], n: u32) -> Result<(usize, usize), Malformed> {
    let mask = (1usize << n) - 1;
    let first = usize::from(*b.first().ok_or(Malformed("a cut-off number"))?) & mask;
    if first < mask {
        return Ok((first, 1));
    }
    let mut v = mask;
    for (i, byte) in b[1..].iter().enumerate() {
        let shift = 7 * i;
        if shift > 28 {
            return Err(Malformed("a number too large"));
        }
        v += usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((v, i + 2));
        }
    }
    Err(Malformed("a cut-off number"))
}

/// A string literal (§5.2): (bytes, bytes used).
fn string(b: &[u8]) -> Result<(Vec<u8>, usize), Malformed> {
    let huffman = b.first().is_some_and(|f| f & 0x80 != 0);
    let (len, used) = integer(b, 7)?;
    let raw = b
        .get(used..used.saturating_add(len))
        .ok_or(Malformed("a cut-off string"))?;
    let s = if huffman {
        huffman::decode(raw).map_err(|_| Malformed("a malformed Huffman string"))?
    } else {
        raw.to_vec()
    };
    Ok((s, used + len))
}

impl Decoder {
    /// A decoder for a connection seen from its start, with a table of `size` bytes.
    pub fn whole(size: usize) -> Self {
        Decoder {
            entries: VecDeque::new(),
            kept: 0,
            sizes: Some(Sizes {
                used: 0,
                max: size,
                allowed: size,
            }),
        }
    }

    /// A decoder for a connection seen from its middle.
    pub fn partial() -> Self {
        Decoder {
            entries: VecDeque::new(),
            kept: 0,
            sizes: None,
        }
    }

    pub fn is_partial(&self) -> bool {
        self.sizes.is_none()
    }

    /// The largest table size the encoder may set, as acknowledged SETTINGS say.
    pub fn set_allowed(&mut self, size: usize) {
        if let Some(s) = &mut self.sizes {
            s.allowed = size;
        }
    }

    /// A dynamic table size update (§6.3): in a known table, evicts down to the new size.
    fn resize(&mut self, size: usize) -> Result<(), Malformed> {
        let Some(s) = &mut self.sizes else {
            // Nothing to evict in a partial table (see above).
            return Ok(());
        };
        if size > s.allowed {
            return Err(Malformed("a table size larger than the peer allowed"));
        }
        s.max = size;
        self.evict(0);
        Ok(())
    }

    /// Evicts the oldest entries of a known table until `room` more bytes fit (§4.4).
    fn evict(&mut self, room: usize) {
        let Some(s) = &mut self.sizes else { return };
        while s.used + room > s.max {
            let Some(e) = self.entries.pop_back() else {
                break;
            };
            s.used -= entry_size(e.name.as_deref(), &e.value);
        }
    }

    /// The entry at `index` (1-based, static then dynamic): `None` when unknown.
    fn get(&self, index: usize) -> Result<Lookup<'_>, Malformed> {
        match index {
            0 => Err(Malformed("a reference to table entry 0")),
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Ok(Some((Some(n.as_bytes()), v.as_bytes())))
            }
            _ => match self.entries.get(index - 62) {
                Some(e) => Ok(Some((e.name.as_deref(), &e.value[..]))),
                None if self.sizes.is_some() => Err(Malformed(
                    "a reference to a table entry that does not exist",
                )),
                None => Ok(None),
            },
        }
    }

    fn add(&mut self, name: Option<Vec<u8>>, value: Vec<u8>) {
        if let Some(max) = self.sizes.as_ref().map(|s| s.max) {
            let size = entry_size(name.as_deref(), &value);
            // An entry larger than the table empties it and is not added (§4.4).
            self.evict(size.min(max.saturating_add(1)));
            if size <= max {
                self.entries.push_front(Entry { name, value });
                if let Some(s) = &mut self.sizes {
                    s.used += size;
                }
            }
            return;
        }
        self.kept += name.as_ref().map_or(0, Vec::len) + value.len();
        self.entries.push_front(Entry { name, value });
        while self.kept > MAX_KEPT {
            let Some(e) = self.entries.pop_back() else {
                break;
            };
            self.kept -= e.name.map_or(0, |n| n.len()) + e.value.len();
        }
    }

    /// Decodes one header block.
    pub fn decode(&mut self, mut b: &[u8]) -> Result<Decoded, Malformed> {
        let mut out = Decoded {
            fields: Vec::new(),
            unknown: 0,
        };
        let mut last_was_size_update = false;
        while let Some(&first) = b.first() {
            last_was_size_update = first & 0xe0 == 0x20;
            let used = if first & 0x80 != 0 {
                // Indexed field (§6.1).
                let (i, used) = integer(b, 7)?;
                match self.get(i)? {
                    Some((Some(n), v)) => out.fields.push((n.to_vec(), v.to_vec())),
                    _ => out.unknown += 1,
                }
                used
            } else if first & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3).
                let (size, used) = integer(b, 5)?;
                self.resize(size)?;
                used
            } else {
                // Literal, with incremental indexing (§6.2.1: 6-bit prefix) or without
                // (§6.2.2, §6.2.3: 4-bit prefix).
                let indexing = first & 0xc0 == 0x40;
                let (i, mut used) = integer(b, if indexing { 6 } else { 4 })?;
                let name = if i == 0 {
                    let (n, u) = string(&b[used..])?;
                    used += u;
                    Some(n)
                } else {
                    self.get(i)?.and_then(|(n, _)| n.map(<[u8]>::to_vec))
                };
                let (value, u) = string(&b[used..])?;
                used += u;
                match &name {
                    Some(n) => out.fields.push((n.clone(), value.clone())),
                    None => out.unknown += 1,
                }
                if indexing {
                    self.add(name, value);
                }
                used
            };
            b = &b[used.min(b.len())..];
        }
        if last_was_size_update && self.sizes.is_some() {
            // As fluke-hpack, the decoder used before this one, reads §4.2.
            return Err(Malformed("a table size update at the end of the block"));
        }
        Ok(out)
    }
}

//! HPACK (RFC 7541) for a capture that starts mid-connection: the dynamic table's older
//! entries were added before the capture and are unknown. New entries go in at the front
//! (§2.3.3: index 62 is always the newest), so the entries seen since the capture began keep
//! their true indices; a reference past them, or to an entry whose name was itself unknown,
//! is a field reported as not decoded, never guessed. Entries are not evicted: the real table
//! may have dropped some of them, but an encoder never refers to a dropped entry, so keeping
//! them changes no index that is used (bounded by [`MAX_KEPT`]).
//!
//! Strings use `fluke-hpack`'s Huffman decoder; the representations are §6's.

use std::collections::VecDeque;

use fluke_hpack::huffman::HuffmanDecoder;

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

#[derive(Default)]
pub struct Partial {
    entries: VecDeque<Entry>,
    kept: usize,
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
        HuffmanDecoder::new()
            .decode(raw)
            .map_err(|_| Malformed("a malformed Huffman string"))?
    } else {
        raw.to_vec()
    };
    Ok((s, used + len))
}

impl Partial {
    /// The entry at `index` (1-based, static then dynamic): `None` when unknown.
    fn get(&self, index: usize) -> Result<Lookup<'_>, Malformed> {
        match index {
            0 => Err(Malformed("a reference to table entry 0")),
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Ok(Some((Some(n.as_bytes()), v.as_bytes())))
            }
            _ => Ok(self
                .entries
                .get(index - 62)
                .map(|e| (e.name.as_deref(), &e.value[..]))),
        }
    }

    fn add(&mut self, name: Option<Vec<u8>>, value: Vec<u8>) {
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
        while let Some(&first) = b.first() {
            let used = if first & 0x80 != 0 {
                // Indexed field (§6.1).
                let (i, used) = integer(b, 7)?;
                match self.get(i)? {
                    Some((Some(n), v)) => out.fields.push((n.to_vec(), v.to_vec())),
                    _ => out.unknown += 1,
                }
                used
            } else if first & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3): nothing to evict here (see above).
                integer(b, 5)?.1
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
        Ok(out)
    }
}

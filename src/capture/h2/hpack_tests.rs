//! The Huffman and HPACK decoders (`huffman.rs`, `decoder.rs`) against truth from outside:
//! RFC 7541 Appendix C's examples, `httlib-huffman`'s encoder and its own copy of the
//! Appendix B table, and `fluke-hpack` (the decoder used before, and an encoder) on random
//! header blocks, dynamic table eviction and size updates included.

use proptest::prelude::*;

use super::decoder::{Decoder, Malformed};
use super::huffman;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn httlib(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    httlib_huffman::encode(s, &mut out).unwrap();
    out
}

#[test]
fn every_code_is_appendix_b_and_decodes_alone() {
    for (sym, &(code, len)) in huffman::CODES.iter().enumerate() {
        let (their_len, their_code) = httlib_huffman::encoder::table::ENCODE_TABLE[sym];
        assert_eq!((code, len), (their_code, their_len), "symbol {sym}");
        if let Ok(byte) = u8::try_from(sym) {
            let coded = httlib(&[byte]);
            assert_eq!(huffman::decode(&coded), Ok(vec![byte]), "symbol {sym}");
            // Twice in a row, so the second code starts mid-nibble.
            let coded = httlib(&[byte, byte]);
            assert_eq!(
                huffman::decode(&coded),
                Ok(vec![byte, byte]),
                "symbol {sym}"
            );
        }
    }
}

#[test]
fn rfc7541_appendix_c_strings() {
    for (coded, plain) in [
        ("f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"),
        ("a8eb 1064 9cbf", "no-cache"),
        ("25a8 49e9 5ba9 7d7f", "custom-key"),
        ("25a8 49e9 5bb8 e8b4 bf", "custom-value"),
        ("6402", "302"),
        ("aec3 771a 4b", "private"),
        (
            "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff",
            "Mon, 21 Oct 2013 20:13:21 GMT",
        ),
        (
            "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3",
            "https://www.example.com",
        ),
        ("", ""),
    ] {
        assert_eq!(
            huffman::decode(&hex(coded)),
            Ok(plain.as_bytes().to_vec()),
            "{plain}"
        );
    }
}

#[test]
fn invalid_huffman_strings_are_refused() {
    // EOS itself (30 ones) inside the string (§5.2).
    assert!(huffman::decode(&[0xff, 0xff, 0xff, 0xff]).is_err());
    // Eight bits of padding (§5.2: longer than seven bits is an error).
    let mut long = hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff");
    long.push(0xff);
    assert!(huffman::decode(&long).is_err());
    // '&' (11111000, eight bits), then eight bits of padding, then none.
    assert!(huffman::decode(&[0xf8, 0xff]).is_err());
    assert_eq!(huffman::decode(&[0xf8]), Ok(b"&".to_vec()));
    // 'a' (00011) then padding that is not all ones, then the same with ones.
    assert!(huffman::decode(&[0x18]).is_err());
    assert_eq!(huffman::decode(&[0x1f]), Ok(b"a".to_vec()));
}

fn fields(d: &mut Decoder, block: &str) -> Vec<(String, String)> {
    d.decode(&hex(block))
        .unwrap()
        .fields
        .into_iter()
        .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
        .collect()
}

fn owned(f: &[(&str, &str)]) -> Vec<(String, String)> {
    f.iter()
        .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
        .collect()
}

/// RFC 7541 C.4 (requests, Huffman) and C.6 (responses, Huffman, a 256-byte table that
/// evicts).
#[test]
fn rfc7541_appendix_c_blocks() {
    let mut d = Decoder::whole(4096);
    let req = [(":method", "GET"), (":scheme", "http"), (":path", "/")];
    let mut want = owned(&req);
    want.push((":authority".into(), "www.example.com".into()));
    assert_eq!(
        fields(&mut d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
        want
    );
    want.push(("cache-control".into(), "no-cache".into()));
    assert_eq!(fields(&mut d, "8286 84be 5886 a8eb 1064 9cbf"), want);
    assert_eq!(
        fields(
            &mut d,
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
        ),
        owned(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ])
    );

    let mut d = Decoder::whole(256);
    let date = "Mon, 21 Oct 2013 20:13:21 GMT";
    let loc = "https://www.example.com";
    assert_eq!(
        fields(
            &mut d,
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3"
        ),
        owned(&[
            (":status", "302"),
            ("cache-control", "private"),
            ("date", date),
            ("location", loc),
        ])
    );
    // (:status, 302) is evicted to make room for (:status, 307).
    assert_eq!(
        fields(&mut d, "4883 640e ffc1 c0bf"),
        owned(&[
            (":status", "307"),
            ("cache-control", "private"),
            ("date", date),
            ("location", loc),
        ])
    );
    assert_eq!(
        fields(
            &mut d,
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07"
        ),
        owned(&[
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", loc),
            ("content-encoding", "gzip"),
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
            ),
        ])
    );
    // The table now holds three entries: index 65 is past them.
    assert_eq!(
        d.decode(&[0xc1]).err(),
        Some(Malformed(
            "a reference to a table entry that does not exist"
        ))
    );
}

#[test]
fn size_updates_beyond_settings_or_at_the_end_are_refused() {
    let mut d = Decoder::whole(4096);
    // 0x3f 0xe1 0x1f: a size update to 4096; to 4097 next.
    assert!(d.decode(&[0x3f, 0xe1, 0x1f, 0x82]).is_ok());
    assert!(d.decode(&[0x3f, 0xe2, 0x1f, 0x82]).is_err());
    d.set_allowed(8192);
    assert!(d.decode(&[0x3f, 0xe2, 0x1f, 0x82]).is_ok());
    assert!(d.decode(&[0x82, 0x20]).is_err());
}

/// One HPACK representation (§6), to be written out by [`write`].
#[derive(Debug, Clone)]
enum Rep {
    Indexed(usize),
    /// kind: 0 incremental indexing, 1 without indexing, 2 never indexed; name index 0 means
    /// a literal name.
    Literal {
        kind: u8,
        name_index: usize,
        name: Vec<u8>,
        value: Vec<u8>,
        huffman: (bool, bool),
    },
    SizeUpdate(usize),
}

fn integer(out: &mut Vec<u8>, first: u8, prefix: u32, mut v: usize) {
    let max = (1usize << prefix) - 1;
    if v < max {
        out.push(first | u8::try_from(v).unwrap());
        return;
    }
    out.push(first | u8::try_from(max).unwrap());
    v -= max;
    while v >= 128 {
        out.push(u8::try_from(v % 128).unwrap() | 0x80);
        v /= 128;
    }
    out.push(u8::try_from(v).unwrap());
}

fn string(out: &mut Vec<u8>, s: &[u8], huffman: bool) {
    if huffman {
        let coded = httlib(s);
        integer(out, 0x80, 7, coded.len());
        out.extend_from_slice(&coded);
    } else {
        integer(out, 0, 7, s.len());
        out.extend_from_slice(s);
    }
}

fn write(reps: &[Rep]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in reps {
        match r {
            Rep::Indexed(i) => integer(&mut out, 0x80, 7, *i),
            Rep::SizeUpdate(s) => integer(&mut out, 0x20, 5, *s),
            Rep::Literal {
                kind,
                name_index,
                name,
                value,
                huffman,
            } => {
                match kind {
                    0 => integer(&mut out, 0x40, 6, *name_index),
                    1 => integer(&mut out, 0x00, 4, *name_index),
                    _ => integer(&mut out, 0x10, 4, *name_index),
                }
                if *name_index == 0 {
                    string(&mut out, name, huffman.0);
                }
                string(&mut out, value, huffman.1);
            }
        }
    }
    out
}

fn rep() -> impl Strategy<Value = Rep> {
    // A small alphabet, so that names repeat; some long values, so that entries evict.
    let text = prop_oneof![
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'-')], 0..6),
        proptest::collection::vec(any::<u8>(), 0..120),
    ];
    prop_oneof![
        3 => (1usize..75).prop_map(Rep::Indexed),
        1 => (0usize..300).prop_map(Rep::SizeUpdate),
        4 => (0u8..3, prop_oneof![Just(0usize), 1usize..75], text.clone(), text, any::<(bool, bool)>())
            .prop_map(|(kind, name_index, name, value, huffman)| Rep::Literal {
                kind,
                name_index,
                name,
                value,
                huffman,
            }),
    ]
}

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn fluke_decode(d: &mut fluke_hpack::Decoder<'_>, block: &[u8]) -> Option<Fields> {
    let mut out = Vec::new();
    d.decode_with_cb(block, |n, v| out.push((n.into_owned(), v.into_owned())))
        .ok()
        .map(|()| out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Our Huffman decoder against httlib-huffman's encoder and fluke-hpack's decoder.
    #[test]
    fn huffman_round_trips(s in proptest::collection::vec(any::<u8>(), 0..200)) {
        let coded = httlib(&s);
        prop_assert_eq!(huffman::decode(&coded), Ok(s.clone()));
        prop_assert_eq!(
            fluke_hpack::huffman::HuffmanDecoder::new().decode(&coded).ok(),
            Some(s)
        );
    }

    /// On any bytes, we accept exactly what fluke-hpack accepts, with the same result.
    #[test]
    fn huffman_agrees_with_fluke_on_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..12)) {
        let theirs = fluke_hpack::huffman::HuffmanDecoder::new().decode(&b).ok();
        prop_assert_eq!(huffman::decode(&b).ok(), theirs);
    }

    /// Blocks of random representations (Huffman or not, indexing or not, size updates,
    /// eviction), several per connection: the same fields as fluke-hpack's decoder, or an
    /// error where it has one.
    #[test]
    fn blocks_agree_with_fluke(blocks in proptest::collection::vec(
        proptest::collection::vec(rep(), 1..12), 1..6)) {
        let mut ours = Decoder::whole(4096);
        let mut theirs = fluke_hpack::Decoder::new();
        theirs.set_max_allowed_table_size(4096);
        for reps in &blocks {
            let block = write(reps);
            let want = fluke_decode(&mut theirs, &block);
            let got = ours.decode(&block).ok().map(|d| d.fields);
            prop_assert_eq!(&got, &want);
            if want.is_none() {
                break;
            }
        }
    }

    /// Header lists encoded by fluke-hpack's encoder read back as they were.
    #[test]
    fn fluke_encoded_lists_read_back(lists in proptest::collection::vec(
        proptest::collection::vec((
            prop_oneof![
                Just(b":path".to_vec()), Just(b"authorization".to_vec()),
                Just(b"x-amz-date".to_vec()), proptest::collection::vec(b'a'..=b'z', 1..10)
            ],
            proptest::collection::vec(any::<u8>(), 0..300),
        ), 0..10), 1..8)) {
        let mut enc = fluke_hpack::Encoder::new();
        let mut ours = Decoder::whole(4096);
        for list in &lists {
            let block = enc.encode(list.iter().map(|(n, v)| (&n[..], &v[..])));
            let got = ours.decode(&block).map(|d| d.fields);
            prop_assert_eq!(got, Ok(list.clone()));
        }
    }
}

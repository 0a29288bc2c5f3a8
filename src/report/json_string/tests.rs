use super::*;

#[test]
fn word_check_is_exact() {
    for fill in [b'a', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'[', b']'] {
        for pos in 0..8 {
            for c in 0u8..=255 {
                let mut w = [fill; 8];
                w[pos] = c;
                assert_eq!(
                    word_needs_escape(u64::from_le_bytes(w)),
                    w.iter().any(|&b| json_escaped(b)),
                    "{w:?}"
                );
            }
        }
    }
}

#[test]
fn special_byte_scan_is_exact() {
    // Every byte value at every position of a buffer longer than two SIMD blocks.
    for fill in [b'a', 0x7f, 0x80, 0xff, b' ', b'!', b'#', b'[', b']'] {
        for pos in 0..40 {
            for c in 0u8..=255 {
                let mut b = vec![fill; 40];
                b[pos] = c;
                let first = |ascii: bool| {
                    b.iter()
                        .position(|&x| json_escaped(x) || (ascii && x >= 0x80))
                        .unwrap_or(b.len())
                };
                for from in [0, 3, pos.min(39)] {
                    let expect = |ascii: bool| {
                        b[from..]
                            .iter()
                            .position(|&x| json_escaped(x) || (ascii && x >= 0x80))
                            .map_or(b.len(), |p| p + from)
                    };
                    assert_eq!(
                        next_special::<false>(&b, from),
                        expect(false),
                        "{b:?} {from}"
                    );
                    assert_eq!(next_special::<true>(&b, from), expect(true), "{b:?} {from}");
                }
                assert_eq!(next_special::<true>(&b, 0), first(true));
            }
        }
    }
}

#[test]
fn json_str_is_serde_json() {
    let mut all: Vec<String> = (0u32..=0x7f)
        .map(|c| char::from_u32(c).unwrap().to_string())
        .collect();
    all.push((0u8..0x80).map(char::from).collect());
    all.push("GET\n/a\tb\r\n\"q\"\\ é ✓ \u{7f}\u{1f}".into());
    all.push("x".repeat(40) + "\n" + &"y".repeat(17) + "\"" + &"z".repeat(33));
    all.push(String::new());
    for s in all {
        let mut got = Vec::new();
        json_str(&mut got, &s);
        assert_eq!(got, serde_json::to_vec(&s).unwrap(), "{s:?}");
    }
    for b in [&b"a\xffb\n\"c"[..], b"\xe2\x9c", b"plain ascii", b""] {
        let mut got = Vec::new();
        json_bytes(&mut got, b);
        assert_eq!(got, serde_json::to_vec(&text(b)).unwrap(), "{b:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any string, escaped by the fast path, is what serde_json writes for it.
    #[test]
    fn fast_escape_is_serde_json_on_strings(s in proptest::prelude::any::<String>()) {
        let mut got = Vec::new();
        json_str(&mut got, &s);
        proptest::prop_assert_eq!(got, serde_json::to_vec(&s).unwrap());
    }

    /// The same on strings made mostly of what needs escaping, long enough to cross
    /// several 16-byte blocks, at any alignment.
    #[test]
    fn fast_escape_is_serde_json_on_special_strings(
        s in "[\\x00-\\x1f\"\\\\a-z é✓\u{7f}]{0,80}"
    ) {
        let mut got = Vec::new();
        json_str(&mut got, &s);
        proptest::prop_assert_eq!(got, serde_json::to_vec(&s).unwrap());
    }

    /// Arbitrary bytes (not necessarily UTF-8) as the report writes them: what
    /// serde_json writes for their lossy text.
    #[test]
    fn fast_escape_is_serde_json_on_bytes(
        b in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::any::<u8>(),
                0u8..0x20,
                proptest::strategy::Just(b'"'),
                proptest::strategy::Just(b'\\'),
                b'a'..=b'z',
            ],
            0..100,
        )
    ) {
        let mut got = Vec::new();
        json_bytes(&mut got, &b);
        proptest::prop_assert_eq!(got, serde_json::to_vec(&text(&b)).unwrap());
    }
}

//! Percent-encoding and decoding as the signing specifications use them.

/// RFC 3986 unreserved characters: never escaped by SigV4.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes every byte except those `keep` accepts, with upper-case hex.
pub fn encode_with(input: &[u8], keep: impl Fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    for &b in input {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// SigV4 `UriEncode` of a query name or value.
pub fn uri_encode(input: &[u8]) -> String {
    encode_with(input, is_unreserved)
}

/// SigV4 `UriEncode` of a path: `/` kept.
pub fn uri_encode_path(input: &[u8]) -> String {
    encode_with(input, |b| is_unreserved(b) || b == b'/')
}

/// Decodes `%XX` escapes; malformed escapes stay literal. With `plus_is_space`, `+` becomes
/// a space (HTML form and most server-side query parsers); otherwise it stays `+`.
pub fn percent_decode(input: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' if i + 2 < input.len() => match (hex_val(input[i + 1]), hex_val(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits a query or form body into raw (still encoded) name/value pairs, in order.
/// A pair without `=` has no value (`None`), which SigV4 signs as `name=`.
pub fn split_pairs(q: &[u8]) -> Vec<(&[u8], Option<&[u8]>)> {
    q.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (&p[..i], Some(&p[i + 1..])),
            None => (p, None),
        })
        .collect()
}

/// Decoded form/query parameters, `+` as space, in order.
pub fn decode_params(q: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    split_pairs(q)
        .into_iter()
        .map(|(k, v)| {
            (
                percent_decode(k, true),
                v.map(|v| percent_decode(v, true)).unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(uri_encode(b"a b+c~/"), "a%20b%2Bc~%2F");
        assert_eq!(uri_encode_path("/ሴ x".as_bytes()), "/%E1%88%B4%20x");
    }

    #[test]
    fn decodes_tolerantly() {
        assert_eq!(percent_decode(b"a%20b+c%2", false), b"a b+c%2");
        assert_eq!(percent_decode(b"a+b%zz%41", true), b"a b%zzA");
        assert_eq!(percent_decode(b"%", true), b"%");
        assert_eq!(percent_decode(b"%4", true), b"%4");
    }

    #[test]
    fn splits_pairs() {
        let p = split_pairs(b"a=1&&b&c=");
        assert_eq!(
            p,
            vec![
                (&b"a"[..], Some(&b"1"[..])),
                (&b"b"[..], None),
                (&b"c"[..], Some(&b""[..]))
            ]
        );
    }
}

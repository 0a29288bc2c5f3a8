//! Proxy legs: what changed between two legs of one signed request in a capture.

use super::*;

/// The differences between two requests that carry the same signature: request line and
/// headers (names compared case-insensitively, values as sent), and the body.
pub fn request_changes(before: &Request, after: &Request) -> Vec<String> {
    let mut out = Vec::new();
    if before.method != after.method || before.target != after.target {
        out.push(format!(
            "request line `{} {}` became `{} {}`",
            crate::escape::escape_str(&before.method),
            crate::escape::escape_bytes(&before.target),
            crate::escape::escape_str(&after.method),
            crate::escape::escape_bytes(&after.target)
        ));
    }
    let names = |r: &Request| {
        let mut n: Vec<String> = r
            .headers
            .iter()
            .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    let (nb, na) = (names(before), names(after));
    for n in nb.iter().chain(na.iter().filter(|n| !nb.contains(n))) {
        let (vb, va) = (before.header_values(n), after.header_values(n));
        if vb == va {
            continue;
        }
        let show = |v: &[&[u8]]| {
            v.iter()
                .map(|x| crate::escape::escape_bytes(x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(match (vb.is_empty(), va.is_empty()) {
            (true, _) => format!("`{n}: {}` was added", show(&va)),
            (_, true) => format!("`{n}: {}` was removed", show(&vb)),
            _ => format!("`{n}` changed from `{}` to `{}`", show(&vb), show(&va)),
        });
    }
    // Bodies by length and digest: a remembered leg keeps only its body's digest.
    if before.body_len() != after.body_len() || before.body_sha256_hex() != after.body_sha256_hex()
    {
        out.push(format!(
            "the body changed ({} to {} bytes)",
            before.body_len(),
            after.body_len()
        ));
    }
    out
}

//! JSON strings, byte for byte as serde_json writes them, but faster: the runs between escapes
//! are found sixteen bytes at a time and copied whole. The canonical request and string to
//! sign of every dialect of every exchange pass through here, so this is the JSON writer's
//! hot loop. The only `unsafe` of the report is the SSE2 scan in [`next_special`]; the tests
//! below check it exhaustively on single bytes and against serde_json on arbitrary input.

use crate::http::text;

/// Whether JSON (as serde_json writes it) escapes this byte: control characters, `"`, `\`.
#[inline(always)]
fn json_escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any byte of `w` is below 0x20, `"` or `\` (exact, word at a time: a byte `x` is
/// below `n` when `x - n` borrows and `x`'s top bit is clear).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    (below(w, 0x20) | zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64))) != 0
}

/// The index of the first byte at or after `from` that JSON escapes (or, with `ASCII`, that
/// is not ASCII); `b.len()` if none. Sixteen bytes at a time with SSE2 (every x86-64 has
/// it), eight at a time elsewhere: the canonical strings of every exchange pass through here.
#[inline(always)]
fn next_special<const ASCII: bool>(b: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::*;
        while i + 16 <= b.len() {
            // SAFETY: `i + 16 <= b.len()`, so the unaligned 16-byte load stays inside `b`;
            // SSE2 is enabled for this target (the cfg above).
            #[allow(unsafe_code)]
            let mask = unsafe {
                let x = _mm_loadu_si128(b.as_ptr().add(i).cast());
                let lim = _mm_set1_epi8(0x1f);
                // x <= 0x1f, unsigned: max(x, 0x1f) == 0x1f.
                let ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, lim), lim);
                let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
                let bslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
                let m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ctl, quote), bslash)) as u32;
                if ASCII {
                    m | _mm_movemask_epi8(x) as u32
                } else {
                    m
                }
            };
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    while let Some(word) = b.get(i..i + 8) {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if word_needs_escape(w) || (ASCII && w & HIGH != 0) {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if json_escaped(c) || (ASCII && c >= 0x80) {
            return i;
        }
        i += 1;
    }
    i
}

/// Appends `s` as a JSON string, byte for byte as serde_json writes it (`\"`, `\\`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`, everything else as is),
/// copying the runs between escapes whole.
pub(super) fn json_str(out: &mut Vec<u8>, s: &str) {
    json_utf8(out, s.as_bytes())
}

/// Bytes as a JSON string the way `json_str(&text(b))` writes them: ASCII (the usual case)
/// is escaped in the same pass that finds it is ASCII.
pub(super) fn json_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let at = out.len();
    if !json_escape::<true>(out, b) {
        out.truncate(at);
        json_escape::<false>(out, text(b).as_bytes());
    }
}

/// [`json_str`] on bytes known to be UTF-8 (escaping works byte by byte either way).
fn json_utf8(out: &mut Vec<u8>, b: &[u8]) {
    json_escape::<false>(out, b);
}

/// Appends `b` as a JSON string; with `ASCII`, gives up (returning false, `out` partly
/// written) at the first byte that is not ASCII.
#[inline(always)]
fn json_escape<const ASCII: bool>(out: &mut Vec<u8>, b: &[u8]) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = 0;
    loop {
        i = next_special::<ASCII>(b, i);
        let Some(&c) = b.get(i) else { break };
        if ASCII && c >= 0x80 {
            return false;
        }
        out.extend_from_slice(&b[run..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]),
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
    true
}

#[cfg(test)]
mod tests;

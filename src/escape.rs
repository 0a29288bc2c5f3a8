//! Making untrusted bytes safe to show: control characters and invalid UTF-8 never reach a
//! terminal or a report raw.

use std::fmt::Write;

/// Escapes control characters (C0, DEL, C1) and invalid UTF-8 as `\xNN` / `\u{..}`; keeps
/// other text, including non-ASCII letters, readable.
pub fn escape_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        escape_into(&mut out, chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Like [`escape_bytes`] but keeps newlines, for multi-line canonical strings shown as blocks.
pub fn escape_multiline(b: &[u8]) -> String {
    escape_bytes(b).replace("\\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_invalid_utf8() {
        assert_eq!(escape_bytes(b"a\x1b[31mb\xffc\n"), "a\\x1b[31mb\\xffc\\n");
        assert_eq!(escape_str("ሴ\u{9b}x"), "ሴ\\u{9b}x");
        assert_eq!(escape_multiline(b"GET\n/\x07"), "GET\n/\\x07");
    }
}

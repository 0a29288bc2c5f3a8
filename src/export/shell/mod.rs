//! Shell words for the curl export. Captured bytes are hostile until proven otherwise: every
//! one of them is quoted, so no capture can make a pasted command run anything but curl, nor
//! put a control byte on the terminal it is pasted into.

use std::fmt::Write as _;

/// One shell word holding exactly `b`: `'…'` when every byte is printable ASCII, else bash's
/// `$'…'` with every other byte as `\xNN` (so no control byte, and no bidi or look-alike
/// character, reaches the terminal the command is pasted into). A NUL cannot be passed in an
/// argument at all; bodies that hold one go through `printf_word`.
pub fn shell_quote(b: &[u8]) -> String {
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        let mut s = String::with_capacity(b.len() + 2);
        s.push('\'');
        for &c in b {
            if c == b'\'' {
                s.push_str("'\\''");
            } else {
                s.push(c as char);
            }
        }
        s.push('\'');
        return s;
    }
    let mut s = String::with_capacity(b.len() * 2 + 3);
    s.push_str("$'");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\'"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(c as char),
            // Always two digits: `\x1` followed by `a` would read as `\x1a`.
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('\'');
    s
}

/// A `'…'` argument for `printf %b` that prints exactly `b`, NUL bytes included.
pub(super) fn printf_word(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2 + 2);
    s.push('\'');
    for &c in b {
        match c {
            // `\c` would stop printf; a single quote would end the word.
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\x27"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('\'');
    s
}

/// Comment text: ASCII only, escaped, never a line break (which would end the comment).
pub(super) fn comment(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

#[cfg(test)]
mod tests;

//! Turning untrusted bytes into what the terminal may show: control characters, invalid UTF-8
//! and invisible characters escaped; optionally whitespace made visible (`·`, `→`, `␍`, `⏎`);
//! or hex. Nothing here writes to the terminal; it only builds spans for the views.

use ratatui::style::Style;
use ratatui::text::Span;

/// One displayed unit of a byte string: a character, or a byte that is not valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Char(char),
    Byte(u8),
}

pub fn units(b: &[u8]) -> Vec<Unit> {
    let mut out = Vec::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.extend(chunk.valid().chars().map(Unit::Char));
        out.extend(chunk.invalid().iter().map(|&x| Unit::Byte(x)));
    }
    out
}

/// Characters that render as nothing or reorder text: always shown escaped.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00a0 | 0x00ad | 0x034f | 0x061c | 0x115f | 0x1160 | 0x17b4 | 0x17b5 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xfeff
        | 0xfff9..=0xfffb)
}

/// How one unit is shown. `ws`: make spaces and tabs visible as well.
pub fn show_unit(u: Unit, ws: bool, out: &mut String) {
    use std::fmt::Write;
    match u {
        Unit::Byte(b) => {
            let _ = write!(out, "\\x{b:02x}");
        }
        Unit::Char(' ') if ws => out.push('·'),
        Unit::Char('\t') if ws => out.push('→'),
        Unit::Char('\t') => out.push_str("    "),
        Unit::Char('\r') if ws => out.push('␍'),
        Unit::Char('\n') => out.push_str("\\n"),
        Unit::Char(c) if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        Unit::Char(c) if (0x80..0xa0).contains(&(c as u32)) || invisible(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        Unit::Char(c) => out.push(c),
    }
}

/// Safe single-line text of untrusted bytes.
pub fn safe(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for u in units(b) {
        show_unit(u, false, &mut s);
    }
    s
}

pub fn safe_str(s: &str) -> String {
    safe(s.as_bytes())
}

/// A line of untrusted bytes as spans: `mark` (a range of units) gets `hit`, the rest `base`;
/// with `ws` whitespace is visible and `⏎` ends the line.
pub fn line_spans(
    line: &[Unit],
    ws: bool,
    eol: bool,
    mark: Option<std::ops::Range<usize>>,
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut cur = String::new();
    let mut cur_hit = false;
    for (i, u) in line.iter().enumerate() {
        let h = mark.as_ref().is_some_and(|m| m.contains(&i));
        if h != cur_hit && !cur.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut cur),
                if cur_hit { hit } else { base },
            ));
        }
        cur_hit = h;
        show_unit(*u, ws, &mut cur);
    }
    if !cur.is_empty() {
        spans.push(Span::styled(cur, if cur_hit { hit } else { base }));
    }
    // A difference past the end of the shorter line (a missing character) still shows.
    let past_end = mark.as_ref().is_some_and(|m| m.start >= line.len());
    if eol || past_end {
        let style = if past_end { hit } else { base };
        spans.push(Span::styled(if ws || past_end { "⏎" } else { "" }, style));
    }
    spans
}

/// Hex of a line, 2 digits a byte, spaced; the marked unit range in `hit`.
pub fn hex_spans(
    line: &[Unit],
    mark: Option<std::ops::Range<usize>>,
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, u) in line.iter().enumerate() {
        let mut b = [0u8; 4];
        let bytes: &[u8] = match u {
            Unit::Char(c) => c.encode_utf8(&mut b).as_bytes(),
            Unit::Byte(x) => std::slice::from_ref(x),
        };
        let text: String = bytes.iter().map(|x| format!("{x:02x} ")).collect();
        let h = mark.as_ref().is_some_and(|m| m.contains(&i));
        spans.push(Span::styled(text, if h { hit } else { base }));
    }
    spans
}

/// Common prefix and suffix of two unit lines: the differing ranges on each side.
pub fn changed_ranges(a: &[Unit], b: &[Unit]) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let s = a[p..]
        .iter()
        .rev()
        .zip(b[p..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let ra = p..a.len() - s;
    let rb = p..b.len() - s;
    // An insertion on one side still marks a place on the other.
    let widen = |r: std::ops::Range<usize>| {
        if r.is_empty() {
            r.start..r.start + 1
        } else {
            r
        }
    };
    (widen(ra), widen(rb))
}

/// Cuts a string to `max` characters with a middle ellipsis (paths keep both ends).
pub fn middle_truncate(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 5 {
        return s.chars().take(max).collect();
    }
    let head = (max - 1) * 2 / 3;
    let tail = max - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// Masks an access key for the list: first 4 and last 2 characters.
pub fn mask_key(k: &str) -> String {
    let n = k.chars().count();
    if n <= 8 {
        return "…".into();
    }
    let head: String = k.chars().take(4).collect();
    let tail: String = k.chars().skip(n - 2).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests;

//! A `multipart/form-data` body (RFC 7578 over RFC 2046 §5.1.1), read the way S3's POST
//! Object reads it: each part's name, file name, Content-Type and the byte range of its
//! content in the body. Bounded and total: any bytes give a [`Form`] (the parts read before
//! a fault are kept) and at most one [`FormError`] saying where the reading stopped.
//!
//! `multer` was considered and not used: it is async (a `Stream` of chunks), and the engine
//! is synchronous with the whole body in hand.

use std::ops::Range;

use memchr::memmem;

/// More parts than a browser form ever has; S3 itself caps a POST's form fields at 20 KB.
pub const MAX_PARTS: usize = 1000;
/// A part's header block longer than this is refused (browsers write a few hundred bytes).
pub const MAX_PART_HEADERS: usize = 16 * 1024;

/// One part of the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// `name` of its Content-Disposition, as sent (decoded as UTF-8, lossily).
    pub name: String,
    /// `filename` of its Content-Disposition: set for a file part.
    pub filename: Option<String>,
    /// The part's own Content-Type header.
    pub content_type: Option<String>,
    /// Where its content is in the body.
    pub content: Range<usize>,
}

/// Why the form could not be read to its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the Content-Type has no boundary parameter")]
    NoBoundary,
    #[error("the body never starts a part with the boundary `{0}`")]
    NoFirstBoundary(String),
    #[error("part {0} has no end of headers (no empty line within {MAX_PART_HEADERS} bytes)")]
    PartHeaders(usize),
    #[error("part {0} has no Content-Disposition with a name")]
    NoName(usize),
    #[error("part {0} is not closed by a boundary: the body ends inside it (truncated)")]
    Truncated(usize),
    #[error("the body ends without the closing boundary (`--` after the last boundary)")]
    NotClosed,
    #[error("more than {MAX_PARTS} parts")]
    TooManyParts,
    #[error("the body was not kept whole (larger than the capture's body cap)")]
    BodyNotKept,
}

/// The parts read, in order, and what stopped the reading if it did not reach the closing
/// boundary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub parts: Vec<Part>,
    pub error: Option<FormError>,
}

/// The `boundary` parameter of a `multipart/form-data` Content-Type, unquoted.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, mut rest) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        let (value, after) = param_value(&rest[eq + 1..]);
        rest = after;
        if key == "boundary" {
            // RFC 2046: 1 to 70 characters.
            return (!value.is_empty() && value.len() <= 70).then_some(value);
        }
    }
}

/// Whether a Content-Type is `multipart/form-data` (with or without a boundary).
pub fn is_form_data(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads `body` as a form whose parts are separated by `boundary`.
pub fn parse(body: &[u8], boundary: &str) -> Form {
    let dash = [b"--", boundary.as_bytes()].concat();
    let delim = [b"\r\n--", boundary.as_bytes()].concat();
    let mut form = Form::default();
    // The first boundary: at the very start, or after a preamble ending in CRLF.
    let first = if body.starts_with(&dash) {
        Some(0)
    } else {
        memmem::find(body, &delim).map(|i| i + 2)
    };
    let Some(first) = first else {
        form.error = Some(FormError::NoFirstBoundary(
            crate::http::text(boundary.as_bytes()).into_owned(),
        ));
        return form;
    };
    let finder = memmem::Finder::new(&delim);
    let mut at = first + dash.len();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return form; // closed; the epilogue is ignored
        }
        // Transport padding, then the line end.
        let pad = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let after = &rest[pad..];
        let eol = if after.starts_with(b"\r\n") {
            2
        } else if after.starts_with(b"\n") {
            1
        } else {
            form.error = Some(if after.is_empty() {
                FormError::NotClosed
            } else {
                FormError::Truncated(form.parts.len() + 1)
            });
            return form;
        };
        if form.parts.len() == MAX_PARTS {
            form.error = Some(FormError::TooManyParts);
            return form;
        }
        let n = form.parts.len() + 1;
        let start = at + pad + eol;
        let Some((headers, content_start)) = header_block(body, start) else {
            form.error = Some(FormError::PartHeaders(n));
            return form;
        };
        let part_headers = read_headers(headers);
        let end = next_delimiter(body, content_start, &finder, delim.len());
        let content = content_start..end.unwrap_or(body.len());
        match part_headers.name {
            Some(name) => form.parts.push(Part {
                name,
                filename: part_headers.filename,
                content_type: part_headers.content_type,
                content,
            }),
            None => {
                form.error = Some(FormError::NoName(n));
                return form;
            }
        }
        let Some(end) = end else {
            form.error = Some(FormError::Truncated(n));
            return form;
        };
        at = end + delim.len();
    }
}

/// Where the next delimiter line starts at or after `from`: CRLF `--boundary` followed by
/// `--`, or by optional white space and a line end, or by the end of the body (RFC 2046
/// §5.1.1); the same bytes followed by anything else are content.
fn next_delimiter(body: &[u8], from: usize, finder: &memmem::Finder, len: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = finder.find(&body[at..]) {
        let cand = at + i;
        let after = &body[cand + len..];
        let pad = after
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let rest = &after[pad..];
        if after.starts_with(b"--")
            || rest.is_empty()
            || rest.starts_with(b"\r\n")
            || rest.starts_with(b"\n")
        {
            return Some(cand);
        }
        at = cand + 1;
    }
    None
}

/// The header block starting at `start`: its bytes and where the content starts. An empty
/// block (the blank line at once) is allowed.
fn header_block(body: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let window = &body[start..body.len().min(start + MAX_PART_HEADERS)];
    if window.starts_with(b"\r\n") {
        return Some((&[], start + 2));
    }
    if window.starts_with(b"\n") {
        return Some((&[], start + 1));
    }
    let crlf = memmem::find(window, b"\r\n\r\n").map(|i| (i, 4));
    let lf = memmem::find(window, b"\n\n").map(|i| (i, 2));
    let (i, len) = match (crlf, lf) {
        (Some(a), Some(b)) => {
            if a.0 <= b.0 {
                a
            } else {
                b
            }
        }
        (a, b) => a.or(b)?,
    };
    Some((&window[..i], start + i + len))
}

#[derive(Default)]
struct PartHeaders {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
}

fn read_headers(block: &[u8]) -> PartHeaders {
    let mut h = PartHeaders::default();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        let value = crate::http::text(&line[colon + 1..]);
        let value = value.trim();
        if name.eq_ignore_ascii_case(b"content-disposition") {
            let (n, f) = disposition(value);
            h.name = h.name.or(n);
            h.filename = h.filename.or(f);
        } else if name.eq_ignore_ascii_case(b"content-type") && h.content_type.is_none() {
            h.content_type = Some(value.to_string());
        }
    }
    h
}

/// `form-data; name="a"; filename="b"`: the name and the file name. Quoted strings may hold
/// `;` and backslash escapes (RFC 7578 §4.2 asks senders to percent-encode `"` instead, as
/// browsers do; both read).
fn disposition(v: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut filename = None;
    let mut rest = match v.split_once(';') {
        Some((kind, rest)) if kind.trim().eq_ignore_ascii_case("form-data") => rest,
        _ => return (None, None),
    };
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some(eq) = rest.find('=') else {
            break;
        };
        let key = rest[..eq].trim().to_ascii_lowercase();
        let (value, after) = param_value(&rest[eq + 1..]);
        rest = after;
        match key.as_str() {
            "name" if name.is_none() => name = Some(value),
            "filename" if filename.is_none() => filename = Some(value),
            _ => {}
        }
    }
    (name, filename)
}

/// A parameter value (quoted or a token) and what follows it.
fn param_value(s: &str) -> (String, &str) {
    let s = s.trim_start();
    let Some(q) = s.strip_prefix('"') else {
        let end = s.find(';').unwrap_or(s.len());
        return (s[..end].trim().to_string(), &s[end..]);
    };
    let mut out = String::new();
    let mut chars = q.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &q[i + 1..]),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        for (h, c) in parts {
            b.extend_from_slice(format!("--XyZ\r\n{h}\r\n\r\n{c}\r\n").as_bytes());
        }
        b.extend_from_slice(b"--XyZ--\r\n");
        b
    }

    #[test]
    fn boundary_quoted_or_token() {
        assert_eq!(boundary(CT).as_deref(), Some("XyZ"));
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\"").as_deref(),
            Some("a b;c")
        );
        assert_eq!(boundary("multipart/mixed; boundary=x"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
    }

    #[test]
    fn reads_fields_and_a_file() {
        let b = body(&[
            ("Content-Disposition: form-data; name=\"key\"", "up/${filename}"),
            (
                "Content-Disposition: form-data; name=\"file\"; filename=\"a;\\\"b.txt\"\r\nContent-Type: text/plain",
                "line one\r\n--XyZnot a boundary",
            ),
        ]);
        let f = parse(&b, "XyZ");
        assert_eq!(f.error, None);
        assert_eq!(f.parts.len(), 2);
        assert_eq!(f.parts[0].name, "key");
        assert_eq!(&b[f.parts[0].content.clone()], b"up/${filename}");
        assert_eq!(f.parts[1].filename.as_deref(), Some("a;\"b.txt"));
        assert_eq!(f.parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            &b[f.parts[1].content.clone()],
            b"line one\r\n--XyZnot a boundary"
        );
    }

    #[test]
    fn preamble_empty_content_and_padding() {
        let b =
            b"preamble\r\n--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--XyZ--";
        let f = parse(b, "XyZ");
        assert_eq!(f.error, None);
        assert_eq!(f.parts[0].name, "a");
        assert!(f.parts[0].content.is_empty());
    }

    #[test]
    fn faults_are_named_and_earlier_parts_kept() {
        let full = body(&[
            ("Content-Disposition: form-data; name=\"a\"", "1"),
            (
                "Content-Disposition: form-data; name=\"file\"; filename=\"f\"",
                "0123456789",
            ),
        ]);
        // Truncated inside the file part.
        let f = parse(&full[..full.len() - 15], "XyZ");
        assert_eq!(f.error, Some(FormError::Truncated(2)));
        assert_eq!(f.parts.len(), 2);
        // Ends right after a boundary.
        let cut = memmem::rfind(&full, b"--XyZ--").unwrap() + 5;
        assert_eq!(parse(&full[..cut], "XyZ").error, Some(FormError::NotClosed));
        assert!(matches!(
            parse(&full, "other").error,
            Some(FormError::NoFirstBoundary(_))
        ));
        let f = parse(b"--XyZ\r\nContent-Type: x\r\n\r\nv\r\n--XyZ--", "XyZ");
        assert_eq!(f.error, Some(FormError::NoName(1)));
        let f = parse(b"--XyZ\r\nContent-Disposition: form-data; name=a", "XyZ");
        assert_eq!(f.error, Some(FormError::PartHeaders(1)));
    }

    #[test]
    fn part_count_is_bounded() {
        let mut b = Vec::new();
        for _ in 0..=MAX_PARTS {
            b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n");
        }
        b.extend_from_slice(b"--XyZ--");
        let f = parse(&b, "XyZ");
        assert_eq!(f.error, Some(FormError::TooManyParts));
        assert_eq!(f.parts.len(), MAX_PARTS);
    }

    #[test]
    fn every_prefix_of_a_form_reads_without_panicking() {
        let full = body(&[
            ("Content-Disposition: form-data; name=\"policy\"", "eyJ9"),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\nContent-Type: a/b", "data"),
        ]);
        let closed = memmem::rfind(&full, b"--XyZ--").unwrap() + 7;
        for cut in 0..full.len() {
            let f = parse(&full[..cut], "XyZ");
            for p in &f.parts {
                assert!(p.content.end <= cut);
            }
            assert_eq!(f.error.is_some(), cut < closed, "cut at {cut}");
        }
        // Garbage and the boundary alone.
        for junk in [
            &b"--XyZ"[..],
            b"--XyZ\r",
            b"\r\n--XyZ\n\n",
            b"--XyZ\r\n\"\\",
            b"\xff\xfe",
        ] {
            let _ = parse(junk, "XyZ");
        }
    }
}

//! The Body tab, and the body lines the Response tab shares: decoded, pretty-printed or as hex,
//! cut at 4 KiB unless everything is asked for.

use ratatui::style::Style;
use ratatui::text::Line;

use super::Builder;
use crate::http::{self, Headers};
use crate::tui::text::{line_spans, units};

impl Builder<'_> {
    pub(super) fn body_lines(
        &self,
        headers: &[http::Header],
        body: &[u8],
        total: u64,
        what: &str,
    ) -> Vec<Line<'static>> {
        let t = self.t;
        let mut v = Vec::new();
        let kept = body.len() as u64;
        v.push(Line::styled(
            format!(
                "{what}: {total} bytes{}",
                if kept < total {
                    format!(" ({kept} kept in memory: --body-cap)")
                } else {
                    String::new()
                }
            ),
            t.accent(),
        ));
        if body.is_empty() {
            v.push(Line::raw("(empty)"));
            return v;
        }
        let hs = HeaderList(headers);
        let decoded = http::decoded_body(&hs, body, 16 << 20);
        // A CreateSession (or STS) answer holds a secret: masked, after decoding, as every
        // output masks it.
        let masked = crate::engine::auth::masked_body(decoded.as_deref().unwrap_or(body));
        let shown: &[u8] = &masked;
        if decoded.is_some() {
            v.push(Line::styled(
                "(decoded from its Content-Encoding for display)",
                t.dim(),
            ));
        }
        const LIMIT: usize = 4096;
        let cut = if self.o.show_all {
            shown.len()
        } else {
            shown.len().min(LIMIT)
        };
        let part = &shown[..cut];
        let ctype = hs
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if self.o.hex {
            for (i, chunk) in part.chunks(16).enumerate() {
                let hex: String = chunk.iter().map(|b| format!("{b:02x} ")).collect();
                let asc: String = chunk
                    .iter()
                    .map(|&b| {
                        if (0x20..0x7f).contains(&b) {
                            b as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                v.push(Line::raw(format!("{:08x}  {hex:<48} {asc}", i * 16)));
            }
        } else {
            let pretty = if self.o.pretty {
                pretty_body(&ctype, part)
            } else {
                None
            };
            let text_b = pretty.as_deref().unwrap_or(part);
            for l in text_b.split(|&c| c == b'\n') {
                v.push(Line::from(line_spans(
                    &units(l),
                    false,
                    false,
                    None,
                    Style::default(),
                    Style::default(),
                )));
            }
        }
        if cut < shown.len() {
            v.push(Line::styled(
                format!("… {} more bytes — press a to show all", shown.len() - cut),
                t.dim(),
            ));
        }
        v
    }

    pub(super) fn body(&self) -> Vec<Line<'static>> {
        let r = &self.x.request;
        if let Some((payload, note)) = self.aws_chunked_payload() {
            let mut v = self.body_lines(&[], &payload, payload.len() as u64, "Request payload");
            let sha = crate::engine::crypto::sha256_hex(&payload);
            v.insert(1, Line::styled(format!("SHA-256 {sha}"), self.t.dim()));
            v.insert(2, Line::styled(note, self.t.dim()));
            return v;
        }
        if let Some(v) = self.file_part() {
            return v;
        }
        let mut v = self.body_lines(&r.headers, &r.body, r.body_len(), "Request body");
        v.insert(
            1,
            Line::styled(format!("SHA-256 {}", self.a.body_sha256), self.t.dim()),
        );
        if let Some(raw) = &r.raw_chunked_body {
            v.push(Line::raw(""));
            v.push(Line::styled(
                format!("(chunk framing kept: {} bytes on the wire)", raw.len()),
                self.t.dim(),
            ));
        }
        v
    }
}

impl Builder<'_> {
    /// A browser upload: the file part's bytes, typed by its own Content-Type (the form's
    /// other fields are in the Policy tab).
    fn file_part(&self) -> Option<Vec<Line<'static>>> {
        let r = &self.x.request;
        let f = self.a.post_policy.as_ref()?.file.as_ref()?;
        let bytes = r.body.get(f.range.clone())?;
        let hs: Vec<http::Header> = f
            .content_type
            .iter()
            .map(|c| http::Header {
                name: b"content-type".to_vec(),
                value: c.as_bytes().to_vec(),
            })
            .collect();
        let mut v = self.body_lines(&hs, bytes, f.length, "File part of the upload form");
        v.insert(
            1,
            Line::styled(
                format!(
                    "the request body is {} bytes of multipart/form-data; its fields are in the Policy tab",
                    r.body_len()
                ),
                self.t.dim(),
            ),
        );
        Some(v)
    }
}

/// JSON and XML indented, forms one parameter a line; `None` when the body is not one.
fn pretty_body(ctype: &str, b: &[u8]) -> Option<Vec<u8>> {
    let trimmed = http::trim_bytes(b);
    if ctype.contains("json") || trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
            return serde_json::to_vec_pretty(&v).ok();
        }
    }
    if ctype.contains("xml") || trimmed.starts_with(b"<") {
        return pretty_xml(b);
    }
    if ctype.contains("x-www-form-urlencoded") {
        let mut out = Vec::new();
        for p in b.split(|&c| c == b'&') {
            out.extend_from_slice(p);
            out.push(b'\n');
        }
        return Some(out);
    }
    None
}

fn pretty_xml(b: &[u8]) -> Option<Vec<u8>> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(b);
    r.config_mut().trim_text(true);
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(e) => w.write_event(e).ok()?,
            Err(_) => return None,
        }
        buf.clear();
    }
    Some(w.into_inner())
}

struct HeaderList<'a>(&'a [http::Header]);

impl Headers for HeaderList<'_> {
    fn header_list(&self) -> &[http::Header] {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_bodies() {
        assert_eq!(
            pretty_body("application/json", b"{\"a\":1}").unwrap(),
            b"{\n  \"a\": 1\n}"
        );
        let x = String::from_utf8(pretty_body("", b"<E><C>X</C></E>").unwrap()).unwrap();
        assert_eq!(x, "<E>\n  <C>X</C>\n</E>");
        assert!(pretty_body("text/plain", b"hello").is_none());
    }
}

//! `E` (issue 17): the selected request as raw HTTP in the user's editor, its secrets masked,
//! and the edited text read back with each mask left as it was restored to the secret.
//!
//! Masked: the signature of an AWS Authorization header (SigV4's `Signature=`, SigV2's
//! `AWS KEY:signature`), every header [`secret::masked_header`] masks (other Authorization
//! schemes, session and auth tokens), and in the target the presigned signature
//! (`X-Amz-Signature`, `Signature`, `X-Goog-Signature`) and the session token
//! ([`secret::secret_query_values`]). The body is written as it is.

use std::path::Path;

use crate::engine::encode::percent_decode;
use crate::engine::secret;
use crate::http::{self, Headers as _, Request};

/// Query parameters whose value is a signature (compared without case, decoded).
const SIGNATURE_PARAMS: &[&[u8]] = &[b"x-amz-signature", b"signature", b"x-goog-signature"];

/// The text the editor is given, and each mask in it with the bytes it stands for.
#[derive(Debug)]
pub struct Masked {
    pub text: Vec<u8>,
    masks: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Why an edited request is not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("the edited text is not an HTTP request ({0})")]
    Unparseable(String),
}

impl Masked {
    /// Records a mask for `secret` (made unique within the text) and returns it.
    fn add(&mut self, mask: String, secret: &[u8]) -> Vec<u8> {
        let mut m = mask.clone();
        let mut n = 2;
        while self.masks.iter().any(|(k, _)| *k == m.as_bytes()) {
            m = format!("{mask}#{n}");
            n += 1;
        }
        self.masks.push((m.clone().into_bytes(), secret.to_vec()));
        m.into_bytes()
    }
}

/// `req` as the editor shows it: request line, headers, a blank line, the body (the
/// captured chunked framing when it was chunked), with its secrets masked.
pub fn masked(req: &Request) -> Masked {
    let mut m = Masked {
        text: Vec::new(),
        masks: Vec::new(),
    };
    let target = masked_target(&mut m, &req.target);
    let mut text = Vec::new();
    text.extend_from_slice(req.method.as_bytes());
    text.push(b' ');
    text.extend_from_slice(&target);
    text.push(b' ');
    text.extend_from_slice(
        match req.version.as_str() {
            "" => "HTTP/1.1",
            v => v,
        }
        .as_bytes(),
    );
    text.push(b'\n');
    for h in &req.headers {
        text.extend_from_slice(&h.name);
        text.extend_from_slice(b": ");
        let value = masked_value(&mut m, &h.name, &h.value);
        text.extend_from_slice(&value);
        text.push(b'\n');
    }
    text.push(b'\n');
    text.extend_from_slice(req.raw_chunked_body.as_deref().unwrap_or(&req.body));
    m.text = text;
    m
}

/// A header's value with its secret part masked.
fn masked_value(m: &mut Masked, name: &[u8], value: &[u8]) -> Vec<u8> {
    let authz = name.eq_ignore_ascii_case(b"authorization");
    if authz && value.starts_with(b"AWS") {
        // SigV4 and SigV4A: `Signature=HEX` (up to a comma); SigV2: `AWS KEY:SIG`.
        let range = match find(value, b"Signature=") {
            Some(i) => {
                let start = i + b"Signature=".len();
                let end = value[start..]
                    .iter()
                    .position(|&b| b == b',' || b == b' ')
                    .map_or(value.len(), |e| start + e);
                Some(start..end)
            }
            None if value.starts_with(b"AWS ") => value
                .iter()
                .rposition(|&b| b == b':')
                .map(|c| c + 1..value.len()),
            None => None,
        };
        return match range.filter(|r| !r.is_empty()) {
            Some(r) => {
                let secret = value[r.clone()].to_vec();
                let mask = m.add(secret::mask(&http::text(&secret)), &secret);
                [&value[..r.start], &mask[..], &value[r.end..]].concat()
            }
            None => value.to_vec(),
        };
    }
    match secret::masked_header(name, value) {
        Some(shown) => m.add(shown, value),
        None => value.to_vec(),
    }
}

/// The target with the values of its signature and token parameters masked (one word: no
/// spaces in the masks).
fn masked_target(m: &mut Masked, target: &[u8]) -> Vec<u8> {
    let mut ranges = secret::secret_query_values(target);
    if let Some(q) = target.iter().position(|&b| b == b'?') {
        let mut start = q + 1;
        for pair in target[q + 1..].split(|&b| b == b'&') {
            if let Some(eq) = pair.iter().position(|&b| b == b'=') {
                let name = percent_decode(&pair[..eq], false);
                if SIGNATURE_PARAMS
                    .iter()
                    .any(|s| name.eq_ignore_ascii_case(s))
                {
                    ranges.push(start + eq + 1..start + pair.len());
                }
            }
            start += pair.len() + 1;
        }
    }
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| r.start);
    let mut out = Vec::with_capacity(target.len());
    let mut at = 0;
    for r in ranges {
        out.extend_from_slice(&target[at..r.start]);
        let secret = &target[r.clone()];
        let shown = secret::mask(&http::text(secret))
            .replacen(" (", "(", 1)
            .replace(' ', "-");
        let mask = m.add(shown, secret);
        out.extend_from_slice(&mask);
        at = r.end;
    }
    out.extend_from_slice(&target[at..]);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every mask in `data` replaced by its secret, in one pass; where two masks start at the
/// same place the longer wins (`abcd•••• (10 chars)#2` is not its namesake followed by `#2`).
fn unmask(data: &[u8], masks: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut by_len: Vec<&(Vec<u8>, Vec<u8>)> =
        masks.iter().filter(|(m, _)| !m.is_empty()).collect();
    by_len.sort_by_key(|(m, _)| std::cmp::Reverse(m.len()));
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    while at < data.len() {
        match by_len.iter().find(|(m, _)| data[at..].starts_with(m)) {
            Some((m, secret)) => {
                out.extend_from_slice(secret);
                at += m.len();
            }
            None => {
                out.push(data[at]);
                at += 1;
            }
        }
    }
    out
}

/// The request in the edited text: each mask still there restored to its secret (a mask
/// changed is kept as typed), the body everything after the first blank line (with the
/// newline an editor adds at the end of a file dropped when the original body had none),
/// and a Content-Length that says the body's length. `original` lends what the text cannot
/// say (an HTTP/2 request's `:authority`, when the Host is unchanged).
pub fn restore(edited: &[u8], m: &Masked, original: &Request) -> Result<Request, EditError> {
    let (head, mut body) = split_head(edited)
        .ok_or_else(|| EditError::Unparseable("no blank line after the headers".into()))?;
    let orig_body = original
        .raw_chunked_body
        .as_deref()
        .unwrap_or(&original.body);
    if !orig_body.ends_with(b"\n") {
        if let Some(b) = body.strip_suffix(b"\n") {
            body = b.strip_suffix(b"\r").unwrap_or(b);
        }
    }
    let head = unmask(head, &m.masks);
    let chunked = original.raw_chunked_body.is_some();
    let mut text = Vec::with_capacity(head.len() + body.len() + 4);
    let mut length_said = chunked;
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let is_length = line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:");
        if is_length && !chunked {
            text.extend_from_slice(&line[..15]);
            text.extend_from_slice(format!(" {}", body.len()).as_bytes());
            length_said = true;
        } else {
            text.extend_from_slice(line);
        }
        text.extend_from_slice(b"\r\n");
    }
    if !length_said && !body.is_empty() {
        text.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    text.extend_from_slice(b"\r\n");
    text.extend_from_slice(body);
    let parsed = http::parse_raw(&text);
    if let Some(e) = parsed.errors.first() {
        return Err(EditError::Unparseable(e.to_string()));
    }
    let mut req = match parsed.messages.as_slice() {
        [http::Message::Request(r, _)] => (**r).clone(),
        [] => return Err(EditError::Unparseable("it is empty".into())),
        [http::Message::Response(..)] => {
            return Err(EditError::Unparseable("it is a response".into()))
        }
        _ => {
            return Err(EditError::Unparseable(
                "the body is longer than its framing says".into(),
            ))
        }
    };
    if req.header_text("host") == original.header_text("host") {
        req.h2_authority = original.h2_authority.clone();
    }
    Ok(req)
}

/// The head (up to the first blank line) and the body after it.
fn split_head(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut at = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            let head_end = at - line.len();
            return Some((&data[..head_end], &data[at..]));
        }
    }
    None
}

/// The editor the user asked for: `$EDITOR`, else `$VISUAL`, else `vi`.
pub fn editor() -> String {
    ["EDITOR", "VISUAL"]
        .iter()
        .filter_map(std::env::var_os)
        .map(|v| v.to_string_lossy().trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// Runs the editor on `file` and waits for it (through `sh`, so that an editor given with
/// its arguments, `code --wait`, works). The terminal must be given to it first.
pub fn run_editor(file: &Path) -> Result<(), String> {
    let ed = editor();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{ed} \"$1\""))
        .arg("sh")
        .arg(file)
        .status()
        .map_err(|e| format!("could not start the editor ({e})"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor ({}) exited with {status}",
            crate::escape::escape_str(&ed)
        ))
    }
}

#[cfg(test)]
mod tests;

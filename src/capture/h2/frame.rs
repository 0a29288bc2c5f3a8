//! HTTP/2 frames (RFC 9113 §4 and §6): the 9-byte header, and the payload layouts that
//! carry padding and priority. Nothing here panics on any input: a payload too short for
//! what its flags announce is an error naming the frame.

/// The connection preface a client sends first (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub const HEADER_LEN: usize = 9;
/// The largest frame any peer may announce (SETTINGS_MAX_FRAME_SIZE ≤ 2^24-1, §6.5.2).
pub const MAX_LEN: usize = (1 << 24) - 1;

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

/// SETTINGS_HEADER_TABLE_SIZE (§6.5.2).
pub const SETTINGS_HEADER_TABLE_SIZE: u16 = 0x1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub ty: u8,
    pub flags: u8,
    pub stream: u32,
}

impl Head {
    /// The header at the start of `b` (at least [`HEADER_LEN`] bytes).
    pub fn parse(b: &[u8]) -> Option<Head> {
        let h: &[u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        Some(Head {
            len: usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]),
            ty: h[3],
            flags: h[4],
            // The reserved bit is ignored on receipt (§4.1).
            stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
        })
    }

    /// Whether a frame with this header can occur at all: a known type on the kind of
    /// stream it belongs to, with the fixed length its type demands. Used to recognise
    /// HTTP/2 in a capture that starts mid-connection (no preface to go by).
    pub fn plausible(&self) -> bool {
        let on_stream = self.stream != 0;
        match self.ty {
            DATA | HEADERS | CONTINUATION | PUSH_PROMISE => on_stream && self.len <= 1 << 20,
            PRIORITY => on_stream && self.len == 5,
            RST_STREAM => on_stream && self.len == 4,
            SETTINGS => !on_stream && self.len % 6 == 0 && self.len <= 6 * 64,
            PING => !on_stream && self.len == 8,
            GOAWAY => !on_stream && (8..=1 << 16).contains(&self.len),
            WINDOW_UPDATE => self.len == 4,
            _ => false,
        }
    }
}

/// Whether `b`, the first bytes seen of one direction of a connection, reads as a chain of
/// HTTP/2 frames: at least one whole plausible frame, each followed by another plausible
/// header or by the end of `b`.
pub fn looks_like_frames(b: &[u8]) -> bool {
    let mut at = 0;
    let mut whole = 0;
    while let Some(h) = b.get(at..).and_then(Head::parse) {
        if !h.plausible() {
            return false;
        }
        at += HEADER_LEN + h.len;
        if at > b.len() {
            break;
        }
        whole += 1;
    }
    whole > 0 && (at >= b.len() || b.len() - at < HEADER_LEN)
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("padding longer than the frame")]
    Padding,
    #[error("a frame shorter than its flags require")]
    Short,
    #[error("a {0} frame of {1} bytes (it must be {2})")]
    Length(&'static str, usize, &'static str),
}

/// The payload without its padding (DATA, HEADERS, PUSH_PROMISE with PADDED, §6.1).
pub fn unpad(flags: u8, p: &[u8]) -> Result<&[u8], FrameError> {
    if flags & PADDED == 0 {
        return Ok(p);
    }
    let (&pad, rest) = p.split_first().ok_or(FrameError::Short)?;
    rest.len()
        .checked_sub(usize::from(pad))
        .map(|n| &rest[..n])
        .ok_or(FrameError::Padding)
}

/// A HEADERS payload's header block fragment (padding and priority fields removed, §6.2).
pub fn headers_fragment(flags: u8, p: &[u8]) -> Result<&[u8], FrameError> {
    let p = unpad(flags, p)?;
    if flags & PRIORITY_FLAG == 0 {
        return Ok(p);
    }
    p.get(5..).ok_or(FrameError::Short)
}

/// A PUSH_PROMISE payload: the promised stream and the header block fragment (§6.6).
pub fn push_promise(flags: u8, p: &[u8]) -> Result<(u32, &[u8]), FrameError> {
    let p = unpad(flags, p)?;
    let id: [u8; 4] = p
        .get(..4)
        .ok_or(FrameError::Short)?
        .try_into()
        .unwrap_or([0; 4]);
    Ok((u32::from_be_bytes(id) & 0x7fff_ffff, &p[4..]))
}

/// A SETTINGS payload's (identifier, value) pairs (§6.5.1).
pub fn settings(p: &[u8]) -> Result<Vec<(u16, u32)>, FrameError> {
    if p.len() % 6 != 0 {
        return Err(FrameError::Length("SETTINGS", p.len(), "a multiple of 6"));
    }
    Ok(p.chunks_exact(6)
        .map(|c| {
            (
                u16::from_be_bytes([c[0], c[1]]),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
        .collect())
}

/// A 4-byte error code (RST_STREAM, §6.4).
pub fn error_code(what: &'static str, p: &[u8]) -> Result<u32, FrameError> {
    let c: [u8; 4] = p
        .try_into()
        .map_err(|_| FrameError::Length(what, p.len(), "4"))?;
    Ok(u32::from_be_bytes(c))
}

/// The name of an HTTP/2 error code (RFC 9113 §7).
pub fn error_name(code: u32) -> String {
    let name = match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => return format!("error code 0x{code:x}"),
    };
    name.to_string()
}

/// Encodes a frame (the listener's saved sessions, and tests).
pub fn encode(ty: u8, flags: u8, stream: u32, payload: &[u8], out: &mut Vec<u8>) {
    let len = payload.len().min(MAX_LEN);
    out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    out.push(ty);
    out.push(flags);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_priority_are_removed() {
        // PADDED + PRIORITY: pad length 2, 5 priority bytes, fragment "ab", 2 padding bytes.
        let p = [2, 0, 0, 0, 3, 16, b'a', b'b', 0, 0];
        assert_eq!(headers_fragment(PADDED | PRIORITY_FLAG, &p), Ok(&b"ab"[..]));
        assert_eq!(unpad(PADDED, &[5, 1, 2]), Err(FrameError::Padding));
        assert_eq!(unpad(PADDED, &[]), Err(FrameError::Short));
        assert_eq!(
            headers_fragment(PRIORITY_FLAG, &[0, 0, 0]),
            Err(FrameError::Short)
        );
        assert!(settings(&[0; 7]).is_err());
        assert_eq!(settings(&[0, 1, 0, 0, 1, 0]), Ok(vec![(1, 256)]));
    }

    #[test]
    fn frames_are_recognised_without_a_preface() {
        let mut b = Vec::new();
        encode(SETTINGS, 0, 0, &[0, 1, 0, 0, 16, 0], &mut b);
        encode(WINDOW_UPDATE, 0, 0, &[0, 0, 1, 0], &mut b);
        assert!(looks_like_frames(&b));
        assert!(looks_like_frames(&b[..20]));
        assert!(!looks_like_frames(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(!looks_like_frames(&[0x16, 3, 1, 0, 5, 1, 0, 0, 1]));
        assert!(!looks_like_frames(&b[..5]));
    }
}

//! The aws-chunked framing of a streamed request body (issue 14): the chunk list with sizes,
//! signatures and the trailer for the Signing tab, and the decoded payload for the Body tab.

use ratatui::text::Line;

use super::lines::heading;
use super::Builder;
use crate::engine::payload::{framing, ChunkSigning, Framed, PayloadMode, Shape};
use crate::engine::sigv4::ChunkResult;
use crate::http::Headers;
use crate::tui::text::safe_str;

impl Builder<'_> {
    /// The request's payload mode and its framing, when it is an aws-chunked body kept whole
    /// that frames (the engine said why otherwise, in the findings).
    pub(super) fn framed(&self) -> Option<(PayloadMode, Framed)> {
        let r = &self.x.request;
        let mode = PayloadMode::of_request(r);
        let PayloadMode::Streaming { chunks, trailer } = mode else {
            return None;
        };
        if !r.body_complete() {
            return None;
        }
        let shape = Shape {
            signed: chunks != ChunkSigning::Unsigned,
            trailer: trailer || r.has_header(crate::engine::payload::TRAILER),
        };
        framing::parse(&r.body, shape).ok().map(|f| (mode, f))
    }

    /// The Signing tab's chunk list: each chunk's size, where it starts and its signature's
    /// state, then the trailing headers and the trailer's signature.
    pub(super) fn chunk_lines(&self, checked: &[ChunkResult]) -> Vec<Line<'static>> {
        let t = self.t;
        let mut v = Vec::new();
        let state = |c: Option<&ChunkResult>| match c.map(|c| c.matches) {
            Some(Some(true)) => "✓ ok",
            Some(Some(false)) => "✗ MISMATCH",
            Some(None) => "? unverified",
            None => "",
        };
        let Some((mode, f)) = self.framed() else {
            // No framing to show: the signatures alone, as the engine checked them.
            if !checked.is_empty() {
                v.push(Line::raw(""));
                v.push(heading(t, "Chunk signatures"));
            }
            for c in checked {
                let what = if c.trailer { "trailer " } else { "chunk" };
                v.push(Line::raw(format!(
                    "  {what} {:>3}  {:>8} bytes  {}  claimed {}",
                    c.index,
                    c.size,
                    state(Some(c)),
                    safe_str(&c.claimed_signature)
                )));
            }
            return v;
        };
        v.push(Line::raw(""));
        v.push(heading(
            t,
            &format!(
                "aws-chunked body ({}): {} chunks, {} bytes decoded",
                mode.wire(),
                f.frames.len(),
                f.decoded_len()
            ),
        ));
        for (i, fr) in f.frames.iter().enumerate() {
            let c = checked.iter().find(|c| !c.trailer && c.index == i);
            // A signed chunk's line is its signature (as long as a pane is wide); an unsigned
            // one says where it starts.
            let rest = match fr.signature.as_deref() {
                Some(s) => format!("{}  claimed {}", state(c), safe_str(s)),
                None => format!("at byte {}", fr.at),
            };
            v.push(Line::raw(format!(
                "  chunk {i:>3}  {:>8} bytes  {rest}",
                fr.size
            )));
        }
        for tr in &f.trailers {
            v.push(Line::raw(format!(
                "  trailer    {}: {}  at byte {}",
                safe_str(&tr.name),
                safe_str(&tr.value),
                tr.at
            )));
        }
        if let Some(c) = checked.iter().find(|c| c.trailer) {
            v.push(Line::raw(format!(
                "  trailer signature  {}  claimed {}",
                state(Some(c)),
                if c.claimed_signature.is_empty() {
                    "(none)".to_string()
                } else {
                    safe_str(&c.claimed_signature)
                }
            )));
        }
        v
    }

    /// The Body tab's payload of an aws-chunked body: decoded, unless the body mode asks for
    /// the text as sent (`pretty` off); `None` for any other body.
    pub(super) fn aws_chunked_payload(&self) -> Option<(Vec<u8>, String)> {
        let (_, f) = self.framed()?;
        let r = &self.x.request;
        self.o.pretty.then(|| {
            let note = format!(
                "(aws-chunked: the payload decoded from {} chunks, {} bytes of framing on the wire; the body-mode key shows the framing)",
                f.frames.len(),
                r.body.len() - f.decoded_len()
            );
            (f.decoded(&r.body), note)
        })
    }
}

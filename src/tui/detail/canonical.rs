//! The Canonical request tab (SigV4 only), each line labelled with what it is.

use ratatui::text::Line;

use super::lines::numbered;
use super::{client_side, Builder};

/// What each line of a SigV4 canonical request is.
fn canonical_labels(cr: &[u8]) -> Vec<String> {
    let lines: Vec<&[u8]> = cr.split(|&c| c == b'\n').collect();
    let mut out = vec![String::new(); lines.len()];
    if lines.len() < 6 {
        return out;
    }
    let last = lines.len() - 1;
    out[0] = "method".into();
    out[1] = "canonical URI".into();
    out[2] = "canonical query string".into();
    for l in out.iter_mut().take(last - 2).skip(3) {
        *l = "canonical header".into();
    }
    out[last - 2] = "(end of headers)".into();
    out[last - 1] = "signed headers".into();
    out[last] = "payload hash".into();
    out
}

impl Builder<'_> {
    pub(super) fn canonical(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(d) = self.verifier() else {
            return vec![Line::raw("No dialect computed a canonical request.")];
        };
        let mut v = Vec::new();
        match &d.canonical_request {
            Some(cr) => {
                use sha2::Digest;
                let h = crate::engine::crypto::to_hex(sha2::Sha256::digest(cr).as_slice());
                v.push(Line::styled(
                    format!("Canonical request as {} computes it — SHA-256 {h}", d.name),
                    t.accent(),
                ));
                v.push(Line::raw(""));
                let labels = canonical_labels(cr);
                let labels: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
                v.extend(numbered(t, cr, &labels, self.o.whitespace));
                if let Some(c) = client_side(self.a).filter(|c| c.name != d.name) {
                    if c.canonical_request != d.canonical_request {
                        v.push(Line::raw(""));
                        v.push(Line::styled(
                            format!("The client's ({}) differs: see the Diff tab.", c.name),
                            t.dim(),
                        ));
                    }
                }
            }
            None if d.unsupported => v.push(Line::raw(format!(
                "{} has no verifier for this auth mode.",
                d.name
            ))),
            None => v.push(Line::raw(
                "This auth mode signs a single string: see String to sign.",
            )),
        }
        v
    }
}

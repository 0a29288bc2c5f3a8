//! An exchange: one request, its response when known, and where it came from.

use time::OffsetDateTime;

use crate::engine::Finding;
use crate::http::{Request, Response};

#[derive(Clone, Debug, Default)]
pub struct Exchange {
    pub index: usize,
    /// `file` or `file:frame` / `file:offset`.
    pub source: String,
    pub time: Option<OffsetDateTime>,
    pub client: Option<String>,
    pub server: Option<String>,
    pub request: Request,
    pub response: Option<Response>,
    /// What the capture layer noticed (gaps, no response, truncation), reported with the
    /// engine's findings.
    pub notes: Vec<Finding>,
}

/// What earlier exchanges of the run tell about later ones: the Host values seen, and recent
/// requests by signature (a proxy's two legs carry the same one). Bounded.
#[derive(Default)]
pub struct Legs {
    pub hosts: Vec<String>,
    by_signature: std::collections::HashMap<String, crate::http::Request>,
    order: std::collections::VecDeque<String>,
}

impl Legs {
    fn signature(r: &crate::http::Request) -> Option<String> {
        use crate::http::Headers;
        let a = r.header("authorization")?;
        let sig = a.rsplit_once("Signature=").map(|(_, s)| s).or_else(|| {
            a.strip_prefix("AWS ")
                .and_then(|s| s.rsplit_once(':'))
                .map(|(_, s)| s)
        })?;
        Some(sig.trim().to_string())
    }

    pub fn earlier(&self, r: &crate::http::Request) -> Option<crate::http::Request> {
        let prev = self.by_signature.get(&Self::signature(r)?)?;
        let same = prev.method == r.method
            && prev.target == r.target
            && prev.headers == r.headers
            && prev
                .body_digest
                .as_ref()
                .is_some_and(|d| d.len == r.body_len() && d.sha256_hex == r.body_sha256_hex());
        (!same).then(|| prev.clone())
    }

    pub fn remember(&mut self, r: &crate::http::Request) {
        use crate::http::Headers;
        if let Some(h) = r.header("host") {
            if self.hosts.len() < 64 && !self.hosts.contains(&h) {
                self.hosts.push(h);
            }
        }
        if let Some(sig) = Self::signature(r) {
            if !self.by_signature.contains_key(&sig) {
                if self.order.len() >= 1024 {
                    if let Some(old) = self.order.pop_front() {
                        self.by_signature.remove(&old);
                    }
                }
                self.order.push_back(sig.clone());
                // Bodies are not needed to tell the legs apart beyond their length.
                // The other leg is told apart by its head; a body is compared by its digest.
                let keep = crate::http::Request {
                    method: r.method.clone(),
                    target: r.target.clone(),
                    version: r.version.clone(),
                    headers: r.headers.clone(),
                    body: Vec::new(),
                    raw_chunked_body: None,
                    body_sha256: None,
                    body_digest: Some(crate::http::BodyDigest {
                        len: r.body_len(),
                        sha256_hex: r.body_sha256_hex(),
                    }),
                };
                self.by_signature.insert(sig, keep);
            }
        }
    }
}

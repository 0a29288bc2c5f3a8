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
    /// The capture interface it was seen on (pcapng `if_name`, or "interface N"), when the
    /// input is a pcapng.
    pub interface: Option<String>,
    pub request: Request,
    pub response: Option<Response>,
    /// What the capture layer noticed (gaps, no response, truncation), reported with the
    /// engine's findings.
    pub notes: Vec<Finding>,
    /// A request sigscope sent again (issue 17): the exchange it replays and how.
    pub replay: Option<ReplayOf>,
}

/// What a replay is: the number of the exchange it sends again, and how it was prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOf {
    /// The original's number (`Exchange::index`).
    pub original: usize,
    /// The request was changed in the editor (the UI's `E`) before it was sent.
    pub edited: bool,
    /// The dialect it was re-signed as; `None`: sent with the signature it had.
    pub resigned: Option<String>,
}

impl ReplayOf {
    /// How it was prepared, in words: "as captured", "re-signed as aws", "edited, re-signed
    /// as aws", "edited, not re-signed".
    pub fn how(&self) -> String {
        match (self.edited, &self.resigned) {
            (false, None) => "as captured".into(),
            (false, Some(d)) => format!("re-signed as {d}"),
            (true, Some(d)) => format!("edited, re-signed as {d}"),
            (true, None) => "edited, not re-signed".into(),
        }
    }

    /// "replay of #3 re-signed as aws": what the list and the detail say of it.
    pub fn describe(&self) -> String {
        format!("replay of #{} {}", self.original, self.how())
    }

    /// The name of the pcapng interface `listen --save` puts a replay on
    /// ("sigscope replay of #3 re-signed as aws"), read back by [`ReplayOf::from_interface`].
    pub fn interface_name(&self) -> String {
        format!("{REPLAY_INTERFACE}{}", self.describe())
    }

    /// The replay an interface's name says its packets are (see [`ReplayOf::interface_name`]).
    pub fn from_interface(name: &str) -> Option<ReplayOf> {
        let rest = name
            .strip_prefix(REPLAY_INTERFACE)?
            .strip_prefix("replay of #")?;
        let (n, how) = rest.split_once(' ')?;
        let original = n.parse().ok()?;
        let (edited, how) = match how.strip_prefix("edited, ") {
            Some(h) => (true, h),
            None => (false, how),
        };
        let resigned = match how {
            "as captured" if !edited => None,
            "not re-signed" if edited => None,
            h => Some(h.strip_prefix("re-signed as ")?)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
        };
        Some(ReplayOf {
            original,
            edited,
            resigned,
        })
    }
}

/// What the name of a saved replay's interface starts with.
const REPLAY_INTERFACE: &str = "sigscope ";

/// What earlier exchanges of the run tell about later ones: the Host values seen, and recent
/// requests by signature (a proxy's two legs carry the same one). Bounded.
#[derive(Default)]
pub struct Legs {
    pub hosts: Vec<String>,
    /// Looked up for every request: foldhash (randomly seeded) rather than SipHash.
    by_signature: std::collections::HashMap<String, Leg, foldhash::fast::RandomState>,
    order: std::collections::VecDeque<String>,
    /// Scratch for encoding a request's head to compare it with a remembered one.
    scratch: Vec<u8>,
}

/// A remembered request, compactly: every request of a capture is remembered, and cloning
/// its headers cost ~20 allocations; one buffer holds the head instead.
struct Leg {
    /// Method, target, then each header's name and value, each length-prefixed (so that
    /// equal encodings are equal fields).
    head: Vec<u8>,
    version: String,
    body_len: u64,
    /// What tells its body apart from another's: its SHA-256 when the request came with it
    /// (a large body, hashed as it arrived), else a fast fingerprint. Every signed request is
    /// remembered, and hashing each body here, on the capture's one ordered thread, was a fifth
    /// of a TLS capture's report; the workers compute the SHA-256 the report shows.
    body: BodyId,
    /// The server endpoint it was sent to, when the input says.
    server: Option<String>,
}

fn encode_head(r: &crate::http::Request, out: &mut Vec<u8>) {
    let mut put = |b: &[u8]| {
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    };
    put(r.method.as_bytes());
    put(&r.target);
    for h in &r.headers {
        put(&h.name);
        put(&h.value);
    }
}

enum BodyId {
    Sha256(String),
    /// [`fingerprint`] of a body kept whole.
    Bytes(u64),
}

/// Tells bodies apart within one run (not a digest for anyone to read): foldhash with a fixed
/// seed over the whole body.
fn fingerprint(body: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x5167_5c0b_e000_0001).hash_one(body)
}

impl BodyId {
    fn of(r: &crate::http::Request) -> BodyId {
        match (&r.body_digest, &r.body_sha256) {
            (Some(d), _) => BodyId::Sha256(d.sha256_hex.clone()),
            (None, Some(h)) => BodyId::Sha256(h.clone()),
            (None, None) => BodyId::Bytes(fingerprint(&r.body)),
        }
    }

    /// Whether `r`'s body (of the same length) is this one: by its SHA-256 (computed now if
    /// it was not, rare: only for a request whose signature was seen before), or by the
    /// fingerprint of its bytes.
    fn same_as(&self, r: &crate::http::Request) -> bool {
        match self {
            BodyId::Sha256(h) => *h == r.body_sha256_hex(),
            BodyId::Bytes(fp) => r.body_complete() && *fp == fingerprint(&r.body),
        }
    }
}

impl Leg {
    /// The remembered request as [`Legs::remember`] kept it: head and body digest, no body.
    /// `sha256_hex` is its body's SHA-256 when known (`same_body_sha256` says it for a body
    /// equal to the later leg's); a leg whose different body was never hashed has an empty
    /// one, which differs from every digest.
    fn request(&self, same_body_sha256: Option<String>) -> crate::http::Request {
        let mut fields = Vec::new();
        let mut rest = &self.head[..];
        while rest.len() >= 8 {
            let (len, tail) = rest.split_at(8);
            let n = u64::from_le_bytes(len.try_into().unwrap_or_default()) as usize;
            let (field, tail) = tail.split_at(n.min(tail.len()));
            fields.push(field);
            rest = tail;
        }
        let mut fields = fields.into_iter();
        let method = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
        let target = fields.next().unwrap_or_default().to_vec();
        let mut headers = Vec::new();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            headers.push(crate::http::Header::new(name, value));
        }
        crate::http::Request {
            method,
            target,
            version: self.version.clone(),
            headers,
            body: Vec::new(),
            raw_chunked_body: None,
            body_sha256: None,
            payload_sha256: None,
            h2_authority: None,
            body_digest: Some(crate::http::BodyDigest {
                len: self.body_len,
                sha256_hex: match &self.body {
                    BodyId::Sha256(h) => h.clone(),
                    BodyId::Bytes(_) => same_body_sha256.unwrap_or_default(),
                },
            }),
        }
    }
}

impl Legs {
    fn signature(r: &crate::http::Request) -> Option<String> {
        use crate::http::Headers;
        let h = r
            .header_list()
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(b"authorization"))?;
        // As `header("authorization")` reads it, without copying it first.
        let value = crate::http::text(&h.value);
        let a = value.trim();
        let sig = a.rsplit_once("Signature=").map(|(_, s)| s).or_else(|| {
            a.strip_prefix("AWS ")
                .and_then(|s| s.rsplit_once(':'))
                .map(|(_, s)| s)
        })?;
        Some(sig.trim().to_string())
    }

    pub fn earlier(&self, r: &crate::http::Request) -> Option<crate::http::Request> {
        let mut scratch = Vec::new();
        self.earlier_with(r, &Self::signature(r)?, None, &mut scratch)
    }

    fn earlier_with(
        &self,
        r: &crate::http::Request,
        sig: &str,
        server: Option<&str>,
        scratch: &mut Vec<u8>,
    ) -> Option<crate::http::Request> {
        let prev = self.by_signature.get(sig)?;
        // A proxy's legs go to two endpoints (the proxy, then its upstream). Two requests to one
        // endpoint that share a signature are two requests: a SigV2 signature covers neither
        // every parameter nor more than the second, so two ListObjects calls of one second
        // can share one.
        if let (Some(a), Some(b)) = (prev.server.as_deref(), server) {
            if a == b {
                return None;
            }
        }
        scratch.clear();
        encode_head(r, scratch);
        let same_body = prev.body_len == r.body_len() && prev.body.same_as(r);
        if same_body && prev.head == *scratch {
            return None;
        }
        // Rare (a proxy's second leg): the later body's SHA-256 is computed here when the two
        // bodies are the same, so that the comparison of the legs says they are.
        Some(prev.request(same_body.then(|| r.body_sha256_hex())))
    }

    pub fn remember(&mut self, r: &crate::http::Request) {
        let sig = Self::signature(r);
        self.remember_with(r, sig, None);
    }

    fn remember_with(
        &mut self,
        r: &crate::http::Request,
        sig: Option<String>,
        server: Option<&str>,
    ) {
        use crate::http::Headers;
        if self.hosts.len() < 64 {
            // As `header("host")` reads it, copied only when new.
            if let Some(h) = r
                .header_list()
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(b"host"))
            {
                let value = crate::http::text(&h.value);
                let h = value.trim();
                if !self.hosts.iter().any(|k| k == h) {
                    self.hosts.push(h.to_string());
                }
            }
        }
        if let Some(sig) = sig {
            if !self.by_signature.contains_key(&sig) {
                if self.order.len() >= 1024 {
                    if let Some(old) = self.order.pop_front() {
                        self.by_signature.remove(&old);
                    }
                }
                self.order.push_back(sig.clone());
                // Bodies are not needed to tell the legs apart beyond their length.
                // The other leg is told apart by its head; a body is compared by its digest.
                let mut head = Vec::with_capacity(self.scratch.len().max(256));
                encode_head(r, &mut head);
                let keep = Leg {
                    head,
                    version: r.version.clone(),
                    body_len: r.body_len(),
                    body: BodyId::of(r),
                    server: server.map(str::to_string),
                };
                self.by_signature.insert(sig, keep);
            }
        }
    }

    /// [`Legs::earlier`] then [`Legs::remember`], reading the request's signature once.
    /// The earlier leg of `r` (sent to the server endpoint `server`, when known), then `r`
    /// remembered for the requests after it.
    /// A body is told apart by a fingerprint, not its SHA-256: that is left to the workers
    /// that verify the request.
    pub fn earlier_then_remember(
        &mut self,
        r: &crate::http::Request,
        server: Option<&str>,
    ) -> Option<crate::http::Request> {
        let sig = Self::signature(r);
        let mut scratch = std::mem::take(&mut self.scratch);
        let earlier = sig
            .as_deref()
            .and_then(|s| self.earlier_with(r, s, server, &mut scratch));
        self.scratch = scratch;
        self.remember_with(r, sig, server);
        earlier
    }
}

// URL pieces of an exchange, for the filter (`~u`, `~d`) and the exports (curl, HAR).

/// The Host header (trimmed), else the authority of an absolute-form target.
pub fn host_of(r: &Request) -> Option<&[u8]> {
    if let Some(h) = r
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(b"host"))
    {
        return Some(crate::http::trim_bytes(&h.value));
    }
    let (_, rest) = absolute_form(&r.target)?;
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?' || b == b'#')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `http://` / `https://` targets (a proxy's client): the scheme and what follows `://`.
pub fn absolute_form(t: &[u8]) -> Option<(&'static str, &[u8])> {
    let has = |p: &[u8]| t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p);
    if has(b"http://") {
        Some(("http", &t[7..]))
    } else if has(b"https://") {
        Some(("https", &t[8..]))
    } else {
        None
    }
}

/// `https` when the server port is 443, else `http` (the captures are of plain HTTP; a TLS
/// port only appears for HAR imports and proxies).
pub fn scheme_of(x: &Exchange) -> &'static str {
    let port = x
        .server
        .as_deref()
        .and_then(|s| s.rsplit_once(':'))
        .map(|(_, p)| p);
    if port == Some("443") {
        "https"
    } else {
        "http"
    }
}

/// The URL as mitmproxy's `~u` sees it: `scheme://Host` + target, or the target itself when
/// it is already absolute. Bytes are appended as captured.
pub fn write_url(x: &Exchange, out: &mut Vec<u8>) {
    let r = &x.request;
    if absolute_form(&r.target).is_some() {
        out.extend_from_slice(&r.target);
        return;
    }
    out.extend_from_slice(scheme_of(x).as_bytes());
    out.extend_from_slice(b"://");
    match host_of(r) {
        Some(h) => out.extend_from_slice(h),
        None => out.extend_from_slice(x.server.as_deref().unwrap_or("").as_bytes()),
    }
    out.extend_from_slice(&r.target);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Header, Request};

    fn req(target: &str, extra: Option<(&str, &str)>) -> Request {
        let mut headers = vec![
            Header::new("Host", "h:8080"),
            Header::new(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
            ),
            Header::new("X-Odd", b"\xff\x00 v".to_vec()),
        ];
        if let Some((n, v)) = extra {
            headers.push(Header::new(n, v));
        }
        Request {
            method: "PUT".into(),
            target: target.as_bytes().to_vec(),
            version: "HTTP/1.0".into(),
            headers,
            body: b"body".to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn a_remembered_leg_comes_back_as_it_was_minus_its_body() {
        let first = req("/k", None);
        let mut legs = Legs::default();
        assert_eq!(legs.earlier_then_remember(&first, None), None);
        // Its SHA-256 is not computed on the way (the workers do it).
        assert_eq!(first.body_sha256, None);
        assert_eq!(legs.hosts, vec!["h:8080".to_string()]);
        // The same request again is not another leg.
        assert_eq!(legs.earlier(&first), None);
        let other = req("/k", Some(("Via", "proxy")));
        let back = legs
            .earlier_then_remember(&other, None)
            .expect("the earlier leg");
        assert_eq!(back.method, first.method);
        assert_eq!(back.target, first.target);
        assert_eq!(back.version, first.version);
        assert_eq!(back.headers, first.headers);
        assert!(back.body.is_empty());
        let d = back.body_digest.expect("digest");
        assert_eq!((d.len, d.sha256_hex), (4, first.body_sha256_hex()));
        // A different body with the same head is another leg too.
        let mut changed = req("/k", None);
        changed.body = b"other".to_vec();
        assert!(legs.earlier(&changed).is_some());
        // And one of the same length: the fingerprint tells them apart, and the earlier leg's
        // digest is not the later body's.
        changed.body = b"bodY".to_vec();
        let d = legs
            .earlier(&changed)
            .expect("another leg")
            .body_digest
            .unwrap();
        assert_eq!(d.len, 4);
        assert_ne!(d.sha256_hex, changed.body_sha256_hex());
    }

    /// A leg whose body was hashed as it arrived (a large one) and a leg whose body was not
    /// are compared by what each has: the same body is the same, a changed one is not.
    #[test]
    fn legs_hashed_and_not_hashed_compare_by_body() {
        for first_hashed in [true, false] {
            let mut first = req("/k", None);
            if first_hashed {
                first.keep_body_sha256();
            }
            let mut legs = Legs::default();
            assert_eq!(legs.earlier_then_remember(&first, None), None);
            let mut same = req("/k", None);
            if !first_hashed {
                same.keep_body_sha256();
            }
            assert_eq!(legs.earlier(&same), None);
            let mut other = req("/k", Some(("Via", "proxy")));
            let d = legs.earlier(&other).unwrap().body_digest.unwrap();
            assert_eq!(d.sha256_hex, first.body_sha256_hex());
            other.body = b"bodY".to_vec();
            let d = legs.earlier(&other).unwrap().body_digest.unwrap();
            assert_ne!(d.sha256_hex, other.body_sha256_hex());
        }
    }

    /// Two different requests to one endpoint can share a SigV2 signature (it covers neither
    /// every parameter nor more than the second): they are not a proxy's two legs. Sent to two
    /// endpoints, as a proxy sends them, they are.
    #[test]
    fn one_signature_to_one_endpoint_is_not_two_legs() {
        let first = req("/bucket?prefix=a", None);
        let second = req("/bucket?prefix=b", None);
        let mut legs = Legs::default();
        assert_eq!(
            legs.earlier_then_remember(&first, Some("10.0.0.1:80")),
            None
        );
        assert_eq!(
            legs.earlier_then_remember(&second, Some("10.0.0.1:80")),
            None
        );
        let mut legs = Legs::default();
        assert_eq!(
            legs.earlier_then_remember(&first, Some("10.0.0.9:8080")),
            None
        );
        assert!(legs
            .earlier_then_remember(&second, Some("10.0.0.1:80"))
            .is_some());
    }
}

//! The capture context: what the earlier exchanges of a run tell about the next one. A proxy's
//! two legs carry the same signature (the earlier leg shows what the proxy changed), and the
//! Host values seen are the candidates for a rewritten Host. `report`, `listen` and the TUI
//! take it the same way, here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::diagnose::{Context, Observed};
use crate::engine::payload::multipart::{self, ChecksumType, MultipartContext, Role, UploadSeen};
use crate::engine::{self, Analysis, Verifier};
use crate::exchange::{Exchange, Legs};
use crate::http::Request;

/// The context of a whole run, built in capture order. It is sequential (each exchange's
/// context depends on all before it), so it is taken before exchanges are handed to parallel
/// verification, and each exchange carries its own [`ExchangeContext`].
#[derive(Default)]
pub struct CaptureContext {
    legs: Legs,
    /// `legs.hosts` as shared by the exchanges since it last changed (it changes rarely and
    /// holds at most 64 names; cloning it per exchange would cost an allocation each).
    hosts: Arc<Vec<String>>,
    multipart: Multipart,
    /// S3 Express sessions learned from CreateSession responses so far (shared until the next).
    sessions: Arc<Vec<crate::engine::s3express::Session>>,
}

/// Past this many sessions the oldest are forgotten (a session lasts 5 minutes).
const SESSIONS_KEPT: usize = 1024;

/// The multipart uploads of a run: each upload's parts by upload id, the checksum type a
/// CreateMultipartUpload asked for (by host and path, until the upload's id is seen), and the
/// checksum each completed object's parts make (by host and path), for later reads.
#[derive(Default)]
struct Multipart {
    uploads: HashMap<String, UploadSeen>,
    created: HashMap<String, ChecksumType>,
    objects: HashMap<String, Arc<MultipartContext>>,
}

/// Past this many entries a map is cleared (a long capture's memory stays bounded; only
/// uploads spanning the clearing lose their parts).
const MULTIPART_LIMIT: usize = 100_000;

impl Multipart {
    fn next(&mut self, r: &Request) -> Option<Arc<MultipartContext>> {
        let role = multipart::role(r);
        if matches!(role, Role::Other) || (role == Role::Read && self.objects.is_empty()) {
            return None;
        }
        let object = format!(
            "{}{}",
            r.host().unwrap_or_default(),
            crate::http::text(r.path())
        );
        for len in [self.uploads.len(), self.created.len(), self.objects.len()] {
            if len > MULTIPART_LIMIT {
                *self = Multipart::default();
            }
        }
        match role {
            Role::Create(t) => {
                match t {
                    Some(t) => self.created.insert(object, t),
                    None => self.created.remove(&object),
                };
                None
            }
            Role::Part { upload, number } => {
                let created = self.created.get(&object).copied();
                let u = self.uploads.entry(upload).or_default();
                u.checksum_type = u.checksum_type.or(created);
                u.add(multipart::part_seen(r, number));
                None
            }
            Role::Complete { upload } => {
                let seen = self.uploads.remove(&upload)?;
                let (listed, _) = multipart::listed(&r.body);
                match multipart::object_checksum(r, &listed, &seen) {
                    Some(o) => self
                        .objects
                        .insert(object, Arc::new(MultipartContext::Object(o))),
                    None => self.objects.remove(&object),
                };
                Some(Arc::new(MultipartContext::Complete(seen)))
            }
            Role::Read => self.objects.get(&object).cloned(),
            Role::Other => None,
        }
    }
}

/// What the capture around one exchange said when it arrived.
#[derive(Clone, Debug, Default)]
pub struct ExchangeContext {
    /// An earlier request with the same signature but other bytes: the other leg of a proxy.
    pub earlier: Option<Request>,
    /// The Host values seen so far in the run, this exchange's included.
    pub hosts: Arc<Vec<String>>,
    /// A CompleteMultipartUpload's parts, or a completed object's checksum for a read of it.
    pub multipart: Option<Arc<MultipartContext>>,
    /// The S3 Express sessions learned before this exchange.
    pub sessions: Arc<Vec<crate::engine::s3express::Session>>,
}

impl CaptureContext {
    /// The context of `r` (sent to the server endpoint `server`, when known), which is then
    /// remembered for the exchanges after it. Call it once per exchange, in capture order.
    /// Runs on the capture's one ordered thread: no body is hashed here (the legs tell bodies
    /// apart by a fingerprint); the workers compute each body's SHA-256 once
    /// ([`Request::keep_body_sha256`]).
    pub fn next(&mut self, r: &mut Request, server: Option<&str>) -> ExchangeContext {
        let earlier = self.legs.earlier_then_remember(r, server);
        if self.legs.hosts.len() != self.hosts.len() {
            self.hosts = Arc::new(self.legs.hosts.clone());
        }
        ExchangeContext {
            earlier,
            hosts: self.hosts.clone(),
            multipart: self.multipart.next(r),
            sessions: self.sessions.clone(),
        }
    }

    /// [`CaptureContext::next`] for a whole exchange: its context, then what its response
    /// teaches the exchanges after it (an S3 Express CreateSession's session credentials).
    pub fn next_exchange(&mut self, x: &mut Exchange) -> ExchangeContext {
        let ctx = self.next(&mut x.request, x.server.as_deref());
        if let Some(s) = x
            .response
            .as_ref()
            .and_then(|r| crate::engine::s3express::learn(&x.request, r, x.time))
        {
            let sessions = Arc::make_mut(&mut self.sessions);
            if sessions.len() >= SESSIONS_KEPT {
                sessions.remove(0);
            }
            sessions.push(s);
        }
        ctx
    }
}

impl ExchangeContext {
    /// As the engine's diagnosis reads it.
    pub fn as_context(&self) -> Context<'_> {
        Context {
            seen_hosts: &self.hosts,
            earlier_leg: self.earlier.as_ref(),
            multipart: self.multipart.as_deref(),
            sessions: &self.sessions,
        }
    }
}

/// Verifies and diagnoses one exchange in its capture context: what `report`, `listen` and
/// the TUI show for it.
pub fn analyze(x: &Exchange, context: Context<'_>, v: &Verifier) -> Analysis {
    engine::analyze_observed(
        &Observed {
            request: &x.request,
            response: x.response.as_ref(),
            time: x.time,
            context,
        },
        v,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    fn signed(host: &str, extra: Option<(&str, &str)>) -> Request {
        let mut headers = vec![
            Header::new("Host", host),
            Header::new(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
            ),
        ];
        headers.extend(extra.map(|(n, v)| Header::new(n, v)));
        Request {
            method: "GET".into(),
            target: b"/k".to_vec(),
            version: "HTTP/1.1".into(),
            headers,
            ..Default::default()
        }
    }

    #[test]
    fn the_other_leg_and_the_hosts_seen_come_with_each_exchange() {
        let mut c = CaptureContext::default();
        let first = c.next(&mut signed("a:80", None), Some("10.0.0.1:80"));
        assert!(first.earlier.is_none());
        assert_eq!(*first.hosts, vec!["a:80".to_string()]);
        // The proxy's leg: same signature, one more header, another Host.
        let second = c.next(
            &mut signed("b:80", Some(("Via", "proxy"))),
            Some("10.0.0.2:80"),
        );
        let earlier = second.earlier.as_ref().expect("the client's leg");
        assert_eq!(
            crate::http::Headers::header(earlier, "host").unwrap(),
            "a:80"
        );
        assert_eq!(*second.hosts, vec!["a:80".to_string(), "b:80".to_string()]);
        let ctx = second.as_context();
        assert_eq!(ctx.seen_hosts.len(), 2);
        assert!(ctx.earlier_leg.is_some());
        // No new Host: the list is shared, not copied.
        let third = c.next(&mut signed("a:80", None), Some("10.0.0.1:80"));
        assert!(Arc::ptr_eq(&second.hosts, &third.hosts));
    }
}

//! What every connection task shares: the [`Ctx`], its counters and its rate-limited notices.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use super::tap::TapOut;
use super::{save, Config};
use crate::engine::{self, KeyCache, Verifier};

/// The counts behind [`super::Stats`], bumped by every connection task.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) connections: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) valid: AtomicU64,
    pub(super) error: AtomicU64,
    pub(super) upstream_errors: AtomicU64,
    pub(super) timeouts: AtomicU64,
    pub(super) bad_requests: AtomicU64,
}

/// Notices of one kind at most once a second, with a count of those left out.
#[derive(Default)]
pub(super) struct RateLimit {
    kinds: Mutex<std::collections::HashMap<&'static str, (std::time::Instant, u64)>>,
}

impl RateLimit {
    fn allow(&self, kind: &'static str) -> Option<u64> {
        let mut m = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        match m.get_mut(kind) {
            Some((last, dropped)) if now.duration_since(*last) < Duration::from_secs(1) => {
                *dropped += 1;
                None
            }
            Some((last, dropped)) => {
                *last = now;
                Some(std::mem::take(dropped))
            }
            None => {
                m.insert(kind, (now, 0));
                Some(0)
            }
        }
    }
}

/// What every connection task shares.
pub(crate) struct Ctx {
    pub(super) cfg: Config,
    pub(super) local: SocketAddr,
    pub(super) cache: KeyCache,
    pub(super) counters: Counters,
    pub(super) out: tokio::sync::mpsc::UnboundedSender<TapOut>,
    pub(super) saver: Option<save::SaveTx>,
    pub(super) http1: hyper::server::conn::http1::Builder,
    pub(super) acceptor: Option<tokio_rustls::TlsAcceptor>,
    pub(crate) connector: Option<tokio_rustls::TlsConnector>,
    pub(super) next_conn: AtomicU64,
    pub(super) next_request: AtomicU64,
    pub(super) limit: RateLimit,
    pub(super) shutdown: tokio::sync::watch::Receiver<bool>,
    /// S3 Express sessions this endpoint handed out (answering CreateSession), newest last.
    pub(super) sessions: Mutex<Vec<engine::s3express::Session>>,
}

/// Sessions kept by the endpoint (the oldest dropped past this; a session lasts 5 minutes).
const SESSIONS_KEPT: usize = 1024;

impl Ctx {
    /// Endpoint mode, a CreateSession that verified: a new S3 Express session (random keys,
    /// 5 minutes), remembered so that the requests signed with it verify. Its secret travels
    /// only in the answer, as S3's does.
    pub(super) fn create_session(
        &self,
        req: &crate::http::Request,
        a: &engine::Analysis,
        now: time::OffsetDateTime,
    ) -> Option<String> {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 74];
        ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let pick = |set: &[u8], b: &[u8]| -> String {
            b.iter()
                .map(|&x| set[usize::from(x) % set.len()] as char)
                .collect()
        };
        let s = engine::s3express::Session::new(
            format!("ASIASIGSCOPE{}", pick(UPPER, &bytes[..8])),
            pick(B64, &bytes[8..48]),
            pick(B64, &bytes[48..]),
            now + time::Duration::seconds(engine::s3express::SESSION_SECS),
            req,
            a.auth.access_key.clone(),
        );
        let body = s.create_session_result();
        let mut all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() >= SESSIONS_KEPT {
            all.remove(0);
        }
        all.push(s);
        Some(body)
    }

    pub(super) fn notice(&self, kind: &'static str, msg: String) {
        tracing::info!(kind, "{}", crate::escape::escape_str(&msg));
        if let Some(dropped) = self.limit.allow(kind) {
            let m = if dropped > 0 {
                format!("{msg} (and {dropped} more like it)")
            } else {
                msg
            };
            let _ = self.out.send(TapOut::Notice(m));
        }
    }

    pub(super) fn verifier(&self) -> Verifier<'_> {
        Verifier {
            keys: &*self.cfg.credentials,
            dialect: self.cfg.dialect,
            cache: &self.cache,
            reveal_keys: false,
        }
    }

    /// Verifies a request as it arrives (no response yet), for the endpoint's answer.
    pub(super) fn verify_now(
        &self,
        request: &crate::http::Request,
    ) -> (engine::Analysis, time::OffsetDateTime) {
        let now = time::OffsetDateTime::now_utc();
        let sessions = self.sessions.lock().map(|s| s.clone()).unwrap_or_default();
        let a = engine::analyze_observed(
            &engine::diagnose::Observed {
                request,
                response: None,
                time: Some(now),
                context: engine::diagnose::Context {
                    seen_hosts: &[],
                    earlier_leg: None,
                    multipart: None,
                    sessions: &sessions,
                },
            },
            &self.verifier(),
        );
        (a, now)
    }
}

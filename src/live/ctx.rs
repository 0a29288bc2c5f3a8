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
}

impl Ctx {
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
        let a = engine::analyze_observed(
            &engine::diagnose::Observed {
                request,
                response: None,
                time: Some(now),
                context: engine::diagnose::Context {
                    seen_hosts: &[],
                    earlier_leg: None,
                    multipart: None,
                    sessions: &[],
                },
            },
            &self.verifier(),
        );
        (a, now)
    }
}

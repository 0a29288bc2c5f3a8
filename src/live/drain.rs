//! Shutdown: connections finish the exchange in flight (up to the drain timeout), then the
//! feed and the saved file are flushed and the run says what it did ([`Stats`]).

use std::sync::atomic::Ordering;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::ctx::Counters;
use super::tap::TapOut;
use super::{save, Ctx};
use crate::feed::{FeedEvent, FeedSender};

/// What a run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub connections: u64,
    pub refused_connections: u64,
    pub exchanges: u64,
    pub answered_valid: u64,
    pub answered_error: u64,
    pub upstream_errors: u64,
    pub timeouts: u64,
    pub bad_requests: u64,
    pub saved_packets: u64,
    /// Exchanges still in flight when the drain timeout ran out.
    pub abandoned_connections: u64,
}

/// The ends of a session's channels that only [`super::Bound::run`] holds, kept until the
/// accept loop has stopped.
pub(super) struct Ends {
    pub(super) out_tx: UnboundedSender<TapOut>,
    pub(super) stop_tx: tokio::sync::watch::Sender<bool>,
    pub(super) saver: Option<(save::SaveTx, std::thread::JoinHandle<u64>)>,
}

/// After the accept loop: drain the connections, stop the feed (`finisher` is
/// [`super::finish::finish_loop`]) and the saver, and send the last notice and
/// [`FeedEvent::Done`].
pub(super) async fn wind_down(
    ctx: &Ctx,
    ends: Ends,
    finisher: JoinHandle<u64>,
    permits: &Semaphore,
    max: usize,
    feed: &FeedSender,
) -> Stats {
    let Ends {
        out_tx,
        stop_tx,
        saver,
    } = ends;
    let abandoned = drain(ctx, &stop_tx, permits, max).await;
    let _ = out_tx.send(TapOut::Stop);
    drop(out_tx);
    let exchanges = finisher.await.unwrap_or(0);
    let mut saved_packets = 0;
    if let Some((s, h)) = saver {
        let _ = s.send(save::SaveMsg::Stop);
        drop(s);
        saved_packets = tokio::task::spawn_blocking(move || h.join().unwrap_or(0))
            .await
            .unwrap_or(0);
    }
    let stats = stats(&ctx.counters, exchanges, saved_packets, abandoned);
    let _ = feed.send(FeedEvent::Notice(format!(
        "stopped: {} on {} ({} refused){}",
        crate::words::count_s(stats.exchanges, "exchange"),
        crate::words::count_s(stats.connections, "connection"),
        stats.refused_connections,
        if saved_packets > 0 {
            format!("; {} saved", crate::words::count_s(saved_packets, "packet"))
        } else {
            String::new()
        }
    )));
    let _ = feed.send(FeedEvent::Done);
    stats
}

/// Tells every connection to stop after its exchange in flight, then waits (up to the drain
/// timeout) for all `max` permits to come back. Returns how many connections did not.
async fn drain(
    ctx: &Ctx,
    stop_tx: &tokio::sync::watch::Sender<bool>,
    permits: &Semaphore,
    max: usize,
) -> u64 {
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(
        ctx.cfg.limits.drain_timeout,
        permits.acquire_many(max as u32),
    )
    .await;
    let abandoned = if drained.is_ok() {
        0
    } else {
        (max - permits.available_permits()) as u64
    };
    if abandoned > 0 {
        ctx.notice(
            "drain",
            format!("{abandoned} connection(s) still busy after the drain timeout; left unsaved"),
        );
    }
    abandoned
}

fn stats(c: &Counters, exchanges: u64, saved_packets: u64, abandoned: u64) -> Stats {
    Stats {
        connections: c.connections.load(Ordering::Relaxed),
        refused_connections: c.refused.load(Ordering::Relaxed),
        exchanges,
        answered_valid: c.valid.load(Ordering::Relaxed),
        answered_error: c.error.load(Ordering::Relaxed),
        upstream_errors: c.upstream_errors.load(Ordering::Relaxed),
        timeouts: c.timeouts.load(Ordering::Relaxed),
        bad_requests: c.bad_requests.load(Ordering::Relaxed),
        saved_packets,
        abandoned_connections: abandoned,
    }
}

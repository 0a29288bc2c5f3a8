//! The capture thread's exchanges on their way to the feed: offered in batches to a bounded
//! queue that a forwarding thread empties into the feed. The capture thread never waits:
//! when the queue is full the batch is not shown (counted, and said on the status line);
//! packets are never dropped for the display's sake, and the saved file has them all.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedSender};

/// The capture thread's end.
pub struct Handoff {
    tx: SyncSender<Vec<Exchange>>,
    /// Exchanges held by the queue now.
    queued: Arc<AtomicU64>,
    capacity: u64,
    dropped: AtomicU64,
}

/// What [`Handoff::finish`] says.
pub struct Sent {
    pub dropped: u64,
}

/// The hand-off (at most `capacity` exchanges queued) and its forwarding thread, which
/// returns how many exchanges it forwarded. Exchanges are numbered again as forwarded, so
/// that the feed's indexes stay contiguous when some were not shown.
pub fn start(feed: FeedSender, capacity: usize) -> (Handoff, std::thread::JoinHandle<u64>) {
    // Batches, not exchanges, travel: the channel's own bound only keeps it from growing when
    // many tiny batches queue; the count of exchanges is `queued`.
    let (tx, rx) = sync_channel::<Vec<Exchange>>(1024);
    let queued = Arc::new(AtomicU64::new(0));
    let q = queued.clone();
    let forwarder = std::thread::Builder::new()
        .name("sigscope-capture-feed".into())
        .spawn(move || {
            let mut n = 0u64;
            for batch in rx {
                q.fetch_sub(batch.len() as u64, Ordering::Relaxed);
                for mut x in batch {
                    x.index = n as usize;
                    n += 1;
                    if feed.send(FeedEvent::Exchange(Box::new(x))).is_err() {
                        // The consumer has gone (the UI quit): nothing more to show.
                        continue;
                    }
                }
            }
            n
        })
        .expect("spawning the capture's feed thread");
    let hand = Handoff {
        tx,
        queued,
        capacity: capacity.max(1) as u64,
        dropped: AtomicU64::new(0),
    };
    (hand, forwarder)
}

impl Handoff {
    /// Queues `batch` unless the queue is full, in which case it is counted as not shown.
    /// Never blocks.
    pub fn offer(&self, batch: Vec<Exchange>) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        if self.queued.load(Ordering::Relaxed) + n > self.capacity {
            self.dropped.fetch_add(n, Ordering::Relaxed);
            return;
        }
        self.queued.fetch_add(n, Ordering::Relaxed);
        match self.tx.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(b) | TrySendError::Disconnected(b)) => {
                self.queued.fetch_sub(b.len() as u64, Ordering::Relaxed);
                self.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Exchanges not shown so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// No more batches: the forwarder ends once it has forwarded what is queued.
    pub fn finish(self) -> Sent {
        Sent {
            dropped: self.dropped(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> Exchange {
        crate::ingest::raw::from_raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "t", 0)
            .exchanges
            .remove(0)
    }

    #[test]
    fn a_full_queue_drops_batches_counted_and_never_blocks() {
        let (tx, mut rx) = crate::feed::channel();
        // A forwarder that cannot run yet: hold the queue full by offering more than it takes.
        let (hand, fwd) = start(tx, 3);
        // Queue bound 3: the first batch of 3 fits; while it is queued another cannot, unless
        // the forwarder already took it. Either way none is lost without being counted.
        for _ in 0..50 {
            hand.offer(vec![x(), x(), x()]);
        }
        let sent = hand.finish();
        let forwarded = fwd.join().unwrap();
        assert_eq!(forwarded + sent.dropped, 150);
        let mut idx = Vec::new();
        while let Ok(FeedEvent::Exchange(e)) = rx.try_recv() {
            idx.push(e.index);
        }
        assert_eq!(idx, (0..forwarded as usize).collect::<Vec<_>>());
    }

    #[test]
    fn a_batch_larger_than_the_queue_is_not_shown() {
        let (tx, _rx) = crate::feed::channel();
        let (hand, fwd) = start(tx, 2);
        hand.offer(vec![x(), x(), x()]);
        assert_eq!(hand.dropped(), 3);
        drop(hand);
        assert_eq!(fwd.join().unwrap(), 0);
    }
}

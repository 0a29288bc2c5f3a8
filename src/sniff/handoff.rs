//! The capture thread's exchanges on their way to whoever shows them: a queue bounded in
//! exchanges, which the consumer (the JSON printer, or the thread that feeds the UI) empties.
//! The capture thread never waits: when the consumer is that far behind, the batch is not
//! shown (counted, and said on the status line and at the end); packets are never dropped
//! for the display's sake, and the saved file has them all. Notices, status lines and the
//! end are always queued (they are few).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedSender};

#[derive(Default)]
struct Queue {
    events: VecDeque<FeedEvent>,
    /// Exchanges among `events`.
    exchanges: u64,
    /// The capture side has gone: `recv` returns `None` once `events` is empty.
    closed: bool,
}

struct Shared {
    q: Mutex<Queue>,
    ready: Condvar,
    capacity: u64,
    dropped: AtomicU64,
}

/// The capture thread's end.
pub struct Handoff {
    shared: Arc<Shared>,
    /// Exchanges numbered in the order they are queued, so that the feed's indexes stay
    /// contiguous when some were not shown.
    next_index: usize,
}

/// The consumer's end.
pub struct Incoming {
    shared: Arc<Shared>,
}

/// A hand-off holding at most `capacity` exchanges.
pub fn channel(capacity: usize) -> (Handoff, Incoming) {
    let shared = Arc::new(Shared {
        q: Mutex::default(),
        ready: Condvar::new(),
        capacity: capacity.max(1) as u64,
        dropped: AtomicU64::new(0),
    });
    (
        Handoff {
            shared: shared.clone(),
            next_index: 0,
        },
        Incoming { shared },
    )
}

impl Handoff {
    /// Queues `batch` unless the consumer is more than the capacity behind, in which case
    /// the batch is counted as not shown. Never blocks beyond taking the lock.
    pub fn offer(&mut self, batch: Vec<Exchange>) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        let mut q = self.shared.q.lock().unwrap_or_else(|p| p.into_inner());
        if q.exchanges + n > self.shared.capacity {
            self.shared.dropped.fetch_add(n, Ordering::Relaxed);
            return;
        }
        q.exchanges += n;
        for mut x in batch {
            x.index = self.next_index;
            self.next_index += 1;
            q.events.push_back(FeedEvent::Exchange(Box::new(x)));
        }
        drop(q);
        self.shared.ready.notify_one();
    }

    /// A notice, status line or the end: always queued.
    pub fn send(&self, ev: FeedEvent) {
        let mut q = self.shared.q.lock().unwrap_or_else(|p| p.into_inner());
        if let (FeedEvent::Status(_), Some(FeedEvent::Status(_))) = (&ev, q.events.back()) {
            // A newer status replaces one not yet shown.
            q.events.pop_back();
        }
        q.events.push_back(ev);
        drop(q);
        self.shared.ready.notify_one();
    }

    /// Exchanges not shown so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        let mut q = self.shared.q.lock().unwrap_or_else(|p| p.into_inner());
        q.closed = true;
        drop(q);
        self.shared.ready.notify_all();
    }
}

impl Incoming {
    /// The next event, waiting for one; `None` once the capture side has gone and everything
    /// queued was taken.
    pub fn recv(&self) -> Option<FeedEvent> {
        let mut q = self.shared.q.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(ev) = q.events.pop_front() {
                if matches!(ev, FeedEvent::Exchange(_)) {
                    q.exchanges -= 1;
                }
                return Some(ev);
            }
            if q.closed {
                return None;
            }
            q = self.shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// For the UI, which drains its feed into its own store as fast as it comes: a thread
    /// moving every event into `feed`. Returns how many exchanges it moved.
    pub fn forward(self, feed: FeedSender) -> std::thread::JoinHandle<u64> {
        std::thread::Builder::new()
            .name("sigscope-capture-feed".into())
            .spawn(move || {
                let mut n = 0;
                while let Some(ev) = self.recv() {
                    n += u64::from(matches!(ev, FeedEvent::Exchange(_)));
                    // The UI may have quit: what is left is drained, not shown.
                    let _ = feed.send(ev);
                }
                n
            })
            .expect("spawning the capture's feed thread")
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
    fn a_consumer_behind_by_the_capacity_loses_updates_counted_never_notices() {
        let (mut hand, rx) = channel(5);
        for _ in 0..4 {
            hand.offer(vec![x(), x()]);
            hand.send(FeedEvent::Notice("n".into()));
        }
        // 2 + 2 fit (4 of 5); the third and fourth batches would make 6: not shown.
        assert_eq!(hand.dropped(), 4);
        rx.recv().unwrap();
        // One taken: 3 queued, a batch of 2 fits again.
        hand.offer(vec![x(), x()]);
        assert_eq!(hand.dropped(), 4);
        hand.send(FeedEvent::Done);
        drop(hand);
        let mut idx = Vec::new();
        let mut notices = 0;
        let mut done = false;
        while let Some(ev) = rx.recv() {
            match ev {
                FeedEvent::Exchange(e) => idx.push(e.index),
                FeedEvent::Notice(_) => notices += 1,
                FeedEvent::Done => done = true,
                _ => {}
            }
        }
        assert_eq!(idx, [1, 2, 3, 4, 5]);
        assert_eq!(notices, 4);
        assert!(done);
    }

    #[test]
    fn forwarding_moves_everything_in_order() {
        let (mut hand, rx) = channel(100);
        let (tx, mut feed) = crate::feed::channel();
        let fwd = rx.forward(tx);
        hand.offer(vec![x(), x(), x()]);
        hand.send(FeedEvent::Status("s".into()));
        hand.send(FeedEvent::Done);
        drop(hand);
        assert_eq!(fwd.join().unwrap(), 3);
        let mut kinds = Vec::new();
        while let Ok(ev) = feed.try_recv() {
            kinds.push(match ev {
                FeedEvent::Exchange(e) => format!("x{}", e.index),
                FeedEvent::Status(_) => "status".into(),
                FeedEvent::Done => "done".into(),
                _ => "other".into(),
            });
        }
        assert_eq!(kinds, ["x0", "x1", "x2", "status", "done"]);
    }
}

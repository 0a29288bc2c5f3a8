//! What feeds the TUI and the live printers: exchanges as they are read from a file or received
//! by the listener, in order, through a channel. Producers run on their own threads or tasks;
//! consumers never block on them.

use crate::exchange::Exchange;

#[derive(Debug)]
pub enum FeedEvent {
    /// One more exchange; `index` is already set by the producer, increasing from 0.
    Exchange(Box<Exchange>),
    /// Bytes read of the input being loaded, for a progress bar (`size` 0 when unknown).
    Progress { input: String, read: u64, size: u64 },
    /// Something the user should read (a damaged file, a listener error, a summary). Raw text:
    /// consumers escape it before it reaches a terminal.
    Notice(String),
    /// A live capture's state (packets, drops, connections): replaces the "listening on …"
    /// line the UI shows, rather than adding a notice. Raw text, as notices.
    Status(String),
    /// The producer has finished: every input read, or the listener stopped.
    Done,
}

pub type FeedSender = tokio::sync::mpsc::UnboundedSender<FeedEvent>;
pub type FeedReceiver = tokio::sync::mpsc::UnboundedReceiver<FeedEvent>;

pub fn channel() -> (FeedSender, FeedReceiver) {
    tokio::sync::mpsc::unbounded_channel()
}

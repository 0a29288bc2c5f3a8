//! Reading the inputs: a thread of its own that sends each exchange to the UI as soon as it is
//! complete, with progress and notices.

use std::path::PathBuf;
use std::sync::Arc;

use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedSender};

/// Where exchanges come from when the UI reads files.
#[derive(Clone, Debug)]
pub enum Source {
    Path(PathBuf),
    /// Bytes built into the binary (the demo capture), with the name shown.
    Embedded {
        name: String,
        data: &'static [u8],
    },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Embedded { name, .. } => name.clone(),
        }
    }
}

/// Background threads yield to the UI thread: on a busy machine a key press is served first.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread (who = 0 is the caller's thread id on Linux);
    // failure only leaves the priority as it was.
    #[allow(unsafe_code)]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Reads the inputs on a thread of its own, sending each exchange as soon as it is complete.
pub fn spawn_loader(
    sources: Vec<Source>,
    copts: crate::capture::Options,
    tx: FeedSender,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("sigscope-read".into())
        .spawn(move || {
            lower_thread_priority();
            let mut total = 0usize;
            for src in sources {
                let name = src.name();
                let ptx = tx.clone();
                let pname = name.clone();
                let mut opts = copts.clone();
                opts.progress = Some(Arc::new(move |read, size| {
                    let _ = ptx.send(FeedEvent::Progress {
                        input: pname.clone(),
                        read,
                        size,
                    });
                }));
                let _ = tx.send(FeedEvent::Progress {
                    input: name.clone(),
                    read: 0,
                    size: 0,
                });
                let mut sink = |x: Exchange| {
                    let _ = tx.send(FeedEvent::Exchange(Box::new(x)));
                };
                let summary = match &src {
                    Source::Path(p) => crate::ingest::stream_path(p, total, &opts, &mut sink),
                    Source::Embedded { data, .. } => {
                        crate::ingest::stream_bytes(data, &name, total, &opts, &mut sink)
                    }
                };
                total += summary.exchanges;
                if let Some(stats) = &summary.capture {
                    let _ = tx.send(FeedEvent::Notice(format!("{name}: {}", stats.summary())));
                    for n in stats.tls_notes.iter().chain(&stats.h2_notes) {
                        let _ = tx.send(FeedEvent::Notice(format!("{name}: {n}")));
                    }
                }
                let errors = !summary.errors.is_empty();
                for e in summary.errors {
                    let _ = tx.send(FeedEvent::Notice(e));
                }
                if summary.exchanges == 0 && summary.capture.is_none() && !errors {
                    let _ = tx.send(FeedEvent::Notice(format!("{name}: no HTTP requests found")));
                }
            }
            let _ = tx.send(FeedEvent::Done);
        })
        .expect("spawn the reader thread")
}

//! The exchanges the UI holds, and the workers that verify them off the UI thread. Changing the
//! dialect or adding a secret starts a new generation: queued work of older generations is
//! dropped and every exchange is verified again, the visible ones first.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use crate::credentials::{Credentials, Secret};
use crate::engine::diagnose::servers::{Judge, Servers};
use crate::engine::diagnose::Context;
use crate::engine::dialect::Choice;
use crate::engine::{Analysis, Dialect, KeyCache, KeyStore, Verifier};
use crate::exchange::Exchange;
use crate::http::Request;
use crate::pipeline::{CaptureContext, ExchangeContext};
use crate::tui::row::RowInfo;

/// One exchange and what the capture around it said when it arrived (as `report` sees it:
/// the fields of [`ExchangeContext`]).
#[derive(Debug)]
pub struct Item {
    pub x: Exchange,
    pub earlier: Option<Request>,
    pub hosts: Arc<Vec<String>>,
    pub multipart: Option<Arc<crate::engine::payload::multipart::MultipartContext>>,
    /// S3 Express sessions learned before it.
    pub sessions: Arc<Vec<crate::engine::s3express::Session>>,
}

/// Append-only; readers take the lock only to clone a few `Arc`s.
#[derive(Default)]
pub struct Store {
    items: RwLock<Vec<Arc<Item>>>,
    context: Mutex<CaptureContext>,
}

impl Store {
    pub fn len(&self) -> usize {
        self.items.read().map(|v| v.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Arc<Item>> {
        self.items.read().ok()?.get(i).cloned()
    }

    pub fn range(&self, r: Range<usize>) -> Vec<Arc<Item>> {
        match self.items.read() {
            Ok(v) => v[r.start.min(v.len())..r.end.min(v.len())].to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// Adds exchanges in arrival order; returns the range of their positions.
    pub fn extend(&self, xs: Vec<Exchange>) -> Range<usize> {
        let mut items = Vec::with_capacity(xs.len());
        if let Ok(mut context) = self.context.lock() {
            for mut x in xs {
                shrink(&mut x);
                let ExchangeContext {
                    earlier,
                    hosts,
                    multipart,
                    sessions,
                } = context.next_exchange(&mut x);
                items.push(Arc::new(Item {
                    x,
                    earlier,
                    hosts,
                    multipart,
                    sessions,
                }));
            }
        }
        match self.items.write() {
            Ok(mut v) => {
                let start = v.len();
                v.extend(items);
                start..v.len()
            }
            Err(_) => 0..0,
        }
    }
}

/// Gives back what the readers' growing buffers over-allocated: a million exchanges are held.
fn shrink(x: &mut Exchange) {
    let r = &mut x.request;
    r.body.shrink_to_fit();
    r.headers.shrink_to_fit();
    for h in &mut r.headers {
        h.name.shrink_to_fit();
        h.value.shrink_to_fit();
    }
    if let Some(c) = &mut r.raw_chunked_body {
        c.shrink_to_fit();
    }
    r.target.shrink_to_fit();
    if let Some(p) = &mut x.response {
        p.body.shrink_to_fit();
        p.headers.shrink_to_fit();
        for h in &mut p.headers {
            h.name.shrink_to_fit();
            h.value.shrink_to_fit();
        }
    }
    x.notes.shrink_to_fit();
}

/// Secrets from the credentials files plus those typed into the UI (memory only).
#[derive(Default)]
pub struct TuiKeys {
    pub file: Credentials,
    pub entered: BTreeMap<String, Secret>,
}

impl KeyStore for TuiKeys {
    fn secret(&self, access_key: &str) -> Option<&str> {
        self.entered
            .get(access_key)
            .map(|s| s.expose())
            .or_else(|| self.file.secret(access_key))
    }
}

/// What a verification depends on. Immutable; a change makes a new one with `gen + 1`.
pub struct Settings {
    pub gen: u64,
    /// What the user picked: a dialect, or `auto`.
    pub choice: Choice,
    /// The dialect that judges where `judge` does not decide (the picked one; aws for auto).
    pub dialect: &'static Dialect,
    /// Under auto, each server's answers as counted when this generation started: they pick
    /// the dialect of each exchange. A new count that picks otherwise starts a new generation.
    pub judge: Judge,
    pub keys: Arc<TuiKeys>,
    /// Per generation: the alteration-search memo depends on the secrets.
    pub cache: KeyCache,
    pub reveal_keys: bool,
}

impl Settings {
    pub fn new(gen: u64, choice: impl Into<Choice>, keys: Arc<TuiKeys>, reveal: bool) -> Self {
        let choice = choice.into();
        let judge = match choice {
            Choice::Auto => Judge::ByServer(Arc::default()),
            Choice::Dialect(_) => Judge::Fixed,
        };
        Settings {
            gen,
            choice,
            dialect: choice.fallback(),
            judge,
            keys,
            cache: KeyCache::default(),
            reveal_keys: reveal,
        }
    }

    pub fn next(&self, choice: impl Into<Choice>, keys: Arc<TuiKeys>) -> Self {
        Settings::new(self.gen + 1, choice, keys, self.reveal_keys)
    }

    /// The next generation under auto, judged by `servers`' counts.
    pub fn judged_by(&self, servers: Servers) -> Self {
        Settings {
            judge: Judge::ByServer(Arc::new(servers)),
            ..Settings::new(
                self.gen + 1,
                self.choice,
                self.keys.clone(),
                self.reveal_keys,
            )
        }
    }

    /// The counts that judge this generation (under auto).
    pub fn servers(&self) -> Option<&Servers> {
        match &self.judge {
            Judge::ByServer(s) => Some(s),
            Judge::Fixed => None,
        }
    }

    /// The verifier for `item`: under auto, with the dialect its server's answers point to.
    pub fn verifier_for(&self, item: &Item) -> Verifier<'_> {
        let x = &item.x;
        Verifier {
            keys: &*self.keys,
            dialect: self
                .judge
                .dialect_for(self.dialect, x.server.as_deref(), &x.request),
            cache: &self.cache,
            reveal_keys: self.reveal_keys,
        }
    }

    pub fn analyze(&self, item: &Item) -> Analysis {
        let context = Context {
            seen_hosts: &item.hosts,
            earlier_leg: item.earlier.as_ref(),
            multipart: item.multipart.as_deref(),
            sessions: &item.sessions,
        };
        crate::pipeline::analyze(&item.x, context, &self.verifier_for(item))
    }
}

impl Settings {
    /// The rows of `items`, verified, with each server's answer to count (the UI says what
    /// each server's answers point to, and auto judges by them).
    pub fn rows(&self, items: &[Arc<Item>]) -> Vec<RowInfo> {
        let mut keys = Vec::new();
        items
            .iter()
            .map(|it| {
                // One exchange that trips a bug in the engine is marked, not fatal to the rest.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    RowInfo::counted(&it.x, &self.analyze(it), &mut keys)
                }))
                .unwrap_or_else(|_| RowInfo::internal_error())
            })
            .collect()
    }
}

/// Verified rows, handed back to the UI loop.
#[derive(Debug)]
pub struct RowsDone {
    pub gen: u64,
    pub start: usize,
    pub rows: Vec<RowInfo>,
}

struct Queue {
    jobs: VecDeque<(Arc<Settings>, Range<usize>)>,
    closed: bool,
}

/// Exchanges per job: small enough that a new generation starts quickly.
const JOB: usize = 256;

pub struct Pool {
    shared: Arc<(Mutex<Queue>, Condvar)>,
    current: Arc<AtomicU64>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    pub fn new(
        workers: usize,
        store: Arc<Store>,
        done: tokio::sync::mpsc::UnboundedSender<RowsDone>,
    ) -> Pool {
        let shared = Arc::new((
            Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
            }),
            Condvar::new(),
        ));
        let current = Arc::new(AtomicU64::new(0));
        let workers = (0..workers.max(1))
            .map(|n| {
                let (shared, current, store, done) =
                    (shared.clone(), current.clone(), store.clone(), done.clone());
                std::thread::Builder::new()
                    .name(format!("sigscope-verify-{n}"))
                    .spawn(move || {
                        crate::tui::lower_thread_priority();
                        worker(&shared, &current, &store, &done)
                    })
                    .expect("spawn a verification thread")
            })
            .collect();
        Pool {
            shared,
            current,
            workers,
        }
    }

    pub fn submit(&self, settings: &Arc<Settings>, range: Range<usize>) {
        let (m, cv) = &*self.shared;
        if let Ok(mut q) = m.lock() {
            let mut s = range.start;
            while s < range.end {
                let e = (s + JOB).min(range.end);
                q.jobs.push_back((settings.clone(), s..e));
                s = e;
            }
        }
        cv.notify_all();
    }

    /// A new generation: drops queued work and queues everything, `first` before the rest.
    pub fn restart(&self, settings: &Arc<Settings>, total: usize, first: Range<usize>) {
        self.current.store(settings.gen, Ordering::SeqCst);
        if let Ok(mut q) = self.shared.0.lock() {
            q.jobs.clear();
        }
        let first = first.start.min(total)..first.end.min(total);
        self.submit(settings, first.clone());
        self.submit(settings, 0..first.start);
        self.submit(settings, first.end..total);
    }

    pub fn set_generation(&self, gen: u64) {
        self.current.store(gen, Ordering::SeqCst);
    }

    pub fn pending(&self) -> usize {
        self.shared
            .0
            .lock()
            .map(|q| q.jobs.iter().map(|(_, r)| r.len()).sum())
            .unwrap_or(0)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut q) = self.shared.0.lock() {
            q.closed = true;
            q.jobs.clear();
        }
        self.shared.1.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn worker(
    shared: &(Mutex<Queue>, Condvar),
    current: &AtomicU64,
    store: &Store,
    done: &tokio::sync::mpsc::UnboundedSender<RowsDone>,
) {
    let (m, cv) = shared;
    loop {
        let job = {
            let Ok(mut q) = m.lock() else { return };
            loop {
                if q.closed {
                    return;
                }
                if let Some(j) = q.jobs.pop_front() {
                    break j;
                }
                q = match cv.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        let (settings, range) = job;
        if settings.gen != current.load(Ordering::SeqCst) {
            continue;
        }
        let items = store.range(range.clone());
        let rows = settings.rows(&items);
        if done
            .send(RowsDone {
                gen: settings.gen,
                start: range.start,
                rows,
            })
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{dialect, Verdict};

    fn demo() -> Vec<Exchange> {
        let data = include_bytes!("../../samples/demo.pcap");
        let mut v = Vec::new();
        crate::ingest::stream_bytes(data, "demo.pcap", 0, &Default::default(), &mut |x| {
            v.push(x)
        });
        v
    }

    fn keys() -> Arc<TuiKeys> {
        Arc::new(TuiKeys {
            file: Credentials::parse(include_str!("../../samples/demo.credentials")),
            entered: BTreeMap::new(),
        })
    }

    #[test]
    fn pool_verifies_and_a_new_generation_reverifies() {
        let store = Arc::new(Store::default());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pool = Pool::new(2, store.clone(), tx);
        let r = store.extend(demo());
        assert_eq!(r, 0..6);
        let s0 = Arc::new(Settings::new(
            0,
            dialect::by_name("aws").unwrap(),
            keys(),
            false,
        ));
        pool.submit(&s0, r.clone());
        let got = rx.blocking_recv().unwrap();
        assert_eq!((got.gen, got.start, got.rows.len()), (0, 0, 6));
        assert_eq!(got.rows[0].verdict, Verdict::Valid);
        // The seed case under keystone-legacy: the real keystoneclient 0.9.0 rejected it.
        let s1 = Arc::new(s0.next(dialect::by_name("keystone-legacy").unwrap(), keys()));
        pool.restart(&s1, store.len(), 0..1);
        let mut seen = 0;
        while seen < 6 {
            let d = rx.blocking_recv().unwrap();
            assert_eq!(d.gen, 1);
            if d.start == 0 {
                assert_eq!(d.rows[0].verdict, Verdict::Invalid);
            }
            seen += d.rows.len();
        }
    }

    #[test]
    fn entered_secrets_win_over_the_file() {
        let mut k = TuiKeys {
            file: Credentials::parse("[a]\naws_access_key_id=AK\naws_secret_access_key=one\n"),
            entered: BTreeMap::new(),
        };
        assert_eq!(k.secret("AK"), Some("one"));
        k.entered.insert("AK".into(), Secret::new("two"));
        assert_eq!(k.secret("AK"), Some("two"));
        assert_eq!(k.secret("other"), None);
    }
}

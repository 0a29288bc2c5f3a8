//! The report pipeline behind `sigscope report` (and, one exchange at a time, behind `listen`
//! when it prints): read the inputs, take each exchange's capture context, verify on worker
//! threads, write the report in input order.
//!
//! This thread reads and reassembles, workers analyse and format in batches, and a writer
//! thread puts the batches back in order. The capture context (earlier legs, Hosts seen) is
//! sequential, so it is taken on the reading thread, before the work is handed out.

mod context;
mod feed;

use crate::engine::diagnose::servers::{Judge, Servers};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;

pub use context::{analyze, CaptureContext, ExchangeContext};
pub use feed::{print_events, print_feed};

use crate::capture;
use crate::engine::{Mark, Verdict, Verifier};
use crate::exchange::Exchange;
use crate::ingest::{self, Summary};
use crate::report::{self, Format};

/// Exchanges per unit of work handed to a worker thread.
const BATCH: usize = 64;
/// A batch is also sent once its bodies reach this many bytes: large uploads are then
/// verified while the next is read, and freed (for the next body to reuse) instead of all being
/// held until 64 are read (1 GiB of 128 MiB uploads was held whole, and each body's memory
/// faulted in and zeroed anew; `bench/payload/results.md`).
const BATCH_BYTES: usize = 8 << 20;

/// What stopped a run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Writing the report failed (a closed pipe included: callers may treat it as the end).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the output thread panicked")]
    WriterPanicked,
}

/// What a run read and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Exchanges read, over all inputs.
    pub exchanges: usize,
    /// Problems met while reading (each also in its input's [`Summary`]).
    pub errors: usize,
    /// Exchanges whose verdict is invalid or malformed.
    pub invalid: usize,
    /// Each server's answers and the dialects that explain them (not for TSV, which does not
    /// verify).
    pub servers: Servers,
    /// The first [`FAILING_KEPT`] failing exchanges (invalid, malformed, or valid with a body
    /// that does not match), by index.
    pub failing: Vec<usize>,
    /// Exchanges whose verdict is unverified.
    pub unverified: usize,
    /// Exchanges valid under the verifier whose body does not match its signed payload hash
    /// or its Content-MD5 ([`Mark::BodyMismatch`]): failures too.
    pub body_mismatch: usize,
}

/// How many failing exchanges a run names (the count covers them all).
pub const FAILING_KEPT: usize = 20;

/// One input of a run: a path, and the name it is shown under (in each exchange's `source`):
/// the path itself, `stdin` for `-`, or the original name of a pipe kept in a temporary file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub name: String,
}

impl Input {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = ingest::display_name(&path);
        Input { path, name }
    }

    /// `inputs` as given on the command line.
    pub fn all(inputs: &[PathBuf]) -> Vec<Input> {
        inputs.iter().map(Input::new).collect()
    }
}

/// What a worker counts besides the report itself.
#[derive(Default)]
struct Counted {
    servers: Servers,
    /// Ascending: a worker takes batches in order.
    failing: Vec<usize>,
    unverified: usize,
    body_mismatch: usize,
}

impl Counted {
    fn add(&mut self, x: &Exchange, a: &crate::engine::Analysis) {
        let status = x.response.as_ref().map(|r| r.status);
        let mark = Mark::of(status, a);
        let failed =
            matches!(a.verdict, Verdict::Invalid | Verdict::Malformed) || mark.is_failure();
        if failed && self.failing.len() < FAILING_KEPT {
            self.failing.push(x.index);
        }
        self.unverified += usize::from(a.verdict == Verdict::Unverified);
        self.body_mismatch += usize::from(mark == Mark::BodyMismatch);
        if let Some(server) = &x.server {
            use crate::http::Headers;
            let host = x.request.header_text("host");
            self.servers.observe(server, host.as_deref(), status, a);
        }
    }
}

/// One exchange and what the capture around it says.
struct Job {
    exchange: Exchange,
    context: ExchangeContext,
}

/// A formatted batch: its position, the bytes, how many of its exchanges were invalid.
type Done = (u64, Vec<u8>, usize);

/// Reads `inputs` in order, verifies every exchange with `v` (under the dialect `judge` picks
/// for it) and writes the report in `format` to `out`, in input order. `on_input` is told what
/// each input produced once it is read (its problems, a capture's statistics).
pub fn run<W: Write + Send>(
    inputs: &[Input],
    v: &Verifier,
    judge: &Judge,
    format: Format,
    copts: &capture::Options,
    out: W,
    on_input: &mut dyn FnMut(&Input, &Summary),
) -> Result<Outcome, PipelineError> {
    run_as(inputs, v, judge, Some(format), copts, out, on_input)
}

/// The first pass of `--dialect auto`: reads and verifies every exchange, writes nothing, and
/// counts each server's answers ([`Outcome::servers`]), which do not depend on `v`'s dialect.
pub fn survey(
    inputs: &[Input],
    v: &Verifier,
    copts: &capture::Options,
) -> Result<Outcome, PipelineError> {
    run_as(
        inputs,
        v,
        &Judge::Fixed,
        None,
        copts,
        std::io::sink(),
        &mut |_, _| {},
    )
}

/// [`run`], or with no `format` [`survey`].
fn run_as<W: Write + Send>(
    inputs: &[Input],
    v: &Verifier,
    judge: &Judge,
    format: Option<Format>,
    copts: &capture::Options,
    out: W,
    on_input: &mut dyn FnMut(&Input, &Summary),
) -> Result<Outcome, PipelineError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    // A work queue deep enough (16 batches of 64 per worker) that the three threads sharing
    // two cores rarely wait on each other (with 4 per worker, 13% of the two cores went idle);
    // the output queue stays short, so that few output buffers are in flight and the spare
    // ones are reused rather than freed and faulted in again.
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Vec<Job>)>(workers * 16);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(workers * 4);
    // Output buffers go back from the writer to the workers: a batch is ~350 KB of JSON, and a
    // fresh buffer each time costs page faults and reallocations.
    let buffers = Mutex::new(Vec::<Vec<u8>>::new());
    // Analysed jobs go back to the reader thread to be freed there: it allocated them, and
    // memory freed by another thread costs mimalloc (and glibc) far more to reuse — the
    // reader spent a fifth of its time collecting such frees.
    let (spent_tx, spent_rx) = mpsc::channel::<Vec<Job>>();
    std::thread::scope(|scope| {
        let mut tallies = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (done_tx, spent_tx) = (done_tx.clone(), spent_tx.clone());
            let (work_rx, buffers) = (&work_rx, &buffers);
            tallies.push(
                scope.spawn(move || work(work_rx, buffers, &done_tx, &spent_tx, v, judge, format)),
            );
        }
        drop(done_tx);
        drop(spent_tx);
        let buffers = &buffers;
        let writer =
            scope.spawn(move || write_in_order(out, done_rx, buffers, workers * 8, format));
        let (exchanges, errors) = read_inputs(inputs, copts, format, &work_tx, &spent_rx, on_input);
        // The workers finish once the queue is closed and empty; then the writer does.
        drop(work_tx);
        let invalid = match writer.join() {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(PipelineError::WriterPanicked),
        };
        let (mut servers, mut failing) = (Servers::default(), Vec::new());
        let (mut unverified, mut body_mismatch) = (0, 0);
        for t in tallies {
            // A worker that panicked took its counts with it; the report itself is whole.
            if let Ok(c) = t.join() {
                servers.merge(c.servers);
                // Each worker kept its lowest indices, so the lowest overall are among them.
                failing.extend(c.failing);
                unverified += c.unverified;
                body_mismatch += c.body_mismatch;
            }
        }
        failing.sort_unstable();
        failing.truncate(FAILING_KEPT);
        Ok(Outcome {
            exchanges,
            errors,
            invalid,
            servers,
            failing,
            unverified,
            body_mismatch,
        })
    })
}

/// A worker: analyses and formats batches until the queue closes (or the writer is gone);
/// returns what it counted.
fn work(
    work_rx: &Mutex<Receiver<(u64, Vec<Job>)>>,
    buffers: &Mutex<Vec<Vec<u8>>>,
    done_tx: &SyncSender<Done>,
    spent_tx: &mpsc::Sender<Vec<Job>>,
    v: &Verifier,
    judge: &Judge,
    format: Option<Format>,
) -> Counted {
    let mut counted = Counted::default();
    loop {
        let next = work_rx.lock().map(|rx| rx.recv());
        let Ok(Ok((seq, mut jobs))) = next else { break };
        if format != Some(Format::Tsv) {
            // Each body's SHA-256 once, here on the workers (the capture's ordered thread no
            // longer computes it), with an aws-chunked payload's when a checksum needs it:
            // the engine, the payload checksums and the report read them.
            for j in &mut jobs {
                crate::engine::payload::keep_digests(&mut j.exchange.request);
            }
        }
        let spare = buffers.lock().ok().and_then(|mut b| b.pop());
        let (buf, bad) = render_batch(
            &jobs,
            v,
            judge,
            format,
            spare.unwrap_or_default(),
            Some(&mut counted),
        );
        // The reader may be done already; then the jobs are freed here.
        let _ = spent_tx.send(jobs);
        if done_tx.send((seq, buf, bad)).is_err() {
            break;
        }
    }
    counted
}

/// The writer: puts the batches back in order, hands their buffers back (at most `keep`
/// spare); returns how many exchanges were invalid or malformed.
fn write_in_order<W: Write>(
    out: W,
    done_rx: Receiver<Done>,
    buffers: &Mutex<Vec<Vec<u8>>>,
    keep: usize,
    format: Option<Format>,
) -> std::io::Result<usize> {
    // Smaller than a batch of JSON (~350 KB), which then goes to `out` without being copied
    // into the buffer first; the small TSV batches are still gathered.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
    if format == Some(Format::Tsv) {
        out.write_all(report::TSV_HEADER.as_bytes())?;
    }
    let mut pending: BTreeMap<u64, (Vec<u8>, usize)> = BTreeMap::new();
    let (mut next, mut bad) = (0u64, 0usize);
    for (seq, buf, b) in done_rx {
        pending.insert(seq, (buf, b));
        while let Some((buf, b)) = pending.remove(&next) {
            out.write_all(&buf)?;
            bad += b;
            next += 1;
            if let Ok(mut spare) = buffers.lock() {
                if spare.len() < keep {
                    spare.push(buf);
                }
            }
        }
    }
    out.flush()?;
    Ok(bad)
}

/// The reader (the calling thread): reads each input, takes each exchange's context, queues
/// full batches; returns how many exchanges and problems there were.
fn read_inputs(
    inputs: &[Input],
    copts: &capture::Options,
    format: Option<Format>,
    work_tx: &SyncSender<(u64, Vec<Job>)>,
    spent_rx: &Receiver<Vec<Job>>,
    on_input: &mut dyn FnMut(&Input, &Summary),
) -> (usize, usize) {
    let mut context = CaptureContext::default();
    let (mut total, mut errors) = (0usize, 0usize);
    let (mut seq, mut batch) = (0u64, Vec::with_capacity(BATCH));
    let mut batch_bytes = 0usize;
    for input in inputs {
        let mut sink = |mut x: Exchange| {
            // The listing needs no capture context; verification does.
            let ctx = if format == Some(Format::Tsv) {
                ExchangeContext::default()
            } else {
                context.next_exchange(&mut x)
            };
            batch_bytes += x.request.body.len() + x.response.as_ref().map_or(0, |r| r.body.len());
            batch.push(Job {
                exchange: x,
                context: ctx,
            });
            if batch.len() == BATCH || batch_bytes >= BATCH_BYTES {
                batch_bytes = 0;
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                // A closed writer (broken pipe) makes the rest moot; keep draining the input.
                let _ = work_tx.send((seq, full));
                seq += 1;
                while let Ok(spent) = spent_rx.try_recv() {
                    drop(spent);
                }
            }
        };
        let summary = ingest::stream_path_as(&input.path, &input.name, total, copts, &mut sink);
        total += summary.exchanges;
        errors += summary.errors.len();
        on_input(input, &summary);
    }
    if !batch.is_empty() {
        let _ = work_tx.send((seq, batch));
    }
    (total, errors)
}

/// Analyses and formats a batch into `buf` (cleared first); returns the bytes and how many
/// exchanges were invalid or malformed. Without a format it only analyses and counts.
fn render_batch(
    jobs: &[Job],
    v: &Verifier,
    judge: &Judge,
    format: Option<Format>,
    mut buf: Vec<u8>,
    mut counted: Option<&mut Counted>,
) -> (Vec<u8>, usize) {
    buf.clear();
    buf.reserve(jobs.len() * 4096);
    let mut bad = 0;
    for j in jobs {
        let x = &j.exchange;
        if format == Some(Format::Tsv) {
            buf.extend_from_slice(report::to_tsv(x).as_bytes());
            continue;
        }
        let v = Verifier {
            dialect: judge.dialect_for(v.dialect, x.server.as_deref(), &x.request),
            ..*v
        };
        let a = analyze(x, j.context.as_context(), &v);
        if let Some(c) = counted.as_deref_mut() {
            c.add(x, &a);
        }
        bad += render_one(&mut buf, x, &a, format);
    }
    (buf, bad)
}

/// Appends one analysed exchange in `format` (nothing for TSV, written from the exchange
/// alone, or for no format); 1 when it counts as bad for `--check` (invalid or malformed).
fn render_one(
    buf: &mut Vec<u8>,
    x: &crate::exchange::Exchange,
    a: &crate::engine::Analysis,
    format: Option<Format>,
) -> usize {
    // Writing into a Vec cannot fail.
    let _ = match format {
        Some(Format::Json) => {
            report::write_json(buf, x, a);
            buf.push(b'\n');
            Ok(())
        }
        Some(Format::Text) => writeln!(buf, "{}", report::to_text(x, a)),
        Some(Format::Markdown) => write!(buf, "{}", report::to_markdown(x, a)),
        Some(Format::Tsv) | None => Ok(()),
    };
    usize::from(matches!(a.verdict, Verdict::Invalid | Verdict::Malformed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;
    use crate::engine::{dialect, KeyCache};
    use crate::feed::FeedEvent;

    fn sample(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name)
    }

    /// The report of `input` in `format` through [`run`], then through [`print_feed`] fed the
    /// same exchanges one by one; with `auto`, judged by each server's answers (counted first
    /// by [`survey`] for the report, as they come for the feed).
    fn both_ways(input: PathBuf, format: Format, auto: bool) -> (Outcome, Vec<u8>, usize, Vec<u8>) {
        let creds = Credentials::parse(include_str!("../../samples/demo.credentials"));
        let cache = KeyCache::default();
        let v = Verifier {
            keys: &creds,
            dialect: dialect::by_name(if auto { "aws" } else { "keystone-legacy" }).unwrap(),
            cache: &cache,
            reveal_keys: false,
        };
        let opts = capture::Options::default();
        let inputs = [Input::new(&input)];
        let judge = match auto {
            true => Judge::ByServer(std::sync::Arc::new(
                survey(&inputs, &v, &opts).unwrap().servers,
            )),
            false => Judge::Fixed,
        };
        let mut batch_out = Vec::new();
        let mut seen = Vec::new();
        let outcome = run(
            &inputs,
            &v,
            &judge,
            format,
            &opts,
            &mut batch_out,
            &mut |p, s| seen.push((p.path.clone(), s.exchanges)),
        )
        .unwrap();
        assert_eq!(seen, vec![(input.clone(), outcome.exchanges)]);
        let (tx, rx) = crate::feed::channel();
        ingest::stream_path(&input, 0, &opts, &mut |x| {
            let _ = tx.send(FeedEvent::Exchange(Box::new(x)));
        });
        let _ = tx.send(FeedEvent::Done);
        let mut feed_out = Vec::new();
        let bad = print_feed(rx, &v, auto, format, &mut feed_out, &mut |_| {}).unwrap();
        (outcome, batch_out, bad, feed_out)
    }

    fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn the_live_printer_writes_what_the_report_writes() {
        for format in [Format::Json, Format::Text, Format::Markdown, Format::Tsv] {
            let (outcome, batch, bad, feed) = both_ways(sample("demo.http"), format, false);
            assert_eq!(outcome.exchanges, 6, "{format:?}");
            assert_eq!(outcome.errors, 0);
            assert_eq!(batch, feed, "{format:?}");
            assert_eq!(outcome.invalid, bad, "{format:?}");
        }
        // Under keystone-legacy the seed request is invalid (the real keystoneclient 0.9.0
        // rejected it); the listing verifies nothing.
        let demo = || sample("demo.http");
        assert!(both_ways(demo(), Format::Json, false).0.invalid > 0);
        assert_eq!(both_ways(demo(), Format::Tsv, false).0.invalid, 0);
        let (_, json, _, _) = both_ways(demo(), Format::Json, false);
        let indexes: Vec<u64> = json_lines(&json)
            .iter()
            .map(|l| l["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, vec![0, 1, 2, 3, 4, 5]);
    }

    /// `--dialect auto` on the demo capture: the heat endpoint refused the seed request (its
    /// real python-keystoneclient 0.9.0 did), so its requests are judged as keystone-legacy,
    /// under which the seed is invalid; the S3 requests the same server accepted stay judged
    /// as aws. The live printer, counting answers as they come, says the same here.
    #[test]
    fn auto_judges_each_server_as_its_answers_say() {
        let (outcome, batch, bad, feed) = both_ways(sample("demo.pcap"), Format::Json, true);
        assert_eq!(batch, feed);
        assert_eq!((outcome.invalid, bad), (1, 1));
        let lines = json_lines(&batch);
        assert_eq!(lines[0]["verifier"], "keystone-legacy");
        assert_eq!(lines[0]["verdict"], "invalid");
        for l in &lines[1..] {
            assert_eq!(l["verifier"], "aws", "{l}");
            assert_ne!(l["verdict"], "invalid", "{l}");
        }
    }
}

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use sigscope::capture;
use sigscope::credentials::Credentials;
use sigscope::engine::{self, dialect, KeyCache, Verdict, Verifier};
use sigscope::input;
use sigscope::report;

// The capture pipeline allocates on the reader thread and frees on the workers (and the
// reverse) millions of times: glibc's malloc spent ~25% of the run in malloc/free and
// malloc_consolidate there; mimalloc's thread-local free lists make the cross-thread pattern cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Shows why a signed HTTP request (AWS SigV4, S3 SigV2, EC2/Query) was rejected.
#[derive(Parser, Debug)]
#[command(name = "sigscope", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Inputs to inspect (pcap, pcapng, HAR, raw HTTP); same as `sigscope report INPUT...`.
    inputs: Vec<PathBuf>,

    #[command(flatten)]
    opts: ReportOpts,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify every request in the inputs and print a report (non-interactive).
    Report {
        /// pcap/pcapng captures, HAR files, or raw HTTP files (requests and responses in wire
        /// form); recognised from their content.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        opts: ReportOpts,
    },
    /// List the dialects and their knobs.
    Dialects {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug, Clone)]
struct ReportOpts {
    /// AWS shared-credentials file (default: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
    /// plus AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, plus INPUT.credentials beside an input).
    #[arg(long, global = true)]
    credentials: Option<PathBuf>,
    /// Verifier dialect for the verdict (see `sigscope dialects`).
    #[arg(long, global = true, default_value = "aws")]
    dialect: String,
    /// Output format (default: json when stdout is not a terminal, text otherwise); tsv lists
    /// the requests without verifying them.
    #[arg(long, global = true, value_enum)]
    format: Option<Format>,
    /// Exit with status 3 when any exchange is invalid or malformed.
    #[arg(long, global = true)]
    check: bool,
    /// Show derived signing keys (kDate…kSigning) in full instead of their first bytes.
    #[arg(long, global = true)]
    reveal_derived_keys: bool,
    /// Keep at most this many bytes of each body from captures (length and SHA-256 are
    /// computed over the whole body); accepts K, M, G suffixes.
    #[arg(long, global = true, default_value = "8M", value_parser = parse_size)]
    body_cap: usize,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Json,
    Text,
    Markdown,
    /// One tab-separated line per request, without verification: the capture's inventory, as
    /// `tshark -T fields` would list it.
    Tsv,
}

/// Exchanges per unit of work handed to a worker thread.
const BATCH: usize = 64;

/// One exchange and what the capture around it says.
struct Job {
    exchange: sigscope::exchange::Exchange,
    earlier: Option<sigscope::http::Request>,
    hosts: std::sync::Arc<Vec<String>>,
}

/// Analyses and formats a batch; returns the output bytes and how many were invalid/malformed.
fn render_batch(jobs: &[Job], v: &Verifier, format: Format, mut buf: Vec<u8>) -> (Vec<u8>, usize) {
    buf.clear();
    buf.reserve(jobs.len() * 4096);
    let mut bad = 0;
    for j in jobs {
        let x = &j.exchange;
        if format == Format::Tsv {
            buf.extend_from_slice(report::to_tsv(x).as_bytes());
            continue;
        }
        let a = engine::analyze_observed(
            &engine::diagnose::Observed {
                request: &x.request,
                response: x.response.as_ref(),
                time: x.time,
                context: engine::diagnose::Context {
                    seen_hosts: &j.hosts,
                    earlier_leg: j.earlier.as_ref(),
                },
            },
            v,
        );
        if matches!(a.verdict, Verdict::Invalid | Verdict::Malformed) {
            bad += 1;
        }
        // Writing into a Vec cannot fail.
        let _ = match format {
            Format::Json => {
                report::write_json(&mut buf, x, &a);
                buf.push(b'\n');
                Ok(())
            }
            Format::Text => writeln!(buf, "{}", report::to_text(x, &a)),
            Format::Markdown => write!(buf, "{}", report::to_markdown(x, &a)),
            Format::Tsv => Ok(()),
        };
    }
    (buf, bad)
}

fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1usize << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (e.g. 65536, 64K, 8M)"))
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sigscope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Dialects { json }) => {
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, dialect::ALL)?;
                writeln!(out)?;
            } else {
                for d in dialect::ALL {
                    writeln!(out, "{}", dialect::describe(d))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Report { inputs, opts }) => report_cmd(&inputs, &opts),
        None if !cli.inputs.is_empty() => report_cmd(&cli.inputs, &cli.opts),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(ExitCode::from(2))
        }
    }
}

fn report_cmd(inputs: &[PathBuf], opts: &ReportOpts) -> Result<ExitCode> {
    let Some(verifier) = dialect::by_name(&opts.dialect) else {
        bail!(
            "unknown dialect `{}`; known: {}",
            opts.dialect,
            dialect::names().join(", ")
        );
    };
    let env = |k: &str| std::env::var(k).ok();
    let creds = match &opts.credentials {
        Some(p) => {
            let mut c = Credentials::load_file(p).with_context(|| "loading --credentials")?;
            if let Some(e) = Credentials::from_env_vars(env) {
                c.entries.push(e);
            }
            c
        }
        None => {
            let mut c = Credentials::default_sources(env)?;
            // A capture shipped with its test keys (`demo.http` + `demo.credentials`) is
            // verifiable as is; said on stderr so nobody wonders where a secret came from.
            for path in inputs {
                let side = path.with_extension("credentials");
                if side.is_file() && side != *path {
                    eprintln!(
                        "sigscope: using credentials beside the input: {}",
                        side.display()
                    );
                    c.merge(Credentials::load_file(&side)?);
                }
            }
            c
        }
    };
    for w in &creds.warnings {
        eprintln!("sigscope: credentials: {w}");
    }
    let format = opts.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    let cache = KeyCache::default();
    let v = Verifier {
        keys: &creds,
        dialect: verifier,
        cache: &cache,
        reveal_keys: opts.reveal_derived_keys,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout());
    let (mut total, mut bad, mut errors) = (0usize, 0usize, 0usize);
    let progress: Option<capture::Progress> = std::io::stderr().is_terminal().then(|| {
        let p: capture::Progress = std::sync::Arc::new(|read, size| {
            if size < 64 << 20 {
                return;
            }
            let pct = (read * 100).checked_div(size).unwrap_or(0);
            eprint!(
                "\rsigscope: reading… {} MiB of {} MiB ({pct}%)\x1b[K",
                read >> 20,
                size >> 20
            );
            if read >= size {
                eprint!("\r\x1b[K");
            }
        });
        p
    });
    let copts = capture::Options {
        body_cap: opts.body_cap,
        progress,
        ..Default::default()
    };
    // Pipeline: this thread reads and reassembles, workers analyse and format in batches, and the
    // writer puts the batches back in order. The capture context (earlier legs, Hosts seen) is
    // sequential, so it is taken here, before the work is handed out.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    // A work queue deep enough (16 batches of 64 per worker) that the three threads sharing
    // two cores rarely wait on each other (with 4 per worker, 13% of the two cores went idle);
    // the output queue stays short, so that few output buffers are in flight and the spare
    // ones are reused rather than freed and faulted in again.
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<(u64, Vec<Job>)>(workers * 16);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Vec<u8>, usize)>(workers * 4);
    let v = &v;
    // Output buffers go back from the writer to the workers: a batch is ~350 KB of JSON, and a
    // fresh buffer each time costs page faults and reallocations.
    let buffers = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let buffers = &buffers;
    // Analysed jobs go back to the reader thread to be freed there: it allocated them, and
    // memory freed by another thread costs mimalloc (and glibc) far more to reuse — the
    // reader spent a fifth of its time collecting such frees.
    let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<Job>>();
    let result: Result<()> = std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let spent_tx = spent_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((seq, jobs))) = next else { break };
                let spare = buffers.lock().ok().and_then(|mut b| b.pop());
                let (buf, bad) = render_batch(&jobs, v, format, spare.unwrap_or_default());
                // The reader may be done already; then the jobs are freed here.
                let _ = spent_tx.send(jobs);
                if done_tx.send((seq, buf, bad)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        drop(spent_tx);
        let writer = scope.spawn(move || -> std::io::Result<usize> {
            if format == Format::Tsv {
                out.write_all(report::TSV_HEADER.as_bytes())?;
            }
            let mut pending: std::collections::BTreeMap<u64, (Vec<u8>, usize)> = Default::default();
            let (mut next, mut bad) = (0u64, 0usize);
            for (seq, buf, b) in done_rx {
                pending.insert(seq, (buf, b));
                while let Some((buf, b)) = pending.remove(&next) {
                    out.write_all(&buf)?;
                    bad += b;
                    next += 1;
                    if let Ok(mut spare) = buffers.lock() {
                        if spare.len() < workers * 8 {
                            spare.push(buf);
                        }
                    }
                }
            }
            out.flush()?;
            Ok(bad)
        });
        let mut legs = sigscope::exchange::Legs::default();
        let mut hosts = std::sync::Arc::new(Vec::<String>::new());
        let (mut seq, mut batch) = (0u64, Vec::with_capacity(BATCH));
        for path in inputs {
            let mut sink = |x: sigscope::exchange::Exchange| {
                // The listing needs no capture context; verification does.
                let earlier = if format == Format::Tsv {
                    None
                } else {
                    legs.earlier_then_remember(&x.request)
                };
                if legs.hosts.len() != hosts.len() {
                    hosts = std::sync::Arc::new(legs.hosts.clone());
                }
                batch.push(Job {
                    exchange: x,
                    earlier,
                    hosts: hosts.clone(),
                });
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // A closed writer (broken pipe) makes the rest moot; keep draining the input.
                    let _ = work_tx.send((seq, full));
                    seq += 1;
                    while let Ok(spent) = spent_rx.try_recv() {
                        drop(spent);
                    }
                }
            };
            let summary = input::stream_path(path, total, &copts, &mut sink);
            total += summary.exchanges;
            if let Some(stats) = &summary.capture {
                eprintln!("sigscope: {}: {}", path.display(), stats.summary());
            }
            for e in &summary.errors {
                errors += 1;
                eprintln!("sigscope: {}", sigscope::escape::escape_str(e));
            }
        }
        if !batch.is_empty() {
            let _ = work_tx.send((seq, batch));
        }
        drop(work_tx);
        match writer.join() {
            Ok(Ok(b)) => {
                bad = b;
                Ok(())
            }
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(anyhow::anyhow!("the output thread panicked")),
        }
    });
    if let Err(e) = result {
        // A closed pipe (`| head`) ends the run quietly.
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e);
    }
    if total == 0 {
        if errors == 0 {
            eprintln!("sigscope: no HTTP requests found");
        }
        return Ok(ExitCode::from(2));
    }
    if opts.check && bad > 0 {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

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
static GLOBAL: Allocator = Allocator;

/// mimalloc, called without its aligned-allocation path for the usual alignments: `mi_malloc`
/// already aligns to 16 bytes, and the `mimalloc` crate's `_aligned` entry points cost ~30
/// instructions more per call (several million calls per large capture).
struct Allocator;

/// What `mi_malloc` guarantees (`MI_MAX_ALIGN_SIZE` on 64-bit targets).
const MI_MAX_ALIGN: usize = 16;

// SAFETY: every call is forwarded to mimalloc with the layout's size, and the alignment is
// either guaranteed by `mi_malloc`/`mi_realloc` (<= 16) or passed to the aligned variants.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_malloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_zalloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MI_MAX_ALIGN {
            libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

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
    /// Listen on a port as a verifying endpoint (default) or a reverse proxy (--upstream) and
    /// explain each request as it arrives.
    Listen {
        #[command(flatten)]
        listen: Box<ListenOpts>,
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
    /// Verifier dialect for the verdict (see `sigscope dialects`; default aws, or the config
    /// file's).
    #[arg(long, global = true)]
    dialect: Option<String>,
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
    /// computed over the whole body); accepts K, M, G suffixes [default: 8M, or the config
    /// file's].
    #[arg(long, global = true, value_parser = parse_size)]
    body_cap: Option<usize>,
    /// The terminal UI's config file (default $XDG_CONFIG_HOME/sigscope/config.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// No colours in the terminal UI (also when NO_COLOR is set); marks stay visible.
    #[arg(long, global = true)]
    no_color: bool,
    /// Write a log (tracing) to this file; the UI never logs to the screen.
    #[arg(long, global = true)]
    log: Option<PathBuf>,
    /// Write the UI's first-frame and key-to-frame timings to this file as JSON on exit.
    #[arg(long, global = true, hide = true)]
    timings: Option<PathBuf>,
}

/// The demo capture, built in so that `sigscope` alone shows the product.
const DEMO_PCAP: &[u8] = include_bytes!("../samples/demo.pcap");
const DEMO_CREDENTIALS: &str = include_str!("../samples/demo.credentials");

const DEFAULT_BODY_CAP: usize = 8 << 20;

#[derive(clap::Args, Debug, Clone)]
struct ListenOpts {
    /// Port to listen on (0 picks a free one; the address is said on stderr).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Reverse-proxy mode: forward every request to http(s)://host:port and record its answer.
    #[arg(long)]
    upstream: Option<String>,
    /// Forward the client's Host header unchanged (default: Host names the upstream).
    #[arg(long)]
    preserve_host: bool,
    /// Extra CA certificates (PEM) to trust for an https:// upstream.
    #[arg(long)]
    upstream_ca: Option<PathBuf>,
    /// Error-body style of the endpoint (default: inferred from each request).
    #[arg(long, value_enum)]
    respond: Option<sigscope::live::respond::Style>,
    /// Answer 200 to anonymous requests (default: 403 AccessDenied).
    #[arg(long)]
    allow_anonymous: bool,
    /// Region the endpoint claims: requests scoped to another get AuthorizationHeaderMalformed.
    #[arg(long)]
    region: Option<String>,
    /// TLS on the listener: certificate chain (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS on the listener: private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Write every exchange to this pcapng file as it completes.
    #[arg(long)]
    save: Option<PathBuf>,
    /// Largest request head accepted (larger: 431); accepts K, M suffixes.
    #[arg(long, default_value = "64K", value_parser = parse_size)]
    max_header_size: usize,
    /// Most headers in one request.
    #[arg(long, default_value_t = 200)]
    max_headers: usize,
    /// Most connections open at once (more: 503 and close).
    #[arg(long, default_value_t = 16384)]
    max_connections: usize,
    /// Seconds allowed for a request head to arrive (slowloris; also bounds idle keep-alive).
    #[arg(long, default_value = "10", value_parser = parse_secs)]
    header_timeout: std::time::Duration,
    /// Seconds without a byte either way before a connection is closed.
    #[arg(long, default_value = "60", value_parser = parse_secs)]
    idle_timeout: std::time::Duration,
    /// Seconds in-flight exchanges get to finish on shutdown (Ctrl-C, SIGTERM).
    #[arg(long, default_value = "10", value_parser = parse_secs)]
    drain_timeout: std::time::Duration,
}

fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim().trim_end_matches('s');
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e7)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a number of seconds"))
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

fn init_log(path: Option<&std::path::Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the log {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGSCOPE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    Ok(())
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_log(cli.opts.log.as_deref())?;
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
        Some(Command::Listen { listen, opts }) => listen_cmd(&listen, &opts),
        // The UI when a person is looking; the report when a program is.
        None if std::io::stdout().is_terminal() && cli.opts.format.is_none() => {
            tui_cmd(&cli.inputs, &cli.opts)
        }
        None if !cli.inputs.is_empty() => report_cmd(&cli.inputs, &cli.opts),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(ExitCode::from(2))
        }
    }
}

fn pick_dialect(name: &str) -> Result<&'static engine::Dialect> {
    match dialect::by_name(name) {
        Some(d) => Ok(d),
        None => bail!(
            "unknown dialect `{name}`; known: {}",
            dialect::names().join(", ")
        ),
    }
}

/// `--credentials`, else the default sources plus `INPUT.credentials` beside each input.
fn load_credentials(inputs: &[PathBuf], opts: &ReportOpts, quiet: bool) -> Result<Credentials> {
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
                    if !quiet {
                        eprintln!(
                            "sigscope: using credentials beside the input: {}",
                            side.display()
                        );
                    }
                    c.merge(Credentials::load_file(&side)?);
                }
            }
            c
        }
    };
    Ok(creds)
}

/// The UI's settings from the command line and the config file; config problems become
/// notices on the status line, not failures.
struct TuiSetup {
    file: sigscope::tui::config::ConfigFile,
    notices: Vec<String>,
    verifier: &'static engine::Dialect,
    body_cap: usize,
}

fn tui_setup(opts: &ReportOpts) -> Result<TuiSetup> {
    use sigscope::tui;
    let env = |k: &str| std::env::var(k).ok();
    let (file, mut notices) = match &opts.config {
        Some(p) => tui::config::load(p, true),
        None => match tui::config::default_path(env) {
            Some(p) => tui::config::load(&p, false),
            None => Default::default(),
        },
    };
    let dialect_name = opts
        .dialect
        .clone()
        .or(file.dialect.clone())
        .unwrap_or_else(|| "aws".into());
    let verifier = match dialect::by_name(&dialect_name) {
        Some(d) => d,
        None if opts.dialect.is_some() => pick_dialect(&dialect_name)?,
        None => {
            notices.push(format!(
                "config: unknown dialect `{dialect_name}`; using aws"
            ));
            dialect::by_name("aws").expect("aws dialect")
        }
    };
    let body_cap = match (opts.body_cap, &file.body_cap) {
        (Some(c), _) => c,
        (None, Some(s)) => parse_size(s).unwrap_or_else(|e| {
            notices.push(format!("config body_cap: {e}"));
            DEFAULT_BODY_CAP
        }),
        (None, None) => DEFAULT_BODY_CAP,
    };
    Ok(TuiSetup {
        file,
        notices,
        verifier,
        body_cap,
    })
}

impl TuiSetup {
    fn options(mut self, opts: &ReportOpts, creds: Credentials) -> sigscope::tui::Options {
        use sigscope::tui;
        self.notices
            .extend(creds.warnings.iter().map(|w| format!("credentials: {w}")));
        let color = !opts.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let theme = tui::config::Theme::new(&self.file.theme, color, &mut self.notices);
        let (keymap, problems) = tui::keymap::Keymap::with_overrides(&self.file.keys);
        self.notices.extend(problems);
        tui::Options {
            dialect: self.verifier,
            keys: tui::analysis::TuiKeys {
                file: creds,
                entered: Default::default(),
            },
            reveal_keys: opts.reveal_derived_keys,
            theme,
            keymap,
            mask_keys: self.file.mask_access_keys.unwrap_or(false),
            notices: self.notices,
            timings: opts.timings.clone(),
        }
    }
}

fn tui_cmd(inputs: &[PathBuf], opts: &ReportOpts) -> Result<ExitCode> {
    use sigscope::tui;
    let mut setup = tui_setup(opts)?;
    let body_cap = setup.body_cap;
    let mut creds = load_credentials(inputs, opts, true)?;
    let sources: Vec<tui::Source> = if inputs.is_empty() {
        creds.merge(Credentials::parse(DEMO_CREDENTIALS));
        setup.notices.push(
            "no input given: showing the built-in demo capture (samples/demo.pcap) with its test keys"
                .into(),
        );
        vec![tui::Source::Embedded {
            name: "demo.pcap (built in)".into(),
            data: DEMO_PCAP,
        }]
    } else {
        inputs.iter().cloned().map(tui::Source::Path).collect()
    };
    let labels = sources.iter().map(|s| s.name()).collect();
    let topts = setup.options(opts, creds);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (tx, rx) = sigscope::feed::channel();
    let copts = capture::Options {
        body_cap,
        ..Default::default()
    };
    let _loader = tui::spawn_loader(sources, copts, tx);
    rt.block_on(tui::run(topts, labels, None, rx))?;
    // The reader may still be going through a huge file; the process ends here all the same.
    rt.shutdown_background();
    Ok(ExitCode::SUCCESS)
}

fn report_cmd(inputs: &[PathBuf], opts: &ReportOpts) -> Result<ExitCode> {
    let verifier = pick_dialect(opts.dialect.as_deref().unwrap_or("aws"))?;
    let creds = load_credentials(inputs, opts, false)?;
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
    // Smaller than a batch of JSON (~350 KB), which then goes to stdout without being copied
    // into the buffer first; the small TSV batches are still gathered.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout());
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
        body_cap: opts.body_cap.unwrap_or(DEFAULT_BODY_CAP),
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

fn listen_cmd(l: &ListenOpts, opts: &ReportOpts) -> Result<ExitCode> {
    use sigscope::live;
    let verifier = pick_dialect(opts.dialect.as_deref().unwrap_or("aws"))?;
    let creds = load_credentials(&[], opts, false)?;
    for w in &creds.warnings {
        eprintln!("sigscope: credentials: {w}");
    }
    let creds = std::sync::Arc::new(creds);
    let interactive = opts.format.is_none() && std::io::stdout().is_terminal();
    // `--log FILE` takes the server's tracing; otherwise it goes to stderr, but never onto the
    // UI's screen.
    init_log(opts.log.as_deref())?;
    if !interactive {
        let filter = tracing_subscriber::EnvFilter::try_from_env("SIGSCOPE_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .try_init();
    }
    let upstream = l
        .upstream
        .as_deref()
        .map(live::Upstream::parse)
        .transpose()?;
    let cfg = live::Config {
        bind: l.bind,
        port: l.port,
        upstream,
        preserve_host: l.preserve_host,
        upstream_ca: l.upstream_ca.clone(),
        dialect: verifier,
        credentials: creds.clone(),
        policy: live::respond::Policy {
            style: l.respond,
            allow_anonymous: l.allow_anonymous,
            region: l.region.clone(),
        },
        tls: l.tls_cert.clone().zip(l.tls_key.clone()),
        save: l.save.clone(),
        limits: live::Limits {
            max_header_size: l.max_header_size,
            max_headers: l.max_headers,
            body_cap: opts.body_cap.unwrap_or(DEFAULT_BODY_CAP),
            max_connections: l.max_connections,
            header_timeout: l.header_timeout,
            idle_timeout: l.idle_timeout,
            drain_timeout: l.drain_timeout,
        },
    };
    if interactive {
        return listen_interactive(cfg, opts, (*creds).clone());
    }
    let format = opts.format.unwrap_or(Format::Json);
    let (tx, rx) = sigscope::feed::channel();
    let reveal = opts.reveal_derived_keys;
    let printer = std::thread::spawn(move || print_feed(rx, &creds, verifier, reveal, format));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let served = rt.block_on(async move {
        let bound = live::bind(cfg).await?;
        bound.run(tx, shutdown_signal()).await
    });
    let printed = printer
        .join()
        .map_err(|_| anyhow::anyhow!("the output thread panicked"))?;
    served?;
    let bad = match printed {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => return Err(e.into()),
    };
    if opts.check && bad > 0 {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The live session on a terminal: the UI, fed by the listener. Quitting the UI stops the
/// listener, which lets exchanges in flight finish (and be saved) first.
fn listen_interactive(
    cfg: sigscope::live::Config,
    opts: &ReportOpts,
    creds: Credentials,
) -> Result<ExitCode> {
    use sigscope::{live, tui};
    let setup = tui_setup(opts)?;
    let mode = match &cfg.upstream {
        Some(u) => format!("proxy to {}", u.url()),
        None => format!("verifying endpoint ({})", cfg.dialect.name),
    };
    let saving = cfg
        .save
        .as_ref()
        .map(|p| format!(", saving to {}", p.display()))
        .unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    // Bind before the UI takes the terminal, so "address in use" is a plain error.
    let bound = rt.block_on(live::bind(cfg))?;
    let label = format!("listening on {}: {mode}{saving}", bound.local_addr());
    let topts = setup.options(opts, creds);
    let (tx, rx) = sigscope::feed::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(bound.run(tx, async move {
        let _ = stop_rx.await;
    }));
    let ui = rt.block_on(tui::run(topts, vec![], Some(label.clone()), rx));
    let _ = stop_tx.send(());
    let served = rt.block_on(server);
    ui?;
    match served {
        Ok(Ok(stats)) => eprintln!("sigscope: {label}: {} exchanges", stats.exchanges),
        Ok(Err(e)) => return Err(e.into()),
        Err(e) => return Err(anyhow::anyhow!("the listener stopped: {e}")),
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints each exchange of the feed as it arrives (same analysis and formats as `report`),
/// notices on stderr; returns how many were invalid or malformed.
fn print_feed(
    mut rx: sigscope::feed::FeedReceiver,
    creds: &Credentials,
    verifier: &'static engine::Dialect,
    reveal: bool,
    format: Format,
) -> std::io::Result<usize> {
    use sigscope::feed::FeedEvent;
    let cache = KeyCache::default();
    let v = Verifier {
        keys: creds,
        dialect: verifier,
        cache: &cache,
        reveal_keys: reveal,
    };
    let mut out = std::io::stdout().lock();
    if format == Format::Tsv {
        out.write_all(report::TSV_HEADER.as_bytes())?;
        out.flush()?;
    }
    let mut legs = sigscope::exchange::Legs::default();
    let mut hosts = std::sync::Arc::new(Vec::<String>::new());
    let mut bad = 0;
    let mut failed: Option<std::io::Error> = None;
    let mut spare = Vec::new();
    while let Some(ev) = rx.blocking_recv() {
        match ev {
            FeedEvent::Exchange(x) => {
                if failed.is_some() {
                    continue;
                }
                let earlier = legs.earlier_then_remember(&x.request);
                if legs.hosts.len() != hosts.len() {
                    hosts = std::sync::Arc::new(legs.hosts.clone());
                }
                let job = Job {
                    exchange: *x,
                    earlier,
                    hosts: hosts.clone(),
                };
                let (buf, b) = render_batch(
                    std::slice::from_ref(&job),
                    &v,
                    format,
                    std::mem::take(&mut spare),
                );
                bad += b;
                // Keep draining the feed after a closed pipe so the listener is not blocked.
                if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                    failed = Some(e);
                }
                spare = buf;
            }
            FeedEvent::Notice(n) => eprintln!("sigscope: {}", sigscope::escape::escape_str(&n)),
            FeedEvent::Progress { .. } => {}
            FeedEvent::Done => break,
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(bad),
    }
}

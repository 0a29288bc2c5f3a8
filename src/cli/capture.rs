//! `sigscope capture -i IFACE [FILTER…]` (and `sigscope -i IFACE …`): live capture on an
//! interface. On a terminal its exchanges go to the UI; otherwise one JSON line per exchange
//! (the report's formats), as `listen` prints them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};

use sigscope::engine::{KeyCache, Verifier};
use sigscope::report::Format;
use sigscope::sniff;

use super::options::{load_credentials_loudly, parse_secs, parse_size, ReportOpts};
use super::tui::TuiSetup;

/// Exchanges a consumer (the UI's feed, the printer) may fall behind the capture before
/// updates are not shown.
const HANDOFF_CAPACITY: usize = 10_000;

#[derive(clap::Args, Debug, Clone)]
pub struct CaptureOpts {
    /// Interface to capture on (`any`: every interface, Linux); see -D.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// List the interfaces that can be captured on, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    list: bool,
    /// Save the packets as captured to this pcapng file (flushed as they come).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<PathBuf>,
    /// Rotate through this many files (FILE_00001.pcapng, …), keeping the newest.
    #[arg(long, requires = "write", requires = "ring_size", value_name = "N")]
    ring: Option<usize>,
    /// Size of each file of the ring; accepts K, M, G suffixes.
    #[arg(long, requires = "ring", value_parser = parse_size, value_name = "SIZE")]
    ring_size: Option<usize>,
    /// Put the interface in promiscuous mode (off by default: only this host's traffic).
    #[arg(long)]
    promisc: bool,
    /// Hand each packet over as it arrives (libpcap's immediate mode) instead of within 20 ms;
    /// on Linux its buffer then holds far fewer packets: for low rates only.
    #[arg(long)]
    immediate: bool,
    /// Bytes kept of each packet (default: whole packets).
    #[arg(long, default_value_t = sniff::SNAPLEN, value_name = "BYTES")]
    snaplen: i32,
    /// The kernel's capture buffer; accepts K, M suffixes.
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    buffer_size: usize,
    /// Seconds a connection may stay silent before it is read as closed.
    #[arg(long, default_value = "300", value_parser = parse_secs, value_name = "SECS")]
    idle_timeout: std::time::Duration,
    /// Capture filter, as tcpdump takes it (`port 7480`, `tcp port 5000 and host 10.0.0.5`).
    #[arg(value_name = "FILTER")]
    filter: Vec<String>,
}

/// `sigscope -i IFACE …` and `sigscope -D` are `sigscope capture …`, as tcpdump and
/// termshark take them: the arguments with `capture` put in front.
pub fn shorthand(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    let capture = first == "-D"
        || first == "--list-interfaces"
        || first == "--interface"
        || first.starts_with("--interface=")
        || first.starts_with("-i");
    if !capture {
        return args;
    }
    let mut out = args;
    out.insert(1, "capture".into());
    out
}

fn config(
    c: &CaptureOpts,
    iface: &str,
    opts: &ReportOpts,
    body_cap: usize,
) -> Result<sniff::Config> {
    let save = c.write.clone().map(|path| sniff::save::Spec {
        path,
        ring: c.ring.zip(c.ring_size.map(|s| s as u64)),
    });
    Ok(sniff::Config {
        interface: iface.to_string(),
        filter: c.filter.join(" "),
        promisc: c.promisc,
        immediate: c.immediate,
        snaplen: c.snaplen.clamp(64, sniff::SNAPLEN),
        buffer_bytes: i32::try_from(c.buffer_size).unwrap_or(i32::MAX),
        save,
        capture: sigscope::capture::Options {
            body_cap,
            keylog: opts.keylog()?,
            keys_may_grow: true,
            ..Default::default()
        },
        idle_timeout: c.idle_timeout,
        handoff_capacity: HANDOFF_CAPACITY,
    })
}

pub fn run(c: &CaptureOpts, opts: &ReportOpts) -> Result<ExitCode> {
    if c.list {
        match sniff::devices::listing() {
            Ok(l) => print!("{l}"),
            Err(e) => {
                eprintln!("sigscope: {e}");
                return Ok(ExitCode::from(2));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(iface) = c.interface.as_deref() else {
        let names = sniff::devices::names().unwrap_or_default().join(", ");
        eprintln!("sigscope: name the interface to capture on with -i (interfaces here: {names})");
        return Ok(ExitCode::from(2));
    };
    let creds = Arc::new(load_credentials_loudly(&[], opts)?);
    let interactive = opts.format.is_none() && std::io::stdout().is_terminal();
    let setup = TuiSetup::new(opts);
    let cfg = config(c, iface, opts, setup.body_cap)?;
    // Opened before the UI takes the terminal: permissions, the interface and the filter are
    // plain errors on stderr.
    let sniffer = match sniff::open(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sigscope: {}", sigscope::escape::escape_str(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let label = sniffer.label();
    let (hand, incoming) = sniff::handoff::channel(HANDOFF_CAPACITY);
    let st = stop.clone();
    let capturing = std::thread::Builder::new()
        .name("sigscope-capture".into())
        .spawn(move || sniffer.run(hand, &st))
        .context("starting the capture thread")?;
    if interactive {
        let topts = setup.options(opts, (*creds).clone());
        let (tx, rx) = sigscope::feed::channel();
        let forwarder = incoming.forward(tx);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the runtime")?;
        let ui = rt.block_on(sigscope::tui::run(topts, vec![], Some(label.clone()), rx));
        stop.store(true, Ordering::Relaxed);
        let summary = join(capturing)?;
        let _ = forwarder.join();
        ui?;
        eprintln!(
            "sigscope: {}",
            sigscope::escape::escape_str(&summary.line(&label))
        );
        return Ok(ExitCode::SUCCESS);
    }
    watch_signals(stop.clone());
    eprintln!("sigscope: {}", sigscope::escape::escape_str(&label));
    let format = opts.format.unwrap_or(Format::Json);
    let (dialect, reveal_keys, auto) =
        (opts.dialect_or_aws(), opts.reveal_derived_keys, opts.auto());
    let cache = KeyCache::default();
    let v = Verifier {
        keys: &*creds,
        dialect,
        cache: &cache,
        reveal_keys,
    };
    let mut notice = |n: &str| eprintln!("sigscope: {}", sigscope::escape::escape_str(n));
    let mut out = std::io::stdout().lock();
    // The printer takes from the hand-off itself: its bound is how far the printer may fall
    // behind the capture.
    let printed = sigscope::pipeline::print_events(
        &mut || incoming.recv(),
        &v,
        auto,
        format,
        &mut out,
        &mut notice,
    );
    let summary = join(capturing)?;
    notice(&summary.line(&label));
    let bad = match printed {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => return Err(e.into()),
    };
    if summary.ended.is_some() {
        return Ok(ExitCode::from(1));
    }
    if opts.check && bad > 0 {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn join(
    t: std::thread::JoinHandle<Result<sniff::Summary, sniff::SniffError>>,
) -> Result<sniff::Summary> {
    t.join()
        .map_err(|_| anyhow::anyhow!("the capture thread panicked"))?
        .map_err(Into::into)
}

/// Set by SIGINT or SIGTERM.
static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    SIGNALLED.store(true, Ordering::Relaxed);
}

/// Ctrl-C or SIGTERM ends the capture (what was captured is printed and saved first): a
/// plain handler that sets a flag, which a watcher copies into `stop` (the capture loop
/// looks at it between reads, every 50 ms at most).
fn watch_signals(stop: Arc<AtomicBool>) {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installs a handler that only stores to an atomic (async-signal-safe).
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
    let _ = std::thread::Builder::new()
        .name("sigscope-signals".into())
        .spawn(move || {
            while !SIGNALLED.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            stop.store(true, Ordering::Relaxed);
        });
}

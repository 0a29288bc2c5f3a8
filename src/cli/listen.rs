//! `sigscope listen`: a verifying endpoint or a reverse proxy. On a terminal its exchanges go
//! to the UI; otherwise they are printed as they complete, as `report` would print them.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};

use sigscope::credentials::Credentials;
use sigscope::engine::{KeyCache, Verifier};
use sigscope::live;
use sigscope::report::Format;

use super::options::{
    init_log, load_credentials_loudly, parse_secs, parse_size, ReportOpts, DEFAULT_BODY_CAP,
};
use super::tui::TuiSetup;

#[derive(clap::Args, Debug, Clone)]
pub struct ListenOpts {
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
    /// Error-body style of the endpoint (default: inferred from each request); rgw, moto and
    /// garage imitate those servers' refusals (use with --dialect ceph-rgw-16.2, moto, garage).
    #[arg(long, value_enum)]
    respond: Option<live::respond::Style>,
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

impl ListenOpts {
    fn config(&self, opts: &ReportOpts, creds: Arc<Credentials>) -> Result<live::Config> {
        let upstream = self
            .upstream
            .as_deref()
            .map(live::Upstream::parse)
            .transpose()?;
        Ok(live::Config {
            bind: self.bind,
            port: self.port,
            upstream,
            preserve_host: self.preserve_host,
            upstream_ca: self.upstream_ca.clone(),
            dialect: opts.dialect_or_aws(),
            credentials: creds,
            policy: live::respond::Policy {
                style: self.respond,
                allow_anonymous: self.allow_anonymous,
                region: self.region.clone(),
            },
            tls: self.tls_cert.clone().zip(self.tls_key.clone()),
            keylog: opts.keylog.first().cloned(),
            save: self.save.clone(),
            limits: live::Limits {
                max_header_size: self.max_header_size,
                max_headers: self.max_headers,
                body_cap: opts.body_cap.unwrap_or(DEFAULT_BODY_CAP),
                max_connections: self.max_connections,
                header_timeout: self.header_timeout,
                idle_timeout: self.idle_timeout,
                drain_timeout: self.drain_timeout,
            },
        })
    }
}

pub fn run(l: &ListenOpts, opts: &ReportOpts) -> Result<ExitCode> {
    if opts.auto() && l.upstream.is_none() {
        // The endpoint is the server: it answers under one dialect, which must be named.
        eprintln!(
            "sigscope: --dialect auto infers a server's dialect from its answers; as a verifying endpoint, sigscope is the server: name the dialect it answers under (see `sigscope dialects`), or use --upstream to watch a real server's answers"
        );
        return Ok(ExitCode::from(2));
    }
    if !opts.keylog.is_empty() && (l.tls_cert.is_none() || opts.keylog.len() > 1) {
        eprintln!(
            "sigscope: listen --keylog FILE writes the listener's TLS secrets to one file, and needs --tls-cert and --tls-key"
        );
        return Ok(ExitCode::from(2));
    }
    let creds = Arc::new(load_credentials_loudly(&[], opts)?);
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
    let cfg = l.config(opts, creds.clone())?;
    if interactive {
        return run_interactive(cfg, opts, (*creds).clone());
    }
    let format = opts.format.unwrap_or(Format::Json);
    let (tx, rx) = sigscope::feed::channel();
    let (dialect, reveal_keys, auto) = (cfg.dialect, opts.reveal_derived_keys, opts.auto());
    let printer = std::thread::spawn(move || {
        let cache = KeyCache::default();
        let v = Verifier {
            keys: &*creds,
            dialect,
            cache: &cache,
            reveal_keys,
        };
        let mut notice = |n: &str| eprintln!("sigscope: {}", sigscope::escape::escape_str(n));
        let mut out = std::io::stdout().lock();
        sigscope::pipeline::print_feed(rx, &v, auto, format, &mut out, &mut notice)
    });
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
fn run_interactive(cfg: live::Config, opts: &ReportOpts, creds: Credentials) -> Result<ExitCode> {
    let setup = TuiSetup::new(opts);
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
    let mut topts = setup.options(opts, creds);
    // The UI's replays are kept in the saved session, marked as replays of their original.
    let sink = bound.replay_sink();
    topts.save_replay = Some(Box::new(move |x| sink.save(x)));
    let (tx, rx) = sigscope::feed::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(bound.run(tx, async move {
        let _ = stop_rx.await;
    }));
    let ui = rt.block_on(sigscope::tui::run(topts, vec![], Some(label.clone()), rx));
    let _ = stop_tx.send(());
    let served = rt.block_on(server);
    ui?;
    match served {
        Ok(Ok(stats)) => eprintln!(
            "sigscope: {label}: {}",
            sigscope::words::count_s(stats.exchanges, "exchange")
        ),
        Ok(Err(e)) => return Err(e.into()),
        Err(e) => return Err(anyhow::anyhow!("the listener stopped: {e}")),
    }
    Ok(ExitCode::SUCCESS)
}

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
    /// Output format (default: json when stdout is not a terminal, text otherwise).
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
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
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
    let mut write_err: Option<std::io::Error> = None;
    let mut legs = sigscope::exchange::Legs::default();
    for path in inputs {
        let mut sink = |x: sigscope::exchange::Exchange| {
            if write_err.is_some() {
                return;
            }
            let earlier = legs.earlier(&x.request);
            let a = engine::analyze_observed(
                &engine::diagnose::Observed {
                    request: &x.request,
                    response: x.response.as_ref(),
                    time: x.time,
                    context: engine::diagnose::Context {
                        seen_hosts: &legs.hosts,
                        earlier_leg: earlier.as_ref(),
                    },
                },
                &v,
            );
            legs.remember(&x.request);
            if matches!(a.verdict, Verdict::Invalid | Verdict::Malformed) {
                bad += 1;
            }
            let r = match format {
                Format::Json => serde_json::to_writer(&mut out, &report::to_json(&x, &a))
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out)),
                Format::Text => writeln!(out, "{}", report::to_text(&x, &a)),
                Format::Markdown => write!(out, "{}", report::to_markdown(&x, &a)),
            };
            if let Err(e) = r {
                write_err = Some(e);
            }
        };
        let summary = input::stream_path(path, total, &copts, &mut sink);
        if let Some(e) = write_err.take() {
            // A closed pipe (`| head`) ends the run quietly.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(ExitCode::SUCCESS);
            }
            return Err(e.into());
        }
        total += summary.exchanges;
        if let Some(stats) = &summary.capture {
            eprintln!("sigscope: {}: {}", path.display(), stats.summary());
        }
        for e in &summary.errors {
            errors += 1;
            eprintln!("sigscope: {}", sigscope::escape::escape_str(e));
        }
    }
    out.flush()?;
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

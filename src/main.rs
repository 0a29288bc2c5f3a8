//! The `sigscope` binary: parses the command line and hands each subcommand to its file under
//! `cli/`. Everything else is the library's.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod cli;

use cli::listen::ListenOpts;
use cli::options::{init_log, ReportOpts};

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
    /// Capture on an interface (libpcap) and explain each request as it passes: `sigscope
    /// capture -i IFACE [FILTER…]`, or `sigscope -i IFACE [FILTER…]`.
    Capture {
        #[command(flatten)]
        capture: Box<cli::capture::CaptureOpts>,
        #[command(flatten)]
        opts: ReportOpts,
    },
    /// Send one captured request again (as captured, re-signed, or both and every dialect
    /// with --ab) and print the server's new answer beside the captured one.
    Replay {
        #[command(flatten)]
        replay: Box<cli::replay::ReplayOpts>,
        #[command(flatten)]
        opts: ReportOpts,
    },
    /// The dialects and their knobs: where they part, where they agree, their sources.
    Dialects {
        /// One dialect's rules (all of them, side by side, by default).
        name: Option<String>,
        /// Print as JSON (the same as --format json).
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    cli::tune_allocator();
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sigscope: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse_from(cli::capture::shorthand(std::env::args_os().collect()));
    init_log(cli.opts.log.as_deref())?;
    if cli.command.is_none() {
        if let Some(code) = mistyped_subcommand(&cli.inputs) {
            return Ok(code);
        }
    }
    match cli.command {
        Some(Command::Dialects { name, json }) => cli::dialects::run(name, json, &cli.opts),
        Some(Command::Report { inputs, opts }) => cli::report::run(&inputs, &opts),
        Some(Command::Listen { listen, opts }) => cli::listen::run(&listen, &opts),
        Some(Command::Capture { capture, opts }) => cli::capture::run(&capture, &opts),
        Some(Command::Replay { replay, opts }) => cli::replay::run(&replay, &opts),
        // The UI when a person is looking; the report when a program is.
        None if std::io::stdout().is_terminal() && cli.opts.format.is_none() => {
            cli::tui::run(&cli.inputs, &cli.opts)
        }
        None if !cli.inputs.is_empty() => cli::report::run(&cli.inputs, &cli.opts),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            Ok(ExitCode::from(2))
        }
    }
}

/// The error and its causes on one line, like `{:#}`, except that a cause already spelled out
/// by the message before it (an IO error that its wrapper quotes) is not said twice.
fn error_chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// `sigscope reprot x`: the first input is no file but is a subcommand's name mistyped. Said
/// as a usage error (exit 2), since an input list and a subcommand share the first position.
fn mistyped_subcommand(inputs: &[PathBuf]) -> Option<ExitCode> {
    use clap::CommandFactory;
    let first = inputs.first()?.to_str()?;
    if first == "-" || std::path::Path::new(first).exists() {
        return None;
    }
    let cmd = Cli::command();
    let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
    let near = cli::options::closest(first, names.iter().copied())?;
    eprintln!(
        "sigscope: `{}` is neither an input file nor a subcommand; did you mean `{near}`?",
        sigscope::escape::escape_str(first)
    );
    Some(ExitCode::from(2))
}

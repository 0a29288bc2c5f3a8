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
    /// List the dialects and their knobs.
    Dialects {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
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
    init_log(cli.opts.log.as_deref())?;
    match cli.command {
        Some(Command::Dialects { json }) => cli::dialects::run(json),
        Some(Command::Report { inputs, opts }) => cli::report::run(&inputs, &opts),
        Some(Command::Listen { listen, opts }) => cli::listen::run(&listen, &opts),
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

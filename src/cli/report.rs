//! `sigscope report INPUT...` (and `sigscope INPUT...` when stdout is not a terminal): the
//! library's [`pipeline`] with its messages on stderr and its exit status.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use sigscope::capture;
use sigscope::engine::{KeyCache, Verifier};
use sigscope::ingest::{self, Summary};
use sigscope::pipeline::{self, PipelineError};

use super::options::{default_format, load_credentials_loudly, ReportOpts, DEFAULT_BODY_CAP};

pub fn run(inputs: &[PathBuf], opts: &ReportOpts) -> Result<ExitCode> {
    let format = default_format(opts);
    if opts.check && format == sigscope::report::Format::Tsv {
        // TSV lists the requests without verifying them: there is nothing to check.
        eprintln!(
            "sigscope: --check needs a format that verifies (json, text or markdown); tsv lists the requests without verifying them"
        );
        return Ok(ExitCode::from(2));
    }
    let creds = load_credentials_loudly(inputs, opts)?;
    let cache = KeyCache::default();
    let v = Verifier {
        keys: &creds,
        dialect: opts.dialect_or_aws(),
        cache: &cache,
        reveal_keys: opts.reveal_derived_keys,
    };
    let copts = capture::Options {
        body_cap: opts.body_cap.unwrap_or(DEFAULT_BODY_CAP),
        progress: progress(),
        ..Default::default()
    };
    let mut on_input = |path: &Path, summary: &Summary| {
        if let Some(stats) = &summary.capture {
            eprintln!(
                "sigscope: {}: {}",
                ingest::display_name(path),
                stats.summary()
            );
        }
        for e in &summary.errors {
            eprintln!("sigscope: {}", sigscope::escape::escape_str(e));
        }
    };
    let outcome = match pipeline::run(inputs, &v, format, &copts, std::io::stdout(), &mut on_input)
    {
        Ok(o) => o,
        // A closed pipe (`| head`) ends the run quietly.
        Err(PipelineError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return Ok(ExitCode::SUCCESS)
        }
        Err(e) => return Err(e.into()),
    };
    if outcome.exchanges == 0 {
        if outcome.errors == 0 {
            eprintln!("sigscope: no HTTP requests found");
        }
        return Ok(ExitCode::from(2));
    }
    // Each server's dialect from its answers: a summary, so on stderr beside the capture's.
    for line in outcome.servers.lines() {
        eprintln!("sigscope: {}", sigscope::escape::escape_str(&line));
    }
    if opts.check {
        eprintln!("sigscope: {}", check_summary(&outcome));
        if outcome.invalid > 0 || outcome.body_mismatch > 0 {
            return Ok(ExitCode::from(3));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--check`'s one line: how many failed and which, e.g. `2 invalid, 1 unverified of 12: #0 #3`,
/// or with a valid request whose body does not match `1 invalid, 1 valid with a body that does
/// not match, 0 unverified of 12: #0 #7`.
fn check_summary(o: &pipeline::Outcome) -> String {
    let body = match o.body_mismatch {
        0 => String::new(),
        n => format!(", {n} valid with a body that does not match"),
    };
    let mut s = format!(
        "check: {} invalid{body}, {} unverified of {}",
        o.invalid, o.unverified, o.exchanges
    );
    if !o.failing.is_empty() {
        let ids: Vec<String> = o.failing.iter().map(|i| format!("#{i}")).collect();
        s.push_str(": ");
        s.push_str(&ids.join(" "));
        if o.invalid + o.body_mismatch > o.failing.len() {
            s.push_str(" …");
        }
    }
    s
}

/// A progress line on stderr while a large capture (64 MiB or more) is read, when stderr is a
/// terminal.
fn progress() -> Option<capture::Progress> {
    std::io::stderr().is_terminal().then(|| {
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
    })
}

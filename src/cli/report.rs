//! `sigscope report INPUT...` (and `sigscope INPUT...` when stdout is not a terminal): the
//! library's [`pipeline`] with its messages on stderr and its exit status.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use sigscope::capture;
use sigscope::engine::diagnose::servers::Judge;
use sigscope::engine::{KeyCache, Verifier};
use sigscope::ingest::{self, Summary};
use sigscope::pipeline::{self, Input, PipelineError};

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
    // `--dialect auto` reads every input twice; a pipe can be read once, so it is kept.
    let (inputs, _spooled) = match opts.auto() && format != sigscope::report::Format::Tsv {
        true => spool_pipes(inputs)?,
        false => (Input::all(inputs), Vec::new()),
    };
    let inputs = &inputs[..];
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
        keylog: opts.keylog()?,
        ..Default::default()
    };
    let judge = match opts.auto() && format != sigscope::report::Format::Tsv {
        true => Judge::ByServer(Arc::new(pipeline::survey(inputs, &v, &copts)?.servers)),
        false => Judge::Fixed,
    };
    let mut on_input = |input: &Input, summary: &Summary| {
        if let Some(stats) = &summary.capture {
            eprintln!("sigscope: {}: {}", input.name, stats.summary());
            for n in stats.tls_notes.iter().chain(&stats.h2_notes) {
                eprintln!("sigscope: {}: {n}", input.name);
            }
        }
        for e in &summary.errors {
            eprintln!("sigscope: {}", sigscope::escape::escape_str(e));
        }
    };
    let out = std::io::stdout();
    let outcome = match pipeline::run(inputs, &v, &judge, format, &copts, out, &mut on_input) {
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
    let judged = opts.auto().then_some(v.dialect);
    for line in outcome.servers.lines(judged) {
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

/// The inputs of a `--dialect auto` run, which reads each of them twice: a pipe, a FIFO or
/// standard input is copied to a temporary file first (deleted when the returned guards are
/// dropped) and read from there under its own name.
fn spool_pipes(inputs: &[PathBuf]) -> Result<(Vec<Input>, Vec<tempfile::NamedTempFile>)> {
    let mut out = Vec::with_capacity(inputs.len());
    let mut kept = Vec::new();
    for path in inputs {
        let regular = !ingest::is_stdin(path) && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        if regular {
            out.push(Input::new(path));
            continue;
        }
        let name = ingest::display_name(path);
        let mut tmp = tempfile::Builder::new().prefix("sigscope-").tempfile()?;
        let copied = if ingest::is_stdin(path) {
            std::io::copy(&mut std::io::stdin().lock(), tmp.as_file_mut())
        } else {
            std::fs::File::open(path).and_then(|mut f| std::io::copy(&mut f, tmp.as_file_mut()))
        };
        // An unreadable input is reported by the run itself, as without `auto`.
        if copied.is_err() {
            out.push(Input::new(path));
            continue;
        }
        eprintln!(
            "sigscope: --dialect auto reads each input twice: {} ({}) is kept in a temporary file until the report is written",
            sigscope::escape::escape_str(&name),
            sigscope::words::count_s(copied.unwrap_or(0), "byte")
        );
        out.push(Input {
            path: tmp.path().to_path_buf(),
            name,
        });
        kept.push(tmp);
    }
    Ok((out, kept))
}

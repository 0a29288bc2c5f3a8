//! `sigscope dialects [NAME] [--format json]`: where the dialects part and agree, knob by knob,
//! and where their rules were read; or one dialect's rules.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use sigscope::engine::dialect::{self, Choice};
use sigscope::report::Format;

use super::options::{closest, ReportOpts};

pub fn run(name: Option<String>, json: bool, opts: &ReportOpts) -> Result<ExitCode> {
    if let Some(flag) = report_only(opts) {
        eprintln!(
            "sigscope: `dialects` takes no {flag}: it is for report, listen and the terminal UI"
        );
        return Ok(ExitCode::from(2));
    }
    let json = match opts.format {
        Some(Format::Json) => true,
        None | Some(Format::Text) => json,
        Some(f @ (Format::Markdown | Format::Tsv)) => {
            eprintln!(
                "sigscope: `dialects` prints text or json, not {}",
                format!("{f:?}").to_lowercase()
            );
            return Ok(ExitCode::from(2));
        }
    };
    // `--dialect NAME` reads as the name too.
    let name = name.or_else(|| match opts.dialect {
        Some(Choice::Dialect(d)) => Some(d.name.to_string()),
        _ => None,
    });
    let one = match name.as_deref() {
        None => None,
        Some(n) => match dialect::by_name(n) {
            Some(d) => Some(d),
            None => {
                let hint = closest(n, dialect::names())
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                eprintln!(
                    "sigscope: unknown dialect `{}`{hint}; known: {}",
                    sigscope::escape::escape_str(n),
                    dialect::names().join(", ")
                );
                return Ok(ExitCode::from(2));
            }
        },
    };
    match print(one, json) {
        // `| head` closes the pipe: the end, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => r.map(|_| ExitCode::SUCCESS).map_err(Into::into),
    }
}

fn print(one: Option<&'static dialect::Dialect>, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match (one, json) {
        (Some(d), true) => serde_json::to_writer_pretty(&mut out, d)?,
        (None, true) => serde_json::to_writer_pretty(&mut out, dialect::ALL)?,
        (Some(d), false) => write!(out, "{}", dialect::describe(d))?,
        (None, false) => write!(out, "{}", dialect::table())?,
    }
    if json {
        writeln!(out)?;
    }
    out.flush()
}

/// The first option given that only report, listen or the UI read.
fn report_only(o: &ReportOpts) -> Option<&'static str> {
    [
        (o.credentials.is_some(), "--credentials"),
        (o.check, "--check"),
        (o.reveal_derived_keys, "--reveal-derived-keys"),
        (o.body_cap.is_some(), "--body-cap"),
        (o.config.is_some(), "--config"),
        (o.no_color, "--no-color"),
        (o.timings.is_some(), "--timings"),
        (o.dialect.is_some_and(Choice::is_auto), "--dialect auto"),
    ]
    .into_iter()
    .find(|(set, _)| *set)
    .map(|(_, flag)| flag)
}

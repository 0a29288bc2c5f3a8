//! `sigscope dialects [--json]`: the dialects and their knobs.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use sigscope::engine::dialect;

pub fn run(json: bool) -> Result<ExitCode> {
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

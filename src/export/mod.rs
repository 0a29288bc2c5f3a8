//! Writing exchanges out: every export format side by side (the readers are in
//! [`crate::ingest`]). The TUI's copy and save actions use these; `sigscope report` writes
//! the report formats through [`crate::report`].
//!
//! - `curl`: a bash command that re-sends the request ([`curl`], [`curl_to`]);
//! - `raw`: raw HTTP, as `sigscope report` reads it back ([`raw_http`]);
//! - `har`: HAR 1.2 ([`har()`]);
//! - [`json`], [`markdown`]: the report's JSON line and markdown section.
//!
//! Everything here is pure. Captured bytes are hostile until proven otherwise: the curl command
//! quotes every one of them (no capture can make it run anything but curl, nor read a local
//! file), and no export writes a secret (Basic passwords, bearer and session tokens are masked
//! or replaced by environment variables; SigV4/SigV2 signatures are not secrets and stay, so
//! what is exported still verifies).

mod curl;
mod har;
mod raw;
mod secrets;
mod shell;

pub use curl::{body_file, curl, curl_to, BODY_FILE, INLINE_BODY_MAX};
pub use har::har;
pub use raw::raw_http;
pub use shell::shell_quote;

use crate::engine::Analysis;
use crate::exchange::Exchange;

/// The exchange's line of `sigscope report --format json` (no trailing newline).
pub fn json(x: &Exchange, a: &Analysis) -> String {
    serde_json::to_string(&crate::report::to_json(x, a)).unwrap_or_else(|e| {
        serde_json::json!({"index": x.index, "error": e.to_string()}).to_string()
    })
}

/// The exchange as `sigscope report --format markdown` writes it (a bug report section).
pub fn markdown(x: &Exchange, a: &Analysis) -> String {
    crate::report::to_markdown(x, a)
}

/// The URL of the request (`scheme://Host` + target), escaped for display, a presigned
/// session token masked.
pub fn url(x: &Exchange) -> String {
    let mut u = Vec::new();
    crate::exchange::write_url(x, &mut u);
    crate::escape::escape_bytes(&crate::engine::auth::shown_target(&u))
}

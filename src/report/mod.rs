//! `sigscope report`: the non-interactive contract (JSON lines), the same content as text and
//! markdown for people, and the TSV listing.
//!
//! - `contract`: the JSON line's shape ([`JsonExchange`]), serialised with serde ([`to_json`]);
//! - `json`: the fast writer of the same bytes ([`write_json`], what `report` uses), built on
//!   `json_string`, the JSON string escaping (the report's one `unsafe`, an SSE2 scan);
//! - `text`, `markdown`, `tsv`: [`to_text`], [`to_markdown`], [`to_tsv`].
//!
//! The pipeline that reads, verifies and writes these is [`crate::pipeline`].

mod contract;
mod json;
mod json_string;
mod markdown;
mod text;
mod tsv;

pub use contract::{to_json, JsonExchange};
pub use json::write_json;
pub use markdown::to_markdown;
pub use text::to_text;
pub use tsv::{to_tsv, TSV_HEADER};

/// A report format (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Text,
    Markdown,
    /// One tab-separated line per request, without verification: the capture's inventory, as
    /// `tshark -T fields` would list it.
    Tsv,
}

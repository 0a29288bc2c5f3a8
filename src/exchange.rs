//! An exchange: one request, its response when known, and where it came from.

use time::OffsetDateTime;

use crate::engine::Finding;
use crate::http::{Request, Response};

#[derive(Clone, Debug, Default)]
pub struct Exchange {
    pub index: usize,
    /// `file` or `file:frame` / `file:offset`.
    pub source: String,
    pub time: Option<OffsetDateTime>,
    pub client: Option<String>,
    pub server: Option<String>,
    pub request: Request,
    pub response: Option<Response>,
    /// What the capture layer noticed (gaps, no response, truncation), reported with the
    /// engine's findings.
    pub notes: Vec<Finding>,
}

//! sigscope: shows why a signed HTTP request (AWS SigV4, S3 SigV2, EC2/Query) was rejected.
//!
//! The [`engine`] is pure (no IO); around it, [`ingest`] reads every input format,
//! [`export`] writes every export format, [`report`] formats the analysis, and [`pipeline`]
//! runs `sigscope report` (read, take the capture context, verify in parallel, write in
//! order).

pub mod capture;
pub mod credentials;
pub mod engine;
pub mod escape;
pub mod exchange;
pub mod export;
pub mod feed;
#[doc(hidden)]
pub mod fuzz_api;
pub mod http;
pub mod ingest;
pub mod live;
pub mod pipeline;
pub mod replay;
pub mod report;
pub mod sniff;
pub mod tui;
pub mod words;

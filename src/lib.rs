//! sigscope: shows why a signed HTTP request (AWS SigV4, S3 SigV2, EC2/Query) was rejected.
//!
//! The [`engine`] is pure (no IO); [`input`] and [`report`] are the edges around it.

pub mod capture;
pub mod credentials;
pub mod engine;
pub mod escape;
pub mod exchange;
pub mod feed;
pub mod har;
pub mod http;
pub mod input;
pub mod live;
pub mod report;
pub mod tui;

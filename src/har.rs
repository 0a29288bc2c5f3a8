//! The former home of the HAR reader, kept so that `sigscope::har::parse` still works: HAR is
//! read in [`crate::ingest::har`] and written in [`crate::export::har`].

pub use crate::ingest::har::parse;

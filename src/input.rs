//! The former home of the input readers, kept so that `sigscope::input::…` paths still work:
//! they live in [`crate::ingest`] now.

pub use crate::ingest::{from_raw, sniff, stream_bytes, stream_path, Format, Loaded, Summary};

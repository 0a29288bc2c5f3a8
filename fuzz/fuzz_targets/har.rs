//! HAR files (`ingest/har.rs`): JSON, entries, base64 and text bodies, headers, times.
//! The body is `sigscope_fuzz::targets::har`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::har(data));

//! Raw HTTP files (`ingest/raw.rs` over `http.rs`'s tolerant parser): requests, responses,
//! bodies by Content-Length or chunked, pairing.
//! The body is `sigscope_fuzz::targets::raw_http`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::raw_http(data));

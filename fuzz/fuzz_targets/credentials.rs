//! The shared-credentials file (`credentials.rs`): sections, keys, comments. Every access key
//! it read is looked up again.
//! The body is `sigscope_fuzz::targets::credentials`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::credentials(data));

//! The filter grammar of the UI (`tui/filter/`): parsed, and when it parses, evaluated on the
//! exchanges of `samples/demo.http`.
//! The body is `sigscope_fuzz::targets::filter`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::filter(data));

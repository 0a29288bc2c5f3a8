//! The TOML configuration file of the UI (`tui/config.rs`: keymap, colours, dialect…).
//! The body is `sigscope_fuzz::targets::config`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::config(data));

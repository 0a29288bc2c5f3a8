//! The fuzz targets' shared code (issue 19): `targets` holds every target's body, run by
//! `fuzz_targets/*.rs` under libFuzzer and by the normal test suite on the committed
//! regression inputs.

pub mod targets;
pub use targets::{pieces, raw_control, records};

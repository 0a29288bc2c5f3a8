//! Browser uploads (`engine/postpolicy/`): the bounded multipart reader, the policy's base64
//! JSON, its conditions against the form, and the signature under each dialect. Input: a
//! control byte, then the body of a `multipart/form-data` POST; the boundary is the body's
//! first line when it starts with `--`, else one of a list the control byte picks.
//! The body is `sigscope_fuzz::targets::postpolicy`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::postpolicy(data));

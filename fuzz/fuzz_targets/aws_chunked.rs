//! aws-chunked bodies with and without chunk signatures and trailers
//! (`engine::payload::framing`), then the payload checks of a request carrying the body
//! (`engine::payload::examine`: the mode from `x-amz-content-sha256`, the trailer against
//! `x-amz-trailer`, the checksums). Input: a control byte (shape, payload mode, trailer
//! name), then the body.
//! The body is `sigscope_fuzz::targets::aws_chunked`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::aws_chunked(data));

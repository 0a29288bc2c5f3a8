//! Server error bodies (`engine::server_error::parse`): S3/MinIO/RGW XML, Query
//! `ErrorResponse`, JSON, Keystone. Input: a control byte (status, content type), the body.
//! The body is `sigscope_fuzz::targets::server_error`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::server_error(data));

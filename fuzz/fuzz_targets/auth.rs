//! Auth mode detection (`engine::auth::detect`) and each mode's parser behind it: SigV4
//! header and presigned (AWS4, AWS4A, GOOG4: `sigv4/parse.rs`), SigV2 header and presigned,
//! EC2/Query v0–v2 in the URL or a form body, Basic/Bearer/JWT/X-Auth-Token
//! (`engine/tokens.rs`), and the POST policy form's detection. Input: a control byte that
//! picks where the rest goes (and which scheme prefix it gets, so every parser is one byte
//! away), then the bytes.
//! The body is `sigscope_fuzz::targets::auth`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::auth(data));

//! The HTTP/1 message reader of captures (`capture/httpstream.rs`: heads, Content-Length,
//! chunked bodies and trailers, HEAD, 1xx, the switch to HTTP/2) and the raw parser of
//! `http.rs` (`parse_raw`, `decode_chunked`). Input: a control byte (piece size, side, body
//! cap), then the stream.
//! The body is `sigscope_fuzz::targets::http1`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::http1(data));

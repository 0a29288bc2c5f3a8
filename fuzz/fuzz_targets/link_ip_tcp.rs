//! Link, IP and TCP decoding with IP defragmentation (`capture/link.rs`, `capture/decode.rs`).
//! Input: records (tag, frame); the tag picks the link type, one decoder sees every frame so
//! that fragments of one datagram meet.
//! The body is `sigscope_fuzz::targets::link_ip_tcp`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::link_ip_tcp(data));

//! HTTP/2 connections (`capture/h2/`): the preface, frame headers and layouts (padding,
//! priority, CONTINUATION), SETTINGS and their acknowledgement, streams to requests and
//! responses, HPACK through it. Input: a control byte (how the connection started, which
//! side is the client, body cap), then records: bit 0 of the tag is the direction, bit 1
//! makes it a gap of `len` bytes.
//! The body is `sigscope_fuzz::targets::h2_frames`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::h2_frames(data));

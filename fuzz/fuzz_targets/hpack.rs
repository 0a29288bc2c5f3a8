//! HPACK decoding (`capture/h2/decoder.rs`, `huffman.rs`): integers, literals, Huffman
//! strings, the dynamic table and its size updates, a table seen from a connection's start
//! or from its middle. Input: a control byte (table kind and size), then header blocks as
//! records, decoded in turn by one decoder.
//! The body is `sigscope_fuzz::targets::hpack`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::hpack(data));

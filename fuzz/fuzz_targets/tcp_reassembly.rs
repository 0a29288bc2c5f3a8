//! TCP reassembly of one direction (`capture/tcp.rs`) driven by segments decoded from the
//! input: records whose tag's low bit is SYN and whose first four bytes are the sequence
//! number; what is delivered goes on to the HTTP/1 reader, as in a capture.
//! The body is `sigscope_fuzz::targets::tcp_reassembly`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::tcp_reassembly(data));

//! The whole pipeline on one thread: bytes in as a pcap, pcapng, raw HTTP or HAR file (told
//! apart by `ingest::sniff`, as `sigscope report` does), the capture context, the analysis
//! with its diagnosis under the `aws` dialect with the demo keys, then every report format
//! out. Asserts the hostile-input guarantees on the outputs: no control byte of the input
//! reaches the text, markdown or TSV report raw, and every JSON line is JSON.
//! The body is `sigscope_fuzz::targets::pipeline`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::pipeline(data));

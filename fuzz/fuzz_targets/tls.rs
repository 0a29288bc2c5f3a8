//! TLS records and handshakes (`capture/tls/`): record reassembly, hellos, epochs, KeyUpdate,
//! and, with a key log, decryption (TLS 1.3 and 1.2: AES-GCM, ChaCha20-Poly1305, CBC).
//! Input: records (tag, bytes): tag 0xff is key log text (as a pcapng Decryption Secrets
//! Block adds it), else bit 0 is the direction and bit 1 makes it a gap of `len` bytes.
//! The body is `sigscope_fuzz::targets::tls`, which the normal test suite also runs on
//! every committed regression input (tests/engine/fuzz_regressions.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sigscope_fuzz::targets::tls(data));

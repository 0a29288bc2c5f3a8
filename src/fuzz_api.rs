//! What the fuzz targets (`fuzz/`, issue 19) call that the public API does not already give.
//! Hidden from the documentation: not an API of the tool, only the seam the fuzzer needs —
//! single-threaded, no IO. Every other target calls the library's own public parsers.

/// The HPACK decoder of `capture/h2`, fed one header block at a time.
pub use crate::capture::h2::decoder::Decoder as HpackDecoder;
/// A pcap or pcapng file replayed without the reading thread [`crate::capture::replay`] spawns.
pub use crate::capture::replay_on_this_thread;

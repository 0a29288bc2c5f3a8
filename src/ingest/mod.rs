//! Reading exchanges from files: every input format side by side, recognised from the content,
//! not the name. The writers of the same formats are in [`crate::export`].
//!
//! - [`raw`]: raw HTTP ([`from_raw`]);
//! - [`har`]: HAR 1.2 ([`har::parse`]);
//! - [`pcap`]: pcap and pcapng captures, streamed and reassembled ([`crate::capture`]).

use std::path::Path;

use crate::capture;
use crate::exchange::Exchange;

pub mod har;
pub mod raw;

/// pcap and pcapng: the TCP reassembly and HTTP parsing live in [`crate::capture`].
pub use crate::capture as pcap;
pub use raw::{from_raw, Loaded};

/// An input format, as [`sniff`] recognises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    RawHttp,
    Pcap,
    Pcapng,
    Har,
    Unknown,
}

/// The format of an input from its first bytes (it looks at 4 KiB at most).
pub fn sniff(data: &[u8]) -> Format {
    match data.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0xc3, 0xd4])
        | Some([0x4d, 0x3c, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0x3c, 0x4d]) => return Format::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => return Format::Pcapng,
        _ => {}
    }
    let head = &data[..data.len().min(4096)];
    let trimmed: Vec<u8> = head
        .iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace())
        .collect();
    if trimmed.first() == Some(&b'{') && head.windows(5).any(|w| w == b"\"log\"") {
        return Format::Har;
    }
    let first_line = trimmed.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let fl = String::from_utf8_lossy(first_line);
    let fl = fl.trim_end();
    if fl.starts_with("HTTP/")
        || fl.contains(" HTTP/1.")
        || fl.ends_with(" HTTP/2")
        || fl.ends_with(" HTTP/0.9")
    {
        return Format::RawHttp;
    }
    // A request line without a version (HTTP/0.9 style) still starts with a method token.
    if let Some((m, _)) = fl.split_once(' ') {
        if !m.is_empty() && m.len() <= 20 && m.bytes().all(|b| b.is_ascii_uppercase()) {
            return Format::RawHttp;
        }
    }
    Format::Unknown
}

/// What reading one input produced besides its exchanges.
#[derive(Debug, Default)]
pub struct Summary {
    pub format: Option<Format>,
    pub exchanges: usize,
    /// Problems met; everything before each was delivered.
    pub errors: Vec<String>,
    /// pcap/pcapng only.
    pub capture: Option<capture::Stats>,
}

fn capture_summary(stats: capture::Stats, name: &str, format: Format) -> Summary {
    let mut errors = Vec::new();
    if let Some(e) = &stats.error {
        errors.push(format!("{name}: {e} (everything before it was read)"));
    }
    Summary {
        format: Some(format),
        exchanges: stats.exchanges as usize,
        errors,
        capture: Some(stats),
    }
}

/// [`stream_path`] on an input already in memory (the TUI's built-in demo, tests).
pub fn stream_bytes(
    data: &[u8],
    name: &str,
    first_index: usize,
    opts: &capture::Options,
    sink: &mut dyn FnMut(Exchange),
) -> Summary {
    let format = sniff(data);
    match format {
        Format::RawHttp => {
            let l = from_raw(data, name, first_index);
            let n = l.exchanges.len();
            l.exchanges.into_iter().for_each(&mut *sink);
            Summary {
                format: Some(format),
                exchanges: n,
                errors: l.errors,
                capture: None,
            }
        }
        Format::Har => {
            let (x, errors) = har::parse(data, name, first_index);
            let n = x.len();
            x.into_iter().for_each(&mut *sink);
            Summary {
                format: Some(format),
                exchanges: n,
                errors,
                capture: None,
            }
        }
        Format::Pcap | Format::Pcapng => {
            let stats = capture::replay(data, name, first_index, opts.clone(), sink);
            capture_summary(stats, name, format)
        }
        Format::Unknown => Summary {
            format: None,
            errors: vec![format!(
                "{name}: not a recognised input (expected pcap, pcapng, HAR or raw HTTP/1.x)"
            )],
            ..Default::default()
        },
    }
}

/// Reads one input, calling `sink` with each exchange as soon as it is complete. Captures are
/// streamed from the file (never held whole in memory); HAR and raw HTTP files are read whole.
pub fn stream_path(
    path: &Path,
    first_index: usize,
    opts: &capture::Options,
    sink: &mut dyn FnMut(Exchange),
) -> Summary {
    let name = path.display().to_string();
    let fail = |e: std::io::Error| Summary {
        errors: vec![format!("{name}: {e}")],
        ..Default::default()
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let mut head = [0u8; 4096];
    let n = {
        use std::io::Read;
        let mut r = &file;
        let mut n = 0;
        loop {
            match r.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => {
                    n += k;
                    if n == head.len() {
                        break;
                    }
                }
                Err(e) => return fail(e),
            }
        }
        n
    };
    match sniff(&head[..n]) {
        f @ (Format::Pcap | Format::Pcapng) => {
            use std::io::Seek;
            let mut file = file;
            if let Err(e) = file.seek(std::io::SeekFrom::Start(0)) {
                return fail(e);
            }
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let counted = Counting {
                inner: file,
                read: 0,
                reported: 0,
                size,
                progress: opts.progress.clone(),
            };
            let reader = std::io::BufReader::with_capacity(1 << 20, counted);
            let stats = capture::replay(reader, &name, first_index, opts.clone(), sink);
            capture_summary(stats, &name, f)
        }
        _ => match std::fs::read(path) {
            Ok(data) => stream_bytes(&data, &name, first_index, opts, sink),
            Err(e) => fail(e),
        },
    }
}

/// Reports reading progress every 16 MiB.
struct Counting<R> {
    inner: R,
    read: u64,
    reported: u64,
    size: u64,
    progress: Option<capture::Progress>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(p) = &self.progress {
            if self.read - self.reported >= 16 << 20 || (n == 0 && self.reported != self.read) {
                self.reported = self.read;
                p(self.read, self.size);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), Format::RawHttp);
        assert_eq!(sniff(b"\nHTTP/1.1 200 OK\r\n"), Format::RawHttp);
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 0]), Format::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), Format::Pcapng);
        assert_eq!(sniff(b"{\"log\": {}}"), Format::Har);
        assert_eq!(sniff(b"\x00\x01garbage"), Format::Unknown);
    }
}

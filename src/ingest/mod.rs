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
            errors: vec![not_recognised(name)],
            ..Default::default()
        },
    }
}

/// The name an input is shown under: its path, or `stdin` for `-`.
pub fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

/// `-` on the command line: standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads one input, calling `sink` with each exchange as soon as it is complete. Captures are
/// streamed (never held whole in memory); HAR and raw HTTP inputs are read whole. `-` is
/// standard input. The input is read front to back only, never sought or reopened, so a pipe
/// or a FIFO reads like a file: the first bytes, read to recognise the format, are handed to
/// the parser ahead of the rest.
pub fn stream_path(
    path: &Path,
    first_index: usize,
    opts: &capture::Options,
    sink: &mut dyn FnMut(Exchange),
) -> Summary {
    stream_path_as(path, &display_name(path), first_index, opts, sink)
}

/// [`stream_path`], the input shown under `name` (a pipe kept in a temporary file keeps the
/// name it was given under).
pub fn stream_path_as(
    path: &Path,
    name: &str,
    first_index: usize,
    opts: &capture::Options,
    sink: &mut dyn FnMut(Exchange),
) -> Summary {
    let name = name.to_string();
    if is_stdin(path) {
        return stream_reader(std::io::stdin(), 0, &name, first_index, opts, sink);
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return read_failure(&name, &e),
    };
    let meta = file.metadata().ok();
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Summary {
            errors: vec![format!("{name}: is a directory, not an input file")],
            ..Default::default()
        };
    }
    // The size, for the progress line, only where there is one (not a pipe).
    let size = meta.filter(|m| m.is_file()).map_or(0, |m| m.len());
    stream_reader(file, size, &name, first_index, opts, sink)
}

/// Whether an input can be read and is in a recognised format, checked before the UI opens so
/// that a bad input is a plain error rather than an empty screen. A regular file is opened and
/// its first bytes sniffed; a pipe, FIFO or `-` is only opened (reading it here would take
/// bytes the reader needs), so its problems surface when it is read.
pub fn probe(path: &Path) -> Result<(), String> {
    use std::io::Read;
    if is_stdin(path) {
        return Ok(());
    }
    let name = display_name(path);
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{name}: is a directory, not an input file"));
    }
    if !meta.is_file() {
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut head = Vec::with_capacity(4096);
    file.take(4096)
        .read_to_end(&mut head)
        .map_err(|e| format!("{name}: {e}"))?;
    match sniff(&head) {
        Format::Unknown => Err(not_recognised(&name)),
        _ => Ok(()),
    }
}

/// The message for an input in no format [`sniff`] knows.
fn not_recognised(name: &str) -> String {
    format!("{name}: not a recognised input (expected pcap, pcapng, HAR or raw HTTP/1.x)")
}

/// The [`Summary`] of an input that could not be read at all.
fn read_failure(name: &str, e: &std::io::Error) -> Summary {
    Summary {
        errors: vec![format!("{name}: {e}")],
        ..Default::default()
    }
}

/// [`stream_path`] on an open reader of `size` bytes (0: unknown).
fn stream_reader<R: std::io::Read + Send>(
    mut input: R,
    size: u64,
    name: &str,
    first_index: usize,
    opts: &capture::Options,
    sink: &mut dyn FnMut(Exchange),
) -> Summary {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    if let Err(e) = input.by_ref().take(4096).read_to_end(&mut head) {
        return read_failure(name, &e);
    }
    match sniff(&head) {
        f @ (Format::Pcap | Format::Pcapng) => {
            let counted = Counting {
                inner: std::io::Cursor::new(head).chain(input),
                read: 0,
                reported: 0,
                size,
                progress: opts.progress.clone(),
            };
            let reader = std::io::BufReader::with_capacity(1 << 20, counted);
            let stats = capture::replay(reader, name, first_index, opts.clone(), sink);
            capture_summary(stats, name, f)
        }
        // Not recognised: said without reading the rest.
        Format::Unknown => stream_bytes(&head, name, first_index, opts, sink),
        _ => {
            let mut data = head;
            match input.read_to_end(&mut data) {
                Ok(_) => stream_bytes(&data, name, first_index, opts, sink),
                Err(e) => read_failure(name, &e),
            }
        }
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

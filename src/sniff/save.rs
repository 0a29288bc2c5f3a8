//! `capture -w FILE.pcapng`: the packets as captured (any link type, nanosecond timestamps,
//! original lengths), optionally rotated through a ring of files (`--ring N --ring-size SIZE`,
//! as dumpcap's `-b files:N -b filesize:K`). The caller flushes after each batch of packets,
//! so Ctrl-C or a crash loses at most the packets in flight.
//!
//! Block layouts from the pcapng specification (draft-ietf-opsawg-pcapng, §4.1 Section
//! Header Block, §4.2 Interface Description Block with `if_tsresol`, §4.3 Enhanced Packet
//! Block).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::capture::pcapng_out::{header, packet};

/// Where and how to save.
#[derive(Clone, Debug)]
pub struct Spec {
    pub path: PathBuf,
    /// Keep this many files, each up to `ring_size` bytes; `None`: one file, no limit.
    pub ring: Option<(usize, u64)>,
}

/// The file (or ring of files) being written.
pub struct Saver {
    spec: Spec,
    linktype: i32,
    snaplen: u32,
    iface: String,
    /// Bytes of the header each file starts with: counted in its size.
    header_len: u64,
    out: BufWriter<File>,
    written: u64,
    /// Files of the ring, oldest first.
    files: std::collections::VecDeque<PathBuf>,
    next_number: u64,
    scratch: Vec<u8>,
}

/// The `n`th file of a ring over `path`: `saved.pcapng` → `saved_00001.pcapng`.
pub fn ring_path(path: &Path, n: u64) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}_{n:05}{ext}"))
}

impl Saver {
    pub fn create(spec: Spec, linktype: i32, snaplen: u32, iface: &str) -> std::io::Result<Saver> {
        let first = match spec.ring {
            Some(_) => ring_path(&spec.path, 1),
            None => spec.path.clone(),
        };
        let out = Self::start(&first, linktype, snaplen, iface)?;
        let header_len = header(linktype, snaplen, iface).len() as u64;
        Ok(Saver {
            spec,
            linktype,
            snaplen,
            iface: iface.to_string(),
            header_len,
            out,
            written: header_len,
            files: [first].into(),
            next_number: 2,
            scratch: Vec::new(),
        })
    }

    fn start(
        path: &Path,
        linktype: i32,
        snaplen: u32,
        iface: &str,
    ) -> std::io::Result<BufWriter<File>> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(&header(linktype, snaplen, iface))?;
        out.flush()?;
        Ok(out)
    }

    /// The file being written now.
    pub fn current(&self) -> &Path {
        self.files.back().map_or(&self.spec.path, |p| p.as_path())
    }

    /// One packet; rotates first when the ring's file is full.
    pub fn packet(&mut self, ts_nanos: i128, data: &[u8], orig_len: u32) -> std::io::Result<()> {
        if let Some((keep, size)) = self.spec.ring {
            if self.written > self.header_len && self.written + data.len() as u64 + 32 > size {
                self.rotate(keep)?;
            }
        }
        self.scratch.clear();
        packet(&mut self.scratch, ts_nanos, data, orig_len);
        self.written += self.scratch.len() as u64;
        self.out.write_all(&self.scratch)
    }

    fn rotate(&mut self, keep: usize) -> std::io::Result<()> {
        self.out.flush()?;
        let next = ring_path(&self.spec.path, self.next_number);
        self.next_number += 1;
        self.out = Self::start(&next, self.linktype, self.snaplen, &self.iface)?;
        self.written = self.header_len;
        self.files.push_back(next);
        while self.files.len() > keep.max(1) {
            if let Some(old) = self.files.pop_front() {
                std::fs::remove_file(&old)?;
            }
        }
        Ok(())
    }

    /// Everything written so far is handed to the kernel.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(path: &Path) -> Vec<(i32, i128, Vec<u8>)> {
        let mut out = Vec::new();
        crate::capture::packets::read_frames(
            std::fs::File::open(path).unwrap(),
            |f| out.push((f.linktype, f.ts_nanos, f.data.to_vec())),
            |_| {},
        )
        .unwrap();
        out
    }

    #[test]
    fn one_file_reads_back_with_link_type_and_nanoseconds() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.pcapng");
        let mut s = Saver::create(
            Spec {
                path: p.clone(),
                ring: None,
            },
            276,
            262_144,
            "any",
        )
        .unwrap();
        s.packet(1_700_000_000_123_456_789, b"abcde", 5).unwrap();
        s.packet(1_700_000_001_000_000_001, &[7; 64], 100).unwrap();
        s.flush().unwrap();
        let f = frames(&p);
        assert_eq!(f.len(), 2);
        // The interface is named in the file, as a report of it shows.
        let mut names = Vec::new();
        crate::capture::packets::read_frames(
            std::fs::File::open(&p).unwrap(),
            |_| {},
            |m| {
                if let crate::capture::packets::Meta::Interface(_, n) = m {
                    names.push(n)
                }
            },
        )
        .unwrap();
        assert_eq!(names, ["any"]);
        assert_eq!(f[0], (276, 1_700_000_000_123_456_789, b"abcde".to_vec()));
        assert_eq!(f[1].1, 1_700_000_001_000_000_001);
        assert_eq!(f[1].2, vec![7; 64]);
    }

    #[test]
    fn ring_keeps_the_last_files_each_under_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.pcapng");
        let spec = Spec {
            path: p.clone(),
            ring: Some((2, 1000)),
        };
        let mut s = Saver::create(spec, 1, 65535, "lo").unwrap();
        for i in 0..40u8 {
            s.packet(i as i128, &[i; 100], 100).unwrap();
        }
        s.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // 132 bytes a packet, 7 to a 1000-byte file: 40 packets fill files 1..=6.
        assert_eq!(names, ["r_00005.pcapng", "r_00006.pcapng"]);
        let last: Vec<u8> = frames(&dir.path().join("r_00006.pcapng"))
            .iter()
            .map(|f| f.2[0])
            .collect();
        assert_eq!(last, (35..40).collect::<Vec<u8>>());
        for n in &names {
            assert!(std::fs::metadata(dir.path().join(n)).unwrap().len() <= 1000);
        }
    }
}

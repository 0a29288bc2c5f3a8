//! NSS key log files (RFC 9850; what `SSLKEYLOGFILE` makes curl, browsers, Python and Node
//! write, and what a pcapng Decryption Secrets Block carries): secrets by client random.
//!
//! The secrets are never formatted: `Debug` says how many there are, nothing more.

use std::collections::HashMap;
use std::path::Path;

/// The secrets of one handshake, by its client random.
#[derive(Clone, Default)]
pub struct Secrets {
    /// TLS 1.2 and earlier: `CLIENT_RANDOM`, the 48-byte master secret.
    pub master: Option<Vec<u8>>,
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic_0: Option<Vec<u8>>,
    pub server_traffic_0: Option<Vec<u8>>,
    /// TLS 1.3 0-RTT: `CLIENT_EARLY_TRAFFIC_SECRET`.
    pub client_early: Option<Vec<u8>>,
}

/// Every secret read from one or more key logs.
#[derive(Clone, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
    /// Lines that were not comments, blank, or a known label with valid hex.
    pub skipped_lines: u64,
    /// The files read, to read again when they change (a key log written while sigscope
    /// reads the capture).
    files: Vec<Watched>,
}

/// A key log file as last read: its size and modification time.
#[derive(Clone)]
struct Watched {
    path: std::path::PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Bytes read up to the end of the last complete line: where reading resumes.
    done: u64,
}

/// The length of `bytes` up to and including its last newline.
fn complete_lines(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i as u64 + 1)
}

/// The bytes of `path` from `from` on.
fn read_from(path: &Path, from: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek};
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(from))?;
    let mut v = Vec::new();
    f.read_to_end(&mut v)?;
    Ok(v)
}

impl Watched {
    fn stat(path: &Path) -> (u64, Option<std::time::SystemTime>) {
        match std::fs::metadata(path) {
            Ok(m) => (m.len(), m.modified().ok()),
            Err(_) => (0, None),
        }
    }

    fn changed(&self) -> bool {
        Watched::stat(&self.path) != (self.len, self.modified)
    }
}

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyLog({} client randoms, secrets redacted)",
            self.by_random.len()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyLogError {
    #[error("cannot read key log {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} has no TLS secrets in NSS key log format (lines such as CLIENT_RANDOM or CLIENT_TRAFFIC_SECRET_0)")]
    Empty { path: String },
}

impl KeyLog {
    /// Reads a key log file and adds its secrets; the file is read again by [`refresh`]
    /// when it has changed since.
    ///
    /// [`refresh`]: KeyLog::refresh
    pub fn add_file(&mut self, path: &Path) -> Result<(), KeyLogError> {
        if self.add_file_once(path)? == 0 {
            return Err(KeyLogError::Empty {
                path: path.display().to_string(),
            });
        }
        Ok(())
    }

    /// Like [`add_file`](KeyLog::add_file), but a file with no secrets yet (one a client is
    /// about to write) is no error: it is watched like the others.
    pub fn watch_file(&mut self, path: &Path) -> Result<(), KeyLogError> {
        self.add_file_once(path).map(|_| ())
    }

    fn add_file_once(&mut self, path: &Path) -> Result<usize, KeyLogError> {
        let (len, modified) = Watched::stat(path);
        let bytes = std::fs::read(path).map_err(|source| KeyLogError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let taken = self.add_bytes(&bytes);
        if !self.files.iter().any(|w| w.path == path) {
            self.files.push(Watched {
                path: path.to_path_buf(),
                len,
                modified,
                done: complete_lines(&bytes),
            });
        }
        Ok(taken)
    }

    /// Whether files are read (and read again when they change).
    pub fn watches_files(&self) -> bool {
        !self.files.is_empty()
    }

    /// Whether a file read by `add_file` has changed since (its size or modification time:
    /// one `stat` per file, nothing read).
    pub fn changed(&self) -> bool {
        self.files.iter().any(Watched::changed)
    }

    /// Reads the files that changed again (the secrets already known stay); returns whether
    /// any was read.
    pub fn refresh(&mut self) -> bool {
        let mut read = false;
        for i in 0..self.files.len() {
            let w = &self.files[i];
            let now = Watched::stat(&w.path);
            if now == (w.len, w.modified) {
                continue;
            }
            // Taken before reading: bytes written meanwhile make the next stat differ again.
            (self.files[i].len, self.files[i].modified) = now;
            // A file that grew is read from the end of its last complete line (a line being
            // written when it was read is read again whole); one that shrank (replaced,
            // truncated) from its start.
            let from = match now.0 >= self.files[i].done {
                true => self.files[i].done,
                false => 0,
            };
            let path = self.files[i].path.clone();
            if let Ok(bytes) = read_from(&path, from) {
                // Lines read again add nothing and are not counted twice as skipped.
                let skipped = self.skipped_lines;
                self.add_bytes(&bytes);
                self.skipped_lines = skipped;
                self.files[i].done = from + complete_lines(&bytes);
                read = true;
            }
        }
        read
    }

    /// Adds the secrets of key log text (a file's, or a Decryption Secrets Block's); returns
    /// how many lines it took.
    pub fn add_bytes(&mut self, text: &[u8]) -> usize {
        let mut taken = 0;
        for line in text.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) || line.first() == Some(&b'#') {
                continue;
            }
            if self.add_line(line) {
                taken += 1;
            } else {
                self.skipped_lines += 1;
            }
        }
        taken
    }

    fn add_line(&mut self, line: &[u8]) -> bool {
        let Ok(line) = std::str::from_utf8(line) else {
            return false;
        };
        let mut parts = line.split_ascii_whitespace();
        let (Some(label), Some(random), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(random), Ok(secret)) = (hex::decode(random), hex::decode(secret)) else {
            return false;
        };
        let Ok(random) = <[u8; 32]>::try_from(random) else {
            return false;
        };
        if secret.is_empty() || secret.len() > 64 {
            return false;
        }
        let e = self.by_random.entry(random).or_default();
        let slot = match label {
            "CLIENT_RANDOM" => &mut e.master,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut e.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut e.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut e.client_traffic_0,
            "SERVER_TRAFFIC_SECRET_0" => &mut e.server_traffic_0,
            "CLIENT_EARLY_TRAFFIC_SECRET" => &mut e.client_early,
            // Known labels this reader does not use (exporter secrets).
            "EARLY_EXPORTER_SECRET" | "EXPORTER_SECRET" => return true,
            _ => return false,
        };
        *slot = Some(secret);
        true
    }

    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        self.by_random
            .get(<&[u8; 32]>::try_from(client_random).ok()?)
    }

    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_random.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_and_skips_junk() {
        let r = "ab".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {r} {}\r\nSERVER_TRAFFIC_SECRET_0 {r} {}\nJUNK {r} 00\nCLIENT_RANDOM zz 00\nCLIENT_RANDOM {r}\n",
            "11".repeat(48),
            "22".repeat(32)
        );
        let mut k = KeyLog::default();
        assert_eq!(k.add_bytes(text.as_bytes()), 2);
        assert_eq!(k.skipped_lines, 3);
        let s = k.get(&[0xab; 32]).expect("present");
        assert_eq!(s.master.as_deref(), Some(&[0x11; 48][..]));
        assert_eq!(s.server_traffic_0.as_deref(), Some(&[0x22; 32][..]));
        assert!(s.client_traffic_0.is_none());
        assert!(k.get(&[0xac; 32]).is_none());
        assert!(!format!("{k:?}").contains("11"));
    }

    #[test]
    fn a_file_that_grows_is_read_again() {
        let dir = std::env::temp_dir().join(format!("sigscope-keylog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.txt");
        let line = |b: u8| {
            format!(
                "CLIENT_RANDOM {} {}\n",
                hex::encode([b; 32]),
                "11".repeat(48)
            )
        };
        std::fs::write(&path, line(1)).unwrap();
        let mut k = KeyLog::default();
        k.add_file(&path).unwrap();
        assert!(!k.changed());
        assert!(!k.refresh());
        assert!(k.get(&[2; 32]).is_none());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, line(2).as_bytes()).unwrap();
        drop(f);
        assert!(k.changed());
        assert!(k.refresh());
        assert!(k.get(&[2; 32]).is_some() && k.get(&[1; 32]).is_some());
        assert!(!k.changed());
        // A line caught half written is read whole once it is finished.
        let third = line(4);
        let (a, b) = third.split_at(40);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, a.as_bytes()).unwrap();
        assert!(k.refresh() && k.get(&[4; 32]).is_none());
        std::io::Write::write_all(&mut f, b.as_bytes()).unwrap();
        drop(f);
        assert!(k.refresh() && k.get(&[4; 32]).is_some());
        // Replaced by a shorter file: read from its start.
        std::fs::write(&path, line(5)).unwrap();
        assert!(k.refresh() && k.get(&[5; 32]).is_some());
        // An empty file may be watched, not added.
        let empty = dir.join("empty.txt");
        std::fs::write(&empty, "").unwrap();
        assert!(KeyLog::default().add_file(&empty).is_err());
        let mut w = KeyLog::default();
        w.watch_file(&empty).unwrap();
        std::fs::write(&empty, line(3)).unwrap();
        assert!(w.refresh() && w.get(&[3; 32]).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

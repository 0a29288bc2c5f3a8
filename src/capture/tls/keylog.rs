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
}

/// Every secret read from one or more key logs.
#[derive(Clone, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
    /// Lines that were not comments, blank, or a known label with valid hex.
    pub skipped_lines: u64,
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
    /// Reads a key log file and adds its secrets.
    pub fn add_file(&mut self, path: &Path) -> Result<(), KeyLogError> {
        let bytes = std::fs::read(path).map_err(|source| KeyLogError::Read {
            path: path.display().to_string(),
            source,
        })?;
        if self.add_bytes(&bytes) == 0 {
            return Err(KeyLogError::Empty {
                path: path.display().to_string(),
            });
        }
        Ok(())
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
            // Known labels this reader does not use (0-RTT, exporter secrets).
            "CLIENT_EARLY_TRAFFIC_SECRET" | "EARLY_EXPORTER_SECRET" | "EXPORTER_SECRET" => {
                return true
            }
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
}

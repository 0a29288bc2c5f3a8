//! Where a connection's secrets come from: the key logs (read again when they grow), and the
//! TLS 1.2 sessions of earlier connections of the same capture, which a resumed handshake
//! (by session ID, RFC 5246 §7.4.1.2, or by ticket, RFC 5077) reuses: its master secret is
//! the earlier one's, so a key log that only has the first connection's `CLIENT_RANDOM`
//! decrypts both, as Wireshark does (`epan/dissectors/packet-tls-utils.c`,
//! `ssl_save_master_key` / `ssl_restore_master_key`).

use std::collections::HashMap;
use std::sync::Arc;

use super::keylog::{KeyLog, Secrets};

/// At most this many sessions are remembered; past it, the oldest half is forgotten.
const MAX_SESSIONS: usize = 65_536;

#[derive(Default)]
pub struct Keyring {
    log: Arc<KeyLog>,
    /// Master secrets by session ID or ticket (both prefixed, so they never collide).
    sessions: HashMap<Vec<u8>, Vec<u8>>,
    order: std::collections::VecDeque<Vec<u8>>,
    /// A live capture: a missing key may still be written (`waiting.rs`).
    may_grow: bool,
}

impl Keyring {
    pub fn new(log: Arc<KeyLog>, may_grow: bool) -> Self {
        Keyring {
            log,
            may_grow,
            ..Default::default()
        }
    }

    /// Adds key log text (a Decryption Secrets Block's).
    pub fn add_bytes(&mut self, text: &[u8]) {
        Arc::make_mut(&mut self.log).add_bytes(text);
    }

    /// Whether any key log was given or found at all (then a missing key is "no key for this
    /// client random" rather than "no key log").
    pub fn is_empty(&self) -> bool {
        self.log.is_empty() && !self.log.watches_files()
    }

    /// Whether a missing key may still come: the secrets are read from files, and the
    /// capture is live (a complete file's connections are not held for keys).
    pub fn watches_files(&self) -> bool {
        self.may_grow && self.log.watches_files()
    }

    /// Reads the key log files again if they changed (one `stat` each): a live capture's
    /// connection that has some of its secrets waits for the rest.
    pub fn reread(&mut self) {
        if self.log.changed() {
            Arc::make_mut(&mut self.log).refresh();
        }
    }

    /// The secrets of `client_random`. When the key logs have none, the files are read again
    /// if they changed since (a client still writing its key log), before giving up.
    pub fn secrets(&mut self, client_random: &[u8; 32]) -> Option<&Secrets> {
        if self.log.get(client_random).is_none() && self.log.changed() {
            Arc::make_mut(&mut self.log).refresh();
        }
        self.log.get(client_random)
    }

    fn remember(&mut self, key: Vec<u8>, master: &[u8]) {
        if self.sessions.len() >= MAX_SESSIONS {
            for k in self.order.drain(..MAX_SESSIONS / 2) {
                self.sessions.remove(&k);
            }
        }
        if self.sessions.insert(key.clone(), master.to_vec()).is_none() {
            self.order.push_back(key);
        }
    }

    /// A TLS 1.2 session's master secret, under its session ID.
    pub fn remember_id(&mut self, id: &[u8], master: &[u8]) {
        if !id.is_empty() {
            self.remember([b"i", id].concat(), master);
        }
    }

    /// A TLS 1.2 session's master secret, under a ticket the server gave for it.
    pub fn remember_ticket(&mut self, ticket: &[u8], master: &[u8]) {
        if !ticket.is_empty() {
            self.remember([b"t", ticket].concat(), master);
        }
    }

    pub fn by_id(&self, id: &[u8]) -> Option<&[u8]> {
        self.sessions.get(&[b"i", id].concat()).map(Vec::as_slice)
    }

    pub fn by_ticket(&self, ticket: &[u8]) -> Option<&[u8]> {
        self.sessions
            .get(&[b"t", ticket].concat())
            .map(Vec::as_slice)
    }
}

//! A connection whose key is not in the key log yet, when the key log is a file that may
//! still grow (a live capture, or a report started while the client writes its key log).
//!
//! The capture can see the ServerHello before the client has processed it and written its
//! secrets (`SSLKEYLOGFILE` is written from the client's handshake callbacks), so "no key" at
//! the ServerHello is not final: the connection's protected records are held, in order and up
//! to [`MAX_HELD`] bytes, and the key log is looked at again (one `stat` per file) with each
//! new one. When the key appears, the ServerHello is handled again with it and the held records
//! are read as if they had just arrived; when it never does, the connection says "no key" as
//! before, its held records counted as encrypted.

use super::keylog::Secrets;
use super::keyring::Keyring;
use super::{Out, TlsConn, Why};

/// At most this many bytes of protected records are held per connection waiting for its key.
pub(super) const MAX_HELD: usize = 4 << 20;

pub(super) struct Waiting {
    /// The direction the ServerHello came from, and its message.
    from: usize,
    hello: Vec<u8>,
    /// Protected records in the order they came: direction, header, body.
    held: Vec<(usize, [u8; 5], Vec<u8>)>,
    bytes: usize,
}

impl TlsConn {
    /// At a ServerHello whose key is missing: waits for it when the key log may still grow.
    /// Returns whether it waits (else the caller says why the connection stays encrypted).
    pub(super) fn defer(&mut self, from: usize, hello: &[u8], keys: &Keyring) -> bool {
        if !keys.watches_files() || self.waiting.is_some() {
            return false;
        }
        self.waiting = Some(Box::new(Waiting {
            from,
            hello: hello.to_vec(),
            held: Vec::new(),
            bytes: 0,
        }));
        true
    }

    /// A record while the key is awaited. Returns `true` when the record was held (or the
    /// wait given up), `false` when it is to be read as usual: a record in the clear, or the
    /// first one after the key appeared (the held ones have then been read).
    pub(super) fn hold(
        &mut self,
        d: usize,
        header: &[u8; 5],
        rec: &[u8],
        keys: &mut Keyring,
        out: &mut dyn FnMut(Out<'_>),
    ) -> bool {
        let tls13 = self.suite.is_some_and(|s| s.tls13);
        let protected = if tls13 {
            header[0] == 23
        } else {
            self.dirs[d].protected
        };
        if !protected {
            return false;
        }
        if let Some(cr) = self.client_random {
            keys.reread();
            if keys.secrets(&cr).is_some_and(|s| self.complete(s)) {
                self.resume(keys, out);
                return false;
            }
        }
        let Some(w) = self.waiting.as_mut() else {
            return false;
        };
        if w.bytes + rec.len() > MAX_HELD {
            self.give_up();
            self.report.encrypted_records += 1;
            return true;
        }
        w.bytes += rec.len();
        w.held.push((d, *header, rec.to_vec()));
        true
    }

    /// Whether the key log has every secret the connection's version needs: TLS 1.3's four
    /// traffic secrets (the client writes the application ones only after the server's
    /// Finished), TLS 1.2's master secret.
    pub(super) fn complete(&self, s: &Secrets) -> bool {
        if self.suite.is_some_and(|s| s.tls13) {
            s.client_handshake.is_some()
                && s.server_handshake.is_some()
                && s.client_traffic_0.is_some()
                && s.server_traffic_0.is_some()
        } else {
            s.master.is_some()
        }
    }

    /// The key is there: the ServerHello again, then the held records in their order.
    fn resume(&mut self, keys: &mut Keyring, out: &mut dyn FnMut(Out<'_>)) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        self.server_hello(w.from, &w.hello, keys);
        for (d, header, mut body) in w.held {
            self.record(d, header, &mut body, keys, out);
        }
    }

    /// The connection ends (or holds too much) without its key: "no key", as when the key
    /// log was complete from the start.
    pub fn give_up(&mut self) {
        if let Some(w) = self.waiting.take() {
            self.report.encrypted_records += w.held.len() as u64;
            self.fail(Why::NoKey);
        }
    }
}

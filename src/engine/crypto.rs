//! Step 3, derive: hashes, HMACs, the SigV4 signing-key chain and its cache.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

/// Lower-case hex; the hot path of every verification (hashes, signatures), so no iterator chain.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends `bytes` in lower-case hex.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut m = <Hmac<Sha1>>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Compares a claimed signature with a computed one without leaking where they differ.
pub fn signatures_equal(claimed: &str, computed: &str) -> bool {
    claimed.len() == computed.len() && bool::from(claimed.as_bytes().ct_eq(computed.as_bytes()))
}

/// The SigV4 key chain, each step kept for display.
#[derive(Clone, Debug, Serialize)]
pub struct KeyChain {
    pub k_date: [u8; 32],
    pub k_region: [u8; 32],
    pub k_service: [u8; 32],
    pub k_signing: [u8; 32],
}

pub fn derive_chain(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    terminator: &str,
) -> KeyChain {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, terminator.as_bytes());
    KeyChain {
        k_date,
        k_region,
        k_service,
        k_signing,
    }
}

/// Per-run caches shared by every verification of a run: derived keys per (secret, scope) —
/// one capture holds many requests of one scope, and derivation is four HMACs out of the six a
/// verification needs — and the outcome of the alteration search per request shape, so a
/// capture of a thousand identically broken requests is searched once, not a thousand times.
#[derive(Default)]
pub struct KeyCache {
    /// By `len(secret):secret` + scope.
    map: Mutex<HashMap<String, KeyChain>>,
    searches: Mutex<HashMap<String, Option<String>>>,
}

impl KeyCache {
    /// The alteration that explained an earlier request of this shape (`Some(None)`: none did).
    pub fn search_outcome(&self, shape: &str) -> Option<Option<String>> {
        self.searches.lock().ok()?.get(shape).cloned()
    }

    pub fn remember_search(&self, shape: String, outcome: Option<String>) {
        if let Ok(mut m) = self.searches.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            m.insert(shape, outcome);
        }
    }

    pub fn chain(
        &self,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
        terminator: &str,
    ) -> KeyChain {
        // The secret's length keeps secret and scope apart. Each thread keeps its last key and
        // chain: a capture's requests mostly share one scope, and the map's lock is shared by
        // every worker thread. The key is built in the thread's scratch buffer (no allocation).
        thread_local! {
            static RECENT: std::cell::RefCell<(String, String, Option<KeyChain>)> =
                const { std::cell::RefCell::new((String::new(), String::new(), None)) };
        }
        RECENT.with(|r| {
            let (scratch, last, recent) = &mut *r.borrow_mut();
            scratch.clear();
            let _ = write!(scratch, "{}:", secret.len());
            for part in [secret, date, "/", region, "/", service, "/", terminator] {
                scratch.push_str(part);
            }
            if let Some(c) = recent.as_ref().filter(|_| last == scratch) {
                return c.clone();
            }
            let cached = self
                .map
                .lock()
                .ok()
                .and_then(|m| m.get(scratch.as_str()).cloned());
            let c = cached.unwrap_or_else(|| {
                let c = derive_chain(secret, date, region, service, terminator);
                if let Ok(mut map) = self.map.lock() {
                    if map.len() > 4096 {
                        map.clear();
                    }
                    map.insert(scratch.clone(), c.clone());
                }
                c
            });
            last.clone_from(scratch);
            *recent = Some(c.clone());
            c
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_chains_are_the_derived_ones_whatever_the_order() {
        let cache = KeyCache::default();
        let scopes = [
            ("s1", "20150830", "us-east-1", "s3"),
            ("s1", "20150830", "us-east-1", "iam"),
            ("s2", "20150830", "us-east-1", "s3"),
            // The secret's length keeps `s1` + `2…` apart from `s12` + `…`.
            ("s12", "0150830", "us-east-1", "s3"),
        ];
        for round in 0..3 {
            for (i, (secret, date, region, service)) in scopes.iter().enumerate() {
                let (secret, date, region, service) = if round == 1 {
                    scopes[scopes.len() - 1 - i]
                } else {
                    (*secret, *date, *region, *service)
                };
                let got = cache.chain(secret, date, region, service, "aws4_request");
                let want = derive_chain(secret, date, region, service, "aws4_request");
                assert_eq!(got.k_signing, want.k_signing, "{secret} {date} {service}");
                assert_eq!(got.k_date, want.k_date);
            }
        }
    }

    #[test]
    fn aws_documentation_signing_key() {
        // AWS General Reference, "Examples of how to derive a signing key" (IAM, 20150830).
        let c = derive_chain(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
            "aws4_request",
        );
        assert_eq!(
            hex::encode(c.k_signing),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let cache = KeyCache::default();
        let again = cache.chain(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
            "aws4_request",
        );
        assert_eq!(again.k_signing, c.k_signing);
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(to_hex(&[0, 0x7f, 0xff, 0x10]), "007fff10");
    }

    #[test]
    fn constant_time_compare() {
        assert!(signatures_equal("abc", "abc"));
        assert!(!signatures_equal("abc", "abd"));
        assert!(!signatures_equal("abc", "abcd"));
    }
}

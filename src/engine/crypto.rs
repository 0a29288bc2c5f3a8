//! Step 3, derive: hashes, HMACs, the SigV4 signing-key chain and its cache.

use std::cell::Cell;
use std::collections::HashMap;
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
#[derive(Clone, Copy, Debug, Serialize)]
pub struct KeyChain {
    pub k_date: [u8; 32],
    pub k_region: [u8; 32],
    pub k_service: [u8; 32],
    pub k_signing: [u8; 32],
}

/// The signing-key chain: `key_prefix` is the flavour's (`AWS4` for AWS).
pub fn derive_chain(
    key_prefix: &str,
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    terminator: &str,
) -> KeyChain {
    let k_date = hmac_sha256(format!("{key_prefix}{secret}").as_bytes(), date.as_bytes());
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

/// What a cached chain is found by: SHA-256 over the secret and the scope fields, each
/// preceded by its length so that fields cannot run together (`s1` + `2…` is not `s12` + `…`).
/// A secret never sits in a map key, where a heap dump or a debug print of the map would show it.
type ChainKey = [u8; 32];

fn chain_key(
    key_prefix: &str,
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    terminator: &str,
) -> ChainKey {
    let mut h = Sha256::new();
    for part in [key_prefix, secret, date, region, service, terminator] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

/// Derived SigV4 keys per (secret, scope): one capture holds many requests of one scope, and
/// derivation is four HMACs out of the six a verification needs.
#[derive(Default)]
pub struct SigningKeys {
    map: Mutex<HashMap<ChainKey, KeyChain>>,
}

impl SigningKeys {
    pub fn chain(
        &self,
        key_prefix: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
        terminator: &str,
    ) -> KeyChain {
        // Each thread keeps its last key and chain: a capture's requests mostly share one
        // scope, and the map's lock is shared by every worker thread. Shared by every cache of
        // the thread, which is sound: a chain is a function of its key.
        thread_local! {
            static RECENT: Cell<Option<(ChainKey, KeyChain)>> = const { Cell::new(None) };
        }
        let key = chain_key(key_prefix, secret, date, region, service, terminator);
        if let Some((last, c)) = RECENT.get() {
            if last == key {
                return c;
            }
        }
        let cached = self.map.lock().ok().and_then(|m| m.get(&key).copied());
        let c = cached.unwrap_or_else(|| {
            let c = derive_chain(key_prefix, secret, date, region, service, terminator);
            if let Ok(mut map) = self.map.lock() {
                if map.len() > 4096 {
                    map.clear();
                }
                map.insert(key, c);
            }
            c
        });
        RECENT.set(Some((key, c)));
        c
    }
}

/// The outcome of the alteration search per request shape, so a capture of a thousand
/// identically broken requests is searched once, not a thousand times.
#[derive(Default)]
pub struct SearchMemo {
    map: Mutex<HashMap<String, Option<String>>>,
}

impl SearchMemo {
    /// The alteration that explained an earlier request of this shape (`Some(None)`: none did).
    pub fn outcome(&self, shape: &str) -> Option<Option<String>> {
        self.map.lock().ok()?.get(shape).cloned()
    }

    pub fn remember(&self, shape: String, outcome: Option<String>) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            m.insert(shape, outcome);
        }
    }
}

/// Per-run caches shared by every verification of a run: the signing keys and the search memo.
#[derive(Default)]
pub struct KeyCache {
    pub keys: SigningKeys,
    pub searches: SearchMemo,
}

impl KeyCache {
    /// The alteration that explained an earlier request of this shape (`Some(None)`: none did).
    pub fn search_outcome(&self, shape: &str) -> Option<Option<String>> {
        self.searches.outcome(shape)
    }

    pub fn remember_search(&self, shape: String, outcome: Option<String>) {
        self.searches.remember(shape, outcome);
    }

    pub fn chain(
        &self,
        key_prefix: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
        terminator: &str,
    ) -> KeyChain {
        self.keys
            .chain(key_prefix, secret, date, region, service, terminator)
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
                let got = cache.chain("AWS4", secret, date, region, service, "aws4_request");
                let want = derive_chain("AWS4", secret, date, region, service, "aws4_request");
                assert_eq!(got.k_signing, want.k_signing, "{secret} {date} {service}");
                assert_eq!(got.k_date, want.k_date);
            }
        }
    }

    #[test]
    fn chains_are_found_by_secret_and_scope() {
        let keys = SigningKeys::default();
        let a = keys.chain(
            "AWS4",
            "secret-a",
            "20150830",
            "us-east-1",
            "s3",
            "aws4_request",
        );
        let b = keys.chain(
            "AWS4",
            "secret-b",
            "20150830",
            "us-east-1",
            "s3",
            "aws4_request",
        );
        assert_ne!(a.k_signing, b.k_signing);
        assert_eq!(keys.map.lock().unwrap().len(), 2);
        // The same secret and scope: found in the map (this thread's last chain is `b`'s), as a
        // marked entry shows.
        let key = chain_key(
            "AWS4",
            "secret-a",
            "20150830",
            "us-east-1",
            "s3",
            "aws4_request",
        );
        keys.map.lock().unwrap().get_mut(&key).unwrap().k_date = [7; 32];
        let again = keys.chain(
            "AWS4",
            "secret-a",
            "20150830",
            "us-east-1",
            "s3",
            "aws4_request",
        );
        assert_eq!(again.k_date, [7; 32]);
        assert_eq!(again.k_signing, a.k_signing);
        assert_eq!(keys.map.lock().unwrap().len(), 2);
        // And then the thread's last chain.
        keys.map.lock().unwrap().clear();
        let last = keys.chain(
            "AWS4",
            "secret-a",
            "20150830",
            "us-east-1",
            "s3",
            "aws4_request",
        );
        assert_eq!(last.k_date, [7; 32]);
        // The fields are length-prefixed: moving a character from one field to the next is
        // another key.
        assert_ne!(
            chain_key("AWS4", "s1", "20150830", "r", "s3", "aws4_request"),
            chain_key("AWS4", "s12", "0150830", "r", "s3", "aws4_request")
        );
        assert_ne!(
            chain_key("AWS4", "s", "d", "ab", "c", "t"),
            chain_key("AWS4", "s", "d", "a", "bc", "t")
        );
    }

    #[test]
    fn search_memo_remembers_outcomes() {
        let cache = KeyCache::default();
        assert_eq!(cache.search_outcome("GET /a"), None);
        cache.remember_search("GET /a".into(), Some("double-encoded path".into()));
        cache.remember_search("GET /b".into(), None);
        assert_eq!(
            cache.search_outcome("GET /a"),
            Some(Some("double-encoded path".into()))
        );
        assert_eq!(cache.search_outcome("GET /b"), Some(None));
    }

    #[test]
    fn aws_documentation_signing_key() {
        // AWS General Reference, "Examples of how to derive a signing key" (IAM, 20150830).
        let c = derive_chain(
            "AWS4",
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
            "AWS4",
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

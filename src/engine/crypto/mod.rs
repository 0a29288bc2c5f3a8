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

pub mod ecdsa;
pub mod ecdsa_prepared;
pub mod ecdsa_search;
pub mod sha256x2;

/// How a SigV4 flavour signs its string to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// HMAC-SHA256 with the key at the end of the date/region/service chain.
    HmacSha256,
    /// SigV4A: ECDSA P-256 with a key pair derived from the access key and the secret.
    EcdsaP256,
}

/// The SigV4 key chain, each step kept for display; for SigV4A, the derived public key (the
/// HMAC steps are then unused and zero).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct KeyChain {
    pub k_date: [u8; 32],
    pub k_region: [u8; 32],
    pub k_service: [u8; 32],
    pub k_signing: [u8; 32],
    /// SigV4A only: `None` for the HMAC flavours (and if the derivation failed).
    #[serde(skip)]
    pub public_key: Option<ecdsa::PublicKey>,
}

/// What a signing key is derived for besides the secret: the flavour's key prefix (`AWS4` for
/// AWS) and the credential scope's four parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyScope<'a> {
    pub signing: Signing,
    /// Read by the SigV4A derivation only (the HMAC chain does not depend on it).
    pub access_key: &'a str,
    pub key_prefix: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub terminator: &'a str,
}

/// The signing-key chain of `secret` for `scope`.
pub fn derive_chain(secret: &str, scope: &KeyScope) -> KeyChain {
    if scope.signing == Signing::EcdsaP256 {
        return KeyChain {
            k_date: [0; 32],
            k_region: [0; 32],
            k_service: [0; 32],
            k_signing: [0; 32],
            public_key: ecdsa::derive(scope.access_key, secret).ok(),
        };
    }
    let k_date = hmac_sha256(
        format!("{}{secret}", scope.key_prefix).as_bytes(),
        scope.date.as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, scope.region.as_bytes());
    let k_service = hmac_sha256(&k_region, scope.service.as_bytes());
    let k_signing = hmac_sha256(&k_service, scope.terminator.as_bytes());
    KeyChain {
        k_date,
        k_region,
        k_service,
        k_signing,
        public_key: None,
    }
}

/// What a cached chain is found by: SHA-256 over the secret and the scope fields, each
/// preceded by its length so that fields cannot run together (`s1` + `2…` is not `s12` + `…`).
/// A secret never sits in a map key, where a heap dump or a debug print of the map would show it.
type ChainKey = [u8; 32];

fn chain_key(secret: &str, s: &KeyScope) -> ChainKey {
    let mut h = Sha256::new();
    let (signing, access_key) = match s.signing {
        Signing::HmacSha256 => ("hmac", ""),
        Signing::EcdsaP256 => ("ecdsa", s.access_key),
    };
    for part in [
        signing,
        access_key,
        s.key_prefix,
        secret,
        s.date,
        s.region,
        s.service,
        s.terminator,
    ] {
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
    pub fn chain(&self, secret: &str, scope: &KeyScope) -> KeyChain {
        // Each thread keeps its last key and chain: a capture's requests mostly share one
        // scope, and the map's lock is shared by every worker thread. Shared by every cache of
        // the thread, which is sound: a chain is a function of its key.
        thread_local! {
            static RECENT: Cell<Option<(ChainKey, KeyChain)>> = const { Cell::new(None) };
        }
        let key = chain_key(secret, scope);
        if let Some((last, c)) = RECENT.get() {
            if last == key {
                return c;
            }
        }
        let cached = self.map.lock().ok().and_then(|m| m.get(&key).copied());
        let c = cached.unwrap_or_else(|| {
            let c = derive_chain(secret, scope);
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
/// identically broken requests is searched a few times, not a thousand.
///
/// An explanation found is reused at once (it is tried again on the next request, never
/// assumed). That nothing explains a shape is believed only after [`NEGATIVE_AFTER`]
/// requests of it were searched in full and found nothing: requests that look the same on
/// the wire can fail for different reasons (issue 20's corpus: a Host that lost its port and
/// a wrong secret, in two requests of one shape), and one unexplained request must not make
/// the next one "the secret" unsearched.
#[derive(Default)]
pub struct SearchMemo {
    map: Mutex<HashMap<String, Outcome>>,
}

/// Full searches that found nothing before a shape is taken to be unexplainable.
pub const NEGATIVE_AFTER: u32 = 3;

#[derive(Clone)]
enum Outcome {
    Explained(String),
    Unexplained(u32),
}

impl SearchMemo {
    /// The alteration that explained an earlier request of this shape; `Some(None)` once
    /// [`NEGATIVE_AFTER`] full searches of it explained nothing.
    pub fn outcome(&self, shape: &str) -> Option<Option<String>> {
        match self.map.lock().ok()?.get(shape)? {
            Outcome::Explained(what) => Some(Some(what.clone())),
            Outcome::Unexplained(n) if *n >= NEGATIVE_AFTER => Some(None),
            Outcome::Unexplained(_) => None,
        }
    }

    pub fn remember(&self, shape: String, outcome: Option<String>) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            let next = match (outcome, m.get(&shape)) {
                (Some(what), _) => Outcome::Explained(what),
                (None, Some(Outcome::Unexplained(n))) => Outcome::Unexplained(n + 1),
                (None, _) => Outcome::Unexplained(1),
            };
            m.insert(shape, next);
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

    pub fn chain(&self, secret: &str, scope: &KeyScope) -> KeyChain {
        self.keys.chain(secret, scope)
    }
}

#[cfg(test)]
mod tests;

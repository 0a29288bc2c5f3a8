//! Record protection: the cipher suites read, the TLS 1.3 key schedule (HKDF-Expand-Label,
//! RFC 8446 §7) and the TLS 1.2 PRF (RFC 5246 §5), and AEAD record decryption.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM};
use sha2::{Sha256, Sha384};

use super::cbc::{CbcKeys, MacHash};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    pub fn output_len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    /// TLS 1.2 AES-CBC with an HMAC (not an AEAD; kept here as the record cipher).
    Aes128Cbc(MacHash),
    Aes256Cbc(MacHash),
}

impl Aead {
    fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm | Aead::Aes128Cbc(_) => 16,
            Aead::Aes256Gcm | Aead::ChaCha20Poly1305 | Aead::Aes256Cbc(_) => 32,
        }
    }
}

/// A cipher suite this reader decrypts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub aead: Aead,
    pub hash: Hash,
    pub tls13: bool,
}

impl Suite {
    /// The suite of a ServerHello, if it is one this reader decrypts.
    pub fn from_id(id: u16) -> Option<Suite> {
        use Aead::*;
        use Hash::*;
        let (aead, hash, tls13) = match id {
            0x1301 => (Aes128Gcm, Sha256, true),
            0x1302 => (Aes256Gcm, Sha384, true),
            0x1303 => (ChaCha20Poly1305, Sha256, true),
            // TLS 1.2 (EC)DHE and RSA suites: the key log carries the master secret, so the
            // key exchange does not matter.
            0x009c | 0x009e | 0xc02b | 0xc02f => (Aes128Gcm, Sha256, false),
            0x009d | 0x009f | 0xc02c | 0xc030 => (Aes256Gcm, Sha384, false),
            0xcca8..=0xccaa => (ChaCha20Poly1305, Sha256, false),
            // CBC: RSA, ECDHE-ECDSA, ECDHE-RSA with AES-128/256 and SHA-1, SHA-256, SHA-384.
            0x002f | 0xc009 | 0xc013 => (Aes128Cbc(MacHash::Sha1), Sha256, false),
            0x0035 | 0xc00a | 0xc014 => (Aes256Cbc(MacHash::Sha1), Sha256, false),
            0x003c | 0xc023 | 0xc027 => (Aes128Cbc(MacHash::Sha256), Sha256, false),
            0x003d => (Aes256Cbc(MacHash::Sha256), Sha256, false),
            0xc024 | 0xc028 => (Aes256Cbc(MacHash::Sha384), Sha384, false),
            _ => return None,
        };
        Some(Suite { aead, hash, tls13 })
    }
}

fn hmac(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    macro_rules! run {
        ($h:ty) => {{
            let Ok(mut m) = <Hmac<$h> as Mac>::new_from_slice(key) else {
                return Vec::new();
            };
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }};
    }
    match hash {
        Hash::Sha256 => run!(Sha256),
        Hash::Sha384 => run!(Sha384),
    }
}

/// HKDF-Expand-Label(secret, label, "", len) of RFC 8446 §7.1.
pub fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Vec<u8> {
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; len];
    let ok = match hash {
        Hash::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand(&info, &mut out).ok()),
        Hash::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand(&info, &mut out).ok()),
    };
    if ok.is_none() {
        out.clear();
    }
    out
}

/// The TLS 1.2 PRF, P_hash(secret, label + seed), `len` bytes.
pub fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[&[u8]], len: usize) -> Vec<u8> {
    let mut full_seed = label.to_vec();
    for s in seed {
        full_seed.extend_from_slice(s);
    }
    let mut out = Vec::with_capacity(len + hash.output_len());
    let mut a = hmac(hash, secret, &[&full_seed]);
    while out.len() < len && !a.is_empty() {
        out.extend(hmac(hash, secret, &[&a, &full_seed]));
        a = hmac(hash, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// The keys of one direction for one epoch, and its record sequence number.
pub struct Keys {
    cipher: Cipher,
    iv: [u8; 12],
    /// TLS 1.2 AES-GCM: 4-byte implicit salt, and an 8-byte explicit nonce in each record.
    explicit_nonce: bool,
    tls13: bool,
    pub seq: u64,
}

/// AES-GCM is `ring`'s (already in the tree through rustls): RustCrypto's `aes-gcm` 0.10 used
/// AES-NI and CLMUL here, but GHASH one block at a time (`polyval`'s `clmul::Polyval::mul`
/// was 23% of the TLS benchmark's time, and AES-GCM a third of it), where ring's assembly
/// interleaves the two over several blocks: the benchmark's 20× tshark goal (issue 13) needs
/// that. `tests::ring_opens_what_rustcrypto_seals` checks both agree on every record shape.
enum Cipher {
    Cbc(Box<CbcKeys>),
    AesGcm(Box<LessSafeKey>),
    ChaCha(Box<ChaCha20Poly1305>),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Open {
    /// Plaintext and its content type.
    Plain(u8),
    BadMac,
    Malformed,
}

impl Keys {
    fn new(aead: Aead, key: &[u8], iv: &[u8], explicit_nonce: bool, tls13: bool) -> Option<Keys> {
        let cipher = match aead {
            Aead::Aes128Gcm => Cipher::AesGcm(Box::new(LessSafeKey::new(
                UnboundKey::new(&AES_128_GCM, key).ok()?,
            ))),
            Aead::Aes256Gcm => Cipher::AesGcm(Box::new(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, key).ok()?,
            ))),
            Aead::ChaCha20Poly1305 => {
                Cipher::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
            Aead::Aes128Cbc(_) | Aead::Aes256Cbc(_) => return None,
        };
        let mut full = [0u8; 12];
        full.get_mut(..iv.len())?.copy_from_slice(iv);
        Some(Keys {
            cipher,
            iv: full,
            explicit_nonce,
            tls13,
            seq: 0,
        })
    }

    /// TLS 1.3 traffic keys from a traffic secret.
    pub fn tls13(suite: Suite, secret: &[u8]) -> Option<Keys> {
        let key = expand_label(suite.hash, secret, b"key", suite.aead.key_len());
        let iv = expand_label(suite.hash, secret, b"iv", 12);
        Keys::new(suite.aead, &key, &iv, false, true)
    }

    /// The next TLS 1.3 traffic secret (KeyUpdate, RFC 8446 §7.2).
    pub fn next_secret(hash: Hash, secret: &[u8]) -> Vec<u8> {
        expand_label(hash, secret, b"traffic upd", hash.output_len())
    }

    /// TLS 1.2 client and server keys from the master secret and both randoms.
    pub fn tls12(
        suite: Suite,
        master: &[u8],
        randoms: [&[u8]; 2],
        encrypt_then_mac: bool,
    ) -> Option<[Keys; 2]> {
        let [client_random, server_random] = randoms;
        let klen = suite.aead.key_len();
        if let Aead::Aes128Cbc(mac) | Aead::Aes256Cbc(mac) = suite.aead {
            let ml = mac.output_len();
            let block = prf(
                suite.hash,
                master,
                b"key expansion",
                &[server_random, client_random],
                2 * (ml + klen),
            );
            let (cm, rest) = block.split_at_checked(ml)?;
            let (sm, rest) = rest.split_at_checked(ml)?;
            let (ck, sk) = rest.split_at_checked(klen)?;
            let keys = |key: &[u8], mac_key: &[u8]| Keys {
                cipher: Cipher::Cbc(Box::new(CbcKeys {
                    key: key.to_vec(),
                    mac_key: mac_key.to_vec(),
                    mac,
                    encrypt_then_mac,
                })),
                iv: [0; 12],
                explicit_nonce: false,
                tls13: false,
                seq: 0,
            };
            return Some([keys(ck, cm), keys(sk, sm)]);
        }
        let (ivlen, explicit) = match suite.aead {
            Aead::ChaCha20Poly1305 => (12, false),
            _ => (4, true),
        };
        let block = prf(
            suite.hash,
            master,
            b"key expansion",
            &[server_random, client_random],
            2 * (klen + ivlen),
        );
        let (ck, rest) = block.split_at_checked(klen)?;
        let (sk, rest) = rest.split_at_checked(klen)?;
        let (civ, siv) = rest.split_at_checked(ivlen)?;
        Some([
            Keys::new(suite.aead, ck, civ, explicit, false)?,
            Keys::new(suite.aead, sk, siv, explicit, false)?,
        ])
    }

    /// Decrypts one record in place (`body`: what follows its 5-byte `header`); on success
    /// `body` is truncated to the plaintext. The sequence number advances either way, so a
    /// damaged record does not lose the ones after it.
    pub fn open(&mut self, header: &[u8; 5], body: &mut Vec<u8>) -> Open {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        if let Cipher::Cbc(c) = &self.cipher {
            return c.open(seq, header, body);
        }
        let mut nonce = self.iv;
        let start = if self.explicit_nonce {
            let Some(explicit) = body.get(..8) else {
                return Open::Malformed;
            };
            nonce[4..].copy_from_slice(explicit);
            8
        } else {
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
            0
        };
        if body.len() < start + 16 {
            return Open::Malformed;
        }
        let mut aad = [0u8; 13];
        let aad: &[u8] = if self.tls13 {
            header
        } else {
            aad[..8].copy_from_slice(&seq.to_be_bytes());
            aad[8..11].copy_from_slice(&header[..3]);
            let plain_len = (body.len() - start - 16) as u16;
            aad[11..].copy_from_slice(&plain_len.to_be_bytes());
            &aad
        };
        let ok = match &self.cipher {
            Cipher::AesGcm(k) => {
                // The plaintext is moved to the front (past the explicit nonce, if any).
                let nonce = Nonce::assume_unique_for_key(nonce);
                let plain = k
                    .open_within(nonce, Aad::from(aad), body, start..)
                    .map(|p| p.len());
                plain.map(|n| body.truncate(n)).is_ok()
            }
            Cipher::ChaCha(c) => {
                body.drain(..start);
                let nonce = chacha20poly1305::Nonce::from_slice(&nonce);
                c.decrypt_in_place(nonce, aad, body).is_ok()
            }
            Cipher::Cbc(_) => false,
        };
        if !ok {
            return Open::BadMac;
        }
        if !self.tls13 {
            return Open::Plain(header[0]);
        }
        // TLSInnerPlaintext: content, the real type, zero padding.
        match body.iter().rposition(|&b| b != 0) {
            Some(i) => {
                let ty = body[i];
                body.truncate(i);
                Open::Plain(ty)
            }
            None => Open::Malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8448 §3 (simple 1-RTT handshake): the server's handshake traffic secret and the
    /// key and IV the RFC derives from it.
    #[test]
    fn expand_label_matches_rfc8448() {
        let secret =
            hex::decode("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
                .expect("hex");
        let key = expand_label(Hash::Sha256, &secret, b"key", 16);
        let iv = expand_label(Hash::Sha256, &secret, b"iv", 12);
        assert_eq!(hex::encode(key), "3fce516009c21727d0f2e4e86ee403bc");
        assert_eq!(hex::encode(iv), "5d313eb2671276ee13000b30");
    }

    /// Records sealed by RustCrypto's `aes-gcm` (the implementation used before ring), in
    /// TLS 1.3's and TLS 1.2's nonce and additional-data layouts, open to the same
    /// plaintext; a flipped bit anywhere is a bad MAC, and the next record still opens.
    #[test]
    fn ring_opens_what_rustcrypto_seals() {
        use aes_gcm::aead::{AeadInPlace as _, KeyInit as _};
        use aes_gcm::{Aes128Gcm, Aes256Gcm};
        use proptest::prelude::*;
        use proptest::test_runner::TestRunner;

        let mut runner = TestRunner::default();
        let cases = (
            any::<bool>(),
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 32),
            any::<[u8; 12]>(),
            proptest::collection::vec(any::<u8>(), 0..3000),
            any::<u64>(),
            any::<usize>(),
        );
        runner
            .run(&cases, |(tls13, aes256, key, iv, plain, seq, flip)| {
                let key = &key[..if aes256 { 32 } else { 16 }];
                let aead = if aes256 {
                    Aead::Aes256Gcm
                } else {
                    Aead::Aes128Gcm
                };
                let iv_len = if tls13 { 12 } else { 4 };
                let mut keys = Keys::new(aead, key, &iv[..iv_len], !tls13, tls13).unwrap();
                keys.seq = seq;
                // What the sender does (RFC 8446 §5.2-5.3, RFC 5288 §3).
                let mut nonce = [0u8; 12];
                nonce[..iv_len].copy_from_slice(&iv[..iv_len]);
                let explicit = seq.wrapping_mul(7).to_be_bytes();
                if tls13 {
                    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                        *n ^= s;
                    }
                } else {
                    nonce[4..].copy_from_slice(&explicit);
                }
                let mut inner = plain.clone();
                if tls13 {
                    inner.push(23);
                }
                let prefix = if tls13 { 0 } else { 8 };
                let len = u16::try_from(prefix + inner.len() + 16).unwrap();
                let header = [23, 3, 3, (len >> 8) as u8, len as u8];
                let mut aad12 = seq.to_be_bytes().to_vec();
                aad12.extend_from_slice(&header[..3]);
                aad12.extend_from_slice(&u16::try_from(plain.len()).unwrap().to_be_bytes());
                let aad: &[u8] = if tls13 { &header } else { &aad12 };
                let n = aes_gcm::Nonce::from_slice(&nonce);
                if aes256 {
                    Aes256Gcm::new_from_slice(key)
                        .unwrap()
                        .encrypt_in_place(n, aad, &mut inner)
                } else {
                    Aes128Gcm::new_from_slice(key)
                        .unwrap()
                        .encrypt_in_place(n, aad, &mut inner)
                }
                .unwrap();
                let mut record = if tls13 { Vec::new() } else { explicit.to_vec() };
                record.extend_from_slice(&inner);

                let mut body = record.clone();
                prop_assert_eq!(keys.open(&header, &mut body), Open::Plain(23));
                prop_assert_eq!(&body, &plain);

                keys.seq = seq;
                let mut bad = record.clone();
                let bit = flip % (bad.len() * 8);
                bad[bit / 8] ^= 1 << (bit % 8);
                let opened = keys.open(&header, &mut bad);
                // A flipped bit in TLS 1.2's explicit nonce changes the nonce: still a bad MAC.
                prop_assert_eq!(opened, Open::BadMac);
                // The sequence number moved on: the next record is sealed under seq + 1.
                prop_assert_eq!(keys.seq, seq.wrapping_add(1));
                Ok(())
            })
            .unwrap();
    }

    /// The TLS 1.2 PRF test vector for SHA-256 circulated on the IETF TLS list (used by
    /// Go's and NSS's tests): secret, seed and label "test label", 100 bytes.
    #[test]
    fn prf_sha256_vector() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").expect("hex");
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").expect("hex");
        let out = prf(Hash::Sha256, &secret, b"test label", &[&seed], 100);
        assert_eq!(
            hex::encode(&out[..32]),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        );
    }
}

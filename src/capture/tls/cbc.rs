//! TLS 1.2 CBC suites (RFC 5246 §6.2.3.2): AES-CBC with HMAC-SHA1/SHA-256/SHA-384, MAC then
//! encrypt, or encrypt then MAC when both sides agreed to it (RFC 7366). Each record carries
//! its IV. A passive reader needs no constant-time checks: it only decides what to show.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit};
use hmac::{Hmac, Mac as _};

use super::crypto::Open;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacHash {
    Sha1,
    Sha256,
    Sha384,
}

impl MacHash {
    pub fn output_len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
        }
    }

    fn mac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        macro_rules! run {
            ($h:ty) => {{
                let Ok(mut m) = <Hmac<$h>>::new_from_slice(key) else {
                    return Vec::new();
                };
                for p in parts {
                    m.update(p);
                }
                m.finalize().into_bytes().to_vec()
            }};
        }
        match self {
            MacHash::Sha1 => run!(sha1::Sha1),
            MacHash::Sha256 => run!(sha2::Sha256),
            MacHash::Sha384 => run!(sha2::Sha384),
        }
    }
}

/// One direction's CBC keys.
pub struct CbcKeys {
    pub key: Vec<u8>,
    pub mac_key: Vec<u8>,
    pub mac: MacHash,
    pub encrypt_then_mac: bool,
}

impl CbcKeys {
    fn mac_of(&self, seq: u64, header: &[u8; 5], data: &[u8]) -> Vec<u8> {
        let len = (data.len() as u16).to_be_bytes();
        self.mac.mac(
            &self.mac_key,
            &[&seq.to_be_bytes(), &header[..3], &len, data],
        )
    }

    /// Decrypts `ct` in place with `iv`; false when it is not whole blocks or the key is bad.
    fn decrypt(&self, iv: &[u8], ct: &mut [u8]) -> bool {
        if ct.is_empty() || ct.len() % 16 != 0 {
            return false;
        }
        match self.key.len() {
            16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&self.key, iv)
                .ok()
                .and_then(|d| d.decrypt_padded_mut::<NoPadding>(ct).ok())
                .is_some(),
            32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(&self.key, iv)
                .ok()
                .and_then(|d| d.decrypt_padded_mut::<NoPadding>(ct).ok())
                .is_some(),
            _ => false,
        }
    }

    /// The length of `plain` without its CBC padding, if the padding is well formed.
    fn unpad(plain: &[u8]) -> Option<usize> {
        let pad = usize::from(*plain.last()?);
        let keep = plain.len().checked_sub(pad + 1)?;
        plain[keep..]
            .iter()
            .all(|&b| usize::from(b) == pad)
            .then_some(keep)
    }

    /// Opens one record (`body`: IV, ciphertext, and the MAC after it with encrypt-then-MAC);
    /// on success `body` holds the plaintext.
    pub fn open(&self, seq: u64, header: &[u8; 5], body: &mut Vec<u8>) -> Open {
        let ml = self.mac.output_len();
        if self.encrypt_then_mac {
            let Some(end) = body.len().checked_sub(ml).filter(|&e| e >= 32) else {
                return Open::Malformed;
            };
            if self.mac_of(seq, header, &body[..end]) != body[end..] {
                return Open::BadMac;
            }
            body.truncate(end);
            let (iv, ct) = body.split_at_mut(16);
            if !self.decrypt(iv, ct) {
                return Open::Malformed;
            }
            let Some(keep) = Self::unpad(ct) else {
                return Open::BadMac;
            };
            body.truncate(16 + keep);
            body.drain(..16);
            return Open::Plain(header[0]);
        }
        if body.len() < 32 {
            return Open::Malformed;
        }
        let (iv, ct) = body.split_at_mut(16);
        if !self.decrypt(iv, ct) {
            return Open::Malformed;
        }
        let Some(plain_len) = Self::unpad(ct).and_then(|k| k.checked_sub(ml)) else {
            return Open::BadMac;
        };
        let (plain, rest) = ct.split_at(plain_len);
        if self.mac_of(seq, header, plain) != rest[..ml] {
            return Open::BadMac;
        }
        body.truncate(16 + plain_len);
        body.drain(..16);
        Open::Plain(header[0])
    }
}

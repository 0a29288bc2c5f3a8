//! SigV4A (`AWS4-ECDSA-P256-SHA256`): the P-256 key pair derived from an access key and its
//! secret, and the verification of a DER signature with its public key.
//!
//! The derivation is AWS's, as `awslabs/aws-c-auth` `source/key_derivation.c`
//! (`aws_ecc_key_pair_new_ecdsa_p256_key_from_aws_credentials`) writes it: NIST SP 800-108
//! HMAC-SHA256 in counter mode keyed by `"AWS4A" + secret`, fixed input
//! `i (= 1, 4 bytes) || "AWS4-ECDSA-P256-SHA256" || 0x00 || access key || counter byte ||
//! L (= 256, 4 bytes)`; a candidate greater than n − 2 is discarded and the counter byte
//! incremented; the private scalar is candidate + 1. smithy-rs
//! `aws/rust-runtime/aws-sigv4/src/sign/v4a.rs` builds the same input (its bound reads
//! `ORDER >> 1` in one version, which differs from n − 2 only for candidates no test hits).
//!
//! The private scalar never leaves [`derive`]: only the public point is kept, shown and cached.

use hmac::{Hmac, Mac};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::Sha256;

/// The label of the KDF's fixed input, and the scheme's algorithm name.
const LABEL: &[u8] = b"AWS4-ECDSA-P256-SHA256";

/// The order n of P-256 minus 2 (FIPS 186-5 / SP 800-186 §3.2.1.3), big-endian.
const N_MINUS_2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
];

/// Why no key pair could be derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// Every counter byte gave a candidate above n − 2 (probability about 2^-8160).
    #[error("no SigV4A key could be derived: every KDF candidate was out of range")]
    OutOfRange,
    #[error("the derived SigV4A scalar is not a valid P-256 key")]
    InvalidScalar,
}

/// A SigV4A public key: the affine coordinates of the derived point, big-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PublicKey {
    pub x: [u8; 32],
    pub y: [u8; 32],
}

/// The KDF candidate for one counter byte (SP 800-108 counter mode, a single 256-bit block).
fn candidate(secret: &str, access_key: &str, counter: u8) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(format!("AWS4A{secret}").as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(&1u32.to_be_bytes());
    mac.update(LABEL);
    mac.update(&[0]);
    mac.update(access_key.as_bytes());
    mac.update(&[counter]);
    mac.update(&256u32.to_be_bytes());
    mac.finalize().into_bytes().into()
}

/// `v + 1` on a big-endian number known to be at most n − 2 (so it does not overflow).
fn add_one(v: &mut [u8; 32]) {
    for b in v.iter_mut().rev() {
        let (s, carry) = b.overflowing_add(1);
        *b = s;
        if !carry {
            break;
        }
    }
}

/// The public key of the pair AWS derives from `access_key` and `secret`.
pub fn derive(access_key: &str, secret: &str) -> Result<PublicKey, DeriveError> {
    for counter in 1..=u8::MAX {
        let mut k = candidate(secret, access_key, counter);
        // Big-endian arrays compare as the numbers they hold.
        if k > N_MINUS_2 {
            continue;
        }
        add_one(&mut k);
        let secret_key =
            p256::SecretKey::from_bytes(&k.into()).map_err(|_| DeriveError::InvalidScalar)?;
        k.fill(0);
        let point = secret_key.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(DeriveError::InvalidScalar);
        };
        return Ok(PublicKey {
            x: (*x).into(),
            y: (*y).into(),
        });
    }
    Err(DeriveError::OutOfRange)
}

/// Whether `claimed_hex` (a hex DER ECDSA signature, as SigV4A sends it) is a signature of
/// `message` (the string to sign; ECDSA hashes it with SHA-256) by `key`. A signature that is
/// not hex or not DER does not verify. A key used again has its multiples precomputed and
/// kept ([`super::ecdsa_prepared`]); a key that is not a point of P-256 verifies nothing.
pub fn verify(key: &PublicKey, message: &[u8], claimed_hex: &str) -> bool {
    let Ok(der) = hex::decode(claimed_hex.trim()) else {
        return false;
    };
    super::ecdsa_prepared::verify(key, message, &der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_one_carries() {
        let mut v = [0u8; 32];
        v[31] = 0xff;
        v[30] = 0xff;
        add_one(&mut v);
        assert_eq!(&v[29..], &[1, 0, 0]);
    }

    /// The public key of aws-c-auth's `tests/aws-signing-test-suite/v4a/get-vanilla/public-key.json`
    /// (also in tests/vectors), for the suite's credentials.
    #[test]
    fn the_suite_key_is_derived() {
        let k = derive("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        assert_eq!(
            hex::encode(k.x),
            "b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1"
        );
        assert_eq!(
            hex::encode(k.y),
            "865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518"
        );
    }

    #[test]
    fn garbage_signatures_do_not_verify() {
        let k = derive("AKID", "secret").unwrap();
        for s in ["", "zz", "3045", "30440220"] {
            assert!(!verify(&k, b"x", s), "{s}");
        }
    }
}

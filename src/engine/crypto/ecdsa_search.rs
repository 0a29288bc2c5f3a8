//! Many candidate messages against one SigV4A signature, fast: what the widened search of the
//! diagnosis does when it tries every date within a quarter of an hour (issue 12 §3 under
//! SigV4A, issue 15). A plain ECDSA verification costs two scalar multiplications of which
//! one is by a variable point; trying 3,600 dates that way took about 1.9 s per request shape.
//!
//! ECDSA verification (SEC 1 v2 §4.1.4) accepts `(r, s)` on hash `e` under public key `Q` when
//! the x-coordinate of `s⁻¹·(e·G + r·Q)` is `r` (mod n). Let `R` be either point whose
//! x-coordinate is `r` (the two y's). Then the condition is `s⁻¹·(e·G + r·Q) = ±R`, that is
//! `e·G = s·R − r·Q` for one of the two `R`. The right-hand sides depend only on the key and
//! the signature, so they are computed once; each candidate then costs its SHA-256 and one
//! multiplication by the fixed generator, done with a precomputed table of 8-bit windows
//! (32 mixed additions, no doubling; the table is 8,160 points, 0.5 MiB, built once in about
//! 10 ms).
//!
//! The one case this misses: an `x(R)` between n and p (so that `x mod n = r` with `x ≠ r`),
//! which has probability about 2⁻¹²⁸. The search reports only what it finds, and the ordinary
//! verification ([`super::ecdsa::verify`]) still judges every request, so a miss there could
//! only make the search say less. Everything here is public (a public key, a signature, hashes
//! of strings sent in the clear), so nothing needs constant time.

use std::sync::OnceLock;

use p256::ecdsa::Signature;
use p256::elliptic_curve::group::Curve;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::DecompressPoint;
use p256::elliptic_curve::subtle::Choice;
use p256::elliptic_curve::PrimeField;
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};
use sha2::{Digest, Sha256};

use super::ecdsa::PublicKey;

/// 8-bit windows of a 256-bit scalar: one per byte.
const WINDOWS: usize = 32;

/// `TABLE[i][d - 1] = d · 256ⁱ · G` for d in 1..=255.
type Table = Vec<[AffinePoint; 255]>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut base = ProjectivePoint::GENERATOR;
        let mut out = Vec::with_capacity(WINDOWS);
        for _ in 0..WINDOWS {
            let mut row = [ProjectivePoint::IDENTITY; 255];
            let mut acc = ProjectivePoint::IDENTITY;
            for slot in &mut row {
                acc += base;
                *slot = acc;
            }
            let mut affine = [AffinePoint::IDENTITY; 255];
            ProjectivePoint::batch_normalize(&row, &mut affine);
            out.push(affine);
            base = acc + base; // 256 · base
        }
        out
    })
}

/// `k · G` from the table: one mixed addition per non-zero byte.
fn mul_generator(k: &Scalar) -> ProjectivePoint {
    let bytes = k.to_repr(); // big-endian
    let table = table();
    let mut acc = ProjectivePoint::IDENTITY;
    for (i, &byte) in bytes.iter().rev().enumerate() {
        if byte != 0 {
            acc += table[i][usize::from(byte) - 1];
        }
    }
    acc
}

/// One public key and one claimed signature, ready to be tried against many messages.
pub struct SignatureSearch {
    /// `s·R − r·Q` for both points `R` with x-coordinate `r`.
    targets: Vec<ProjectivePoint>,
}

impl SignatureSearch {
    /// `None` when the signature is not hex DER, the key is not a point of P-256, or no point
    /// has `r` as its x-coordinate (then no message verifies).
    pub fn new(key: &PublicKey, claimed_hex: &str) -> Option<Self> {
        let der = hex::decode(claimed_hex.trim()).ok()?;
        let sig = Signature::from_der(&der).ok()?;
        let (r, s) = (*sig.r(), *sig.s());
        let q = p256::EncodedPoint::from_affine_coordinates(&key.x.into(), &key.y.into(), false);
        let q = Option::<AffinePoint>::from(
            p256::elliptic_curve::sec1::FromEncodedPoint::from_encoded_point(&q),
        )?;
        let r_q = ProjectivePoint::from(q) * r.as_ref();
        let x: FieldBytes = r.to_repr();
        let mut targets = Vec::with_capacity(2);
        for odd in [0u8, 1] {
            if let Some(point) =
                Option::<AffinePoint>::from(AffinePoint::decompress(&x, Choice::from(odd)))
            {
                targets.push(ProjectivePoint::from(point) * s.as_ref() - r_q);
            }
        }
        (!targets.is_empty()).then_some(Self { targets })
    }

    /// Whether the signature verifies over `message` (ECDSA hashes it with SHA-256).
    pub fn signs(&self, message: &[u8]) -> bool {
        let digest = Sha256::digest(message);
        let e = <Scalar as Reduce<U256>>::reduce_bytes(&digest);
        let eg = mul_generator(&e);
        self.targets.contains(&eg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{DerSignature, SigningKey};

    fn key_pair(seed: u8) -> (SigningKey, PublicKey) {
        let sk = SigningKey::from_bytes(&[seed.max(1); 32].into()).unwrap();
        let point = sk.verifying_key().to_encoded_point(false);
        let pk = PublicKey {
            x: (*point.x().unwrap()).into(),
            y: (*point.y().unwrap()).into(),
        };
        (sk, pk)
    }

    #[test]
    fn the_table_multiplies_like_the_curve() {
        for k in [
            1u64,
            2,
            15,
            16,
            17,
            255,
            256,
            257,
            0xff00,
            0xdead_beef,
            u64::MAX,
        ] {
            let k = Scalar::from(k);
            assert_eq!(mul_generator(&k), ProjectivePoint::GENERATOR * k);
        }
        let big = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(b"a 256-bit scalar"));
        assert_eq!(mul_generator(&big), ProjectivePoint::GENERATOR * big);
        assert_eq!(mul_generator(&-Scalar::ONE), -ProjectivePoint::GENERATOR);
    }

    /// The search agrees with the ordinary verification (the p256 crate's) on signatures made
    /// by the p256 crate, on the message signed and on others, for both halves of s (a
    /// signature and its negated-s twin both verify in ECDSA).
    #[test]
    fn it_agrees_with_ordinary_verification() {
        for seed in 1..=12u8 {
            let (sk, pk) = key_pair(seed);
            let message = format!("AWS4-ECDSA-P256-SHA256\n20150830T123600Z\nmessage {seed}");
            let sig: Signature = sk.sign(message.as_bytes());
            let twin = Signature::from_scalars(sig.r().to_repr(), (-*sig.s()).to_repr()).unwrap();
            for sig in [sig, twin] {
                let der: DerSignature = sig.to_der();
                let hex = hex::encode(der.as_bytes());
                let search = SignatureSearch::new(&pk, &hex).unwrap();
                assert!(search.signs(message.as_bytes()));
                assert!(super::super::ecdsa::verify(&pk, message.as_bytes(), &hex));
                for other in [
                    format!("{message} "),
                    message.replace('6', "7"),
                    String::new(),
                ] {
                    assert!(!search.signs(other.as_bytes()));
                    assert!(!super::super::ecdsa::verify(&pk, other.as_bytes(), &hex));
                }
                // Another key's signature does not verify under this key.
                let (_, other_pk) = key_pair(seed + 100);
                let other = SignatureSearch::new(&other_pk, &hex).unwrap();
                assert!(!other.signs(message.as_bytes()));
            }
        }
    }

    #[test]
    fn garbage_gives_no_search() {
        let (_, pk) = key_pair(3);
        for bad in ["", "zz", "30440220", "3006020100020101"] {
            assert!(SignatureSearch::new(&pk, bad).is_none(), "{bad}");
        }
        let off_curve = PublicKey {
            x: [1; 32],
            y: [2; 32],
        };
        let (sk, _) = key_pair(3);
        let sig: Signature = sk.sign(b"m");
        assert!(SignatureSearch::new(&off_curve, &hex::encode(sig.to_der().as_bytes())).is_none());
    }
}

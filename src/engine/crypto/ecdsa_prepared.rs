//! SigV4A verification with the public key prepared once (issue 15, the benchmark against
//! awscrt): what [`super::ecdsa::verify`] runs.
//!
//! ECDSA verification (SEC 1 v2 §4.1.4; the ecdsa crate's `hazmat::verify_prehashed` does the
//! same) accepts `(r, s)` on hash `e` under public key `Q` when the x-coordinate of
//! `u1·G + u2·Q`, with `u1 = e·s⁻¹` and `u2 = r·s⁻¹`, is `r` (mod n). The p256 crate computes
//! the sum as two separate variable-base multiplications (primeorder's default
//! `LinearCombination`: about 256 doublings and 64 additions each, with constant-time table
//! lookups), which made one verification cost about five times awscrt's (aws-lc's; the
//! figures are in bench/sigv4a/results.md).
//!
//! Both points are fixed, so both multiplications become table lookups with no doubling: a
//! [`SignedTable`] holds `d · 2^(w·i) · P` for every window `i` and digit `d` in 1..=2^(w−1),
//! and a scalar read as signed w-bit digits (−2^(w−1)..2^(w−1), a carry into the next window)
//! costs one mixed addition per non-zero digit, a negative digit adding the negated point.
//! `G`'s table (w = 12: 23 windows × 2,048 points, about 3.4 MB, built once per process in
//! some tens of milliseconds) and each key's (w = 10: 27 × 512 points, about 1 MB, some
//! milliseconds) make a verification about 49 additions, one scalar inversion and one field
//! inversion (the final affine x). The profile is nearly all field multiplications, so the
//! number of additions is the cost: 4-bit windows for `Q` and 8-bit for `G` (96 additions)
//! left it level with awscrt.
//!
//! A key's table is built at its [`PREPARE_AT`]th verification in the process; before, the
//! p256 crate's own verification runs (about 0.5 ms), so a one-request run pays no table.
//!
//! Everything here is public (a public key, a signature, the hash of a string sent in the
//! clear), so nothing needs constant time, and the early exits on zero digits are fine.
//!
//! The tables are kept per public key in a small process-wide cache (the signing keys are
//! cached per run by [`super::KeyCache`]; the public key is a function of them, so sharing the
//! tables across runs is sound), each thread remembering its last key to skip the lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, Signature, VerifyingKey};
use p256::elliptic_curve::group::Curve;
use p256::elliptic_curve::ops::{Invert, Reduce};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::FromEncodedPoint;
use p256::elliptic_curve::{Group, PrimeField};
use p256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar, U256};
use sha2::{Digest, Sha256};

use super::ecdsa::PublicKey;

/// Window width of `G`'s table.
const G_WINDOW: u32 = 12;

/// Window width of a public key's table.
const KEY_WINDOW: u32 = 10;

/// The verification (counted per process) at which a key's table is built.
pub const PREPARE_AT: u32 = 3;

/// Keys counted or prepared; past this the cache starts again (a key's table is about 1 MB).
const MAX_KEYS: usize = 16;

/// Multiples of one point for signed w-bit windows: `points[i · row + d − 1] = d · 2^(w·i) · P`
/// for d in 1..=`row` (= 2^(w−1)), over ⌈256 / w⌉ windows and one more for the last carry.
pub struct SignedTable {
    w: u32,
    row: usize,
    points: Vec<AffinePoint>,
}

impl SignedTable {
    pub fn new(p: ProjectivePoint, w: u32) -> Self {
        let row = 1usize << (w - 1);
        let windows = 256usize.div_ceil(w as usize) + 1;
        let mut points = vec![AffinePoint::IDENTITY; windows * row];
        let mut multiples = vec![ProjectivePoint::IDENTITY; row];
        let mut base = p;
        for chunk in points.chunks_mut(row) {
            let mut acc = ProjectivePoint::IDENTITY;
            for slot in &mut multiples {
                acc += base;
                *slot = acc;
            }
            ProjectivePoint::batch_normalize(&multiples, chunk);
            base = acc.double(); // 2^w · base
        }
        Self { w, row, points }
    }

    /// `k · P`: one mixed addition per non-zero signed digit.
    pub fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let bytes = k.to_repr(); // big-endian
        let mut limbs = [0u64; 5]; // little-endian, a zero limb past the top for the last window
        for (i, chunk) in bytes.rchunks(8).enumerate() {
            limbs[i] = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
        }
        let (w, half) = (self.w as usize, 1i64 << (self.w - 1));
        let mut acc = ProjectivePoint::IDENTITY;
        let mut carry = 0i64;
        let windows = self.points.len() / self.row;
        for i in 0..windows - 1 {
            let bit = i * w;
            let (limb, shift) = (bit / 64, bit % 64);
            let mut v = limbs[limb] >> shift;
            if shift + w > 64 {
                v |= limbs[limb + 1] << (64 - shift);
            }
            #[allow(clippy::cast_possible_wrap)] // w ≤ 16 bits
            let mut digit = (v & ((1u64 << w) - 1)) as i64 + carry;
            carry = i64::from(digit >= half);
            digit -= carry << w;
            self.add_digit(&mut acc, i, digit);
        }
        self.add_digit(&mut acc, windows - 1, carry);
        acc
    }

    /// `acc += digit · 2^(w·i) · P` for a digit in −2^(w−1)..=2^(w−1).
    fn add_digit(&self, acc: &mut ProjectivePoint, i: usize, digit: i64) {
        let Some(slot) = usize::try_from(digit.unsigned_abs())
            .ok()
            .and_then(|d| d.checked_sub(1))
        else {
            return;
        };
        let point = self.points[i * self.row + slot];
        *acc += if digit < 0 { -point } else { point };
    }
}

fn generator_table() -> &'static SignedTable {
    static TABLE: OnceLock<SignedTable> = OnceLock::new();
    TABLE.get_or_init(|| SignedTable::new(ProjectivePoint::GENERATOR, G_WINDOW))
}

/// A public key with its multiples precomputed for verification.
pub struct PreparedKey {
    table: SignedTable,
}

impl PreparedKey {
    /// `None` when `key` is not a point of P-256 (then no signature verifies under it).
    pub fn new(key: &PublicKey) -> Option<Self> {
        let q = point(key)?;
        Some(Self {
            table: SignedTable::new(ProjectivePoint::from(q), KEY_WINDOW),
        })
    }

    /// Whether `der` (an ASN.1 DER ECDSA signature) signs `message` (hashed with SHA-256).
    pub fn verify(&self, message: &[u8], der: &[u8]) -> bool {
        // from_der refuses r or s of zero or not below n (ecdsa crate, Signature::from_scalars).
        let Ok(sig) = Signature::from_der(der) else {
            return false;
        };
        let (r, s) = sig.split_scalars();
        let e = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(message));
        let s_inv = *Invert::invert_vartime(&s);
        let point = generator_table().mul(&(e * s_inv)) + self.table.mul(&(*r * s_inv));
        if bool::from(point.is_identity()) {
            return false;
        }
        <Scalar as Reduce<U256>>::reduce_bytes(&point.to_affine().x()) == *r
    }
}

fn point(key: &PublicKey) -> Option<AffinePoint> {
    let encoded = EncodedPoint::from_affine_coordinates(&key.x.into(), &key.y.into(), false);
    Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&encoded))
}

/// The p256 crate's own verification, no table: a key's first verifications.
pub fn verify_unprepared(key: &PublicKey, message: &[u8], der: &[u8]) -> bool {
    let Ok(sig) = DerSignature::try_from(der) else {
        return false;
    };
    point(key)
        .and_then(|q| VerifyingKey::from_affine(q).ok())
        .is_some_and(|vk| vk.verify(message, &sig).is_ok())
}

/// Whether `der` signs `message` under `key`: with the key's table from its
/// [`PREPARE_AT`]th verification on, by the p256 crate before.
pub fn verify(key: &PublicKey, message: &[u8], der: &[u8]) -> bool {
    match prepared(key) {
        Some(p) => p.verify(message, der),
        None => verify_unprepared(key, message, der),
    }
}

/// A key's verifications so far, and its table once built (`Some(None)`: not a point).
#[derive(Default)]
struct Entry {
    seen: u32,
    prepared: Option<Option<Arc<PreparedKey>>>,
}

/// Keys counted and prepared: the process-wide cache behind [`prepared`].
#[derive(Default)]
struct KeyTables {
    map: Mutex<HashMap<PublicKey, Entry>>,
}

impl KeyTables {
    /// Counts one verification with `key`; its table once this is the [`PREPARE_AT`]th.
    fn get(&self, key: &PublicKey) -> Option<Arc<PreparedKey>> {
        let Ok(mut m) = self.map.lock() else {
            return None;
        };
        if m.len() >= MAX_KEYS && !m.contains_key(key) {
            m.clear();
        }
        let e = m.entry(*key).or_default();
        if let Some(p) = &e.prepared {
            return p.clone();
        }
        e.seen += 1;
        if e.seen < PREPARE_AT {
            return None;
        }
        // Built outside the lock; another thread may build it too, the same table.
        drop(m);
        let p = PreparedKey::new(key).map(Arc::new);
        if let Ok(mut m) = self.map.lock() {
            m.entry(*key).or_default().prepared = Some(p.clone());
        }
        p
    }
}

/// The prepared form of `key` once it has been asked for [`PREPARE_AT`] times (`None` before,
/// and for a key that is not a point of P-256).
pub fn prepared(key: &PublicKey) -> Option<Arc<PreparedKey>> {
    static TABLES: OnceLock<KeyTables> = OnceLock::new();
    thread_local! {
        static RECENT: std::cell::RefCell<Option<(PublicKey, Arc<PreparedKey>)>> =
            const { std::cell::RefCell::new(None) };
    }
    if let Some(hit) = RECENT.with_borrow(|r| {
        r.as_ref()
            .filter(|(k, _)| k == key)
            .map(|(_, p)| Arc::clone(p))
    }) {
        return Some(hit);
    }
    let p = TABLES.get_or_init(KeyTables::default).get(key)?;
    RECENT.with_borrow_mut(|r| *r = Some((*key, Arc::clone(&p))));
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::SigningKey;

    fn key_pair(seed: u8) -> (SigningKey, PublicKey) {
        let sk = SigningKey::from_bytes(&[seed.max(1); 32].into()).unwrap();
        let point = sk.verifying_key().to_encoded_point(false);
        let pk = PublicKey {
            x: (*point.x().unwrap()).into(),
            y: (*point.y().unwrap()).into(),
        };
        (sk, pk)
    }

    /// Every window width multiplies like the curve, on digits at the edges of the signed
    /// range (a window at 2^(w−1) − 1, at 2^(w−1), all ones, the top carry).
    #[test]
    fn the_tables_multiply_like_the_curve() {
        let (sk, _) = key_pair(7);
        let q = ProjectivePoint::from(*sk.verifying_key().as_affine());
        let big = <Scalar as Reduce<U256>>::reduce_bytes(&Sha256::digest(b"a 256-bit scalar"));
        let scalars = [
            Scalar::ZERO,
            Scalar::ONE,
            Scalar::from(15u64),
            Scalar::from(0x80_u64),
            Scalar::from(0x1ff_u64),
            Scalar::from(0x200_u64),
            Scalar::from(0x7ff_u64),
            Scalar::from(0x800_u64),
            Scalar::from(0xfff_u64),
            Scalar::from(0x8080_8080_u64),
            Scalar::from(u64::MAX),
            big,
            -big,
            -Scalar::ONE,
        ];
        for w in [4, 5, 8, KEY_WINDOW, 11] {
            let table = SignedTable::new(q, w);
            for k in &scalars {
                assert_eq!(table.mul(k), q * k, "w={w} k={k:?}");
            }
        }
        for k in &scalars {
            assert_eq!(generator_table().mul(k), ProjectivePoint::GENERATOR * k);
        }
    }

    /// The prepared verification agrees with the p256 crate's own (the oracle), on the message
    /// signed and on others, for both halves of s, under the right key and another one.
    #[test]
    fn it_agrees_with_the_p256_crate() {
        for seed in 1..=6u8 {
            let (sk, pk) = key_pair(seed);
            let (_, other_pk) = key_pair(seed + 100);
            let (prepared, other) = (
                PreparedKey::new(&pk).unwrap(),
                PreparedKey::new(&other_pk).unwrap(),
            );
            let message = format!("AWS4-ECDSA-P256-SHA256\n20150830T123600Z\nmessage {seed}");
            let sig: Signature = sk.sign(message.as_bytes());
            let twin = Signature::from_scalars(sig.r().to_repr(), (-*sig.s()).to_repr()).unwrap();
            for sig in [sig, twin] {
                let der = sig.to_der();
                for m in [message.clone(), format!("{message} "), String::new()] {
                    let want = verify_unprepared(&pk, m.as_bytes(), der.as_bytes());
                    assert_eq!(m == message, want);
                    assert_eq!(prepared.verify(m.as_bytes(), der.as_bytes()), want);
                    assert!(!verify_unprepared(&other_pk, m.as_bytes(), der.as_bytes()));
                    assert!(!other.verify(m.as_bytes(), der.as_bytes()));
                }
            }
        }
    }

    #[test]
    fn off_curve_keys_and_garbage_do_not_verify() {
        let off_curve = PublicKey {
            x: [1; 32],
            y: [2; 32],
        };
        assert!(PreparedKey::new(&off_curve).is_none());
        let (sk, pk) = key_pair(3);
        let sig: Signature = sk.sign(b"m");
        let der = sig.to_der();
        for _ in 0..PREPARE_AT + 1 {
            assert!(prepared(&off_curve).is_none());
            assert!(!verify(&off_curve, b"m", der.as_bytes()));
        }
        let p = PreparedKey::new(&pk).unwrap();
        assert!(p.verify(b"m", der.as_bytes()));
        for bad in [
            &b""[..],
            b"\x30\x06\x02\x01\x00\x02\x01\x01",
            &der.as_bytes()[1..],
        ] {
            assert!(!p.verify(b"m", bad));
            assert!(!verify_unprepared(&pk, b"m", bad));
        }
    }

    /// A key is prepared at its PREPARE_AT-th verification, each key counted on its own.
    #[test]
    fn a_key_is_prepared_when_due() {
        let (_, pk1) = key_pair(21);
        let (_, pk2) = key_pair(22);
        let tables = KeyTables::default();
        for round in 1..=PREPARE_AT + 2 {
            assert_eq!(tables.get(&pk1).is_some(), round >= PREPARE_AT, "{round}");
            if round % 2 == 0 {
                assert_eq!(
                    tables.get(&pk2).is_some(),
                    round >= 2 * PREPARE_AT,
                    "{round}"
                );
            }
        }
        assert!(Arc::ptr_eq(
            &tables.get(&pk1).unwrap(),
            &tables.get(&pk1).unwrap()
        ));
    }

    /// Alternating keys through the process-wide cache: the thread's last key must not answer
    /// for another, before and after the tables are built.
    #[test]
    fn each_key_verifies_with_its_own_table() {
        let (sk1, pk1) = key_pair(23);
        let (_, pk2) = key_pair(24);
        let sig: Signature = sk1.sign(b"m");
        let der = sig.to_der();
        for _ in 0..PREPARE_AT + 2 {
            assert!(verify(&pk1, b"m", der.as_bytes()));
            assert!(!verify(&pk2, b"m", der.as_bytes()));
        }
    }
}

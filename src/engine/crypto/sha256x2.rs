//! Two SHA-256 digests in one pass (issue 14): an aws-chunked upload's wire body (the report's
//! `body_sha256`) and its decoded payload (an `x-amz-checksum-sha256` trailer) are different
//! bytes, so two digests are needed, but the SHA extensions' round instruction
//! (`sha256rnds2`) has a latency several times its issue interval: one digest leaves the unit
//! idle most of the time, and two independent ones, their rounds interleaved, cost little more
//! than one. Where the CPU lacks the SHA extensions, each digest is computed alone by `sha2`.
//!
//! The round and message-schedule sequence is Intel's (the "Intel SHA Extensions" white paper,
//! 2013), as the `sha2` crate's x86 backend writes it (`sha2-0.10.9/src/sha256/x86.rs`); here
//! each step is done for two states at once. Padding: FIPS 180-4 §5.1.1.

use sha2::Digest;

/// The SHA-256 of `a` and of the concatenation of `b`'s pieces.
pub fn digest_two<'a>(a: &[u8], b: impl Iterator<Item = &'a [u8]>) -> ([u8; 32], [u8; 32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse4.1")
            && std::arch::is_x86_feature_detected!("ssse3")
        {
            return x86::digest_two(a, b);
        }
    }
    let mut hb = sha2::Sha256::new();
    b.for_each(|p| hb.update(p));
    (sha2::Sha256::digest(a).into(), hb.finalize().into())
}

/// A stream of bytes in pieces, read as 64-byte blocks: borrowed where a block lies inside one
/// piece, gathered into `buf` where it straddles two.
struct Blocks<'a, I: Iterator<Item = &'a [u8]>> {
    pieces: I,
    cur: &'a [u8],
    buf: [u8; 64],
    fill: usize,
    len: u64,
}

impl<'a, I: Iterator<Item = &'a [u8]>> Blocks<'a, I> {
    fn new(pieces: I) -> Self {
        Blocks {
            pieces,
            cur: &[],
            buf: [0; 64],
            fill: 0,
            len: 0,
        }
    }

    /// The next whole block, or None at the end (the last partial block is then in
    /// `buf[..fill]`).
    fn next_block(&mut self) -> Option<[u8; 64]> {
        loop {
            if self.fill == 0 && self.cur.len() >= 64 {
                let (blk, rest) = self.cur.split_at(64);
                self.cur = rest;
                self.len += 64;
                return blk.try_into().ok();
            }
            if self.cur.is_empty() {
                self.cur = self.pieces.next()?;
                continue;
            }
            let n = (64 - self.fill).min(self.cur.len());
            self.buf[self.fill..self.fill + n].copy_from_slice(&self.cur[..n]);
            self.fill += n;
            self.cur = &self.cur[n..];
            if self.fill == 64 {
                self.fill = 0;
                self.len += 64;
                return Some(self.buf);
            }
        }
    }

    /// Feeds the rest to `state` by `compress` (whole blocks, then the tail with its
    /// padding).
    fn finish(
        mut self,
        state: &mut [u32; 8],
        compress: impl Fn(&mut [u32; 8], &[u8; 64]),
    ) -> [u8; 32] {
        while let Some(b) = self.next_block() {
            compress(state, &b);
        }
        let bits = (self.len + self.fill as u64) * 8;
        let mut last = [0u8; 128];
        last[..self.fill].copy_from_slice(&self.buf[..self.fill]);
        last[self.fill] = 0x80;
        let n = if self.fill < 56 { 64 } else { 128 };
        last[n - 8..n].copy_from_slice(&bits.to_be_bytes());
        for blk in last[..n].chunks_exact(64) {
            let blk: [u8; 64] = blk.try_into().unwrap_or([0; 64]);
            compress(state, &blk);
        }
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(state.iter()) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

// SAFETY (the whole module): its `unsafe fn`s use the SHA, SSSE3 and SSE4.1 instructions and are
// reached only through `x86::digest_two`, which the caller reaches only after
// `is_x86_feature_detected!` found all three; their loads and stores are unaligned 16-byte
// accesses inside `[u32; 8]` states, `[u8; 64]` blocks and the 64-entry `K` (`4 * i + 4 <= 64`
// for the round groups `i < 16`).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::{Blocks, H0};
    use std::arch::x86_64::*;

    /// FIPS 180-4 §4.2.2.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub(super) fn digest_two<'a>(
        a: &[u8],
        b: impl Iterator<Item = &'a [u8]>,
    ) -> ([u8; 32], [u8; 32]) {
        let mut ta = Blocks::new(std::iter::once(a));
        let mut tb = Blocks::new(b);
        let (mut sa, mut sb) = (H0, H0);
        // Whole blocks of both, two at a time; then each alone.
        while let Some(x) = ta.next_block() {
            let Some(y) = tb.next_block() else {
                one(&mut sa, &x);
                break;
            };
            // SAFETY: the caller checked that the CPU has SHA, SSSE3 and SSE4.1 (the features
            // `two_blocks` is compiled for); it reads only the two 64-byte arrays it is given.
            unsafe {
                two_blocks(&mut sa, &mut sb, &x, &y);
            }
        }
        (ta.finish(&mut sa, one), tb.finish(&mut sb, one))
    }

    fn one(state: &mut [u32; 8], block: &[u8; 64]) {
        // SAFETY: only reached from `digest_two`, whose caller checked the CPU features
        // `one_block` is compiled for.
        unsafe {
            one_block(state, block);
        }
    }

    #[inline(always)]
    unsafe fn schedule(v0: __m128i, v1: __m128i, v2: __m128i, v3: __m128i) -> __m128i {
        let t1 = _mm_sha256msg1_epu32(v0, v1);
        let t2 = _mm_alignr_epi8(v3, v2, 4);
        let t3 = _mm_add_epi32(t1, t2);
        _mm_sha256msg2_epu32(t3, v3)
    }

    #[inline(always)]
    unsafe fn rounds4(abef: &mut __m128i, cdgh: &mut __m128i, w: __m128i, i: usize) {
        let k = _mm_loadu_si128(K.as_ptr().add(4 * i).cast());
        let t1 = _mm_add_epi32(w, k);
        *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, t1);
        let t2 = _mm_shuffle_epi32(t1, 0x0E);
        *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, t2);
    }

    #[inline(always)]
    unsafe fn load(state: &[u32; 8]) -> (__m128i, __m128i) {
        let p = state.as_ptr().cast::<__m128i>();
        let dcba = _mm_loadu_si128(p);
        let efgh = _mm_loadu_si128(p.add(1));
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(efgh, 0x1B);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xF0),
        )
    }

    #[inline(always)]
    unsafe fn store(state: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        let p = state.as_mut_ptr().cast::<__m128i>();
        _mm_storeu_si128(p, _mm_blend_epi16(feba, dchg, 0xF0));
        _mm_storeu_si128(p.add(1), _mm_alignr_epi8(dchg, feba, 8));
    }

    /// One block into one state.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn one_block(s: &mut [u32; 8], block: &[u8; 64]) {
        let mask = _mm_set_epi64x(
            0x0C0D_0E0F_0809_0A0Bu64 as i64,
            0x0405_0607_0001_0203u64 as i64,
        );
        let (mut abef, mut cdgh) = load(s);
        let (save_a, save_c) = (abef, cdgh);
        let p = block.as_ptr().cast::<__m128i>();
        let mut w = [_mm_setzero_si128(); 4];
        for (j, w) in w.iter_mut().enumerate() {
            *w = _mm_shuffle_epi8(_mm_loadu_si128(p.add(j)), mask);
        }
        for (i, &w) in w.iter().enumerate() {
            rounds4(&mut abef, &mut cdgh, w, i);
        }
        for i in 4..16 {
            let x = schedule(w[i % 4], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
            w[i % 4] = x;
            rounds4(&mut abef, &mut cdgh, x, i);
        }
        store(s, _mm_add_epi32(abef, save_a), _mm_add_epi32(cdgh, save_c));
    }

    /// One block into each of two states, the two rounds sequences interleaved (written out
    /// in full, as in `sha2`'s backend: a loop kept the message words in memory).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn two_blocks(sa: &mut [u32; 8], sb: &mut [u32; 8], a: &[u8; 64], b: &[u8; 64]) {
        let mask = _mm_set_epi64x(
            0x0C0D_0E0F_0809_0A0Bu64 as i64,
            0x0405_0607_0001_0203u64 as i64,
        );
        let (mut abef_a, mut cdgh_a) = load(sa);
        let (mut abef_b, mut cdgh_b) = load(sb);
        let (save_aa, save_ac, save_ba, save_bc) = (abef_a, cdgh_a, abef_b, cdgh_b);
        let pa = a.as_ptr().cast::<__m128i>();
        let pb = b.as_ptr().cast::<__m128i>();
        let mut a0 = _mm_shuffle_epi8(_mm_loadu_si128(pa), mask);
        let mut a1 = _mm_shuffle_epi8(_mm_loadu_si128(pa.add(1)), mask);
        let mut a2 = _mm_shuffle_epi8(_mm_loadu_si128(pa.add(2)), mask);
        let mut a3 = _mm_shuffle_epi8(_mm_loadu_si128(pa.add(3)), mask);
        let mut b0 = _mm_shuffle_epi8(_mm_loadu_si128(pb), mask);
        let mut b1 = _mm_shuffle_epi8(_mm_loadu_si128(pb.add(1)), mask);
        let mut b2 = _mm_shuffle_epi8(_mm_loadu_si128(pb.add(2)), mask);
        let mut b3 = _mm_shuffle_epi8(_mm_loadu_si128(pb.add(3)), mask);
        macro_rules! r4 {
            ($wa:expr, $wb:expr, $i:expr) => {
                rounds4(&mut abef_a, &mut cdgh_a, $wa, $i);
                rounds4(&mut abef_b, &mut cdgh_b, $wb, $i);
            };
        }
        // Rounds 16.. take W[i] = schedule(W[i-4], W[i-3], W[i-2], W[i-1]), into W[i-4]'s
        // register.
        macro_rules! s4 {
            ($a0:ident, $a1:ident, $a2:ident, $a3:ident,
             $b0:ident, $b1:ident, $b2:ident, $b3:ident, $i:expr) => {
                $a0 = schedule($a0, $a1, $a2, $a3);
                $b0 = schedule($b0, $b1, $b2, $b3);
                r4!($a0, $b0, $i);
            };
        }
        r4!(a0, b0, 0);
        r4!(a1, b1, 1);
        r4!(a2, b2, 2);
        r4!(a3, b3, 3);
        s4!(a0, a1, a2, a3, b0, b1, b2, b3, 4);
        s4!(a1, a2, a3, a0, b1, b2, b3, b0, 5);
        s4!(a2, a3, a0, a1, b2, b3, b0, b1, 6);
        s4!(a3, a0, a1, a2, b3, b0, b1, b2, 7);
        s4!(a0, a1, a2, a3, b0, b1, b2, b3, 8);
        s4!(a1, a2, a3, a0, b1, b2, b3, b0, 9);
        s4!(a2, a3, a0, a1, b2, b3, b0, b1, 10);
        s4!(a3, a0, a1, a2, b3, b0, b1, b2, 11);
        s4!(a0, a1, a2, a3, b0, b1, b2, b3, 12);
        s4!(a1, a2, a3, a0, b1, b2, b3, b0, 13);
        s4!(a2, a3, a0, a1, b2, b3, b0, b1, 14);
        s4!(a3, a0, a1, a2, b3, b0, b1, b2, 15);
        store(
            sa,
            _mm_add_epi32(abef_a, save_aa),
            _mm_add_epi32(cdgh_a, save_ac),
        );
        store(
            sb,
            _mm_add_epi32(abef_b, save_ba),
            _mm_add_epi32(cdgh_b, save_bc),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against `sha2` (the oracle) at every length around the block and padding boundaries,
    /// with the second input cut into pieces that straddle blocks in every way.
    #[test]
    fn agrees_with_sha2() {
        let data: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let lens = [
            0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4097, 70_000,
        ];
        for la in lens {
            for lb in lens {
                for split in [1, 7, 63, 64, 100, 1000] {
                    let a = &data[..la];
                    let b = &data[1000..1000 + lb];
                    let (x, y) = digest_two(a, b.chunks(split));
                    assert_eq!(x[..], sha2::Sha256::digest(a)[..], "a {la}");
                    assert_eq!(y[..], sha2::Sha256::digest(b)[..], "b {lb} split {split}");
                }
            }
        }
    }
}

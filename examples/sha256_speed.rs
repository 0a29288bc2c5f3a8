//! SHA-256 throughput on this CPU, one core (issue 14, `bench/payload/sha256_speed.sh`): the
//! `sha2` crate's `Sha256::digest` (whose x86 backend uses the SHA extensions when the CPU
//! has them), `ring::digest` (BoringSSL's assembly), and the two digests an aws-chunked upload
//! with a SHA256 checksum needs (its wire body, and its decoded payload): two `sha2` passes
//! against sigscope's one interleaved pass (`engine::crypto::sha256x2`). Each over 64 MiB,
//! best of 7, in thread CPU time (other jobs on the machine then cost little).
//!
//!   cargo run --release --example sha256_speed

use sha2::Digest;
use sigscope::engine::crypto::sha256x2::digest_two;

const N: usize = 64 << 20;
const CHUNK: usize = 65536;

fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for clock_gettime to write.
    #[allow(unsafe_code)]
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t);
    }
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// GB/s of `N` bytes: the best of 7 runs of `f`.
fn best(mut f: impl FnMut() -> u8) -> f64 {
    let mut sink = 0u8;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = cpu_seconds();
        sink ^= f();
        best = best.min(cpu_seconds() - t);
    }
    std::hint::black_box(sink);
    N as f64 / best / 1e9
}

fn main() {
    let data: Vec<u8> = (0..N).map(|i| (i.wrapping_mul(7) + 3) as u8).collect();
    // The decoded payload of an aws-chunked body lies in its chunks: pieces of the wire body.
    let payload = || data[100..].chunks(CHUNK);
    let sha2_one = best(|| sha2::Sha256::digest(&data)[0]);
    let ring_one = best(|| ring::digest::digest(&ring::digest::SHA256, &data).as_ref()[0]);
    let sha2_two = best(|| {
        let mut h = sha2::Sha256::new();
        payload().for_each(|p| h.update(p));
        sha2::Sha256::digest(&data)[0] ^ h.finalize()[0]
    });
    let ours_two = best(|| {
        let (a, b) = digest_two(&data, payload());
        a[0] ^ b[0]
    });
    let (a, b) = digest_two(&data, payload());
    let mut h = sha2::Sha256::new();
    payload().for_each(|p| h.update(p));
    assert_eq!(
        (&a[..], &b[..]),
        (&sha2::Sha256::digest(&data)[..], &h.finalize()[..])
    );
    println!("sha2 Sha256::digest, 64 MiB: {sha2_one:.2} GB/s");
    println!("ring::digest SHA256, 64 MiB: {ring_one:.2} GB/s");
    println!("two digests (wire body + payload), two sha2 passes: {sha2_two:.2} GB/s of payload");
    println!("two digests (wire body + payload), sigscope sha256x2: {ours_two:.2} GB/s of payload");
}

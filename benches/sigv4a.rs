//! SigV4A verify-one-request benchmark (issue 15): sigscope's side. `bench/sigv4a/run.sh` runs
//! it and `bench/sigv4a/awscrt_verify.py` (awscrt's verifier, aws-c-auth
//! `aws_verify_sigv4a_signing`) on the same request in one run and writes
//! `bench/sigv4a/results.md`.
//!
//! The request is `tests/vectors/sigv4a/s3-put-object.http`: an S3 PutObject that botocore
//! 1.43.11 signed through awscrt 0.32.2 (`AWS4-ECDSA-P256-SHA256`, region set `*`, 5 signed
//! headers, a 9-byte body), with the fixture's credentials. Before timing, the request is
//! checked to verify and a copy with one signed header changed to be refused.
//!
//! With `SIGSCOPE_V4A_DUMP=DIR` set, the canonical requests of both (sigscope's) are written
//! there: awscrt's verifier takes the canonical request it must reproduce as an input, so the
//! Python side checks that awscrt's own canonical request is byte-identical to sigscope's.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use sigscope::credentials::Credentials;
use sigscope::engine::auth::{detect, Parsed};
use sigscope::engine::crypto::ecdsa::{derive, verify, PublicKey};
use sigscope::engine::crypto::{sha256_hex, KeyCache};
use sigscope::engine::dialect::{self, SigV4Rules};
use sigscope::engine::sigv4::{canonicalize, check, V4Context};
use sigscope::engine::{analyze, KeyStore, Mode, Verdict, Verifier};
use sigscope::http::Request;

#[path = "common/mod.rs"]
mod common;

const VECTOR: &str = "tests/vectors/sigv4a/s3-put-object.http";
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The signed header changed in the tampered copy, and its new value.
const TAMPER_HEADER: &[u8] = b"x-amz-sdk-checksum-algorithm";
const TAMPER_VALUE: &[u8] = b"CRC32C";

fn load() -> Request {
    common::load(VECTOR)
}

/// One SigV4A header request end to end, as a verifier does it with the key pair already
/// derived for this access key: parse the Authorization header, hash the body, rebuild the
/// canonical request and string to sign, take the public key from the warm cache, verify the
/// ECDSA signature. Returns the canonical request too (for the dump), when it verifies or not.
fn sigscope_verify(
    req: &Request,
    keys: &dyn KeyStore,
    rules: &SigV4Rules,
    cache: &KeyCache,
) -> (bool, Vec<u8>) {
    let detected = detect(req);
    let Parsed::V4(a) = &detected.parsed else {
        return (false, Vec::new());
    };
    let Some(secret) = keys.secret(&a.access_key) else {
        return (false, Vec::new());
    };
    let body_sha256 = sha256_hex(&req.body);
    let ctx = V4Context {
        req,
        auth: a,
        presigned: false,
        body_sha256: &body_sha256,
        token_appended: false,
    };
    let c = canonicalize(&ctx, rules);
    let chain = cache.chain(secret, &a.key_scope());
    let ok = c.rejects.is_none()
        && check(Some(&chain), &c.string_to_sign, &a.signature).matches == Some(true);
    (ok, c.canonical_request)
}

fn dump(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("SIGSCOPE_V4A_DUMP") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

fn bench(c: &mut Criterion) {
    let req = load();
    let creds = Credentials::parse(&format!(
        "[bench]\naws_access_key_id={ACCESS_KEY}\naws_secret_access_key={SECRET_KEY}\n"
    ));
    let aws = dialect::by_name("aws").expect("aws dialect");
    let cache = KeyCache::default();
    let verifier = Verifier {
        keys: &creds,
        dialect: aws,
        cache: &cache,
        reveal_keys: false,
    };
    let detected = detect(&req);
    assert_eq!(detected.info.mode, Mode::Sigv4aHeader);
    let Parsed::V4(auth) = &detected.parsed else {
        panic!("not SigV4A")
    };

    // The request verifies (one dialect, and the full analysis)...
    let (ok, canonical) = sigscope_verify(&req, &creds, &aws.sigv4, &cache);
    assert!(ok, "the fixture does not verify");
    assert_eq!(analyze(&req, &verifier).verdict, Verdict::Valid);
    // ...and a copy with one signed header changed does not.
    let mut tampered = req.clone();
    let mut changed = 0;
    for h in &mut tampered.headers {
        if h.name.eq_ignore_ascii_case(TAMPER_HEADER) {
            h.value = TAMPER_VALUE.to_vec();
            changed += 1;
        }
    }
    assert_eq!(changed, 1, "the tampered header is not in the fixture");
    let (bad, tampered_canonical) = sigscope_verify(&tampered, &creds, &aws.sigv4, &cache);
    assert!(!bad, "the tampered copy verifies");
    assert_eq!(analyze(&tampered, &verifier).verdict, Verdict::Invalid);
    dump("canonical-request", &canonical);
    dump("tampered-canonical-request", &tampered_canonical);

    // The string to sign and the key for the ECDSA-only and derivation cases.
    let body_sha256 = sha256_hex(&req.body);
    let sts = canonicalize(
        &V4Context {
            req: &req,
            auth,
            presigned: false,
            body_sha256: &body_sha256,
            token_appended: false,
        },
        &aws.sigv4,
    )
    .string_to_sign;
    let pk: PublicKey = derive(ACCESS_KEY, SECRET_KEY).expect("derivable");
    assert!(verify(&pk, &sts, &auth.signature));

    let mut g = c.benchmark_group("sigv4a_verify");
    g.bench_function("sigscope/request_cached_key", |b| {
        b.iter(|| sigscope_verify(black_box(&req), &creds, &aws.sigv4, &cache).0)
    });
    g.bench_function("sigscope/analyze_all_dialects", |b| {
        b.iter(|| analyze(black_box(&req), &verifier).verdict)
    });
    g.bench_function("sigscope/ecdsa_verify_only", |b| {
        b.iter(|| verify(&pk, black_box(&sts), &auth.signature))
    });
    g.finish();

    let mut g = c.benchmark_group("sigv4a_derive");
    g.bench_function("sigscope/derive_public_key", |b| {
        b.iter(|| derive(black_box(ACCESS_KEY), black_box(SECRET_KEY)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // 4 cases × (1 s warm-up + 3 s measurement) plus analysis: ~20 s once built.
    config = common::config();
    targets = bench
}
criterion_main!(benches);

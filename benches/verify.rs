//! Verify-one-request benchmark: sigscope against the aws-sigv4 crate, on one real request.
//!
//! The request is `tests/vectors/real/botocore/s3-sigv4-put.http`: an S3 PutObject that
//! botocore 1.43.11 signed (7 signed headers, a 21-byte body), with its fixture's key pair.
//! `bench/botocore_verify.py` verifies the same request with botocore, and `bench/run.sh` runs
//! both and writes `bench/results.md`.
//!
//! Every case does what a server does with a request it has already read: parse the
//! Authorization header, hash the body, rebuild the canonical request and string to sign,
//! sign it and compare with the claimed signature. Before timing, each case is checked to
//! accept the request and to reject a copy with one signed header changed.

use std::time::SystemTime;

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign as aws_sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4 as aws_v4;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

use sigscope::credentials::Credentials;
use sigscope::engine::auth::{detect, Parsed};
use sigscope::engine::crypto::{derive_chain, sha256_hex, signatures_equal, KeyCache};
use sigscope::engine::diagnose::{Context, Observed};
use sigscope::engine::dialect::{self, SigV4Rules};
use sigscope::engine::finding::Code;
use sigscope::engine::sigv4::{canonicalize, sign, V4Context};
use sigscope::engine::{analyze, analyze_observed, KeyStore, Verdict, Verifier};
use sigscope::http::{Headers, Request};

#[path = "common/mod.rs"]
mod common;
use common::load;

const VECTOR: &str = "tests/vectors/real/botocore/s3-sigv4-put";
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EXPECTED_SIGNATURE: &str = "c5aa1f23051d12b14d02345a7871fe983996207450602138f4a20406ff72481b";

fn load_request() -> Request {
    load(&format!("{VECTOR}.http"))
}

/// sigscope, one dialect: detect + body hash + canonicalize + key chain + sign + compare.
/// `cache: None` derives the signing key (four HMACs) every time.
fn sigscope_verify(
    req: &Request,
    keys: &dyn KeyStore,
    rules: &SigV4Rules,
    cache: Option<&KeyCache>,
) -> bool {
    let detected = detect(req);
    let Parsed::V4(a) = &detected.parsed else {
        return false;
    };
    let Some(secret) = keys.secret(&a.access_key) else {
        return false;
    };
    let body_sha256 = sha256_hex(&req.body);
    // The payload-hash check analyze() also makes.
    if let Some(h) = req.header("x-amz-content-sha256") {
        if h.len() == 64 && !h.eq_ignore_ascii_case(&body_sha256) {
            return false;
        }
    }
    let ctx = V4Context {
        req,
        auth: a,
        presigned: false,
        body_sha256: &body_sha256,
        token_appended: false,
    };
    let c = canonicalize(&ctx, rules);
    let chain = match cache {
        Some(cache) => cache.chain(secret, &a.key_scope()),
        None => derive_chain(secret, &a.key_scope()),
    };
    let sig = sign(&chain, &c.string_to_sign);
    c.rejects.is_none() && signatures_equal(&a.signature, &sig)
}

/// The same request as a server framework hands it over.
fn to_http(req: &Request) -> http::Request<Vec<u8>> {
    let host = req.host().expect("request has a Host header");
    let uri = format!("http://{host}{}", String::from_utf8_lossy(&req.target));
    let mut b = http::Request::builder()
        .method(req.method.as_str())
        .uri(uri);
    for h in &req.headers {
        b = b.header(h.name.as_slice(), h.value.as_slice());
    }
    b.body(req.body.clone()).expect("valid http::Request")
}

struct AwsAuth<'a> {
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// The minimal Authorization parsing a verifier built on aws-sigv4 needs (aws-sigv4 signs;
/// it has no parser for a received Authorization header).
fn parse_authorization(v: &str) -> Option<AwsAuth<'_>> {
    let rest = v.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, val) = part.trim().split_once('=')?;
        match k {
            "Credential" => cred = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => sig = Some(val),
            _ => {}
        }
    }
    let mut scope = cred?.split('/');
    let _access_key = scope.next()?;
    Some(AwsAuth {
        date: scope.next()?,
        region: scope.next()?,
        service: scope.next()?,
        signed_headers: signed?,
        signature: sig?,
    })
}

fn s3_settings() -> SigningSettings {
    // What the AWS SDK for Rust uses for S3: single percent-encoding, no path normalization,
    // x-amz-content-sha256 signed.
    let mut s = SigningSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s
}

/// aws-sigv4: parse the Authorization header, re-sign the request over its signed headers with
/// the claimed date and scope, compare. aws-sigv4 derives the signing key on every call.
/// `with_identity` sets the credentials on the signing parameters (aws-sigv4 takes an
/// `aws_smithy_runtime_api` `Identity`, a type this crate does not depend on directly).
fn aws_sigv4_verify<'a>(
    req: &'a http::Request<Vec<u8>>,
    settings: &SigningSettings,
    with_identity: impl FnOnce(
        aws_v4::signing_params::Builder<'a, SigningSettings>,
    ) -> aws_v4::signing_params::Builder<'a, SigningSettings>,
) -> bool {
    let headers = req.headers();
    let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_authorization)
    else {
        return false;
    };
    let Some(amz_date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(time) = sigscope::engine::time::parse_amz(amz_date) else {
        return false;
    };
    if !amz_date.starts_with(auth.date) {
        return false;
    }
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    let to_sign = headers.iter().filter_map(|(n, v)| {
        signed
            .contains(&n.as_str())
            .then(|| Some((n.as_str(), v.to_str().ok()?)))
            .flatten()
    });
    let uri = req.uri().to_string();
    let Ok(signable) = SignableRequest::new(
        req.method().as_str(),
        uri,
        to_sign,
        SignableBody::Bytes(req.body()),
    ) else {
        return false;
    };
    let Ok(params) = with_identity(aws_v4::SigningParams::builder())
        .region(auth.region)
        .name(auth.service)
        .time(SystemTime::from(time))
        .settings(settings.clone())
        .build()
    else {
        return false;
    };
    let Ok(out) = aws_sign(signable, &params.into()) else {
        return false;
    };
    signatures_equal(auth.signature, out.signature())
}

fn bench(c: &mut Criterion) {
    let req = load_request();
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

    // Every case must accept the request before it is timed.
    match &detect(&req).parsed {
        Parsed::V4(a) => assert_eq!(a.signature, EXPECTED_SIGNATURE),
        _ => panic!("not a SigV4 request"),
    }
    assert!(sigscope_verify(&req, &creds, &aws.sigv4, None));
    assert!(sigscope_verify(&req, &creds, &aws.sigv4, Some(&cache)));
    let full = analyze(&req, &verifier);
    assert_eq!(full.verdict, Verdict::Valid);
    assert_eq!(full.dialects.len(), dialect::ALL.len());
    let hreq = to_http(&req);
    let identity = AwsCredentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
    let settings = s3_settings();
    assert!(aws_sigv4_verify(&hreq, &settings, |p| p.identity(&identity)));

    // ...and reject the same request with one signed header changed.
    let mut tampered = req.clone();
    for h in &mut tampered.headers {
        if h.name.eq_ignore_ascii_case(b"x-amz-meta-note") {
            h.value = b"a b c".to_vec();
        }
    }
    assert!(!sigscope_verify(
        &tampered,
        &creds,
        &aws.sigv4,
        Some(&cache)
    ));
    assert_eq!(analyze(&tampered, &verifier).verdict, Verdict::Invalid);
    assert!(!aws_sigv4_verify(&to_http(&tampered), &settings, |p| p.identity(&identity)));

    let mut g = c.benchmark_group("verify_one");
    g.bench_function("sigscope/aws/cached_key", |b| {
        b.iter(|| sigscope_verify(black_box(&req), &creds, &aws.sigv4, Some(&cache)))
    });
    g.bench_function("sigscope/aws/uncached_key", |b| {
        b.iter(|| sigscope_verify(black_box(&req), &creds, &aws.sigv4, None))
    });
    g.bench_function("sigscope/analyze_all_dialects", |b| {
        b.iter(|| analyze(black_box(&req), &verifier).verdict)
    });
    g.bench_function("aws-sigv4/sign", |b| {
        b.iter(|| aws_sigv4_verify(black_box(&hreq), &settings, |p| p.identity(&identity)))
    });
    g.finish();

    // The diagnosis of a request nothing explains (issue 12 §3): every dialect, every
    // alteration, then the widened search (dates up to 15 minutes either way, rules of
    // clients), before "the secret is most likely another". A fresh cache each time (no
    // memo) is the worst case; with the cache, a second request of the same shape skips it.
    let observed = Observed {
        request: &tampered,
        response: None,
        time: None,
        context: Context::default(),
    };
    let blamed = |cache: &KeyCache| {
        let v = Verifier {
            keys: &creds,
            dialect: aws,
            cache,
            reveal_keys: false,
        };
        analyze_observed(&observed, &v)
    };
    let first = blamed(&KeyCache::default());
    assert!(
        first
            .findings
            .iter()
            .any(|f| f.code == Code::SignatureUnexplained),
        "{:?}",
        first.findings
    );
    let mut g = c.benchmark_group("diagnose_unexplained");
    g.bench_function("sigscope/full_search", |b| {
        b.iter(|| blamed(&KeyCache::default()).verdict)
    });
    let memo = KeyCache::default();
    blamed(&memo);
    g.bench_function("sigscope/same_shape_memoised", |b| {
        b.iter(|| blamed(&memo).verdict)
    });
    g.finish();
    sigv4a_search(c);
}

/// The same search under SigV4A (issue 15), where each try is an ECDSA check: a real
/// botocore+awscrt request judged with another secret (so nothing reproduces it and every date
/// is tried), and one try by the search's prepared check against one ordinary verification by
/// the p256 crate (the peer) of the same message.
fn sigv4a_search(c: &mut Criterion) {
    use sigscope::engine::crypto::ecdsa::derive;
    use sigscope::engine::crypto::ecdsa_search::SignatureSearch;
    let req = load("tests/vectors/sigv4a/s3-put-object.http");
    let wrong = Credentials::parse(
        "[bench]\naws_access_key_id=AKIDEXAMPLE\naws_secret_access_key=another/secret\n",
    );
    let aws = dialect::by_name("aws").expect("aws dialect");
    let observed = Observed {
        request: &req,
        response: None,
        time: None,
        context: Context::default(),
    };
    let blamed = |cache: &KeyCache| {
        let v = Verifier {
            keys: &wrong,
            dialect: aws,
            cache,
            reveal_keys: false,
        };
        analyze_observed(&observed, &v)
    };
    let first = blamed(&KeyCache::default());
    assert_eq!(first.findings[0].code, Code::SignatureUnexplained);
    let Parsed::V4(auth) = &detect(&req).parsed else {
        panic!("not SigV4A")
    };
    let pk = derive(ACCESS_KEY, SECRET_KEY).unwrap();
    let search = SignatureSearch::new(&pk, &auth.signature).unwrap();
    let message = b"AWS4-ECDSA-P256-SHA256\n20261207T205504Z\n20261207/s3/aws4_request\n0";
    assert!(!search.signs(message));
    let mut g = c.benchmark_group("sigv4a_search");
    g.bench_function("sigscope/full_search_wrong_secret", |b| {
        b.iter(|| blamed(&KeyCache::default()).verdict)
    });
    g.bench_function("sigscope/prepared_try", |b| {
        b.iter(|| search.signs(black_box(message)))
    });
    g.bench_function("p256/verify", |b| {
        b.iter(|| p256_verify(&pk, black_box(message), &auth.signature))
    });
    g.finish();
}

/// The p256 crate's own verification (no precomputation), the peer of the prepared try:
/// sigscope's `ecdsa::verify` now prepares the key once (engine/crypto/ecdsa_prepared.rs).
fn p256_verify(
    key: &sigscope::engine::crypto::ecdsa::PublicKey,
    message: &[u8],
    claimed_hex: &str,
) -> bool {
    use p256::ecdsa::signature::Verifier;
    let Ok(der) = hex::decode(claimed_hex) else {
        return false;
    };
    let Ok(sig) = p256::ecdsa::DerSignature::try_from(der.as_slice()) else {
        return false;
    };
    let point = p256::EncodedPoint::from_affine_coordinates(&key.x.into(), &key.y.into(), false);
    p256::ecdsa::VerifyingKey::from_encoded_point(&point)
        .is_ok_and(|vk| vk.verify(message, &sig).is_ok())
}

criterion_group! {
    name = benches;
    // 6 cases × (1 s warm-up + 3 s measurement) plus analysis: ~30 s once built.
    config = common::config();
    targets = bench
}
criterion_main!(benches);

//! Real botocore (1.43.11, with awscrt for CRC32C and CRC64NVME) uploading in
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` over HTTPS to `sigscope listen`, captured decrypted by
//! the listener (tests/vectors/payload, made by gen/generate.sh). The checksums in the trailers
//! are botocore's own, so a clean upload verifying here is the engine agreeing with botocore
//! and awscrt; the manifest, written by the generator, names each upload's mutation.

use serde_json::Value;
use sigscope::credentials::Credentials;
use sigscope::engine::payload::{framing, PayloadMode, Shape};
use sigscope::engine::{analyze, BodyMismatch, KeyCache, Verdict};

use crate::support::{load, root, verifier};

const DIR: &str = "tests/vectors/payload";

#[test]
fn botocore_trailer_uploads_verify_and_each_mutation_is_named() {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root().join(DIR).join("botocore-trailers.json")).unwrap(),
    )
    .unwrap();
    let uploads = manifest["uploads"].as_array().unwrap();
    let exchanges = load(root().join(DIR).join("botocore-trailers.pcapng"));
    assert_eq!(exchanges.len(), uploads.len());
    let creds =
        Credentials::load_file(&root().join(DIR).join("botocore-trailers.credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let mut algorithms = Vec::new();
    for (x, u) in exchanges.iter().zip(uploads) {
        let key = u["key"].as_str().unwrap();
        let req = &x.request;
        assert!(
            req.target_lossy().ends_with(key),
            "{key}: {}",
            req.target_lossy()
        );
        assert_eq!(
            PayloadMode::of_request(req),
            PayloadMode::of("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            "{key}"
        );
        let a = analyze(req, &v);
        assert_eq!(a.verdict, Verdict::Valid, "{key}: {:?}", a.findings);
        let codes: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
        let (want_codes, want_mismatch): (&[&str], &[BodyMismatch]) = match u["mutation"].as_str() {
            None => (&[], &[]),
            Some("bad-trailer" | "bad-chunk") => {
                (&["checksum-mismatch"], &[BodyMismatch::Checksum])
            }
            Some("bad-length") => (&["decoded-length-mismatch"], &[BodyMismatch::DecodedLength]),
            Some(m) => panic!("unknown mutation {m}"),
        };
        assert_eq!(codes, want_codes, "{key}: {:?}", a.findings);
        assert_eq!(a.body_mismatch, want_mismatch, "{key}");
        // The decoded payload is the body botocore was given (the generator's SHA-256), but
        // where a chunk was changed on the wire.
        let f = framing::parse(
            &req.body,
            Shape {
                signed: false,
                trailer: true,
            },
        )
        .unwrap();
        assert!(
            f.frames.len() >= 4,
            "{key}: several chunks and the zero-size one"
        );
        let decoded = f.decoded(&req.body);
        assert_eq!(
            decoded.len(),
            manifest["decoded_length"].as_u64().unwrap() as usize
        );
        let sha = sigscope::engine::crypto::sha256_hex(&decoded);
        assert_eq!(
            sha == manifest["decoded_sha256"].as_str().unwrap(),
            u["mutation"] != "bad-chunk",
            "{key}"
        );
        if u["mutation"].is_null() {
            algorithms.push(f.trailers[0].name.clone());
        }
    }
    assert_eq!(
        algorithms,
        [
            "x-amz-checksum-crc32",
            "x-amz-checksum-crc32c",
            "x-amz-checksum-sha1",
            "x-amz-checksum-sha256",
            "x-amz-checksum-crc64nvme"
        ]
    );
}

/// Under ceph-rgw (16.2), the same clean uploads are refused for their payload mode.
#[test]
fn ceph_rgw_refuses_botocore_trailer_uploads() {
    let exchanges = load(root().join(DIR).join("botocore-trailers.pcapng"));
    let creds =
        Credentials::load_file(&root().join(DIR).join("botocore-trailers.credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "ceph-rgw", &cache);
    let a = analyze(&exchanges[0].request, &v);
    assert_eq!(a.verdict, Verdict::Invalid);
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "verifier-rejects")
        .unwrap();
    assert_eq!(
        f.message,
        "ceph-rgw: x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER is a payload mode this server does not read"
    );
}

/// botocore through `sigscope listen --upstream` to a real Ceph RGW 16.2.15
/// (tests/vectors/payload/botocore-rgw16.pcapng, gen/generate_rgw.sh): the trailer upload is
/// refused 411 MissingContentLength (streamed with Transfer-Encoding: chunked) or 400
/// XAmzContentSHA256Mismatch (with a Content-Length), its signature valid; the diagnosis says
/// the server does not read the mode and gives the client's fix, which the last upload applies.
#[test]
fn real_rgw16_refusals_are_diagnosed() {
    use sigscope::engine::analyze_observed;
    use sigscope::engine::diagnose::Observed;
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root().join(DIR).join("botocore-rgw16.json")).unwrap(),
    )
    .unwrap();
    let errors: Vec<Option<&str>> = manifest["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["error"].as_str())
        .collect();
    assert_eq!(
        errors,
        [
            Some("MissingContentLength"),
            Some("XAmzContentSHA256Mismatch"),
            None
        ]
    );
    let exchanges = load(root().join(DIR).join("botocore-rgw16.pcapng"));
    let creds =
        Credentials::load_file(&root().join(DIR).join("botocore-trailers.credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let run = |i: usize| {
        let x = &exchanges[i];
        analyze_observed(
            &Observed {
                request: &x.request,
                response: x.response.as_ref(),
                time: x.time,
                context: Default::default(),
            },
            &v,
        )
    };
    for (i, status, says) in [
        (1, 411, "Transfer-Encoding: chunked"),
        (
            2,
            400,
            "took STREAMING-UNSIGNED-PAYLOAD-TRAILER for a SHA-256 of the body",
        ),
    ] {
        let a = run(i);
        assert_eq!(exchanges[i].response.as_ref().unwrap().status, status);
        assert_eq!(a.verdict, Verdict::Valid, "#{i}");
        let codes: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            ["payload-mode-unsupported"],
            "#{i}: {:?}",
            a.findings
        );
        let msg = &a.findings[0].message;
        assert!(msg.contains(says), "#{i}: {msg}");
        // The dialect whose rules do not take the mode (sigv4.streaming), and what it is.
        assert!(
            msg.contains("by their rules: ceph-rgw (x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER is a payload mode this server does not read)"),
            "#{i}: {msg}"
        );
        assert!(
            msg.contains("request_checksum_calculation = when_required"),
            "{msg}"
        );
    }
    // The fix applied: a signed payload hash, no trailer, accepted and read back.
    for i in [3, 4] {
        let a = run(i);
        assert_eq!(exchanges[i].response.as_ref().unwrap().status, 200);
        assert!(a.findings.is_empty(), "#{i}: {:?}", a.findings);
    }
}

/// The AWS SDK for JavaScript v3 (3.1178.0, gen/js) against `sigscope listen --tls-cert`
/// (tests/vectors/payload/js-sdk.pcapng): a Buffer's CRC32 as a header and a stream's in a
/// trailer both verify clean; its presigned PutObject URL carries the CRC32 of an empty body
/// (`AAAAAA==`) in the query, so a 2500-byte upload to it is a checksum mismatch (the
/// listener answered 400) and only the empty body passes.
#[test]
fn js_sdk_uploads_and_its_presigned_empty_crc32() {
    use sigscope::engine::analyze_observed;
    use sigscope::engine::diagnose::Observed;
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root().join(DIR).join("js-sdk.json")).unwrap())
            .unwrap();
    let u = manifest["uploads"].as_array().unwrap();
    assert!(u[2]["query"]
        .as_str()
        .unwrap()
        .contains("x-amz-checksum-crc32=AAAAAA%3D%3D"));
    assert_eq!(
        (u[2]["status"].as_u64(), u[3]["status"].as_u64()),
        (Some(400), Some(200))
    );
    let exchanges = load(root().join(DIR).join("js-sdk.pcapng"));
    let creds =
        Credentials::load_file(&root().join(DIR).join("botocore-trailers.credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    let want: [&[&str]; 4] = [
        &[],
        &[],
        &["presigned-checksum", "checksum-mismatch"],
        &["presigned-checksum"],
    ];
    for (i, (x, codes_wanted)) in exchanges.iter().zip(want).enumerate() {
        let a = analyze_observed(
            &Observed {
                request: &x.request,
                response: x.response.as_ref(),
                time: x.time,
                context: Default::default(),
            },
            &v,
        );
        assert_eq!(a.verdict, Verdict::Valid, "#{i}: {:?}", a.findings);
        let codes: Vec<&str> = a.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, codes_wanted, "#{i}: {:?}", a.findings);
    }
    // The stream went as aws-chunked with a trailer; the Buffer with a header checksum.
    assert_eq!(
        PayloadMode::of_request(&exchanges[1].request),
        PayloadMode::of("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    );
    assert!(exchanges[0]
        .request
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case(b"x-amz-checksum-crc32")));
}

//! The flexible checksums against the AWS Rust SDK's own (`aws-smithy-checksums`, the crate
//! the SDK computes `x-amz-checksum-*` with) as an oracle: for any body, the same header name
//! and the same base64 value; and an unsigned-trailer upload of any body in any chunking,
//! with the oracle's checksum in its trailer, decodes and checks clean, while any one changed
//! data byte is a checksum mismatch.

use std::str::FromStr;

use aws_smithy_checksums::ChecksumAlgorithm as Oracle;
use proptest::prelude::*;
use sigscope::credentials::Credentials;
use sigscope::engine::payload::checksum::Algorithm;
use sigscope::engine::{analyze, KeyCache};

use crate::support::{request, verifier};

const NAMES: [&str; 5] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

fn oracle(name: &str, data: &[u8]) -> (String, String) {
    let mut c = Oracle::from_str(name).unwrap().into_impl();
    c.update(data);
    let header = c.header_name().to_string();
    let value = c.header_value().to_str().unwrap().to_string();
    (header, value)
}

/// `data` in aws-chunked chunks of `sizes` (cycled), the zero-size chunk and the trailer.
fn unsigned_trailer(data: &[u8], sizes: &[usize], header: &str, value: &str) -> String {
    let mut body = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        body.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        body.extend_from_slice(&rest[..n]);
        body.extend_from_slice(b"\r\n");
        rest = &rest[n..];
        i += 1;
    }
    body.extend_from_slice(format!("0\r\n{header}:{value}\r\n\r\n").as_bytes());
    let body = String::from_utf8(body).unwrap();
    format!(
        "PUT /b/k HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nContent-Encoding: aws-chunked\r\nx-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-trailer: {header}\r\nx-amz-decoded-content-length: {}\r\nContent-Length: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer, Signature=0\r\n\r\n{body}",
        data.len(),
        body.len()
    )
}

/// The payload codes the engine raised (the signature is not checked: no secret).
fn payload_codes(raw: &str) -> Vec<&'static str> {
    let creds = Credentials::default();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    analyze(&request(raw), &v)
        .findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| *c != "no-secret")
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn checksums_agree_with_the_sdk(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        for name in NAMES {
            let (header, value) = oracle(name, &data);
            let ours = Algorithm::of_header(&header).unwrap();
            prop_assert_eq!(ours.header(), header);
            prop_assert_eq!(ours.compute(&data), value);
        }
    }

    #[test]
    fn any_chunking_decodes_and_one_changed_byte_is_found(
        // Printable ASCII: the test request is written as text.
        data in "[ -~]{1,600}",
        sizes in proptest::collection::vec(1usize..200, 1..5),
        which in 0usize..5,
        at in any::<prop::sample::Index>(),
    ) {
        let name = NAMES[which];
        let (header, value) = oracle(name, data.as_bytes());
        let clean = unsigned_trailer(data.as_bytes(), &sizes, &header, &value);
        prop_assert!(payload_codes(&clean).is_empty(), "{}", clean);
        let mut changed = data.clone().into_bytes();
        let i = at.index(changed.len());
        changed[i] = if changed[i] == b'~' { b' ' } else { changed[i] + 1 };
        let bad = unsigned_trailer(&changed, &sizes, &header, &value);
        prop_assert_eq!(payload_codes(&bad), vec!["checksum-mismatch"]);
    }
}

/// `data` sent whole (UNSIGNED-PAYLOAD, no framing) with `header: value`.
fn whole_body(data: &[u8], header: &str, value: &str) -> String {
    format!(
        "PUT /b/k HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n{header}: {value}\r\nContent-Length: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0\r\n\r\n{}",
        data.len(),
        String::from_utf8_lossy(data)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A body sent whole with its checksum as a header: the SHA256 one is the body's own
    /// SHA-256, computed once for the request and reused, which this checks against the oracle
    /// like the others.
    #[test]
    fn a_whole_body_checks_clean_and_one_changed_byte_is_found(
        data in "[ -~]{1,600}",
        which in 0usize..5,
        at in any::<prop::sample::Index>(),
    ) {
        let name = NAMES[which];
        let (header, value) = oracle(name, data.as_bytes());
        prop_assert!(payload_codes(&whole_body(data.as_bytes(), &header, &value)).is_empty());
        let mut changed = data.clone().into_bytes();
        let i = at.index(changed.len());
        changed[i] = if changed[i] == b'~' { b' ' } else { changed[i] + 1 };
        let bad = whole_body(&changed, &header, &value);
        prop_assert_eq!(payload_codes(&bad), vec!["checksum-mismatch"]);
    }
}

/// Pieces an aws-chunked body is made of, right and wrong, for the garbage property.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b";chunk-signature=".to_vec()),
        Just(b";foo=bar".to_vec()),
        Just(b"x-amz-checksum-crc32:".to_vec()),
        Just(b"x-amz-trailer-signature:".to_vec()),
        Just(b"0".to_vec()),
        "[0-9a-fA-F]{1,17}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the body of a streaming request, under every payload mode: findings, never a
    /// panic (ARCHITECTURE.md, "No panics on bad input").
    #[test]
    fn any_streaming_body_is_judged_without_panicking(
        pieces in proptest::collection::vec(piece(), 0..24),
        mode in 0usize..5,
        trailer in any::<bool>(),
    ) {
        let body: Vec<u8> = pieces.concat();
        let modes = [
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
        ];
        let mut req = request(&format!(
            "PUT /b/k HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\nx-amz-content-sha256: {}\r\n{}x-amz-decoded-content-length: 3\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n\r\n",
            modes[mode],
            if trailer { "x-amz-trailer: x-amz-checksum-crc32\r\n" } else { "" }
        ));
        req.body = body;
        let creds = Credentials::parse("[a]\naws_access_key_id=AKIDEXAMPLE\naws_secret_access_key=s\n");
        let cache = KeyCache::default();
        let v = verifier(&creds, "aws", &cache);
        let a = analyze(&req, &v);
        // A body that does not frame is said so, by the code that names the byte.
        if let Some(f) = a.findings.iter().find(|f| f.code == "aws-chunked-malformed") {
            prop_assert!(f.message.contains("byte") || f.message.contains("chunk"), "{}", f.message);
        }
    }
}

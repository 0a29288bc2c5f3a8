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

//! Multipart uploads with checksums from a real client: boto3 1.44.5's `upload_fileobj`
//! (CRC32, SHA256, boto3's default, and a CompleteMultipartUpload whose part 2 checksum was
//! changed before signing), through `sigscope listen` in proxy mode to moto's S3 server, which
//! answers with the composite checksums it computes itself (tests/vectors/payload/
//! boto3-multipart.pcapng; generator gen/generate_multipart.sh, not run by CI).

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{bin, root};

const PCAP: &str = "tests/vectors/payload/boto3-multipart.pcapng";
const CREDS: &str = "tests/vectors/payload/botocore-trailers.credentials";

fn report(input: &Path) -> Vec<Value> {
    let out = Command::new(bin())
        .args(["report", "--format", "json", "--credentials"])
        .arg(root().join(CREDS))
        .arg(input)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn multipart_findings(x: &Value) -> Vec<String> {
    x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "multipart-checksum-mismatch")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn target(x: &Value) -> &str {
    x["request"]["target"].as_str().unwrap()
}

/// Every exchange verifies; the composites moto answered on GET (and HEAD) agree with the
/// ones the parts make; only the CompleteMultipartUpload that lists a changed checksum for
/// part 2 is named, as a body that does not match.
#[test]
fn boto3_multipart_checksums_agree_and_the_changed_part_is_named() {
    let v = report(&root().join(PCAP));
    assert_eq!(v.len(), 28);
    for x in &v {
        assert_eq!(x["verdict"], "valid", "{}", target(x));
        let m = multipart_findings(x);
        let bad_complete =
            target(x).starts_with("/mpu/bad-part?uploadId=") && x["request"]["method"] == "POST";
        if bad_complete {
            assert_eq!(m.len(), 1, "{m:?}");
            assert!(
                m[0].starts_with("CompleteMultipartUpload lists part 2 with ChecksumCRC32 "),
                "{}",
                m[0]
            );
            assert_eq!(x["body_mismatch"], serde_json::json!(["checksum"]));
        } else {
            assert!(m.is_empty(), "{}: {m:?}", target(x));
        }
    }
}

/// moto's composite on a GET changed in the capture (same length): named with the value the
/// parts make, so the clean run above really compared it.
#[test]
fn a_changed_composite_on_a_read_is_named() {
    let mut raw = fs::read(root().join(PCAP)).unwrap();
    let mut changed = 0;
    for needle in [
        &b"x-amz-checksum-crc32: "[..],
        &b"x-amz-checksum-sha256: "[..],
    ] {
        // The GET's composite: the first value of this header ending in `-3`.
        let at = (0..raw.len() - needle.len())
            .find(|&i| {
                raw[i..].starts_with(needle) && {
                    let v = &raw[i + needle.len()..];
                    let end = v.iter().position(|&b| b == b'\r').unwrap();
                    v[..end].ends_with(b"-3")
                }
            })
            .unwrap()
            + needle.len();
        raw[at] = if raw[at] == b'Q' { b'R' } else { b'Q' };
        changed += 1;
    }
    assert_eq!(changed, 2);
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("changed.pcapng");
    fs::write(&p, raw).unwrap();
    let v = report(&p);
    let named: Vec<(String, Vec<String>)> = v
        .iter()
        .map(|x| (target(x).to_string(), multipart_findings(x)))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    let reads: Vec<&(String, Vec<String>)> = named
        .iter()
        .filter(|(t, _)| t == "/mpu/composite-crc32" || t == "/mpu/composite-sha256")
        .collect();
    assert_eq!(reads.len(), 2, "{named:?}");
    for (_, m) in reads {
        assert!(
            m[0].starts_with("the response's x-amz-checksum-")
                && m[0].contains("but the 3 parts in the capture make ")
                && m[0].ends_with("-3 (COMPOSITE checksum)"),
            "{}",
            m[0]
        );
    }
}

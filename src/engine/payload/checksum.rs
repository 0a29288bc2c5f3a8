//! S3's flexible checksums: `x-amz-checksum-<algorithm>` (a header, a trailer, or a presigned
//! URL's query parameter) holds the base64 of the big-endian checksum of the object's bytes.
//! The algorithms and their names are S3's "Checking object integrity" (PutObject
//! `ChecksumAlgorithm`: CRC32, CRC32C, CRC64NVME, SHA1, SHA256), as botocore computes them
//! (`botocore/httpchecksum.py`: `CrtCrc32Checksum`/`Crc32Checksum`, `CrtCrc32cChecksum`,
//! `CrtCrc64NvmeChecksum`, `Sha1Checksum`, `Sha256Checksum`, each `base64(digest)`).

use base64::Engine;
use sha2::Digest;

/// The header (and trailer, and query parameter) prefix.
pub const PREFIX: &str = "x-amz-checksum-";
/// The header naming the algorithm the SDK chose.
pub const SDK_ALGORITHM: &str = "x-amz-sdk-checksum-algorithm";

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

/// CRC-64/NVME (the `crc` crate's catalogue; S3's CRC64NVME).
const CRC64_NVME: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_NVME);

impl Algorithm {
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// The lower-case suffix of `x-amz-checksum-…`.
    pub fn suffix(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "crc32",
            Algorithm::Crc32c => "crc32c",
            Algorithm::Crc64Nvme => "crc64nvme",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
        }
    }

    /// As `x-amz-sdk-checksum-algorithm` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The algorithm of a header name `x-amz-checksum-<alg>` (any case).
    pub fn of_header(name: &str) -> Option<Algorithm> {
        let n = name.to_ascii_lowercase();
        let suffix = n.strip_prefix(PREFIX)?;
        Self::ALL.into_iter().find(|a| a.suffix() == suffix)
    }

    /// The algorithm `x-amz-sdk-checksum-algorithm` names (any case).
    pub fn of_name(name: &str) -> Option<Algorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn header(self) -> String {
        format!("{PREFIX}{}", self.suffix())
    }

    /// The checksum of `data` as S3 sends it: base64 of the big-endian digest.
    pub fn compute(self, data: &[u8]) -> String {
        self.compute_parts(std::iter::once(data))
    }

    /// [`Algorithm::compute`] of the concatenation of `parts` (an aws-chunked body's chunks,
    /// checked where they lie, without a decoded copy).
    pub fn compute_parts<'a>(self, parts: impl Iterator<Item = &'a [u8]>) -> String {
        let b64 = base64;
        match self {
            Algorithm::Crc32 => {
                let mut h = crc32fast::Hasher::new();
                parts.for_each(|p| h.update(p));
                b64(&h.finalize().to_be_bytes())
            }
            Algorithm::Crc32c => {
                let c = parts.fold(0, crc32c::crc32c_append);
                b64(&c.to_be_bytes())
            }
            Algorithm::Crc64Nvme => {
                let mut d = CRC64_NVME.digest();
                parts.for_each(|p| d.update(p));
                b64(&d.finalize().to_be_bytes())
            }
            Algorithm::Sha1 => {
                let mut d = sha1::Sha1::new();
                parts.for_each(|p| d.update(p));
                b64(&d.finalize())
            }
            Algorithm::Sha256 => {
                let mut d = sha2::Sha256::new();
                parts.for_each(|p| d.update(p));
                b64(&d.finalize())
            }
        }
    }
}

/// A checksum's wire form: the base64 of its big-endian digest.
pub fn base64(digest: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// The CRC32 of an empty body, which SDKs put in presigned PUT URLs they sign before the body
/// is known (seaweedfs/seaweedfs#10216, localstack/localstack#12169).
pub const EMPTY_CRC32: &str = "AAAAAA==";

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from outside this code: Python's `zlib.crc32` and `hashlib` (base64 of
    /// the big-endian digest), aws-c-auth `tests/test_chunked_signing.c` (CRC32C of `a` is
    /// `wdBDMA==`), and the catalogue check values of CRC-32C and CRC-64/NVME over
    /// `123456789` (0xE3069283, 0xAE8B14860A799888; reveng.sourceforge.io/crc-catalogue).
    #[test]
    fn known_values() {
        let cases: [(Algorithm, &[u8], &str); 9] = [
            (Algorithm::Crc32, b"", EMPTY_CRC32),
            (Algorithm::Crc32, b"hello", "NhCmhg=="),
            (Algorithm::Crc32, b"a", "6Le+Qw=="),
            (Algorithm::Crc32c, b"a", "wdBDMA=="),
            (Algorithm::Crc32c, b"123456789", "4waSgw=="),
            (Algorithm::Crc64Nvme, b"123456789", "rosUhgp5mIg="),
            (Algorithm::Sha1, b"hello", "qvTGHdzF6KLavt4PO0gs2a6pQ00="),
            (
                Algorithm::Sha256,
                b"hello",
                "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
            ),
            (Algorithm::Sha1, b"", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        ];
        for (a, data, want) in cases {
            assert_eq!(a.compute(data), want, "{}", a.name());
            // In pieces, as the chunks of an aws-chunked body are checked.
            let (x, y) = data.split_at(data.len() / 3);
            let parts = [x, &[][..], y];
            assert_eq!(a.compute_parts(parts.into_iter()), want, "{}", a.name());
        }
    }

    #[test]
    fn names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::of_header(&a.header()), Some(a));
            assert_eq!(Algorithm::of_header(&a.header().to_uppercase()), Some(a));
            assert_eq!(Algorithm::of_name(a.name()), Some(a));
            assert_eq!(Algorithm::of_name(&a.name().to_lowercase()), Some(a));
        }
        assert_eq!(Algorithm::of_header("x-amz-checksum-type"), None);
        assert_eq!(Algorithm::of_header("x-amz-checksum-mode"), None);
        assert_eq!(Algorithm::of_name("MD5"), None);
    }
}

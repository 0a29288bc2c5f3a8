//! Dialects: the knobs on which implementations disagree when they build the strings they sign.
//!
//! Each dialect lives in its own file as one `Dialect` value; adding one is a new file plus
//! its name in the `dialects!` list below. The knobs are plain data so that `sigscope dialects` can print them and the
//! diagnosis can name the knob on which two dialects part.

pub mod knobs;
mod table;

pub use table::table;

/// Declares each dialect's module (one file each, `src/engine/dialect/NAME.rs`, holding
/// `pub static DIALECT`) and lists them in [`ALL`], in this order: a new dialect is its file
/// and its name here.
macro_rules! dialects {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every dialect sigscope knows, the reference (`aws`) first.
        pub static ALL: &[&Dialect] = &[$(&$module::DIALECT),*];
    };
}

dialects![
    aws,
    botocore,
    boto2,
    keystone_legacy,
    keystone,
    ceph_rgw,
    ceph_rgw_16,
    minio,
    moto,
    garage,
    gcs,
];

use serde::Serialize;

pub fn by_name(name: &str) -> Option<&'static Dialect> {
    ALL.iter()
        .copied()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|d| d.name).collect()
}

/// What judges the verdicts: one dialect, or (`auto`) each server's own, inferred from its
/// answers ([`crate::engine::diagnose::servers::Judge`]).
#[derive(Clone, Copy, Debug)]
pub enum Choice {
    Dialect(&'static Dialect),
    Auto,
}

impl From<&'static Dialect> for Choice {
    fn from(d: &'static Dialect) -> Self {
        Choice::Dialect(d)
    }
}

impl Choice {
    /// The word that picks `auto` on the command line, in the config file and in the UI.
    pub const AUTO: &'static str = "auto";

    /// A dialect's name or `auto` (any case).
    pub fn parse(name: &str) -> Option<Choice> {
        if name.eq_ignore_ascii_case(Self::AUTO) {
            return Some(Choice::Auto);
        }
        by_name(name).map(Choice::Dialect)
    }

    /// The dialect that judges where nothing else decides: the chosen one, or `aws` for auto.
    pub fn fallback(self) -> &'static Dialect {
        match self {
            Choice::Dialect(d) => d,
            Choice::Auto => by_name("aws").expect("the aws dialect exists"),
        }
    }

    pub fn is_auto(self) -> bool {
        matches!(self, Choice::Auto)
    }

    pub fn name(self) -> &'static str {
        match self {
            Choice::Dialect(d) => d.name,
            Choice::Auto => Self::AUTO,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Dialect {
    pub name: &'static str,
    pub summary: &'static str,
    pub sigv4: SigV4Rules,
    /// S3 SigV2 (`AWS AK:sig`, presigned `AWSAccessKeyId`); `None` when the implementation has no such verifier.
    pub sigv2: Option<SigV2Rules>,
    /// EC2/Query signatures; `None` when the implementation has no such verifier.
    pub query: Option<QueryRules>,
    /// Where the rules were read (project, file, version).
    pub sources: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SigV4Rules {
    pub form_post_query: FormPostQuery,
    /// Canonical URI for services other than S3.
    pub path: PathRule,
    /// Canonical URI when the scope's service is `s3`.
    pub s3_path: PathRule,
    pub query: QueryRule,
    pub header_values: HeaderTrim,
    pub duplicate_headers: DuplicateHeaders,
    pub missing_signed_header: MissingHeader,
    pub host: HostRule,
    pub payload: PayloadRule,
    pub date: DateSource,
    /// Whether `X-Amz-Signature` stays in the canonical query of a presigned request.
    pub presigned_keeps_signature: bool,
    pub session_token: SessionToken,
    pub required_signed: RequiredSigned,
    /// Which aws-chunked payload modes with a trailer the server reads (issue 14).
    pub streaming: StreamingModes,
    /// What the server takes as the host of an HTTP/2 request (issue 13).
    pub h2_host: H2Host,
    /// Which flexible checksums the server computes, and what it refuses of them (issue 14).
    pub checksums: ChecksumRules,
    /// A front end appends `,gzip(gfe)` to the Accept-Encoding of a request other than GET
    /// and HEAD before the signature is checked (Google's, in front of Cloud Storage; issue 15).
    pub gfe_accept_encoding: bool,
}

/// The host an HTTP/2 server signs: HTTP/2 carries it in the `:authority` pseudo-header, and
/// clients (curl, browsers) send no Host header beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum H2Host {
    /// `:authority`, whatever a Host header says (RFC 9113 §8.3.1: a server must not use
    /// Host to find the target when `:authority` is present).
    Authority,
    /// A Host header when the request has one, else `:authority` (MinIO: Go keeps a Host
    /// field of an HTTP/2 request in its header map, and `:authority` in `Request.Host`).
    HostHeaderElseAuthority,
    /// The Host header only: a request with `:authority` and no Host signs an empty host.
    /// Servers that read their framework's header map, where hyper keeps `:authority` out
    /// (s3s before s3s-project/s3s#283 and #540).
    HostHeader,
}

/// The flexible checksums a server takes (`x-amz-checksum-<alg>`, the algorithm named by
/// `x-amz-sdk-checksum-algorithm` or CreateMultipartUpload's `x-amz-checksum-algorithm`, and
/// `x-amz-checksum-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChecksumRules {
    /// The algorithms it computes and compares; an algorithm named outside them is refused
    /// (S3 and MinIO answer `InvalidArgument`/`InvalidChecksum`). `None`: the server has no
    /// flexible checksums at all, and ignores those headers (neither checks nor refuses).
    pub read: Option<&'static [crate::engine::payload::checksum::Algorithm]>,
    /// `x-amz-checksum-type: FULL_OBJECT` is refused with SHA1 and SHA256 (full-object
    /// checksums exist for the CRCs only).
    pub full_object_crc_only: bool,
}

/// The trailer and SigV4A payload modes a server reads. One it does not read is taken for a
/// payload hash (and answered `XAmzContentSHA256Mismatch`) or refused outright; the
/// chunk-signed mode without a trailer, `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, is read by every
/// S3 server here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StreamingModes {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    pub signed_trailer: bool,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    pub unsigned_trailer: bool,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]` (SigV4A chunk signatures).
    pub sigv4a: bool,
}

/// Where a presigned URL's `X-Amz-Security-Token` stands relative to the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionToken {
    /// Part of the canonical query.
    Signed,
    /// Signed, or appended after signing: some services want the latter (suite post-sts-header-after).
    SignedOrAppended,
}

/// What goes on line 3 (canonical query) of a POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormPostQuery {
    /// The URL query only; a form body is covered by the payload hash (AWS specification).
    UrlQuery,
    /// Always empty for POST, whatever the URL carries (boto 2, keystoneclient >= 0.11).
    EmptyForPost,
    /// URL query and form-body parameters merged (keystoneclient <= 0.10 behind heat's ec2token).
    MergeFormBody,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PathRule {
    pub normalize: PathNormalize,
    pub encode: PathEncode,
    /// What a raw `+` in the path stands for when the path is decoded before it is encoded.
    pub plus: PathPlus,
}

/// A raw `+` in a decoded path. `%2B` is always a plus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathPlus {
    /// A plus (signed `%2B`, or `+` where the encoding keeps it).
    Plus,
    /// A space (signed `%20`): S3's own reading of a key.
    Space,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathNormalize {
    None,
    /// RFC 3986 dot-segment removal and `//` collapsed.
    RemoveDotSegments,
    /// Python `posixpath.normpath` (keeps a leading `//`), trailing slash restored (boto 2).
    PosixNormpath,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathEncode {
    /// The path bytes exactly as on the wire.
    AsSent,
    /// The wire path encoded once more (`%20` becomes `%2520`): SigV4 for non-S3 services.
    EncodeAgain,
    /// Decoded, then encoded once with the unreserved set and `/`.
    DecodeReencode,
    /// Decoded, then re-quoted keeping RFC 3986 sub-delims, `:` and `@` (webob's `req.path`):
    /// `$`, `+`, `~` stay literal.
    DecodeRequoteLenient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QueryRule {
    pub style: QueryStyle,
    /// What a raw `+` in the URL query stands for (names and values re-encoded).
    pub plus: QueryPlus,
    pub duplicates: DuplicateOrder,
}

/// A raw `+` in the query: a form-encoded space, a literal plus, or a byte signed as it is.
/// `%2B` is always a plus and `%20` always a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryPlus {
    /// A space, signed `%20` (`application/x-www-form-urlencoded` decoding).
    Space,
    /// A literal plus, signed `%2B`.
    Plus,
    /// Left as `+` in the canonical query.
    AsSent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryStyle {
    /// Each name and value decoded and re-encoded with the RFC 3986 unreserved set.
    Reencode {
        /// Python 2's `quote(name, safe='')` escaped `~` in names.
        tilde_in_names_escaped: bool,
    },
    /// The raw `name=value` pairs of the URL, sorted, not re-encoded (botocore URL path).
    RawPairs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DuplicateOrder {
    /// Sorted by name, then by value (AWS specification).
    SortByValue,
    /// Sorted by name; values of one name keep their arrival order (multimap, Go url.Values).
    ArrivalOrder,
    /// Only the last value of a name survives (Python dict).
    LastWins,
    /// A repeated name is refused outright (Garage: "Query parameter repeated"); a request
    /// without one is sorted as the specification says.
    Refuse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderTrim {
    /// Trim, and fold every run of whitespace to one space (`' '.join(v.split())`).
    TrimAll,
    /// As TrimAll, but a value containing `"` is only stripped (boto 2).
    TrimAllUnlessQuoted,
    /// Only leading and trailing whitespace removed.
    StripOnly,
    /// Trim; a run of whitespace folds to its first character (boost::trim_all, Ceph RGW).
    FoldToFirstChar,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DuplicateHeaders {
    JoinComma,
    LastWins,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingHeader {
    /// The header is signed with an empty value (`name:`).
    EmptyValue,
    /// The header is left out of the canonical headers but stays in SignedHeaders.
    Skip,
    /// The request is refused.
    Reject,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostRule {
    /// The Host header as received.
    AsSent,
    /// Port removed when the User-Agent is `Boto/2.[0-9].[0-2]` (boto < 2.9.3 signed without it).
    StripPortForOldBoto2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PayloadRule {
    /// `x-amz-content-sha256` is taken as the payload hash when present.
    pub from_header: bool,
    /// What is signed when the header is absent (header auth).
    pub when_absent: MissingPayload,
    /// Presigned S3 URLs sign `UNSIGNED-PAYLOAD` (else the body hash).
    pub presigned_s3_unsigned: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingPayload {
    /// SHA-256 of the body received.
    BodyHash,
    /// SHA-256 of the empty string, whatever the body (MinIO).
    EmptyHash,
    /// `UNSIGNED-PAYLOAD` (Ceph RGW, Swift).
    UnsignedPayload,
    /// Refused: the header is required (Garage: "Missing X-Amz-Content-Sha256 field"); the
    /// body's SHA-256 is shown.
    Refuse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateSource {
    /// `X-Amz-Date`, else the `Date` header.
    AmzDateThenDate,
    /// `X-Amz-Date` only.
    AmzDateOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RequiredSigned {
    pub host: bool,
    /// Every `x-amz-*` header present (but `x-amz-content-sha256`) must be signed.
    pub amz_headers: bool,
    /// ... only when the service is `s3`.
    pub amz_headers_s3_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SigV2Rules {
    /// Query parameters that are part of the canonical resource.
    pub subresources: &'static [&'static str],
    /// Sorted by name (everyone) or in the order of `subresources` (Ceph RGW).
    pub sort_subresources: bool,
    pub date_line: V2DateLine,
    /// Sub-resource values decoded with `+` as space (MinIO, `url.QueryUnescape`).
    pub subresource_plus_is_space: bool,
    /// Path-style bucket-level requests signed as `/bucket/` while `/bucket` is sent (botocore).
    pub bucket_root_slash: bool,
    /// Virtual-hosted bucket names taken from the Host header (AWS endpoint suffixes and CNAMEs).
    pub virtual_hosted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum V2DateLine {
    /// Empty when `x-amz-date` is present, else the `Date` header.
    EmptyIfAmzDate,
    /// The `Date` header whenever present (MinIO).
    DateWhenPresent,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueryRules {
    pub versions: &'static [u8],
    pub host_lowercase: bool,
    pub drop_default_port: bool,
    /// HmacSHA256 whatever `SignatureMethod` says (keystoneclient `_calc_signature_2`).
    pub force_sha256: bool,
    pub tilde_in_names_escaped: bool,
}

/// A dialect's knobs in words, one per line, from the knob registry ([`knobs`]).
pub fn describe(d: &Dialect) -> String {
    use std::fmt::Write;
    fn section<R: 'static>(s: &mut String, title: &str, table: &[knobs::Knob<R>], rules: &R) {
        let _ = writeln!(s, "  {title}");
        for k in table {
            let _ = writeln!(s, "    {:<52} {}  [{}]", k.label, (k.say)(rules), k.id);
        }
    }
    let mut s = String::new();
    let _ = writeln!(s, "{} — {}", d.name, d.summary);
    section(&mut s, "SigV4", knobs::SIGV4, &d.sigv4);
    match &d.sigv2 {
        Some(v2) => section(&mut s, "S3 SigV2", knobs::SIGV2, v2),
        None => {
            let _ = writeln!(s, "  S3 SigV2: no verifier");
        }
    }
    match &d.query {
        Some(q) => section(&mut s, "EC2/Query", knobs::QUERY, q),
        None => {
            let _ = writeln!(s, "  EC2/Query: no verifier");
        }
    }
    for src in d.sources {
        let _ = writeln!(s, "  source: {src}");
    }
    s
}

/// Sub-resources every S3 SigV2 implementation checked agrees on (DIALECTS-CATALOGUE §1.3).
pub const COMMON_SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut n = names();
        n.sort();
        n.dedup();
        assert_eq!(n.len(), ALL.len());
        for d in ALL {
            assert!(std::ptr::eq(by_name(d.name).unwrap(), *d));
            assert!(!d.sources.is_empty(), "{} cites no source", d.name);
            assert!(describe(d).contains(d.name));
        }
    }
}

//! Multipart uploads' checksums: each UploadPart's `x-amz-checksum-*` (checked against its own
//! body as any upload's, in [`super::examine`]), the per-part checksums CompleteMultipartUpload
//! lists in its XML body (`<Part><PartNumber>…<ChecksumCRC32>…`), and the object's checksum
//! they make, as S3 defines it ("Checking object integrity", "Using part-level checksums for
//! multipart uploads"; API Reference CompleteMultipartUpload, `x-amz-checksum-type`):
//!
//! - `COMPOSITE` (S3's default for every algorithm but CRC64NVME): the checksum of the
//!   concatenated binary part checksums, in part order, in base64, followed by `-<parts>`;
//! - `FULL_OBJECT` (CRC32, CRC32C, CRC64NVME only; CRC64NVME's only type): the CRC of the whole
//!   object, which the part CRCs and lengths give without the bytes (the CRC combination of
//!   zlib's `crc32_combine`, for any reflected CRC with all-ones initial value and final XOR).
//!
//! moto's S3 server computes the same (`moto/s3/models.py`, `MultipartChecksumBuilder`): its
//! answers are in `tests/vectors/payload/boto3-multipart.pcapng`.
//!
//! The parts are other exchanges: the report pipeline's capture context gathers them
//! ([`UploadSeen`]) and hands them to the diagnosis with the CompleteMultipartUpload, and the
//! object checksum they make to later reads of the object ([`MultipartContext`]). Everything
//! here is pure.

use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::checksum::Algorithm;
use super::framing::{self, Shape};
use super::{ChunkSigning, PayloadMode};
use crate::engine::{Code, Finding};
use crate::escape::escape_str;
use crate::http::{Headers, Request};

/// `x-amz-checksum-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumType {
    Composite,
    FullObject,
}

impl ChecksumType {
    pub fn of(value: &str) -> Option<ChecksumType> {
        match value.trim().to_ascii_uppercase().as_str() {
            "COMPOSITE" => Some(ChecksumType::Composite),
            "FULL_OBJECT" => Some(ChecksumType::FullObject),
            _ => None,
        }
    }

    /// S3's type when none is given: FULL_OBJECT for CRC64NVME, which has no other, else
    /// COMPOSITE.
    pub fn default_for(a: Algorithm) -> ChecksumType {
        if a == Algorithm::Crc64Nvme {
            ChecksumType::FullObject
        } else {
            ChecksumType::Composite
        }
    }

    pub fn wire(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }
}

pub const CHECKSUM_TYPE: &str = "x-amz-checksum-type";

/// One UploadPart as the capture showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartSeen {
    pub number: u32,
    /// Its decoded length.
    pub len: u64,
    /// The `x-amz-checksum-*` it was sent with (header or trailer).
    pub checksums: Vec<(Algorithm, String)>,
}

/// The parts of one upload seen so far, and the checksum type its creation asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadSeen {
    pub parts: Vec<PartSeen>,
    pub checksum_type: Option<ChecksumType>,
}

impl UploadSeen {
    /// Records a part (a part sent again replaces the earlier one, as S3 keeps the last).
    pub fn add(&mut self, p: PartSeen) {
        match self.parts.iter_mut().find(|q| q.number == p.number) {
            Some(q) => *q = p,
            None => self.parts.push(p),
        }
    }

    fn part(&self, n: u32) -> Option<&PartSeen> {
        self.parts.iter().find(|p| p.number == n)
    }
}

/// What the capture says about a multipart exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MultipartContext {
    /// A CompleteMultipartUpload: the parts of its upload seen before it.
    Complete(UploadSeen),
    /// A read of an object whose CompleteMultipartUpload (and every part it lists) is in the
    /// capture: the object's checksum those parts make.
    Object(ObjectChecksum),
}

/// A multipart object's checksum, as computed from its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectChecksum {
    pub algorithm: Algorithm,
    pub kind: ChecksumType,
    /// As S3 sends it (`…-N` for a composite).
    pub value: String,
    pub parts: usize,
}

/// What a request is in a multipart upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// CreateMultipartUpload (`POST ?uploads`), with the checksum type it asks for.
    Create(Option<ChecksumType>),
    /// UploadPart (`PUT ?partNumber=&uploadId=`).
    Part {
        upload: String,
        number: u32,
    },
    /// CompleteMultipartUpload (`POST ?uploadId=`).
    Complete {
        upload: String,
    },
    /// A read of an object (`GET`, `HEAD`).
    Read,
    Other,
}

/// The decoded value of query parameter `name`, if the query has it.
fn param(req: &Request, name: &str) -> Option<Option<String>> {
    let q = req.query()?;
    crate::engine::encode::split_pairs(q)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| {
            v.map(|v| {
                crate::http::text(&crate::engine::encode::percent_decode(v, true)).into_owned()
            })
        })
}

/// The request's role in a multipart upload. Cheap for requests that have none: the query is
/// looked at only when it names `upload`.
pub fn role(req: &Request) -> Role {
    let m = req.method.as_str();
    if m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD") {
        return Role::Read;
    }
    let named = req
        .query()
        .is_some_and(|q| q.windows(6).any(|w| w.eq_ignore_ascii_case(b"upload")));
    if !named {
        return Role::Other;
    }
    let upload = param(req, "uploadId").flatten();
    if m.eq_ignore_ascii_case("POST") {
        if param(req, "uploads").is_some() && upload.is_none() {
            let t = req.header_text(CHECKSUM_TYPE);
            return Role::Create(t.as_deref().and_then(ChecksumType::of));
        }
        if let Some(upload) = upload {
            return Role::Complete { upload };
        }
    }
    if m.eq_ignore_ascii_case("PUT") {
        let number = param(req, "partNumber")
            .flatten()
            .and_then(|n| n.trim().parse().ok());
        if let (Some(upload), Some(number)) = (upload, number) {
            return Role::Part { upload, number };
        }
    }
    Role::Other
}

/// An UploadPart as recorded: its decoded length and the checksums it was sent with (a
/// streaming body is framed to read its trailer; a body that does not frame gives none).
pub fn part_seen(req: &Request, number: u32) -> PartSeen {
    let mut checksums: Vec<(Algorithm, String)> = Vec::new();
    for h in &req.headers {
        if let Some(a) = Algorithm::of_header(&crate::http::text(&h.name)) {
            checksums.push((a, crate::http::text(&h.value).trim().to_string()));
        }
    }
    let mut len = req.body_len();
    if let PayloadMode::Streaming { chunks, .. } = PayloadMode::of_request(req) {
        let shape = Shape {
            signed: chunks != ChunkSigning::Unsigned,
            trailer: true,
        };
        if let Ok(f) = framing::parse(&req.body, shape) {
            len = f.decoded_len() as u64;
            for t in &f.trailers {
                if let Some(a) = Algorithm::of_header(&t.name) {
                    checksums.push((a, t.value.clone()));
                }
            }
        }
    }
    PartSeen {
        number,
        len,
        checksums,
    }
}

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListedPart {
    pub number: u32,
    pub checksums: Vec<(Algorithm, String)>,
}

/// The algorithm of an XML element name `Checksum<ALG>` (`ChecksumCRC32`, `ChecksumSHA256`…).
fn of_element(name: &str) -> Option<Algorithm> {
    Algorithm::of_name(name.strip_prefix("Checksum")?)
}

/// The parts a CompleteMultipartUpload body lists, and any checksum elements outside a part
/// (the object's, in its answer). Tolerant: what does not parse is left out.
pub fn listed(xml: &[u8]) -> (Vec<ListedPart>, Vec<(Algorithm, String)>) {
    let mut r = Reader::from_reader(xml);
    let mut parts: Vec<ListedPart> = Vec::new();
    let mut outside: Vec<(Algorithm, String)> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "Part" {
                    parts.push(ListedPart::default());
                }
                path.push(name);
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let Ok(text) = t.unescape() else { continue };
                let text = text.trim().to_string();
                let in_part = path.iter().any(|p| p == "Part");
                match (path.last().map(String::as_str), in_part, parts.last_mut()) {
                    (Some("PartNumber"), true, Some(p)) => p.number = text.parse().unwrap_or(0),
                    (Some(n), true, Some(p)) => {
                        if let Some(a) = of_element(n) {
                            p.checksums.push((a, text));
                        }
                    }
                    (Some(n), false, _) => {
                        if let Some(a) = of_element(n) {
                            outside.push((a, text));
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    (parts, outside)
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// The object checksum the listed parts make, when every listed part is in the capture with a
/// checksum of one algorithm; `kind` from the request's or the creation's
/// `x-amz-checksum-type`, else S3's default for the algorithm.
pub fn object_checksum(
    complete: &Request,
    listed: &[ListedPart],
    seen: &UploadSeen,
) -> Option<ObjectChecksum> {
    let first = seen.part(listed.first()?.number)?;
    let mut candidates = first.checksums.iter().map(|(a, _)| *a);
    let algorithm = candidates.find(|a| {
        listed
            .iter()
            .all(|l| seen.part(l.number).is_some_and(|p| p.value(*a).is_some()))
    })?;
    let kind = complete
        .header_text(CHECKSUM_TYPE)
        .as_deref()
        .and_then(ChecksumType::of)
        .or(seen.checksum_type)
        .unwrap_or(ChecksumType::default_for(algorithm));
    let parts: Vec<(&str, u64)> = listed
        .iter()
        .filter_map(|l| seen.part(l.number))
        .filter_map(|p| Some((p.value(algorithm)?, p.len)))
        .collect();
    let value = match kind {
        ChecksumType::Composite => {
            let mut raw = Vec::new();
            for (v, _) in &parts {
                raw.extend(unb64(v)?);
            }
            format!("{}-{}", algorithm.compute(&raw), parts.len())
        }
        ChecksumType::FullObject => full_object(algorithm, &parts)?,
    };
    Some(ObjectChecksum {
        algorithm,
        kind,
        value,
        parts: parts.len(),
    })
}

impl PartSeen {
    fn value(&self, a: Algorithm) -> Option<&str> {
        self.checksums
            .iter()
            .find(|(b, _)| *b == a)
            .map(|(_, v)| v.as_str())
    }
}

/// Width and reflected polynomial of the CRCs S3 combines (CRC-32 0x04C11DB7, CRC-32C
/// 0x1EDC6F41, CRC-64/NVME 0xAD93D23594C93659, each bit-reversed; reveng's catalogue).
fn crc_params(a: Algorithm) -> Option<(u32, u64)> {
    match a {
        Algorithm::Crc32 => Some((32, 0xEDB8_8320)),
        Algorithm::Crc32c => Some((32, 0x82F6_3B78)),
        Algorithm::Crc64Nvme => Some((64, 0x9A6C_9329_AC4B_C9B5)),
        Algorithm::Sha1 | Algorithm::Sha256 => None,
    }
}

/// `a * b mod P` in the reflected representation (bit `width - 1` is x^0): zlib's `multmodp`.
fn multmodp(a: u64, mut b: u64, width: u32, poly: u64) -> u64 {
    let mut m = 1u64 << (width - 1);
    let mut p = 0u64;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                break;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ poly } else { b >> 1 };
    }
    p
}

/// The CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `len(B)`: `crc(A) · x^(8·len(B)) ⊕ crc(B)`
/// (zlib `crc32_combine`; exact for CRCs whose initial value and final XOR are all ones).
pub fn crc_combine(a: Algorithm, crc1: u64, crc2: u64, len2: u64) -> Option<u64> {
    let (width, poly) = crc_params(a)?;
    let one = 1u64 << (width - 1);
    let mut power = one; // x^0
    let mut base = one >> 8; // x^8: one byte
    let mut n = len2;
    while n > 0 {
        if n & 1 != 0 {
            power = multmodp(power, base, width, poly);
        }
        base = multmodp(base, base, width, poly);
        n >>= 1;
    }
    Some(multmodp(power, crc1, width, poly) ^ crc2)
}

/// The FULL_OBJECT checksum of the parts: their CRCs combined in order.
fn full_object(a: Algorithm, parts: &[(&str, u64)]) -> Option<String> {
    let (width, _) = crc_params(a)?;
    let bytes = (width / 8) as usize;
    let mut acc: Option<u64> = None;
    for (v, len) in parts {
        let raw = unb64(v)?;
        if raw.len() != bytes {
            return None;
        }
        let crc = raw.iter().fold(0u64, |c, b| (c << 8) | u64::from(*b));
        acc = Some(match acc {
            None => crc,
            Some(c) => crc_combine(a, c, crc, *len)?,
        });
    }
    let crc = acc?;
    Some(b64(&crc.to_be_bytes()[8 - bytes..]))
}

/// The findings of a multipart exchange in its capture context: a CompleteMultipartUpload
/// listing a part with another checksum than the part was sent with, or whose object checksum
/// (its own `x-amz-checksum-*` header, or the server's answer) is not what the parts make; a
/// read whose `x-amz-checksum-*` is not what the parts made. The flag: the request's own body
/// lists a wrong part checksum (a body that does not match, as a bad checksum is).
pub fn findings(
    req: &Request,
    resp: Option<&crate::http::Response>,
    ctx: &MultipartContext,
) -> (Vec<Finding>, bool) {
    let mut out = Vec::new();
    match ctx {
        MultipartContext::Complete(seen) => {
            let (parts, _) = listed(&req.body);
            for l in &parts {
                let Some(p) = seen.part(l.number) else {
                    continue;
                };
                for (a, v) in &l.checksums {
                    match p.value(*a) {
                        Some(sent) if sent != v => out.push(Finding::new(
                            Code::MultipartChecksumMismatch,
                            format!(
                                "CompleteMultipartUpload lists part {} with Checksum{} {} but the part was uploaded with {} {}",
                                l.number,
                                a.name(),
                                escape_str(v),
                                a.header(),
                                escape_str(sent)
                            ),
                        )),
                        _ => {}
                    }
                }
            }
            let body_wrong = !out.is_empty();
            let Some(want) = object_checksum(req, &parts, seen) else {
                return (out, body_wrong);
            };
            if let Some(v) = req.header_text(&want.algorithm.header()) {
                if !same_value(&v, &want.value) {
                    out.push(object_finding(&want, "the request's", &v));
                }
            }
            if let Some(r) = resp.filter(|r| r.status == 200) {
                let (_, answered) = listed(&r.body);
                if let Some((_, v)) = answered.iter().find(|(a, _)| *a == want.algorithm) {
                    if !same_value(v, &want.value) {
                        out.push(object_finding(&want, "the server's answer", v));
                    }
                }
            }
            (out, body_wrong)
        }
        MultipartContext::Object(want) => {
            if let Some(r) = resp.filter(|r| r.status == 200 || r.status == 206) {
                if let Some(v) = r.header_text(&want.algorithm.header()) {
                    if !same_value(&v, &want.value) {
                        out.push(object_finding(want, "the response's", &v));
                    }
                }
            }
            (out, false)
        }
    }
}

fn object_finding(want: &ObjectChecksum, whose: &str, got: &str) -> Finding {
    Finding::new(
        Code::MultipartChecksumMismatch,
        format!(
            "{whose} {} is {} but the {} parts in the capture make {} ({} checksum)",
            want.algorithm.header(),
            escape_str(got),
            want.parts,
            want.value,
            want.kind.wire()
        ),
    )
}

/// Two object checksums are the same value: a composite compared with or without its `-N`
/// (moto's HEAD drops it), by its base64.
pub fn same_value(a: &str, b: &str) -> bool {
    let base = |s: &str| s.trim().split('-').next().unwrap_or_default().to_string();
    base(a) == base(b)
}

#[cfg(test)]
mod tests;

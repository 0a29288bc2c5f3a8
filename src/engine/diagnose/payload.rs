//! What a server's answer says of the payload modes and checksums it reads (issue 14): a trailer
//! upload or a checksum header refused as something the server does not know, and an object
//! read back with the aws-chunked framing still inside (the upload was stored undecoded).
//!
//! The answers are those seen from servers that do not read these modes: Ceph RGW 16.2 answers
//! a `STREAMING-UNSIGNED-PAYLOAD-TRAILER` upload `XAmzContentSHA256Mismatch`
//! (`../shared/servers/README.md`; rgw_auth_s3.h `is_v4_payload_streamed`), others
//! `InvalidArgument`, `NotImplemented`, `AuthorizationHeaderMalformed` or "Unsupported header
//! x-amz-sdk-checksum-algorithm" (boto/boto3#4400, boto/botocore#3352, seaweedfs/seaweedfs#6517,
//! localstack/localstack#12169, versity/versitygw#2274); a server that ignores
//! `Content-Encoding: aws-chunked` stores the framing (trinodb/aws-proxy#199).

use super::{finding, Analysis, Code, Observed};
use crate::engine::payload::checksum::{Algorithm, SDK_ALGORITHM};
use crate::engine::payload::{framing, PayloadMode, Shape, TRAILER};
use crate::http::Headers;

/// The client settings that stop the SDKs from sending trailers and default checksums.
const CLIENT_FIX: &str = "on the client, checksums only where the operation requires them: boto3/botocore/aws-cli `request_checksum_calculation = when_required` in ~/.aws/config or AWS_REQUEST_CHECKSUM_CALCULATION=when_required (with response_checksum_validation likewise); JavaScript v3 `requestChecksumCalculation: \"WHEN_REQUIRED\"`; Java v2 `requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)`; Go v2 `o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired`";

/// Server error codes that, answering a trailer upload or checksum headers, say the server
/// does not read them.
const REFUSALS: &[&str] = &[
    "XAmzContentSHA256Mismatch",
    "MissingContentLength",
    "InvalidArgument",
    "NotImplemented",
    "AuthorizationHeaderMalformed",
    "InvalidRequest",
    "BadRequest",
];

/// The payload diagnosis of one exchange.
pub(super) fn payload_findings(o: &Observed, a: &mut Analysis) {
    refused_mode(o, a);
    stored_framing(o, a);
    response_checksums(o, a);
    multipart_checksums(o, a);
    server_word_for_the_body(a);
}

/// A multipart upload's checksums against its parts (the capture context brings the parts).
fn multipart_checksums(o: &Observed, a: &mut Analysis) {
    let Some(ctx) = o.context.multipart else {
        return;
    };
    let (found, body_wrong) =
        crate::engine::payload::multipart::findings(o.request, o.response, ctx);
    // A part listed with another checksum is the request body's fault, as a checksum is.
    if body_wrong
        && !a
            .body_mismatch
            .contains(&crate::engine::BodyMismatch::Checksum)
    {
        a.body_mismatch.push(crate::engine::BodyMismatch::Checksum);
        a.body_mismatch.sort();
    }
    a.findings.extend(found);
}

/// The server step says any body refusal (`BadDigest`, `XAmzContentSHA256Mismatch`) as a
/// payload-hash mismatch. Where the engine found the payload hash right and another cause —
/// a checksum or Content-MD5 that does not match, or a payload mode the server does not
/// read — that finding is the server's word for that cause, which the other finding says.
fn server_word_for_the_body(a: &mut Analysis) {
    use crate::engine::BodyMismatch;
    let engine_found_hash = a.body_mismatch.contains(&BodyMismatch::PayloadHash);
    let other_cause = a
        .body_mismatch
        .iter()
        .any(|m| *m != BodyMismatch::PayloadHash)
        || a.findings
            .iter()
            .any(|f| f.code == Code::PayloadModeUnsupported);
    if !engine_found_hash && other_cause {
        a.findings.retain(|f| f.code != Code::PayloadHashMismatch);
    }
}

/// A full object read back (`GET`, 200) with `x-amz-checksum-*` headers (S3 sends them with
/// `x-amz-checksum-mode: ENABLED`): each recomputed over the body received. Skipped where the
/// value is not the object's bytes' own: a composite checksum of a multipart object (`…-N`,
/// `x-amz-checksum-type: COMPOSITE`), a body cut short of its Content-Length, or one with a
/// Content-Encoding.
fn response_checksums(o: &Observed, a: &mut Analysis) {
    let Some(resp) = o.response else { return };
    if resp.status != 200
        || !o.request.method.eq_ignore_ascii_case("GET")
        || resp.has_header("content-encoding")
        || resp
            .header_text("x-amz-checksum-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("COMPOSITE"))
        || resp
            .header_text("content-length")
            .is_some_and(|l| l.parse::<usize>().ok() != Some(resp.body.len()))
    {
        return;
    }
    for h in &resp.headers {
        let Some(alg) = Algorithm::of_header(&crate::http::text(&h.name)) else {
            continue;
        };
        let claimed = crate::http::text(&h.value).trim().to_string();
        if claimed.contains('-') {
            continue;
        }
        let ours = alg.compute(&resp.body);
        if claimed != ours {
            finding(
                a,
                Code::ResponseChecksumMismatch,
                format!(
                    "the response's {} is {} but the body received ({} bytes) has {} {ours}: the object was changed on its way back, or stored other than its checksum says",
                    alg.header(),
                    crate::escape::escape_str(&claimed),
                    resp.body.len(),
                    alg.name()
                ),
            );
        }
    }
}

/// What the request sends that older servers do not read, in words; `None` when nothing.
fn what_was_sent(o: &Observed) -> Option<String> {
    let req = o.request;
    let mode = PayloadMode::of_request(req);
    let trailer = req.header_text(TRAILER).map(|t| t.into_owned());
    let mut sent = Vec::new();
    let ecdsa = matches!(
        mode,
        PayloadMode::Streaming {
            chunks: crate::engine::payload::ChunkSigning::EcdsaP256,
            trailer: false
        }
    );
    if mode.has_trailer() || ecdsa {
        let with = trailer
            .map(|t| format!(" and the trailer {}", crate::escape::escape_str(&t)))
            .unwrap_or_default();
        sent.push(format!(
            "an aws-chunked upload with x-amz-content-sha256 {}{with}",
            mode.wire()
        ));
    }
    let headers: Vec<String> = req
        .headers
        .iter()
        .map(|h| crate::http::text(&h.name).to_ascii_lowercase())
        .filter(|n| Algorithm::of_header(n).is_some() || n == SDK_ALGORITHM)
        .collect();
    if !headers.is_empty() {
        let noun = if headers.len() == 1 {
            "header"
        } else {
            "headers"
        };
        sent.push(format!("the {noun} {}", headers.join(", ")));
    }
    (!sent.is_empty()).then(|| sent.join(", and "))
}

/// A trailer upload or checksum headers answered with an error that says the server does not
/// read them.
fn refused_mode(o: &Observed, a: &mut Analysis) {
    let Some(resp) = o.response else { return };
    if resp.status < 400 {
        return;
    }
    let Some(sent) = what_was_sent(o) else {
        return;
    };
    let se = a.server_expected.as_ref();
    let code = se.map(|s| s.code.as_str()).unwrap_or("");
    let message = se.and_then(|s| s.message.as_deref()).unwrap_or("");
    let unsupported_header = message.to_ascii_lowercase().contains("unsupported header")
        || message.contains(SDK_ALGORITHM)
        || message.contains("x-amz-checksum")
        || message.contains("x-amz-trailer");
    let mode = PayloadMode::of_request(o.request);
    // A trailer mode refused with one of those codes, or any of it named in the message. A
    // body the engine found not to match is a genuine mismatch, not an unread mode.
    let unread_mode = mode.has_trailer() || mode.wire().contains("ECDSA");
    if !(unsupported_header || (unread_mode && REFUSALS.contains(&code)))
        || !a.body_mismatch.is_empty()
    {
        return;
    }
    let expected = if code == "XAmzContentSHA256Mismatch" && mode.is_streaming() {
        format!(
            "it took {} for a SHA-256 of the body, so it reads only the payload modes it knows (a hex SHA-256, UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD), as Ceph RGW 16.2 does",
            mode.wire()
        )
    } else if code == "MissingContentLength" && o.request.has_header("transfer-encoding") {
        "it wants a Content-Length, and the aws-chunked body came with Transfer-Encoding: chunked instead (botocore streams every trailer upload so, dropping Content-Length), which it does not read with this payload mode; Ceph RGW 16.2 answers so".to_string()
    } else if unsupported_header {
        format!(
            "its message ({}) says it does not read them",
            crate::escape::escape_str(message)
        )
    } else {
        "it refuses what it does not read; the request is otherwise well formed".to_string()
    };
    let answer = if code.is_empty() {
        format!("{}", resp.status)
    } else {
        format!("{} {}", resp.status, crate::escape::escape_str(code))
    };
    let rules = dialects_not_taking(a);
    finding(
        a,
        Code::PayloadModeUnsupported,
        format!(
            "the client sent {sent}; the server answered {answer}: {expected}.{rules} The fix: {CLIENT_FIX}; or, on the server, a release that reads aws-chunked trailers and x-amz-checksum-* (S3's flexible checksums)"
        ),
    );
}

/// The dialects whose rules (`sigv4.streaming`, `sigv4.checksums`) do not take this payload
/// mode or checksum, each with what it does not take; empty when none.
fn dialects_not_taking(a: &Analysis) -> String {
    use crate::engine::Rejection;
    let said: Vec<String> = a
        .dialects
        .iter()
        .filter_map(|d| match &d.rejects {
            Some(
                r @ (Rejection::PayloadModeUnsupported(_)
                | Rejection::ChecksumUnsupported(_)
                | Rejection::FullObjectUnsupported(_)),
            ) => Some(format!("{} ({r})", d.name)),
            _ => None,
        })
        .collect();
    if said.is_empty() {
        String::new()
    } else {
        format!(
            " Servers that do not take it, by their rules: {}.",
            said.join("; ")
        )
    }
}

/// A successful read whose body is aws-chunked framing: the upload was stored as sent.
fn stored_framing(o: &Observed, a: &mut Analysis) {
    let Some(resp) = o.response else { return };
    if !matches!(resp.status, 200 | 206) || !o.request.method.eq_ignore_ascii_case("GET") {
        return;
    }
    let body = &resp.body;
    // Cheap first: a hex size line at the very start (looked for in the first 101 bytes only:
    // scanning a whole object body for its first CR was a fifth of a TLS capture's report).
    let first = memchr::memchr(b'\r', &body[..body.len().min(101)]).unwrap_or(0);
    if first == 0 || first > 100 || !body[..first].iter().any(u8::is_ascii_hexdigit) {
        return;
    }
    let shapes = [(true, false), (true, true), (false, true)];
    let Some(framed) = shapes.iter().find_map(|&(signed, trailer)| {
        framing::parse(body, Shape { signed, trailer })
            .ok()
            .filter(|f| signed || !f.trailers.is_empty())
    }) else {
        return;
    };
    let what = if framed.frames.iter().any(|f| f.signature.is_some()) {
        "`;chunk-signature=` size lines"
    } else {
        "size lines and a trailer"
    };
    finding(
        a,
        Code::AwsChunkedStored,
        format!(
            "the object read back ({} bytes) is aws-chunked framing, {what}, around {} bytes of data: the server stored an aws-chunked upload without decoding it (it does not read Content-Encoding: aws-chunked in the upload's payload mode). The fix: {CLIENT_FIX}; or a server release that decodes aws-chunked uploads; the object must be uploaded again",
            body.len(),
            framed.decoded_len()
        ),
    );
}

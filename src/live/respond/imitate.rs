//! `listen --respond rgw|moto`: the answers of a real server, as its conformance corpus
//! (`tests/conformance/<server>-<version>`, issue 20) recorded them — which refusal it gives
//! for what, its status codes and its error body to the element — so that a client can be
//! tried against the imitation. The signature decision itself is the verifier dialect's
//! (`--dialect ceph-rgw-16.2`, `--dialect moto`); this module decides what the server checks
//! besides the signature, and in which words it refuses.

use super::{finding, Answer, Policy};
use crate::engine::dialect::Dialect;
use crate::engine::{Analysis, BodyMismatch, Code, Mode, Rejection, Verdict};
use crate::http::Request;

/// The servers imitated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// Ceph RGW 16.2.15 (beast frontend).
    Rgw,
    /// moto 5.2.6's S3 server.
    Moto,
    /// Garage 2.5.0.
    Garage,
}

/// One refusal: status, S3 code, whether the server raised it after authentication (RGW and
/// moto then name the bucket in the body), and moto's message (RGW's are empty).
struct Refusal {
    status: u16,
    code: &'static str,
    after_auth: bool,
    /// The server's own words, where it has some (Garage); RGW's are empty, moto's follow
    /// from the code.
    message: String,
}

const fn refuse(status: u16, code: &'static str, after_auth: bool) -> Refusal {
    Refusal {
        status,
        code,
        after_auth,
        message: String::new(),
    }
}

fn garage_refuse(status: u16, code: &'static str, message: String) -> Refusal {
    Refusal {
        status,
        code,
        after_auth: false,
        message,
    }
}

/// The answer of `server` to the request, under the verifier dialect `dialect`.
pub fn answer(
    server: Server,
    a: &Analysis,
    req: &Request,
    dialect: &Dialect,
    policy: &Policy,
    now: time::OffsetDateTime,
    request_id: &str,
) -> Answer {
    let decided = match server {
        Server::Rgw => rgw(a, dialect, policy),
        Server::Moto => match moto(a, policy) {
            Ok(r) => r,
            Err(crash) => return crash,
        },
        Server::Garage => garage(a, policy, now),
    };
    match decided {
        None => Answer {
            status: 200,
            content_type: "application/xml",
            body: Vec::new(),
            code: None,
        },
        Some(r) => render(server, &r, req, request_id, policy.region.as_deref()),
    }
}

/// RGW 16.2.15, from tests/conformance/rgw-16.2.15: the cases named beside each rule.
fn rgw(a: &Analysis, dialect: &Dialect, policy: &Policy) -> Option<Refusal> {
    match a.verdict {
        // anonymous-private: AccessDenied after authentication (an ACL's decision).
        Verdict::Anonymous => {
            return (!policy.allow_anonymous).then(|| refuse(403, "AccessDenied", true))
        }
        Verdict::Malformed => return Some(refuse(400, "AuthorizationHeaderMalformed", false)),
        // unknown-key.
        Verdict::Unverified => return Some(refuse(403, "InvalidAccessKeyId", false)),
        _ => {}
    }
    // skew-16-minutes, skew-25-hours (skew-10-minutes accepted); presigned-v4-expired.
    if finding(a, Code::ClockSkew).is_some() {
        return Some(refuse(403, "RequestTimeTooSkewed", false));
    }
    if finding(a, Code::PresignedExpired).is_some() {
        return Some(refuse(403, "AccessDenied", false));
    }
    let verifier = a.dialect(a.verifier);
    if verifier.and_then(|d| d.matches) == Some(true) {
        // payload-unsigned-trailer: 16.2 takes the mode's name for a payload hash.
        if let Some(Rejection::PayloadModeUnsupported(_)) =
            verifier.and_then(|d| d.rejects.as_ref())
        {
            return Some(refuse(400, "XAmzContentSHA256Mismatch", true));
        }
        if verifier.is_some_and(|d| d.rejects.is_some()) {
            return Some(refuse(403, "AccessDenied", false));
        }
    }
    if a.verdict != Verdict::Valid {
        return Some(refuse(403, "SignatureDoesNotMatch", false));
    }
    // payload-body-changed, content-md5-wrong; checksum-crc32-header-wrong is stored (16.2
    // reads no flexible checksum: the dialect's `checksums.read` is None).
    a.body_mismatch.iter().find_map(|m| match m {
        BodyMismatch::PayloadHash => Some(refuse(400, "XAmzContentSHA256Mismatch", true)),
        BodyMismatch::ContentMd5 => Some(refuse(400, "BadDigest", true)),
        BodyMismatch::Checksum if dialect.sigv4.checksums.read.is_some() => {
            Some(refuse(400, "BadDigest", true))
        }
        BodyMismatch::DecodedLength | BodyMismatch::Framing => {
            Some(refuse(400, "IncompleteBody", true))
        }
        _ => None,
    })
}

/// moto 5.2.6, from tests/conformance/moto-5.2.6: no clock, body or checksum checks
/// (skew-25-hours, payload-body-changed, content-md5-wrong: 200); SigV2 and presigned URLs
/// end in an internal error (v2-*, presigned-v4*: 500), as do anonymous reads of public
/// objects (anonymous-public); a private one is a bare 403 (anonymous-private).
fn moto(a: &Analysis, policy: &Policy) -> Result<Option<Refusal>, Answer> {
    let mode = a.auth.mode;
    if mode.family() == crate::engine::Family::SigV2 || mode.is_presigned() {
        return Err(moto_crash());
    }
    if a.verdict == Verdict::Anonymous || mode == Mode::Anonymous {
        if policy.allow_anonymous {
            return Ok(None);
        }
        return Err(Answer {
            status: 403,
            content_type: "text/html; charset=utf-8",
            body: Vec::new(),
            code: None,
        });
    }
    Ok(match a.verdict {
        Verdict::Valid => None,
        Verdict::Unverified => Some(refuse(403, "InvalidAccessKeyId", false)),
        Verdict::Malformed => return Err(moto_crash()),
        _ => Some(refuse(403, "SignatureDoesNotMatch", true)),
    })
}

/// Garage 2.5.0, from tests/conformance/garage-2.5.0 and crates.io garage_api_common 2.5.0
/// signature/payload.rs: everything under AccessDenied, InvalidRequest, InvalidDigest or
/// BadDigest, the reason in `<Message>`; a 24-hour date window; no SigV2, no anonymous access.
fn garage(a: &Analysis, policy: &Policy, now: time::OffsetDateTime) -> Option<Refusal> {
    let bad = |m: String| {
        Some(garage_refuse(
            400,
            "InvalidRequest",
            format!("Bad request: {m}"),
        ))
    };
    let mode = a.auth.mode;
    if a.verdict == Verdict::Anonymous
        || mode == Mode::Anonymous
        || (mode.family() == crate::engine::Family::SigV2 && mode.is_presigned())
    {
        // anonymous-*, v2-presigned: a SigV2 URL is not a scheme Garage knows.
        return (!policy.allow_anonymous).then(|| {
            garage_refuse(
                403,
                "AccessDenied",
                "Forbidden: Garage does not support anonymous access yet".into(),
            )
        });
    }
    if mode.family() != crate::engine::Family::SigV4 {
        return bad("Unsupported authorization method".into());
    }
    if let (Some(want), Some(got)) = (&policy.region, &a.auth.region) {
        if want != got {
            let scope = format!(
                "{}/{got}/{}/aws4_request",
                a.auth.date.as_deref().unwrap_or("").get(..8).unwrap_or(""),
                a.auth.service.as_deref().unwrap_or("s3")
            );
            return Some(garage_refuse(
                400,
                "AuthorizationHeaderMalformed",
                format!("Authorization header malformed, unexpected scope: '{scope}'"),
            ));
        }
    }
    if a.verdict == Verdict::Unverified {
        let key = a.auth.access_key.as_deref().unwrap_or("");
        return Some(garage_refuse(
            403,
            "AccessDenied",
            format!("Forbidden: No such key: {key}"),
        ));
    }
    // Garage's window is 24 hours (payload.rs: `Utc::now() - date > Duration::hours(24)`), and
    // a presigned URL past its expiry gets the same words.
    let signed = a
        .auth
        .date
        .as_deref()
        .and_then(crate::engine::time::parse_amz);
    let too_old = signed.is_some_and(|t| now - t > time::Duration::hours(24))
        || finding(a, Code::PresignedExpired).is_some();
    if too_old {
        return bad("Date is too old".into());
    }
    let verifier = a.dialect(a.verifier);
    if let Some(rule) = verifier.and_then(|d| d.rejects.as_ref()) {
        return bad(match rule {
            Rejection::RepeatedQueryParameter(n) => format!("Query parameter repeated: '{n}'"),
            Rejection::HeaderNotSigned(h) => format!("Header `{h}` should be signed"),
            Rejection::SignedHeaderMissing(h) => format!("signed header `{h}` is not present"),
            Rejection::PayloadHashMissing => "Missing X-Amz-Content-Sha256 field".into(),
            other => other.to_string(),
        });
    }
    if a.verdict != Verdict::Valid {
        return Some(garage_refuse(
            403,
            "AccessDenied",
            "Forbidden: Invalid signature".into(),
        ));
    }
    a.body_mismatch.iter().find_map(|m| match m {
        BodyMismatch::PayloadHash => Some(garage_refuse(
            400,
            "InvalidDigest",
            "Invalid digest: SHA256 checksum verification failed (from x-amz-content-sha256)"
                .into(),
        )),
        BodyMismatch::Checksum => Some(garage_refuse(
            400,
            "InvalidDigest",
            "Invalid digest: Failed to validate checksum".into(),
        )),
        BodyMismatch::ContentMd5 => Some(garage_refuse(
            400,
            "BadDigest",
            "Bad digest: The Content-MD5 you specified did not match what we received.".into(),
        )),
        _ => None,
    })
}

/// Flask's (werkzeug's) page for an unhandled exception, which is what moto answers.
fn moto_crash() -> Answer {
    Answer {
        status: 500,
        content_type: "text/html; charset=utf-8",
        body: b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n".to_vec(),
        code: None,
    }
}

/// moto's message for each code it gives (moto/s3/exceptions.py, moto/core/exceptions.py).
fn moto_message(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" => "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        _ => "",
    }
}

/// The bucket of a path-style request, when the path names only a bucket (`/bucket`); moto
/// and RGW name it in errors raised after authentication (moto: bucket-level requests only).
fn bucket_of(req: &Request, object_level_too: bool) -> Option<String> {
    let path = String::from_utf8_lossy(req.path());
    let rest = path.strip_prefix('/')?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty() && (object_level_too || key.is_empty())).then(|| bucket.to_string())
}

fn render(
    server: Server,
    r: &Refusal,
    req: &Request,
    request_id: &str,
    region: Option<&str>,
) -> Answer {
    let esc = super::xml_escape;
    let body = match server {
        Server::Garage => garage_body(r, req, region.unwrap_or("garage")),
        // <Error><Code/><Message/>[<BucketName/>]<RequestId/><HostId/></Error>, no newline
        // after the declaration, empty messages.
        Server::Rgw => {
            let bucket = r
                .after_auth
                .then(|| bucket_of(req, true))
                .flatten()
                .map(|b| format!("<BucketName>{}</BucketName>", esc(&b)))
                .unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message></Message>{bucket}<RequestId>tx{request_id}-default</RequestId><HostId>sigscope-default-default</HostId></Error>",
                r.code
            )
        }
        Server::Moto => {
            let bucket = r
                .after_auth
                .then(|| bucket_of(req, false))
                .flatten()
                .map(|b| format!("<BucketName>{}</BucketName>", esc(&b)))
                .unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{bucket}<RequestId>{request_id}</RequestId><HostId>sigscope</HostId></Error>",
                r.code,
                moto_message(r.code)
            )
        }
    };
    Answer {
        status: r.status,
        content_type: "application/xml",
        body: body.into_bytes(),
        code: Some(r.code),
    }
}

/// Garage's body: `<Error><Code/><Message/><Resource/><Region/></Error>`, the request's path as
/// the resource (garage_api_common common_error.rs, seen in the corpus).
fn garage_body(r: &Refusal, req: &Request, region: &str) -> String {
    let esc = super::xml_escape;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><Region>{}</Region></Error>",
        r.code,
        esc(&r.message),
        esc(&String::from_utf8_lossy(req.path())),
        esc(region)
    )
}

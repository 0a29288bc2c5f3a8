//! What the verifying endpoint answers: 200 when the request verifies, otherwise an error in
//! the style of the service imitated — S3's XML `<Error>` with the strings the verifier
//! computed (`StringToSign`, `StringToSignBytes`, `CanonicalRequest`, `CanonicalRequestBytes`,
//! `SignatureProvided`, `AWSAccessKeyId`), the Query/EC2 `<ErrorResponse>` with the canonical
//! strings in the message as STS and IAM write them, Keystone's JSON error, or Google Cloud
//! Storage's XML `<Error>` (`Code`, `Message`, `StringToSign`, `CanonicalRequest`, no byte
//! dumps nor request id, as GCS answers a GOOG4 or AWS4 HMAC request it refuses:
//! xcir/libvmod-awsrest#32, GoogleCloudPlatform/gsutil#1349). Every body reads back through
//! [`crate::engine::server_error::parse`].

pub mod imitate;
mod post;

use crate::engine::{Analysis, Family, Mode, Verdict};
use crate::http::Request;

/// The error-body style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    S3,
    Query,
    Keystone,
    /// Ceph RGW 16.2's answers (issue 20: [`imitate`]).
    Rgw,
    /// moto 5.2.6's answers (issue 20: [`imitate`]).
    Moto,
    /// Garage 2.5.0's answers (issue 20: [`imitate`]).
    Garage,
    Gcs,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::S3 => "s3",
            Style::Query => "query",
            Style::Keystone => "keystone",
            Style::Rgw => "rgw",
            Style::Moto => "moto",
            Style::Garage => "garage",
            Style::Gcs => "gcs",
        }
    }

    /// The real server this style imitates, if it is one.
    pub fn server(self) -> Option<imitate::Server> {
        match self {
            Style::Rgw => Some(imitate::Server::Rgw),
            Style::Moto => Some(imitate::Server::Moto),
            Style::Garage => Some(imitate::Server::Garage),
            Style::S3 | Style::Query | Style::Keystone | Style::Gcs => None,
        }
    }
}

/// How the endpoint decides.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// `None`: inferred from each request.
    pub style: Option<Style>,
    pub allow_anonymous: bool,
    /// The region this endpoint claims to be; a request scoped to another gets
    /// `AuthorizationHeaderMalformed`.
    pub region: Option<String>,
}

/// The answer: status, content type, body, and the error code (None for a success).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub code: Option<&'static str>,
}

fn param<'a>(req: &'a Request, name: &str) -> Option<&'a [u8]> {
    let from = |q: &'a [u8]| {
        crate::engine::encode::split_pairs(q)
            .into_iter()
            .find(|(k, _)| *k == name.as_bytes())
            .and_then(|(_, v)| v)
    };
    req.query().and_then(from).or_else(|| {
        (req.is_form_urlencoded() && req.body_complete())
            .then(|| from(&req.body))
            .flatten()
    })
}

/// The style a request calls for: Query for Query signatures and non-S3 SigV4, and for
/// anything carrying an `Action` parameter; S3 otherwise.
pub fn infer(a: &Analysis, req: &Request) -> Style {
    match a.auth.mode.family() {
        Family::Query => Style::Query,
        Family::SigV4 if matches!(a.auth.mode, Mode::Goog4Header | Mode::Goog4Query) => Style::Gcs,
        Family::SigV4 => {
            if a.auth
                .service
                .as_deref()
                .is_some_and(crate::engine::sigv4::is_s3_service)
            {
                Style::S3
            } else {
                Style::Query
            }
        }
        Family::SigV2 | Family::PostPolicy => Style::S3,
        Family::Token | Family::Anonymous | Family::Unknown => {
            if param(req, "Action").is_some() {
                Style::Query
            } else {
                Style::S3
            }
        }
    }
}

/// XML character data; `\r` as a character reference so it survives XML line-end
/// normalisation.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\r' => o.push_str("&#13;"),
            c => o.push(c),
        }
    }
    o
}

/// `StringToSignBytes` form: space-separated two-digit hex.
pub fn hex_bytes(b: &[u8]) -> String {
    let mut o = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            o.push(' ');
        }
        o.push_str(&format!("{x:02x}"));
    }
    o
}

struct ErrBody<'a> {
    status: u16,
    code: &'static str,
    message: String,
    /// Extra S3 elements, already escaped.
    extra: Vec<(&'static str, String)>,
    canonical_request: Option<&'a [u8]>,
    string_to_sign: Option<&'a [u8]>,
}

fn render(style: Style, e: ErrBody, request_id: &str) -> Answer {
    let text = |b: &[u8]| crate::http::text(b).into_owned();
    let body = match style {
        Style::S3 | Style::Rgw | Style::Moto | Style::Garage => {
            let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
            x.push_str(&format!(
                "<Code>{}</Code><Message>{}</Message>",
                e.code,
                xml_escape(&e.message)
            ));
            for (k, v) in &e.extra {
                x.push_str(&format!("<{k}>{v}</{k}>"));
            }
            if let Some(sts) = e.string_to_sign {
                x.push_str(&format!(
                    "<StringToSign>{}</StringToSign><StringToSignBytes>{}</StringToSignBytes>",
                    xml_escape(&text(sts)),
                    hex_bytes(sts)
                ));
            }
            if let Some(cr) = e.canonical_request {
                x.push_str(&format!(
                    "<CanonicalRequest>{}</CanonicalRequest><CanonicalRequestBytes>{}</CanonicalRequestBytes>",
                    xml_escape(&text(cr)),
                    hex_bytes(cr)
                ));
            }
            x.push_str(&format!(
                "<RequestId>{request_id}</RequestId><HostId>sigscope</HostId></Error>"
            ));
            x.into_bytes()
        }
        Style::Query => {
            let mut m = e.message.clone();
            if let Some(cr) = e.canonical_request {
                m.push_str(&format!(
                    "\n\nThe Canonical String for this request should have been\n'{}'\n",
                    text(cr)
                ));
            }
            if let Some(sts) = e.string_to_sign {
                m.push_str(&format!(
                    "\nThe String-to-Sign should have been\n'{}'\n",
                    text(sts)
                ));
            }
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://sigscope.invalid/doc/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                e.code,
                xml_escape(&m)
            )
            .into_bytes()
        }
        Style::Gcs => {
            let mut x = String::from("<?xml version='1.0' encoding='UTF-8'?><Error>");
            x.push_str(&format!(
                "<Code>{}</Code><Message>{}</Message>",
                e.code,
                xml_escape(&e.message)
            ));
            if let Some(sts) = e.string_to_sign {
                x.push_str(&format!(
                    "<StringToSign>{}</StringToSign>",
                    xml_escape(&text(sts))
                ));
            }
            if let Some(cr) = e.canonical_request {
                x.push_str(&format!(
                    "<CanonicalRequest>{}</CanonicalRequest>",
                    xml_escape(&text(cr))
                ));
            }
            x.push_str("</Error>");
            x.into_bytes()
        }
        Style::Keystone => {
            let v = serde_json::json!({"error": {
                "code": 401,
                "title": "Unauthorized",
                "message": e.message,
            }});
            v.to_string().into_bytes()
        }
    };
    let (status, content_type) = match style {
        Style::Keystone => (401, "application/json"),
        Style::Query => (e.status, "text/xml"),
        Style::S3 | Style::Rgw | Style::Moto | Style::Garage => (e.status, "application/xml"),
        Style::Gcs => (e.status, "application/xml; charset=UTF-8"),
    };
    Answer {
        status,
        content_type,
        body,
        code: Some(e.code),
    }
}

fn success(style: Style, req: &Request, request_id: &str) -> Answer {
    match style {
        Style::S3 | Style::Rgw | Style::Moto | Style::Garage | Style::Gcs => Answer {
            status: 200,
            content_type: "application/xml",
            body: Vec::new(),
            code: None,
        },
        Style::Query => {
            // `<ActionResponse>` as Query services answer; only a plain name is echoed.
            let action = param(req, "Action")
                .filter(|a| {
                    !a.is_empty() && a.len() <= 64 && a.iter().all(u8::is_ascii_alphanumeric)
                })
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .unwrap_or_else(|| "Sigscope".into());
            Answer {
                status: 200,
                content_type: "text/xml",
                body: format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"https://sigscope.invalid/doc/\"><{action}Result/><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
                )
                .into_bytes(),
                code: None,
            }
        }
        Style::Keystone => Answer {
            status: 200,
            content_type: "application/json",
            body: b"{}".to_vec(),
            code: None,
        },
    }
}

fn finding(a: &Analysis, code: crate::engine::Code) -> Option<&str> {
    a.findings
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.message.as_str())
}

/// S3's answer to a request whose signature verifies but whose body does not match what its
/// headers say (issue 14): the first mismatch, in [`BodyMismatch`]'s order, with S3's code —
/// XAmzContentSHA256Mismatch, BadDigest (Content-MD5, and "The CRC32 you specified did not
/// match the calculated checksum." for a flexible checksum), IncompleteBody (the decoded
/// length), MalformedTrailerError or IncompleteBody (the aws-chunked framing) — and the
/// engine's own words.
fn body_refusal(a: &Analysis) -> Option<(u16, &'static str, String)> {
    use crate::engine::{BodyMismatch, Code};
    let first = *a.body_mismatch.first()?;
    let say = |code| finding(a, code).unwrap_or("").to_string();
    Some(match first {
        BodyMismatch::PayloadHash => (
            400,
            "XAmzContentSHA256Mismatch",
            format!(
                "The provided 'x-amz-content-sha256' header does not match what was computed: {}",
                say(Code::PayloadHashMismatch)
            ),
        ),
        BodyMismatch::ContentMd5 => (
            400,
            "BadDigest",
            format!(
                "The Content-MD5 you specified did not match what we received: {}",
                say(Code::ContentMd5Mismatch)
            ),
        ),
        BodyMismatch::Checksum => (
            400,
            "BadDigest",
            format!(
                "The checksum you specified did not match the calculated checksum: {}",
                say(Code::ChecksumMismatch)
            ),
        ),
        BodyMismatch::DecodedLength => (
            400,
            "IncompleteBody",
            format!(
                "You did not provide the number of bytes specified by the x-amz-decoded-content-length header: {}",
                say(Code::DecodedLengthMismatch)
            ),
        ),
        BodyMismatch::Framing => match finding(a, Code::TrailerUndeclared) {
            Some(m) => (
                400,
                "MalformedTrailerError",
                format!("The request contained trailing data that was not well-formed: {m}"),
            ),
            None => (
                400,
                "IncompleteBody",
                format!(
                    "The request body is not well-formed aws-chunked: {}",
                    say(Code::AwsChunkedMalformed)
                ),
            ),
        },
    })
}

/// S3 Express One Zone's refusal of a session request whatever its signature: the session
/// expired (S3's `ExpiredToken`), or the session token is not the signing key's, or it is in
/// `X-Amz-Security-Token` (`AccessDenied`); the engine's words as the message.
fn s3express_refusal(a: &Analysis, style: Style, request_id: &str) -> Option<Answer> {
    use crate::engine::Code;
    let plain = |status, code, message: &str| ErrBody {
        status,
        code,
        message: message.to_string(),
        extra: Vec::new(),
        canonical_request: None,
        string_to_sign: None,
    };
    let e = if let Some(m) = finding(a, Code::S3ExpressSessionExpired) {
        plain(400, "ExpiredToken", m)
    } else if let Some(m) = finding(a, Code::S3ExpressIamCredentials)
        .or_else(|| finding(a, Code::S3ExpressSecurityToken))
    {
        plain(403, "AccessDenied", m)
    } else {
        return None;
    };
    Some(render(style, e, request_id))
}

/// Decides the answer to a request from its analysis under the verifier dialect.
/// `now` is the server time written into `RequestTimeTooSkewed`.
pub fn answer(
    a: &Analysis,
    req: &Request,
    policy: &Policy,
    now: time::OffsetDateTime,
    request_id: &str,
) -> Answer {
    let style = policy.style.unwrap_or_else(|| infer(a, req));
    if let Some(server) = style.server() {
        let dialect = crate::engine::dialect::by_name(a.verifier)
            .unwrap_or(&crate::engine::dialect::aws::DIALECT);
        return imitate::answer(server, a, req, dialect, policy, now, request_id);
    }
    let plain = |status, code, message: String| ErrBody {
        status,
        code,
        message,
        extra: Vec::new(),
        canonical_request: None,
        string_to_sign: None,
    };
    let access_key = a.auth.access_key.as_deref().map(xml_escape);
    if a.auth.mode == Mode::PostPolicy && style == Style::S3 {
        return post::answer(a, req, request_id);
    }
    if a.verdict == Verdict::Malformed {
        let why = finding(a, crate::engine::Code::MalformedAuth)
            .unwrap_or("the authorization could not be parsed");
        let code = if style == Style::Query {
            "IncompleteSignature"
        } else {
            "AuthorizationHeaderMalformed"
        };
        return render(style, plain(400, code, why.to_string()), request_id);
    }
    if a.verdict == Verdict::Anonymous {
        return if policy.allow_anonymous {
            success(style, req, request_id)
        } else {
            render(
                style,
                plain(
                    403,
                    "AccessDenied",
                    "Access Denied: anonymous requests are refused (sigscope listen without --allow-anonymous)".into(),
                ),
                request_id,
            )
        };
    }
    if let (Some(want), Some(got)) = (&policy.region, &a.auth.region) {
        if want != got {
            let mut e = plain(
                400,
                "AuthorizationHeaderMalformed",
                format!("The authorization header is malformed; the region '{got}' is wrong; expecting '{want}'"),
            );
            e.extra.push(("Region", xml_escape(want)));
            return render(style, e, request_id);
        }
    }
    if let Some(m) = finding(a, crate::engine::Code::ClockSkew) {
        let mut e = plain(
            403,
            "RequestTimeTooSkewed",
            format!(
                "The difference between the request time and the current time is too large ({m})."
            ),
        );
        if let Some(d) = &a.auth.date {
            e.extra.push(("RequestTime", xml_escape(d)));
        }
        let server_time = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        e.extra.push(("ServerTime", server_time));
        e.extra
            .push(("MaxAllowedSkewMilliseconds", "900000".into()));
        return render(style, e, request_id);
    }
    if let Some(ans) = s3express_refusal(a, style, request_id) {
        return ans;
    }
    if let Some(m) = finding(a, crate::engine::Code::PresignedExpired) {
        return render(
            style,
            plain(403, "AccessDenied", format!("Request has expired ({m})")),
            request_id,
        );
    }
    let verifier = a.dialect(a.verifier);
    match a.verdict {
        Verdict::Valid => match body_refusal(a) {
            Some((status, code, message)) => {
                render(style, plain(status, code, message), request_id)
            }
            None => success(style, req, request_id),
        },
        Verdict::Unverified => {
            let (code, message) = if a.auth.access_key.is_some() && a.auth.mode.is_signature() {
                match style {
                    Style::Keystone => ("InvalidAccessKeyId", "EC2 access key not found."),
                    Style::Query => (
                        "InvalidClientTokenId",
                        "The security token included in the request is invalid.",
                    ),
                    Style::S3 | Style::Rgw | Style::Moto | Style::Garage | Style::Gcs => (
                        "InvalidAccessKeyId",
                        "The AWS Access Key Id you provided does not exist in our records.",
                    ),
                }
            } else {
                (
                    "AccessDenied",
                    "Access Denied: this scheme is decoded, not verified",
                )
            };
            let mut e = plain(403, code, message.to_string());
            if let Some(k) = &access_key {
                e.extra.push(("AWSAccessKeyId", k.clone()));
            }
            render(style, e, request_id)
        }
        _ => {
            // Invalid under the verifier: a rule refused it, or the signature differs.
            if let Some(rule) = verifier.and_then(|d| d.rejects.as_ref()) {
                if verifier.and_then(|d| d.matches) == Some(true) {
                    return render(
                        style,
                        plain(403, "AccessDenied", format!("Access Denied: {rule}")),
                        request_id,
                    );
                }
            }
            let message = match style {
                Style::Keystone => "Invalid EC2 signature.".to_string(),
                Style::Query => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".to_string(),
                Style::S3 | Style::Rgw | Style::Moto | Style::Garage => "The request signature we calculated does not match the signature you provided. Check your key and signing method.".to_string(),
                Style::Gcs => "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.".to_string(),
            };
            let mut e = plain(403, "SignatureDoesNotMatch", message);
            if let Some(k) = &access_key {
                e.extra.push(("AWSAccessKeyId", k.clone()));
            }
            if let Some(s) = &a.auth.signature {
                e.extra.push(("SignatureProvided", xml_escape(s)));
            }
            if let Some(d) = verifier {
                if !d.string_to_sign.is_empty() {
                    e.string_to_sign = Some(&d.string_to_sign);
                }
                e.canonical_request = d.canonical_request.as_deref();
            }
            render(style, e, request_id)
        }
    }
}

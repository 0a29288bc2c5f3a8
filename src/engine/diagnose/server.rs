//! The server's side: its own strings (from its error body) against the client's, and what its
//! error code says.

use super::*;

pub(super) fn server_comparison(
    req: &Request,
    mode: Mode,
    a: &mut Analysis,
    se: &ServerExpected,
    ours: Option<&DialectResult>,
    knobs: &mut KnobCache,
) {
    let matching_cr: Vec<&'static str> = match &se.canonical_request {
        Some(cr) => a
            .dialects
            .iter()
            .filter(|d| {
                d.canonical_request
                    .as_deref()
                    .is_some_and(|c| c == cr.as_bytes())
            })
            .map(|d| d.name)
            .collect(),
        None => Vec::new(),
    };
    let matching_sts: Vec<&'static str> = match &se.string_to_sign {
        Some(s) => a
            .dialects
            .iter()
            .filter(|d| !d.unsupported && d.string_to_sign == s.as_bytes())
            .map(|d| d.name)
            .collect(),
        None => Vec::new(),
    };
    let server_dialects = if se.canonical_request.is_some() {
        matching_cr.clone()
    } else {
        matching_sts.clone()
    };
    // A list of every dialect says nothing (issue #12 §4): the finding names the dialects
    // whose strings are the server's only when others' are not, and says which.
    let others: Vec<&'static str> = a
        .dialects
        .iter()
        .filter(|d| !d.unsupported && !server_dialects.contains(&d.name))
        .map(|d| d.name)
        .collect();
    if (se.canonical_request.is_some() || se.string_to_sign.is_some())
        && !server_dialects.is_empty()
        && !others.is_empty()
    {
        finding(
            a,
            Code::ServerDialect,
            format!(
                "the server's own strings equal those of {}, not those of {}",
                list(&server_dialects, "and"),
                list(&others, "or")
            ),
        );
    }
    let Some(ours) = ours else { return };
    let ours_cr = ours.canonical_request.as_deref().map(text);
    let ours_sts = text(&ours.string_to_sign);
    let cr_same = match (&se.canonical_request, &ours_cr) {
        (Some(s), Some(o)) => Some(s == o),
        _ => None,
    };
    let sts_same = se.string_to_sign.as_ref().map(|s| *s == ours_sts);
    let altered = a.findings.iter().any(|f| f.code == Code::RequestAltered);
    if cr_same != Some(false)
        && sts_same == Some(true)
        && se.code.contains("SignatureDoesNotMatch")
        && !altered
    {
        let msg = strings_agree(ours);
        finding(a, Code::StringsAgreeKeyDiffers, msg);
        return;
    }
    let theirs = |cr: Option<&String>, sts: Option<&String>| DialectResult {
        name: "server",
        canonical_request: cr.map(|c| bytes::Bytes::copy_from_slice(c.as_bytes())),
        string_to_sign: sts
            .map(|s| bytes::Bytes::copy_from_slice(s.as_bytes()))
            .unwrap_or_default(),
        signature: None,
        matches: None,
        rejects: None,
        unsupported: false,
        chunks: Vec::new(),
    };
    let server = theirs(se.canonical_request.as_ref(), se.string_to_sign.as_ref());
    if a.divergence.is_none() && (cr_same == Some(false) || sts_same == Some(false)) {
        let mut d = server_divergence(se, ours_cr.as_deref(), &ours_sts, cr_same);
        // When a dialect reproduces the server's strings, its knobs explain the difference.
        if let Some(sd) = matching_cr
            .first()
            .or(matching_sts.first())
            .and_then(|n| a.dialect(n))
        {
            let named = DialectResult {
                name: sd.name,
                ..server
            };
            if let Some(k) = compare(req, mode, ours, &named, "server", knobs) {
                d.knob = k.knob;
            }
        }
        if a.verdict == Verdict::Valid {
            // The client's signature is right for the bytes seen here; the server computed from
            // other bytes: something downstream of this point changed the request.
            finding(
                a,
                Code::RequestAltered,
                format!(
                    "the request verifies as seen here, but the server's canonical request has `{}` where it has `{}`: it was changed on the way to the server",
                    crate::escape::escape_str(&d.theirs),
                    crate::escape::escape_str(&d.ours)
                ),
            );
        }
        finding(
            a,
            Code::ServerStringsDiffer,
            format!(
                "the server's {} differs from what the client signed at line {} column {}",
                d.step.name(),
                d.line,
                d.column
            ),
        );
        a.divergence = Some(d);
    }
}

pub(super) fn server_code_findings(a: &mut Analysis, se: &ServerExpected) {
    match se.code.as_str() {
        "InvalidAccessKeyId" | "InvalidClientTokenId" | "UnrecognizedClientException" => finding(
            a,
            Code::AccessKeyUnknown,
            format!(
                "the server does not know access key {}",
                se.access_key
                    .clone()
                    .or(a.auth.access_key.clone())
                    .unwrap_or_default()
            ),
        ),
        "RequestTimeTooSkewed" => finding(
            a,
            Code::ClockSkew,
            format!(
                "the server says the request time {} is too far from its time {}",
                se.request_time.clone().unwrap_or_default(),
                se.server_time.clone().unwrap_or_default()
            ),
        ),
        "AuthorizationHeaderMalformed" | "AuthorizationQueryParametersError" => {
            if let (Some(r), Some(ours)) = (&se.region, &a.auth.region) {
                if r != ours {
                    finding(
                        a,
                        Code::RegionMismatch,
                        format!("the server expects region {r}, the scope says {ours}"),
                    );
                }
            }
        }
        "ExpiredToken" | "TokenRefreshRequired" => finding(
            a,
            Code::SessionTokenExpired,
            "the session token has expired".into(),
        ),
        "XAmzContentSHA256Mismatch" | "BadDigest" | "InvalidDigest" => finding(
            a,
            Code::PayloadHashMismatch,
            format!("the server says {}", se.code),
        ),
        _ => {}
    }
}

/// The first place where the server's own strings part from the client's: the canonical
/// request when they differ there (`cr_same` is `Some(false)`), else the string to sign.
fn server_divergence(
    se: &ServerExpected,
    ours_cr: Option<&str>,
    ours_sts: &str,
    cr_same: Option<bool>,
) -> Divergence {
    if cr_same == Some(false) {
        let (line, column, o, t) = first_difference(
            ours_cr.unwrap_or(""),
            se.canonical_request.as_deref().unwrap_or(""),
        )
        .unwrap_or((1, 1, String::new(), String::new()));
        Divergence {
            against: "server".into(),
            step: Step::CanonicalRequest,
            line,
            column,
            ours: o,
            theirs: t,
            knob: None,
        }
    } else {
        let (line, column, o, t) = first_difference(
            ours_sts,
            se.string_to_sign.as_deref().unwrap_or(""),
        )
        .unwrap_or((1, 1, String::new(), String::new()));
        Divergence {
            against: "server".into(),
            step: Step::StringToSign,
            line,
            column,
            ours: o,
            theirs: t,
            knob: None,
        }
    }
}

/// What the server's strings being equal to the ones computed here proves, by what the
/// secret (when known) says of the client's signature. The strings are computed from the
/// request as captured: without the secret, a request changed before the capture point signs
/// exactly like a wrong secret, so the finding says both and how to tell them apart.
pub(super) fn strings_agree(ours: &DialectResult) -> String {
    match ours.matches {
        // The secret given reproduces the client's signature from these very strings.
        Some(true) => format!(
            "the server built exactly the strings the client signed ({}), and the secret given reproduces the client's signature: the server holds another secret for this access key",
            ours.name
        ),
        Some(false) => format!(
            "the server built exactly the strings computed here from the request as captured ({}), but neither the secret given nor any change sigscope tries reproduces the client's signature: the client most likely signed with another secret, or the request was changed before it reached this capture point",
            ours.name
        ),
        None => format!(
            "the server built exactly the strings computed here from the request as captured ({}), and refused the signature: either the client signed with another secret, or the request was changed before it reached this capture point (SDK middleware, a proxy in front of the capture); enter the secret (K in the UI, --credentials in reports) to tell them apart, or capture nearer the client",
            ours.name
        ),
    }
}

/// "a", "a or b", "a, b or c" (with `and` for `or`: "a, b and c").
fn list(names: &[&str], or: &str) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [many @ .., last] => format!("{} {or} {last}", many.join(", ")),
    }
}

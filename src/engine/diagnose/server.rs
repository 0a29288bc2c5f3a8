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
                and_list(&server_dialects),
                or_list(&others)
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
    // A change in transit, or a signature the server reads otherwise (a raw `+`), explains
    // equal strings better than another secret.
    let altered = a
        .findings
        .iter()
        .any(|f| matches!(f.code, Code::RequestAltered | Code::SignaturePlusUnescaped));
    if cr_same != Some(false)
        && sts_same == Some(true)
        && se.code.contains("SignatureDoesNotMatch")
        && !altered
    {
        let msg = strings_agree(ours, &other_rules(a, se, ours.name));
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
    if cr_same == Some(false) || sts_same == Some(false) {
        let mut d = server_divergence(se, ours_cr.as_deref(), &ours_sts, cr_same);
        // A dialect that builds exactly the server's strings: its rules are the server's, and
        // the knob that parts it from the client's names the rule.
        let named = server_dialects.first().and_then(|n| a.dialect(n)).cloned();
        if let Some(sd) = &named {
            let as_server = DialectResult {
                name: sd.name,
                ..server
            };
            if let Some(k) = compare(req, mode, ours, &as_server, "server", knobs) {
                // Without the secret, `ours` is what sigscope computes, not what the client
                // is known to have signed.
                d.knob = match ours.matches {
                    Some(true) => k.knob,
                    _ => k.knob.map(|t| t.replace(", as the client signed;", ";")),
                };
            }
        }
        let as_sent = d.step == Step::CanonicalRequest && as_sent(req, d.line, &d.theirs);
        let rule = match (&named, &d.knob, as_sent) {
            (Some(_), Some(k), _) => format!(
                ": the server built it from these very bytes by other rules — {k}; the server's strings are those of {}",
                server_dialects.join(", ")
            ),
            (Some(_), None, _) => format!(
                ": the server's strings are those of {}",
                server_dialects.join(", ")
            ),
            (None, _, true) => ": the server built it from these very bytes, signing the line as the request carries it, a rule no dialect sigscope knows has".into(),
            (None, _, false) => String::new(),
        };
        if a.verdict == Verdict::Valid && named.is_none() && !as_sent {
            // The client's signature is right for the bytes seen here, and no rule builds the
            // server's line from them: the server computed from other bytes.
            a.answered_other_request = true;
            finding(
                a,
                Code::RequestAltered,
                format!(
                    "the request verifies as seen here, but the server's {} has {} where it has {}: the server's line holds bytes this request does not carry, so the request was changed between this capture point and the server",
                    d.step.name(),
                    shown(&d.theirs),
                    shown(&d.ours)
                ),
            );
        }
        let whose = if ours.matches == Some(true) {
            format!("what the client signed ({})", ours.name)
        } else {
            format!("the strings computed here ({})", ours.name)
        };
        finding(
            a,
            Code::ServerStringsDiffer,
            format!(
                "the server's {} differs from {whose} at line {} column {}: the server has {} where {} has {}{rule}",
                d.step.name(),
                d.line,
                d.column,
                shown(&d.theirs),
                ours.name,
                shown(&d.ours),
            ),
        );
        if a.divergence.is_none() {
            a.divergence = Some(d);
        }
    }
}

/// A line quoted in a message: in backticks, or "an empty line".
pub(super) fn shown(s: &str) -> String {
    if s.is_empty() {
        "an empty line".into()
    } else {
        format!("`{}`", crate::escape::escape_str(s))
    }
}

/// Whether a server's canonical-request line is the request's own bytes as sent: the path
/// (line 2), or the query string as sent or with its raw pairs sorted (line 3).
fn as_sent(req: &Request, line: usize, theirs: &str) -> bool {
    match line {
        2 => theirs.as_bytes() == req.path(),
        3 => {
            let raw = req.query().map(text).unwrap_or_default();
            let mut pairs: Vec<&str> = raw.split('&').filter(|p| !p.is_empty()).collect();
            pairs.sort_unstable();
            theirs == raw || theirs == pairs.join("&")
        }
        _ => false,
    }
}

/// S3's answer to an `x-amz-*` header that is not signed names it (`<HeadersNotSigned>`): when
/// the request seen here does not carry it, it was added after this capture point.
pub(super) fn unsigned_headers_added(req: &Request, a: &mut Analysis, se: &ServerExpected) {
    let Some(list) = &se.headers_not_signed else {
        return;
    };
    let absent: Vec<String> = list
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && !req.has_header(h))
        .collect();
    if absent.is_empty() {
        return;
    }
    a.answered_other_request = true;
    let names: Vec<String> = absent
        .iter()
        .map(|h| format!("`{}`", crate::escape::escape_str(h)))
        .collect();
    finding(
        a,
        Code::RequestAltered,
        format!(
            "the server refused {} as not signed, and the request seen here carries no such header: it was added between this capture point and the server",
            names.join(", ")
        ),
    );
}

/// The server's message names the other SigV4 algorithm than the one the request used: a
/// SigV4 (HMAC) signature sent to an endpoint that wants SigV4A (an S3 Multi-Region Access
/// Point), or the reverse. Read from the message, in whatever error code it comes.
fn algorithm_findings(a: &mut Analysis, se: &ServerExpected) {
    let Some(msg) = se.message.as_deref() else {
        return;
    };
    let wants_v4a = [
        "AWS4-ECDSA-P256-SHA256",
        "SigV4A",
        "Sigv4a",
        "Signature Version 4A",
    ]
    .iter()
    .any(|n| msg.contains(n));
    let wants_v4 = msg.contains("AWS4-HMAC-SHA256");
    let mode = a.auth.mode;
    let (sent, wanted) = match (mode.is_sigv4a(), mode.is_sigv4()) {
        (false, true) if wants_v4a && !wants_v4 => (
            "SigV4 (AWS4-HMAC-SHA256)",
            "SigV4A (AWS4-ECDSA-P256-SHA256)",
        ),
        (true, _) if wants_v4 && !wants_v4a => (
            "SigV4A (AWS4-ECDSA-P256-SHA256)",
            "SigV4 (AWS4-HMAC-SHA256)",
        ),
        _ => return,
    };
    finding(
        a,
        Code::AlgorithmMismatch,
        format!(
            "the request is signed with {sent} but the server asks for {wanted} (its message: {})",
            crate::escape::escape_str(msg)
        ),
    );
}

pub(super) fn server_code_findings(a: &mut Analysis, se: &ServerExpected) {
    algorithm_findings(a, se);
    match se.meaning() {
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
pub(super) fn strings_agree(ours: &DialectResult, other_rules: &str) -> String {
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
            "the server built exactly the strings computed here from the request as captured ({}), and refused the signature: either the client signed with another secret, or the request was changed before it reached this capture point (SDK middleware, a proxy in front of the capture){other_rules}; enter the secret (K in the UI, --credentials in reports) to tell them apart, or capture nearer the client",
            ours.name
        ),
    }
}

/// Without the secret, the dialects whose strings differ from the server's: the client may
/// sign like one of them. In words, grouped by the line where they part (empty when none).
fn other_rules(a: &Analysis, se: &ServerExpected, ours: &str) -> String {
    let mut groups: Vec<(usize, String, String, Vec<&str>)> = Vec::new();
    for d in a
        .dialects
        .iter()
        .filter(|d| !d.unsupported && d.name != ours)
    {
        let (theirs, server) = match (&d.canonical_request, &se.canonical_request) {
            (Some(c), Some(s)) => (text(c), s.clone()),
            _ => match &se.string_to_sign {
                Some(s) => (text(&d.string_to_sign), s.clone()),
                None => continue,
            },
        };
        let Some((line, _, at_server, at_dialect)) = first_difference(&server, &theirs) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.0 == line && g.2 == at_dialect) {
            Some(g) => g.3.push(d.name),
            None => groups.push((line, at_server, at_dialect, vec![d.name])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(line, at_server, at_dialect, names)| {
            format!(
                "{} {} line {line} as {} where the server has {}",
                and_list(names),
                if names.len() == 1 { "signs" } else { "sign" },
                shown(at_dialect),
                shown(at_server)
            )
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(
            ", or the client signs by other rules than the server's: {}",
            parts.join("; ")
        )
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

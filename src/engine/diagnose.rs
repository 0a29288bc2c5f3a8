//! Step 5, explain: where verification diverges (step, line, byte, knob) and the likely cause
//! in plain words — with the secret, and without it when the server's error body carries its
//! own canonical strings.

use serde::Serialize;
use time::OffsetDateTime;

use super::auth::{Mode, Parsed};
use super::dialect::{self, Dialect};
use super::finding::DialectRule;
use super::server_error::{self, ServerExpected};
use super::{Analysis, Code, DialectResult, Finding, Verdict, Verifier};
use crate::http::{Headers, Request, Response};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    CanonicalRequest,
    StringToSign,
    SigningKey,
    Signature,
}

/// The first place where what the client signed and what the verifier (or server) computed
/// part. `ours` is the client side as sigscope reproduces it; `theirs` the verifier's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// A dialect name, or `server` when compared with the server's own strings.
    pub against: String,
    pub step: Step,
    /// 1-based line and column (in characters) within that step's string.
    pub line: usize,
    pub column: usize,
    pub ours: String,
    pub theirs: String,
    pub knob: Option<String>,
}

/// First differing line and column (1-based) of two multi-line strings, and the two lines.
pub fn first_difference(ours: &str, theirs: &str) -> Option<(usize, usize, String, String)> {
    if ours == theirs {
        return None;
    }
    let a: Vec<&str> = ours.split('\n').collect();
    let b: Vec<&str> = theirs.split('\n').collect();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(""),
            b.get(i).copied().unwrap_or(""),
        );
        if x != y || i >= a.len() || i >= b.len() {
            let col = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count() + 1;
            return Some((i + 1, col, x.to_string(), y.to_string()));
        }
    }
    None
}

fn text(b: &[u8]) -> String {
    crate::http::text(b).into_owned()
}

/// What [`responsible_v4`] needs of the request, made once per diagnosis: its SigV4
/// parameters and body hash, and one canonicalization memo for every knob variant of every
/// comparison (they all canonicalize the same request; the memo is keyed by every knob a
/// component depends on).
#[derive(Default)]
struct KnobCache {
    v4: Option<Option<(super::auth::V4Auth, String)>>,
    memo: super::sigv4::V4Memo,
}

/// The knob(s) that explain the difference: setting one of the verifier's knobs to the
/// client's value makes the verifier compute exactly what the client signed.
fn responsible_v4(
    req: &Request,
    presigned: bool,
    client: &Dialect,
    verifier: &Dialect,
    client_creq: &[u8],
    cache: &mut KnobCache,
) -> Option<String> {
    let KnobCache { v4, memo } = cache;
    let parsed = v4.get_or_insert_with(|| match super::auth::detect(req).parsed {
        super::auth::Parsed::V4(auth) => Some((*auth, req.body_sha256_hex())),
        _ => None,
    });
    let (auth, body_sha256) = parsed.as_ref()?;
    let ctx = super::sigv4::V4Context {
        req,
        auth,
        presigned,
        body_sha256,
        token_appended: false,
    };
    let mut found = Vec::new();
    for dialect::knobs::Knob {
        label, copy, say, ..
    } in dialect::knobs::SIGV4
    {
        let mut rules = verifier.sigv4;
        copy(&mut rules, &client.sigv4);
        // Same rules, same description: skip before formatting the descriptions.
        if rules == verifier.sigv4 || say(&rules) == say(&verifier.sigv4) {
            continue;
        }
        if super::sigv4::canonical_parts_memo(&ctx, &rules, memo).canonical_request == client_creq {
            found.push(format!(
                "{label}: client = {} ({}), verifier = {} ({})",
                say(&client.sigv4),
                client.name,
                say(&verifier.sigv4),
                verifier.name
            ));
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

fn responsible_v2(
    req: &Request,
    presigned: bool,
    client: &Dialect,
    verifier: &Dialect,
    client_sts: &[u8],
) -> Option<String> {
    let super::auth::Parsed::V2(auth) = super::auth::detect(req).parsed else {
        return None;
    };
    let (c, v) = (client.sigv2.as_ref()?, verifier.sigv2.as_ref()?);
    let mut found = Vec::new();
    for dialect::knobs::Knob {
        id,
        label,
        copy,
        say,
    } in dialect::knobs::SIGV2
    {
        let mut rules = v.clone();
        copy(&mut rules, c);
        if say(&rules) == say(v) {
            continue;
        }
        if super::sigv2::string_to_sign(req, &auth, &rules, presigned) == client_sts {
            let (sc, sv) = if *id == "sigv2.subresources" {
                let only = |a: &dialect::SigV2Rules, b: &dialect::SigV2Rules| {
                    let l: Vec<&str> = a
                        .subresources
                        .iter()
                        .filter(|s| !b.subresources.contains(s))
                        .copied()
                        .collect();
                    if l.is_empty() {
                        "nothing more".to_string()
                    } else {
                        format!("also signs {}", l.join(" "))
                    }
                };
                (only(c, v), only(v, c))
            } else {
                (say(c), say(v))
            };
            found.push(format!(
                "{label}: client = {sc} ({}), verifier = {sv} ({})",
                client.name, verifier.name
            ));
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

fn responsible_query(
    req: &Request,
    client: &Dialect,
    verifier: &Dialect,
    client_sts: &[u8],
) -> Option<String> {
    let super::auth::Parsed::Query(q) = super::auth::detect(req).parsed else {
        return None;
    };
    let (c, v) = (client.query.as_ref()?, verifier.query.as_ref()?);
    let mut found = Vec::new();
    for dialect::knobs::Knob {
        label, copy, say, ..
    } in dialect::knobs::QUERY
    {
        let mut rules = v.clone();
        copy(&mut rules, c);
        if say(&rules) == say(v) {
            continue;
        }
        let (sts, hmac) = super::querysig::string_to_sign(req, &q, &rules);
        let (_, chmac) = super::querysig::string_to_sign(req, &q, c);
        if sts == client_sts && hmac == chmac {
            found.push(format!(
                "{label}: client = {} ({}), verifier = {} ({})",
                say(c),
                client.name,
                say(v),
                verifier.name
            ));
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

/// Compares two dialect results step by step.
fn compare(
    req: &Request,
    mode: Mode,
    ours: &DialectResult,
    theirs: &DialectResult,
    against: &str,
    cache: &mut KnobCache,
) -> Option<Divergence> {
    let cd = dialect::by_name(ours.name)?;
    let vd = dialect::by_name(theirs.name);
    let presigned = matches!(mode, Mode::Sigv4Query | Mode::Sigv2Query);
    if let (Some(a), Some(b)) = (&ours.canonical_request, &theirs.canonical_request) {
        if let Some((line, column, o, t)) = first_difference(&text(a), &text(b)) {
            let knob = vd.and_then(|vd| responsible_v4(req, presigned, cd, vd, a, cache));
            return Some(Divergence {
                against: against.into(),
                step: Step::CanonicalRequest,
                line,
                column,
                ours: o,
                theirs: t,
                knob,
            });
        }
    }
    if let Some((line, column, o, t)) =
        first_difference(&text(&ours.string_to_sign), &text(&theirs.string_to_sign))
    {
        let knob = vd.and_then(|vd| match mode {
            Mode::Sigv2Header | Mode::Sigv2Query => {
                responsible_v2(req, presigned, cd, vd, &ours.string_to_sign)
            }
            Mode::QueryV0 | Mode::QueryV1 | Mode::QueryV2 => {
                responsible_query(req, cd, vd, &ours.string_to_sign)
            }
            _ => None,
        });
        return Some(Divergence {
            against: against.into(),
            step: Step::StringToSign,
            line,
            column,
            ours: o,
            theirs: t,
            knob,
        });
    }
    if ours.signature != theirs.signature {
        return Some(Divergence {
            against: against.into(),
            step: Step::Signature,
            line: 1,
            column: 1,
            ours: ours.signature.clone().unwrap_or_default(),
            theirs: theirs.signature.clone().unwrap_or_default(),
            knob: None,
        });
    }
    None
}

/// Everything the diagnosis looks at besides the request.
pub struct Observed<'a> {
    pub request: &'a Request,
    pub response: Option<&'a Response>,
    /// When the request was seen (capture time), for clock skew and expiry.
    pub time: Option<OffsetDateTime>,
    pub context: Context<'a>,
}

/// What the rest of the capture tells about this request.
#[derive(Clone, Copy, Default)]
pub struct Context<'a> {
    /// Host header values seen in the same capture (candidates for a rewritten Host).
    pub seen_hosts: &'a [String],
    /// An earlier request in the capture carrying the same signature but different bytes: the
    /// other leg of a proxy.
    pub earlier_leg: Option<&'a Request>,
}

/// The differences between two requests that carry the same signature: request line and
/// headers (names compared case-insensitively, values as sent), and the body.
pub fn request_changes(before: &Request, after: &Request) -> Vec<String> {
    let mut out = Vec::new();
    if before.method != after.method || before.target != after.target {
        out.push(format!(
            "request line `{} {}` became `{} {}`",
            crate::escape::escape_str(&before.method),
            crate::escape::escape_bytes(&before.target),
            crate::escape::escape_str(&after.method),
            crate::escape::escape_bytes(&after.target)
        ));
    }
    let names = |r: &Request| {
        let mut n: Vec<String> = r
            .headers
            .iter()
            .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    let (nb, na) = (names(before), names(after));
    for n in nb.iter().chain(na.iter().filter(|n| !nb.contains(n))) {
        let (vb, va) = (before.header_values(n), after.header_values(n));
        if vb == va {
            continue;
        }
        let show = |v: &[&[u8]]| {
            v.iter()
                .map(|x| crate::escape::escape_bytes(x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(match (vb.is_empty(), va.is_empty()) {
            (true, _) => format!("`{n}: {}` was added", show(&va)),
            (_, true) => format!("`{n}: {}` was removed", show(&vb)),
            _ => format!("`{n}` changed from `{}` to `{}`", show(&vb), show(&va)),
        });
    }
    // Bodies by length and digest: a remembered leg keeps only its body's digest.
    if before.body_len() != after.body_len() || before.body_sha256_hex() != after.body_sha256_hex()
    {
        out.push(format!(
            "the body changed ({} to {} bytes)",
            before.body_len(),
            after.body_len()
        ));
    }
    out
}

const SKEW_LIMIT_SECS: i64 = 15 * 60;

fn finding(a: &mut Analysis, code: Code, msg: String) {
    push_once(a, Finding::new(code, msg));
}

/// Adds a finding unless one with its code is already there.
fn push_once(a: &mut Analysis, f: Finding) {
    if !a.findings.iter().any(|g| g.code == f.code) {
        a.findings.push(f);
    }
}

fn fmt_secs(s: i64) -> String {
    let a = s.unsigned_abs();
    if a >= 86400 {
        format!("{}d {}h", a / 86400, (a % 86400) / 3600)
    } else if a >= 3600 {
        format!("{}h {}m", a / 3600, (a % 3600) / 60)
    } else if a >= 60 {
        format!("{}m {}s", a / 60, a % 60)
    } else {
        format!("{a}s")
    }
}

/// Adds the divergence, the server's view and the findings to an analysis.
pub fn diagnose(o: &Observed, a: &mut Analysis, v: &Verifier) {
    let req = o.request;
    let parsed = std::mem::replace(&mut a.parsed, Parsed::Nothing);
    let mode = a.auth.mode.unwrap_or(Mode::Unknown);
    let s3 = a.auth.service.as_deref() == Some("s3");
    a.server_expected = o.response.and_then(server_error::parse);
    let rejected_by_server = o
        .response
        .is_some_and(|r| r.status == 401 || r.status == 403 || r.status == 400);

    time_findings(o, a, &parsed);
    if let Parsed::V4(auth) = &parsed {
        scope_findings(req, a, auth);
    }
    if let Some(se) = a.server_expected.clone() {
        server_code_findings(a, &se);
    }

    // Nothing failed and nothing else in the capture involves this request: the facts above
    // are the whole diagnosis (the common case, kept cheap).
    let failed = a.verdict == Verdict::Invalid || o.response.is_some_and(|r| r.status >= 400);
    if !failed && o.context.earlier_leg.is_none() {
        a.parsed = parsed;
        return;
    }
    // The same signature on another leg of the capture: the request was changed in between.
    if let Some(before) = o.context.earlier_leg {
        let changes = request_changes(before, req);
        if !changes.is_empty() {
            finding(
                a,
                Code::RequestAltered,
                format!(
                    "the same signature was sent earlier in the capture on another connection; between the two: {}",
                    changes.join("; ")
                ),
            );
        }
    }
    let verifier = a.dialect(v.dialect.name).cloned();
    let client = a
        .client_dialects
        .first()
        .and_then(|n| a.dialect(n))
        .cloned();
    let invalid =
        a.verdict == Verdict::Invalid || (rejected_by_server && a.verdict != Verdict::Anonymous);
    let mut knobs = KnobCache::default();

    // With the secret: the client's dialect against the verifier's.
    if let (Some(c), Some(vr)) = (&client, &verifier) {
        if a.verdict == Verdict::Invalid && !vr.unsupported {
            a.divergence = compare(req, mode, c, vr, vr.name, &mut knobs);
            if let Some(d) = &a.divergence {
                let k = d
                    .knob
                    .as_deref()
                    .map(|k| format!(" — {k}"))
                    .unwrap_or_default();
                let rules = vec![DialectRule {
                    dialect: vr.name,
                    rule: d.knob.clone(),
                }];
                let msg = format!(
                    "the client signed like {}; {} parts from it at {} line {} column {}{k}",
                    a.client_dialects.join("/"),
                    vr.name,
                    step_name(d.step),
                    d.line,
                    d.column
                );
                push_once(
                    a,
                    Finding::new(Code::DialectMismatch, msg).with_rules(rules),
                );
            }
        }
    }
    // The server rejected a request valid under the client's dialect: who else would?
    let signature_complaint = a
        .server_expected
        .as_ref()
        .is_none_or(|s| s.code.contains("Signature"));
    if let (true, Some(c)) = (rejected_by_server && signature_complaint, &client) {
        let rejecting: Vec<&str> = a
            .dialects
            .iter()
            .filter(|d| d.accepts() == Some(false))
            .map(|d| d.name)
            .collect();
        if !rejecting.is_empty() && a.dialects.iter().any(|d| d.accepts() == Some(true)) {
            // Name, for each dialect that would reject it, the rule that makes it do so.
            let rules: Vec<DialectRule> = rejecting
                .iter()
                .filter_map(|n| a.dialect(n))
                .map(|d| DialectRule {
                    dialect: d.name,
                    rule: d.rejects.clone().or_else(|| {
                        compare(req, mode, c, d, d.name, &mut knobs).and_then(|x| x.knob)
                    }),
                })
                .collect();
            let why: Vec<String> = rules
                .iter()
                .map(|r| match &r.rule {
                    Some(rule) => format!("{} ({rule})", r.dialect),
                    None => r.dialect.to_string(),
                })
                .collect();
            let msg = format!(
                "the server answered {} to a request valid under {}; dialects that would reject it: {}",
                o.response.map(|r| r.status).unwrap_or(0),
                a.client_dialects.join(", "),
                why.join("; ")
            );
            push_once(
                a,
                Finding::new(Code::ServerLikelyDialect, msg).with_rules(rules),
            );
        }
    }
    // With a secret but no dialect reproducing the client: search alterations.
    let have_secret = a.dialects.iter().any(|d| d.signature.is_some());
    if client.is_none()
        && have_secret
        && matches!(
            mode,
            Mode::Sigv4Header | Mode::Sigv4Query | Mode::Sigv4Streaming | Mode::Sigv2Header
        )
    {
        match search_alterations(req, a, v, o.context.seen_hosts) {
            Some((what, dialect_name, altered)) => {
                finding(a, Code::RequestAltered, format!("{what}: with that change the signature verifies under {dialect_name}"));
                if let (Some(vr), Some(alt)) = (&verifier, altered) {
                    a.divergence = compare(req, mode, &alt, vr, vr.name, &mut knobs);
                }
            }
            None if a.findings.iter().any(|f| f.code == Code::RequestAltered) => {}
            None => finding(
                a,
                Code::SignatureUnexplained,
                "no dialect and no plausible alteration of the request reproduces the signature: the secret for this access key is most likely not the one the client used".into(),
            ),
        }
    }
    // Without the secret (or as well): the server's own strings.
    if let Some(se) = a.server_expected.clone() {
        server_comparison(
            req,
            mode,
            a,
            &se,
            client.as_ref().or(verifier.as_ref()),
            &mut knobs,
        );
    }
    // Hints only when nothing above explains the failure: they are causes to check, not facts.
    let explained = a.findings.iter().any(|f| {
        matches!(
            f.code,
            Code::DialectMismatch
                | Code::ServerLikelyDialect
                | Code::RequestAltered
                | Code::StringsAgreeKeyDiffers
                | Code::ServerStringsDiffer
                | Code::ClockSkew
                | Code::PresignedExpired
        )
    });
    if invalid && !explained {
        hint_findings(req, a, mode, s3);
    }
    a.parsed = parsed;
}

fn step_name(s: Step) -> &'static str {
    match s {
        Step::CanonicalRequest => "canonical request",
        Step::StringToSign => "string to sign",
        Step::SigningKey => "signing key",
        Step::Signature => "signature",
    }
}

fn server_comparison(
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
    if (se.canonical_request.is_some() || se.string_to_sign.is_some())
        && !server_dialects.is_empty()
    {
        finding(
            a,
            Code::ServerDialect,
            format!(
                "the server's own strings equal those of: {}",
                server_dialects.join(", ")
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
        finding(
            a,
            Code::StringsAgreeKeyDiffers,
            format!(
                "the server built exactly the strings the client signed ({}), so the key differs: a wrong secret, or the access key maps to another secret on the server",
                ours.name
            ),
        );
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
        let mut d = if cr_same == Some(false) {
            let (line, column, o, t) = first_difference(
                ours_cr.as_deref().unwrap_or(""),
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
            let (line, column, o, t) =
                first_difference(&ours_sts, se.string_to_sign.as_deref().unwrap_or(""))
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
        };
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
                step_name(d.step),
                d.line,
                d.column
            ),
        );
        a.divergence = Some(d);
    }
}

fn time_findings(o: &Observed, a: &mut Analysis, parsed: &Parsed) {
    let Some(now) = o.time.or_else(|| {
        o.response
            .and_then(|r| r.header("date"))
            .and_then(|d| super::time::parse_http_date(&d))
    }) else {
        return;
    };
    let signed_at = match parsed {
        Parsed::V4(v4) => v4.amz_date.as_deref().and_then(super::time::parse_amz),
        Parsed::V2(_) => o
            .request
            .header("x-amz-date")
            .or_else(|| o.request.header("date"))
            .and_then(|d| super::time::parse_http_date(&d)),
        Parsed::Query(q) => q
            .params
            .iter()
            .find(|(k, _)| k.as_slice() == b"Timestamp")
            .and_then(|(_, v)| super::time::parse_iso(&String::from_utf8_lossy(v))),
        Parsed::Nothing => None,
    };
    let presigned = matches!(a.auth.mode, Some(Mode::Sigv4Query | Mode::Sigv2Query));
    if let Some(t) = signed_at {
        let skew = (now - t).whole_seconds();
        if !presigned && skew.abs() > SKEW_LIMIT_SECS {
            finding(
                a,
                Code::ClockSkew,
                format!(
                    "the request was signed at {} but seen at {}: {} {} (servers allow 15 minutes)",
                    super::time::format_rfc3339(t),
                    super::time::format_rfc3339(now),
                    fmt_secs(skew),
                    if skew > 0 {
                        "late — the client's clock is behind"
                    } else {
                        "early — the client's clock is ahead"
                    }
                ),
            );
        }
        if let (Parsed::V4(v4), true) = (parsed, presigned) {
            if let Some(exp) = v4.expires.as_deref().and_then(|e| e.parse::<i64>().ok()) {
                if skew > exp {
                    finding(
                        a,
                        Code::PresignedExpired,
                        format!(
                            "the presigned URL expired {} before it was used (X-Amz-Expires={exp})",
                            fmt_secs(skew - exp)
                        ),
                    );
                }
                if !(1..=604_800).contains(&exp) {
                    finding(
                        a,
                        Code::PresignedExpiresInvalid,
                        format!("X-Amz-Expires={exp} is outside 1..604800"),
                    );
                }
            }
        }
    }
    if let Parsed::V2(v2) = parsed {
        if let Some(exp) = v2.expires.as_deref().and_then(|e| e.parse::<i64>().ok()) {
            if now.unix_timestamp() > exp {
                finding(
                    a,
                    Code::PresignedExpired,
                    format!(
                        "the presigned URL expired {} before it was used",
                        fmt_secs(now.unix_timestamp() - exp)
                    ),
                );
            }
        }
    }
}

/// Region and service that an AWS host name implies (`s3.eu-west-1.amazonaws.com`,
/// `bucket.s3.eu-west-1.amazonaws.com`, `sts.us-east-2.amazonaws.com`).
pub fn host_region_service(host: &str) -> Option<(Option<String>, String)> {
    let h = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let rest = h.strip_suffix(".amazonaws.com")?;
    let labels: Vec<&str> = rest.split('.').collect();
    let region_like =
        |s: &str| s.split('-').count() >= 3 && s.chars().last().is_some_and(|c| c.is_ascii_digit());
    // Find the service label: s3 (with bucket prefixes) or the first label.
    let idx = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-"))
        .unwrap_or(0);
    let svc = labels[idx];
    let (service, region) = if let Some(r) = svc.strip_prefix("s3-").filter(|r| region_like(r)) {
        ("s3".to_string(), Some(r.to_string()))
    } else {
        let region = labels
            .get(idx + 1)
            .filter(|r| region_like(r))
            .map(|r| r.to_string());
        (svc.to_string(), region)
    };
    Some((region, service))
}

fn scope_findings(req: &Request, a: &mut Analysis, auth: &super::auth::V4Auth) {
    if let Some(d) = &auth.amz_date {
        if !d.starts_with(&auth.scope_date) {
            finding(
                a,
                Code::ScopeDateMismatch,
                format!(
                    "the credential scope's date {} is not the date of X-Amz-Date {d}",
                    auth.scope_date
                ),
            );
        }
    }
    if auth.terminator != "aws4_request" {
        finding(
            a,
            Code::ScopeTerminator,
            format!(
                "the credential scope ends in `{}`, not `aws4_request`",
                auth.terminator
            ),
        );
    }
    if let Some((region, service)) = req.host().and_then(|h| host_region_service(&h)) {
        if let Some(r) = &region {
            if *r != auth.region {
                finding(
                    a,
                    Code::RegionMismatch,
                    format!(
                        "the scope says region {} but the host {} is in {r}",
                        auth.region,
                        req.host().unwrap_or_default()
                    ),
                );
            }
        }
        // Only host names that really name a service: regional endpoints and the global ones.
        let known = region.is_some()
            || [
                "iam",
                "sts",
                "s3",
                "sdb",
                "route53",
                "cloudfront",
                "organizations",
                "sqs",
                "sns",
                "ec2",
                "monitoring",
            ]
            .contains(&service.as_str());
        let svc_ok = service == auth.service
            || service.starts_with(&auth.service)
            || (service == "monitoring" && auth.service == "cloudwatch");
        if known && !svc_ok {
            finding(
                a,
                Code::ServiceMismatch,
                format!(
                    "the scope says service {} but the host {} is {service}",
                    auth.service,
                    req.host().unwrap_or_default()
                ),
            );
        }
    }
    for h in &auth.signed_headers {
        let present = req.has_header(h) || (h == "host" && req.host().is_some());
        if !present {
            finding(a, Code::SignedHeaderAbsent, format!("`{h}` is listed in SignedHeaders but not in the request (removed after signing?)"));
        }
    }
}

fn server_code_findings(a: &mut Analysis, se: &ServerExpected) {
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

/// Likely causes worth checking when verification failed; silent on valid requests.
fn hint_findings(req: &Request, a: &mut Analysis, mode: Mode, s3: bool) {
    let signed = a.auth.signed_headers.clone().unwrap_or_default();
    if mode == Mode::Sigv4Header
        && req.has_header("x-amz-security-token")
        && !signed.iter().any(|h| h == "x-amz-security-token")
    {
        finding(
            a,
            Code::SessionTokenUnsigned,
            "X-Amz-Security-Token is sent but not signed: most services require it signed (a few want it added after signing)".into(),
        );
    }
    for h in [
        "content-type",
        "content-length",
        "expect",
        "user-agent",
        "accept-encoding",
        "transfer-encoding",
        "x-forwarded-for",
    ] {
        if signed.iter().any(|s| s == h) {
            finding(a, Code::ProxySensitiveHeaderSigned, format!("`{h}` is signed; proxies and HTTP libraries often add, drop or rewrite it after signing"));
            break;
        }
    }
    if mode.is_sigv4()
        && req.has_header("content-type")
        && !signed.iter().any(|s| s == "content-type")
        && req.method != "GET"
    {
        finding(a, Code::ProxySensitiveHeaderUnsigned, "Content-Type is sent but not signed: a verifier that requires it (or a proxy that adds it) changes the canonical request".into());
    }
    for h in &signed {
        let vals = req.header_values(h);
        if vals.len() > 1 {
            finding(a, Code::DuplicateHeader, format!("signed header `{h}` appears {} times: implementations join or pick its values differently", vals.len()));
        }
        if vals.iter().any(|v| {
            v.windows(2).any(|w| w == b"  ")
                || v.contains(&b'\t')
                || v.starts_with(b" ")
                || v.ends_with(b" ")
        }) {
            finding(a, Code::HeaderWhitespace, format!("signed header `{h}` has runs of whitespace or tabs: implementations trim and fold them differently"));
        }
    }
    if let Some(q) = req.query() {
        if q.contains(&b'+') {
            finding(a, Code::QueryPlus, "the query holds a literal `+`: signed as `%2B` by the specification, as a space by RGW, MinIO and form decoders".into());
        }
        let lower_hex = q.windows(3).any(|w| {
            w[0] == b'%'
                && w[1..]
                    .iter()
                    .any(|c| c.is_ascii_lowercase() && c.is_ascii_hexdigit())
                && w[1..].iter().all(|c| c.is_ascii_hexdigit())
        });
        if lower_hex {
            finding(
                a,
                Code::QueryLowercaseHex,
                "the query has lower-case percent escapes; the canonical form uses upper-case hex"
                    .into(),
            );
        }
        if q.iter().any(|c| b"!*'();:@$,[]|^`{}\"<> ".contains(c)) {
            finding(a, Code::QueryUnescapedReserved, "the query holds reserved characters sent unescaped; signers and verifiers encode them differently".into());
        }
    }
    let path = req.path();
    if !s3
        && mode.is_sigv4()
        && (path.windows(2).any(|w| w == b"//")
            || path.windows(3).any(|w| w == b"/./")
            || path.windows(4).any(|w| w == b"/../")
            || path.ends_with(b"/.")
            || path.ends_with(b"/.."))
    {
        finding(a, Code::PathNotNormalised, "the path has `//`, `.` or `..` segments: non-S3 services sign it normalised, S3 and some servers as sent".into());
    }
    if matches!(mode, Mode::Sigv2Header | Mode::Sigv2Query) {
        let names: Vec<String> = crate::engine::encode::split_pairs(req.query().unwrap_or(b""))
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        let disputed: Vec<&String> = names
            .iter()
            .filter(|n| {
                let signed_by: Vec<bool> = dialect::ALL
                    .iter()
                    .filter_map(|d| d.sigv2.as_ref())
                    .map(|r| r.subresources.contains(&n.as_str()))
                    .collect();
                signed_by.iter().any(|b| *b) && signed_by.iter().any(|b| !*b)
            })
            .collect();
        if !disputed.is_empty() {
            let list: Vec<&str> = disputed.iter().map(|s| s.as_str()).collect();
            finding(
                a,
                Code::Sigv2SubresourceDisputed,
                format!(
                    "sub-resource(s) {} are signed by some implementations and not others",
                    list.join(", ")
                ),
            );
        }
    }
}

/// Plausible changes between signing and the wire: try each, and report the first under which
/// some dialect reproduces the client's signature. Bounded (a few dozen variants).
fn search_alterations(
    req: &Request,
    a: &Analysis,
    v: &Verifier,
    seen_hosts: &[String],
) -> Option<(String, &'static str, Option<DialectResult>)> {
    let mut variants: Vec<(String, Request)> = Vec::new();
    let host = req.header("host");
    // Requests of one shape (same key, signed headers, Host, header names) fail the same way:
    // try what explained the first of them, and do not search again where nothing did. A
    // variant that reproduces the signature is the only one that can (two different canonical
    // requests do not share an HMAC), so the outcome does not depend on the order of requests.
    let shape = {
        let mut names: Vec<String> = req
            .headers
            .iter()
            .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
            .collect();
        names.sort();
        format!(
            "{:?}|{}|{}|{}|{}|{}",
            a.auth.mode,
            a.auth.access_key.as_deref().unwrap_or(""),
            a.auth
                .signed_headers
                .as_ref()
                .map(|s| s.join(";"))
                .unwrap_or_default(),
            host.as_deref().unwrap_or(""),
            req.method,
            names.join(",")
        )
    };
    // Known to explain nothing: the variants need not even be built.
    if let Some(None) = v.cache.search_outcome(&shape) {
        return None;
    }
    if let Some(h) = &host {
        let (name, port) = match h.rsplit_once(':') {
            Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                (n.to_string(), Some(p.to_string()))
            }
            _ => (h.clone(), None),
        };
        let mut hosts: Vec<String> = Vec::new();
        // Hosts seen elsewhere in the capture first (the proxy's own address, typically).
        for sh in seen_hosts {
            if sh != h && !hosts.contains(sh) {
                hosts.push(sh.clone());
            }
        }
        match &port {
            Some(_) => hosts.push(name.clone()),
            None => {
                for p in ["80", "443", "8080", "8000", "8003", "8773", "9000", "7480"] {
                    hosts.push(format!("{name}:{p}"));
                }
            }
        }
        for nh in hosts {
            let mut r = req.clone();
            set_header(&mut r, "host", &nh);
            variants.push((format!("the client signed `host:{nh}`; the request on the wire says `{h}`: something between them rewrote Host"), r));
        }
    }
    let signed = a.auth.signed_headers.clone().unwrap_or_default();
    for (name, values) in [
        (
            "content-type",
            &[
                "application/x-www-form-urlencoded; charset=utf-8",
                "application/x-www-form-urlencoded",
                "application/octet-stream",
                "application/json",
                "text/plain",
                "",
            ][..],
        ),
        ("expect", &["100-continue"][..]),
        ("content-length", &[""][..]),
        ("user-agent", &[""][..]),
        ("accept-encoding", &["identity", "gzip, deflate", ""][..]),
    ] {
        // SigV2 always signs Content-Type (and Content-MD5); SigV4 what SignedHeaders lists.
        let sigv2 = matches!(a.auth.mode, Some(Mode::Sigv2Header | Mode::Sigv2Query));
        let is_signed = signed.iter().any(|s| s == name) || (sigv2 && name == "content-type");
        if !is_signed {
            continue;
        }
        let current = req.header(name);
        for val in values {
            let val = if name == "content-length" {
                req.body_len().to_string()
            } else {
                val.to_string()
            };
            if current.as_deref() == Some(val.as_str()) {
                continue;
            }
            let mut r = req.clone();
            set_header(&mut r, name, &val);
            let what = match &current {
                Some(c) => format!("the client signed `{name}: {val}`; the wire has `{name}: {c}`: it was changed after signing"),
                None => format!("the client signed `{name}: {val}`, which is missing from the request: it was removed after signing"),
            };
            variants.push((what, r));
        }
    }
    // Query re-encodings: `+` vs `%20`, `%7E` vs `~`, `%2F` vs `/`.
    if let Some(q) = req.query() {
        let qs = String::from_utf8_lossy(q).into_owned();
        for (from, to, what) in [
            ("+", "%20", "`+` for a space"),
            ("%20", "+", "`%20` for a space"),
            ("~", "%7E", "`~` escaped"),
            ("%7E", "~", "`~` unescaped"),
            ("%2F", "/", "`/` unescaped"),
        ] {
            if qs.contains(from) {
                let mut r = req.clone();
                let path = String::from_utf8_lossy(req.path()).into_owned();
                r.target = format!("{path}?{}", qs.replace(from, to)).into_bytes();
                variants.push((
                    format!(
                        "the client signed the query with {what}; it was re-encoded on the way"
                    ),
                    r,
                ));
            }
        }
    }
    let path = String::from_utf8_lossy(req.path()).into_owned();
    if path.contains("%2F") || path.contains("%2f") {
        let mut r = req.clone();
        let q = req
            .query()
            .map(|q| format!("?{}", String::from_utf8_lossy(q)))
            .unwrap_or_default();
        r.target = format!("{}{q}", path.replace("%2F", "/").replace("%2f", "/")).into_bytes();
        variants.push((
            "the client signed the path with `/` where the wire has `%2F`".into(),
            r,
        ));
    }
    // Date vs X-Amz-Date: a client that signed one while the request carries both.
    if a.auth.mode.is_some_and(Mode::is_sigv4) && req.has_header("x-amz-date") {
        if let Some(d) = req
            .header("date")
            .and_then(|d| super::time::http_date_to_amz(&d))
        {
            let mut r = req.clone();
            set_header(&mut r, "x-amz-date", "");
            variants.push((
                format!("the client signed with the Date header ({d}), not X-Amz-Date"),
                r,
            ));
        }
    }
    // Regions and services: a client that derived its key for another scope than it wrote.
    if let (Some(Mode::Sigv4Header), Some(region), Some(service)) =
        (a.auth.mode, &a.auth.region, &a.auth.service)
    {
        let implied = req.host().and_then(|h| host_region_service(&h));
        let mut scopes: Vec<(String, String)> = Vec::new();
        if let Some((r, svc)) = &implied {
            if let Some(r) = r {
                scopes.push((r.clone(), service.clone()));
            }
            scopes.push((region.clone(), svc.clone()));
        }
        for r in [
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-1",
            "ap-northeast-1",
        ] {
            scopes.push((r.to_string(), service.clone()));
        }
        scopes.retain(|(r, s)| r != region || s != service);
        scopes.dedup();
        let old = format!("/{region}/{service}/");
        for (r2, s2) in scopes {
            let mut rq = req.clone();
            let authz = req.header("authorization").unwrap_or_default();
            set_header(
                &mut rq,
                "authorization",
                &authz.replacen(&old, &format!("/{r2}/{s2}/"), 1),
            );
            variants.push((format!("the client derived its signing key for {r2}/{s2} but wrote {region}/{service} in the credential scope"), rq));
        }
    }
    let try_one = |r: &Request| {
        super::analyze(r, v)
            .dialects
            .into_iter()
            .find(|d| d.matches == Some(true))
    };
    match v.cache.search_outcome(&shape) {
        Some(None) => return None,
        Some(Some(known)) => {
            if let Some((what, r)) = variants.iter().find(|(w, _)| *w == known) {
                if let Some(d) = try_one(r) {
                    return Some((what.clone(), d.name, Some(d)));
                }
            }
        }
        None => {}
    }
    for (what, r) in variants.into_iter().take(48) {
        if let Some(d) = try_one(&r) {
            // `d` is what the client signed: the request as it was before the change.
            v.cache.remember_search(shape, Some(what.clone()));
            return Some((what, d.name, Some(d)));
        }
    }
    v.cache.remember_search(shape, None);
    None
}

fn set_header(r: &mut Request, name: &str, value: &str) {
    r.headers
        .retain(|h| !h.name.eq_ignore_ascii_case(name.as_bytes()));
    if !value.is_empty() {
        r.headers.push(crate::http::Header::new(name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_lines_and_columns() {
        assert_eq!(first_difference("a\nb", "a\nb"), None);
        assert_eq!(
            first_difference("POST\n/\n\nhost:x", "POST\n/\nAction=1\nhost:x"),
            Some((3, 1, "".into(), "Action=1".into()))
        );
        assert_eq!(
            first_difference("a\nhost:x:80", "a\nhost:x"),
            Some((2, 7, "host:x:80".into(), "host:x".into()))
        );
        assert_eq!(first_difference("a", "a\nb").map(|d| d.0), Some(2));
    }

    #[test]
    fn changes_between_legs_include_a_body_known_only_by_digest() {
        let before = Request {
            method: "PUT".into(),
            target: b"/k".to_vec(),
            headers: vec![crate::http::Header::new("Host", "a:9200")],
            body_digest: Some(crate::http::BodyDigest {
                len: 3,
                sha256_hex: crate::engine::crypto::sha256_hex(b"abc"),
            }),
            ..Default::default()
        };
        let mut after = Request {
            headers: vec![crate::http::Header::new("Host", "a")],
            body: b"abd".to_vec(),
            ..before.clone()
        };
        after.body_digest = None;
        let c = request_changes(&before, &after);
        assert!(c.iter().any(|x| x.contains("`host` changed")), "{c:?}");
        assert!(c.iter().any(|x| x.contains("the body changed")), "{c:?}");
        after.body = b"abc".to_vec();
        assert!(!request_changes(&before, &after)
            .iter()
            .any(|x| x.contains("body")));
    }

    #[test]
    fn host_names_imply_regions() {
        assert_eq!(
            host_region_service("s3.eu-west-1.amazonaws.com"),
            Some((Some("eu-west-1".into()), "s3".into()))
        );
        assert_eq!(
            host_region_service("bucket.s3.us-west-2.amazonaws.com:443"),
            Some((Some("us-west-2".into()), "s3".into()))
        );
        assert_eq!(
            host_region_service("b.s3-ap-south-1.amazonaws.com"),
            Some((Some("ap-south-1".into()), "s3".into()))
        );
        assert_eq!(
            host_region_service("iam.amazonaws.com"),
            Some((None, "iam".into()))
        );
        assert_eq!(host_region_service("127.0.0.1:8003"), None);
    }
}

//! Step 5, explain: where verification diverges (step, line, byte, knob) and the likely cause
//! in plain words — with the secret, and without it when the server's error body carries its
//! own canonical strings.

use serde::Serialize;
use time::OffsetDateTime;

use super::auth::{Mode, Parsed};
use super::dialect::{self, Dialect};
use super::finding::DialectRule;
use super::server_error::{self, ServerExpected};
use super::{Analysis, Code, DialectResult, Family, Finding, Verdict, Verifier};
use crate::http::{Headers, Request, Response};

mod alterations;
mod counterfactual;
mod facts;
mod gcs;
mod hints;
mod legs;
mod payload;
mod server;
pub mod servers;
pub mod strings;
#[cfg(test)]
mod tests;
mod widen;

use alterations::search_alterations;
use counterfactual::{compare, KnobCache};
pub use facts::host_region_service;
use facts::{scope_findings, time_findings};
use hints::hint_findings;
pub use legs::request_changes;
use server::{server_code_findings, server_comparison};

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
    /// A multipart upload's parts seen before its CompleteMultipartUpload, or the checksum they
    /// make for a later read of the object.
    pub multipart: Option<&'a crate::engine::payload::multipart::MultipartContext>,
    /// S3 Express sessions learned from CreateSession responses earlier in the capture.
    pub sessions: &'a [crate::engine::s3express::Session],
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

pub(crate) fn fmt_secs(s: i64) -> String {
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
    let mode = a.auth.mode;
    let s3 = a
        .auth
        .service
        .as_deref()
        .is_some_and(super::sigv4::is_s3_service);
    a.server_expected = o.response.and_then(server_error::parse);
    let rejected_by_server = o
        .response
        .is_some_and(|r| r.status == 401 || r.status == 403 || r.status == 400);

    time_findings(o, a, &parsed);
    if let Some(now) = o.time.or_else(|| {
        o.response
            .and_then(|r| r.header("date"))
            .and_then(|d| crate::engine::time::parse_http_date(&d))
    }) {
        crate::engine::postpolicy::expiry(a, now);
    }
    if let Parsed::V4(auth) = &parsed {
        scope_findings(req, a, auth);
        facts::h2_host_findings(req, a, auth, v);
    }
    if let Some(se) = a.server_expected.clone() {
        server_code_findings(a, &se);
        server::unsigned_headers_added(req, a, &se);
    }
    gcs::gfe_findings(req, a, v.dialect);
    payload::payload_findings(o, a);
    super::s3express::findings(req, o.response, o.time, a, o.context.sessions);

    // Nothing failed and nothing else in the capture involves this request: the facts above
    // are the whole diagnosis (the common case, kept cheap).
    let failed = a.verdict == Verdict::Invalid || o.response.is_some_and(|r| r.status >= 400);
    if !failed && o.context.earlier_leg.is_none() {
        a.parsed = parsed;
        rank(a);
        return;
    }
    // The same signature on another leg of the capture: the request was changed in between.
    // Only a refused (or unanswered) request is a proxy's second leg: two requests signed in
    // the same second can share a SigV2 signature (it signs neither Host nor every parameter),
    // and the second, accepted, was not broken by any change (issue 12 §3).
    let refused_or_unanswered = o.response.is_none_or(|r| r.status >= 400);
    if let Some(before) = o.context.earlier_leg.filter(|_| refused_or_unanswered) {
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
    let mut p = Pass {
        o,
        mode,
        verifier: a.dialect(v.dialect.name).cloned(),
        client: a
            .client_dialects
            .first()
            .and_then(|n| a.dialect(n))
            .cloned(),
        knobs: KnobCache::default(),
    };
    let invalid =
        a.verdict == Verdict::Invalid || (rejected_by_server && a.verdict != Verdict::Anonymous);
    dialect_mismatch(&mut p, a);
    // The server rejected a request valid under the client's dialect: who else would?
    let signature_complaint = a
        .server_expected
        .as_ref()
        .is_none_or(|s| s.code.contains("Signature"));
    if rejected_by_server && signature_complaint {
        server_likely_dialect(&mut p, a);
    }
    alterations_or_unexplained(&mut p, a, v, &parsed);
    // Without the secret (or as well): the server's own strings.
    if let Some(se) = a.server_expected.clone() {
        let ours = p.client.as_ref().or(p.verifier.as_ref());
        server_comparison(req, mode, a, &se, ours, &mut p.knobs);
    }
    // Hints only when nothing above explains the failure: they are causes to check, not facts.
    let explained = a.findings.iter().any(|f| f.code.explains_failure());
    if invalid && !explained {
        hint_findings(req, a, mode, s3);
    }
    a.parsed = parsed;
    rank(a);
}

/// Orders the findings as the list, the report and the Overview lead with them: first what
/// explains the failure (and "the secret is most likely another" when nothing does), then
/// the other facts, then the rest (server-dialect lists, hints). Stable within each rank.
fn rank(a: &mut Analysis) {
    a.findings.sort_by_key(|f| {
        if f.code.explains_failure() || f.code == Code::SignatureUnexplained {
            0
        } else if f.code == Code::PayloadHashMismatch {
            // The signed payload hash is what a server checks first (S3 answers
            // XAmzContentSHA256Mismatch before it reads an x-amz-checksum): it leads the
            // body's facts.
            1
        } else if f.code.kind() == super::finding::Kind::Fact {
            2
        } else {
            3
        }
    });
}

/// What the steps of one diagnosis share.
struct Pass<'a> {
    o: &'a Observed<'a>,
    mode: Mode,
    /// The verifier dialect's result.
    verifier: Option<DialectResult>,
    /// The first dialect that reproduces the client's signature.
    client: Option<DialectResult>,
    knobs: KnobCache,
}

/// With the secret: where the verifier parts from the client's dialect, and the knob that
/// explains it.
fn dialect_mismatch(p: &mut Pass, a: &mut Analysis) {
    let (Some(c), Some(vr)) = (&p.client, &p.verifier) else {
        return;
    };
    if a.verdict != Verdict::Invalid || vr.unsupported {
        return;
    }
    a.divergence = compare(p.o.request, p.mode, c, vr, vr.name, &mut p.knobs);
    let Some(d) = &a.divergence else {
        return;
    };
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
        d.step.name(),
        d.line,
        d.column
    );
    push_once(
        a,
        Finding::new(Code::DialectMismatch, msg).with_rules(rules),
    );
}

/// A request valid under the client's dialect that the server refused: the dialects that
/// would refuse it too, each with the rule that makes it do so.
fn server_likely_dialect(p: &mut Pass, a: &mut Analysis) {
    let Some(c) = &p.client else {
        return;
    };
    // When the server's answer carries its own strings, only the dialects that build exactly
    // those can be its rules; without them, every dialect that would refuse the request.
    let server_built = |d: &DialectResult| match a.server_expected.as_ref() {
        Some(se) if se.canonical_request.is_some() && d.canonical_request.is_some() => {
            se.canonical_request.as_deref().map(str::as_bytes) == d.canonical_request.as_deref()
        }
        Some(se) if se.string_to_sign.is_some() => {
            se.string_to_sign.as_deref().map(str::as_bytes) == Some(&d.string_to_sign[..])
        }
        _ => true,
    };
    let rejecting: Vec<&str> = a
        .dialects
        .iter()
        .filter(|d| d.accepts() == Some(false) && server_built(d))
        .map(|d| d.name)
        .collect();
    if rejecting.is_empty() || !a.dialects.iter().any(|d| d.accepts() == Some(true)) {
        return;
    }
    let rules: Vec<DialectRule> = rejecting
        .iter()
        .filter_map(|n| a.dialect(n))
        .map(|d| DialectRule {
            dialect: d.name,
            rule: d.rejects.as_ref().map(|r| r.to_string()).or_else(|| {
                compare(p.o.request, p.mode, c, d, d.name, &mut p.knobs).and_then(|x| x.knob)
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
    // "Valid under" names the dialects that accept it: one that matches the signature but
    // refuses the request by a rule (Garage without x-amz-content-sha256) is among those that
    // would reject it, not both.
    let accepting: Vec<&str> = a
        .client_dialects
        .iter()
        .copied()
        .filter(|n| a.dialect(n).is_none_or(|d| d.accepts() != Some(false)))
        .collect();
    let msg = format!(
        "the server answered {} to a request valid under {}; dialects that would reject it: {}",
        p.o.response.map(|r| r.status).unwrap_or(0),
        accepting.join(", "),
        why.join("; ")
    );
    push_once(
        a,
        Finding::new(Code::ServerLikelyDialect, msg).with_rules(rules),
    );
}

/// With a secret but no dialect reproducing the client: search alterations, and blame the
/// secret only when none explains the signature.
fn alterations_or_unexplained(p: &mut Pass, a: &mut Analysis, v: &Verifier, parsed: &Parsed) {
    // SigV4A computes no signature (ECDSA is verified, not recomputed): its derived public key
    // says the secret is known.
    let have_secret = a.public_key.is_some() || a.dialects.iter().any(|d| d.signature.is_some());
    // SigV2 presigned URLs and Query signatures carry their whole request in the URL: nothing
    // the search alters is signed differently there.
    let searchable = match p.mode.family() {
        Family::SigV4 => true,
        Family::SigV2 => !p.mode.is_presigned(),
        Family::Query
        | Family::PostPolicy
        | Family::Token
        | Family::Anonymous
        | Family::Unknown => false,
    };
    if p.client.is_some() || !have_secret {
        return;
    }
    if !searchable {
        // Said rather than left blank (issue 20's corpus, case v2-presigned-tampered: an
        // invalid URL with no finding at all), and without blaming the secret, which the
        // absence of a search cannot support.
        if matches!(p.mode.family(), Family::SigV2 | Family::Query) {
            finding(
                a,
                Code::SignatureUnexplained,
                "no dialect reproduces this signature, which covers the URL's path and signed parameters: either the secret is not the one the client used, or the URL was changed after it was signed (sigscope does not search alterations of this scheme)".to_string(),
            );
        }
        return;
    }
    match search_alterations(p.o.request, a, v, p.o.context.seen_hosts) {
        Some((what, dialect_name, altered)) => {
            finding(
                a,
                Code::RequestAltered,
                format!("{what}: with that change the signature verifies under {dialect_name}"),
            );
            if let (Some(vr), Some(alt)) = (&p.verifier, altered) {
                a.divergence = compare(p.o.request, p.mode, &alt, vr, vr.name, &mut p.knobs);
            }
        }
        None if a.findings.iter().any(|f| f.code == Code::RequestAltered) => {}
        None => match widen::widen(p.o.request, a, parsed, v) {
            Some(widen::Widened::DateShifted(what)) => finding(a, Code::RequestAltered, what),
            Some(widen::Widened::ClientRule(what)) => finding(a, Code::DialectMismatch, what),
            None if p.mode.is_sigv4a() => finding(
                a,
                Code::SignatureUnexplained,
                format!(
                    "the SigV4A signature does not verify with the public key derived from this access key's secret, under any dialect, plausible alteration of the request, date moved by up to {} minutes or rule sigscope knows: the secret is most likely not the one the client used (compare the public key shown with the one the client's SDK logs)",
                    widen::MAX_SHIFT_SECS / 60
                ),
            ),
            // A signed header that is not in the request: its value went into the signature
            // and cannot be reproduced, so the secret cannot be blamed (issue 20's corpus,
            // case header-signed-removed).
            None if a.findings.iter().any(|f| f.code == Code::SignedHeaderAbsent) => finding(
                a,
                Code::SignatureUnexplained,
                "the signature cannot be reproduced without the value of the signed header that is missing from the request: the header was most likely removed after signing (a proxy, or the client's HTTP library); the secret cannot be judged".to_string(),
            ),
            None => finding(
                a,
                Code::SignatureUnexplained,
                format!(
                    "no dialect, no plausible alteration of the request, no date moved by up to {} minutes and no rule sigscope knows of a client reproduces the signature: the secret for this access key is most likely not the one the client used",
                    widen::MAX_SHIFT_SECS / 60
                ),
            ),
        },
    }
}

impl Step {
    /// The step in words, as messages and the UI name it.
    pub fn name(self) -> &'static str {
        match self {
            Step::CanonicalRequest => "canonical request",
            Step::StringToSign => "string to sign",
            Step::SigningKey => "signing key",
            Step::Signature => "signature",
        }
    }
}

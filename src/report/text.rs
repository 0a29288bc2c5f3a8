//! `report --format text`: the analysis for a person at a terminal. Every captured string is
//! escaped before it is written (a capture cannot move the cursor or change colours).

use std::fmt::Write;

use crate::engine::{Analysis, Mark, Verdict};
use crate::escape::{escape_bytes, escape_multiline, escape_str};
use crate::exchange::Exchange;

fn verdict_badge(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "VALID",
        Verdict::Invalid => "INVALID",
        Verdict::Unverified => "UNVERIFIED",
        Verdict::Anonymous => "ANONYMOUS",
        Verdict::Malformed => "MALFORMED",
    }
}

/// The verdict, and its mark: "refused" when the server refused a request valid under the
/// verifier, "body does not match" when a valid request's body is not the one it describes.
fn badge(x: &Exchange, a: &Analysis) -> String {
    match Mark::of(x.response.as_ref().map(|r| r.status), a) {
        Mark::Refused => format!("{} · REFUSED BY THE SERVER", verdict_badge(a.verdict)),
        Mark::BodyMismatch => format!("{} · BODY DOES NOT MATCH", verdict_badge(a.verdict)),
        Mark::Plain => verdict_badge(a.verdict).to_string(),
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

pub fn to_text(x: &Exchange, a: &Analysis) -> String {
    let r = &x.request;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#{} {} {} {}  [{}]",
        x.index,
        escape_str(&r.method),
        escape_bytes(&crate::engine::auth::shown_target(&r.target)),
        x.response
            .as_ref()
            .map(|p| format!("→ {}", p.status))
            .unwrap_or_default(),
        badge(x, a)
    );
    let _ = writeln!(s, "  source:   {}", escape_str(&x.source));
    if let Some(t) = x.time {
        let _ = writeln!(s, "  time:     {}", crate::engine::time::format_rfc3339(t));
    }
    if let (Some(c), Some(sv)) = (&x.client, &x.server) {
        let _ = writeln!(s, "  client:   {} → {}", escape_str(c), escape_str(sv));
    }
    if let Some(i) = &x.interface {
        let _ = writeln!(s, "  interface: {}", escape_str(i));
    }
    let _ = writeln!(s, "  auth:     {}", a.auth.mode.as_str());
    if let Some(ak) = &a.auth.access_key {
        let _ = writeln!(s, "  key:      {}", escape_str(ak));
    }
    if let (Some(reg), Some(svc)) = (&a.auth.region, &a.auth.service) {
        let _ = writeln!(
            s,
            "  scope:    region {} service {}",
            escape_str(reg),
            escape_str(svc)
        );
    }
    for (k, v) in &a.auth.fields {
        let _ = writeln!(s, "  {}: {}", escape_str(k), escape_str(v));
    }
    let _ = writeln!(s, "  verifier: {}", a.verifier);
    if !a.client_dialects.is_empty() {
        let _ = writeln!(s, "  client dialect(s): {}", a.client_dialects.join(", "));
    }
    for f in x.notes.iter().chain(&a.findings) {
        let _ = writeln!(s, "  ! {}: {}", f.code, escape_str(&f.message));
    }
    text_divergence(&mut s, a);
    text_dialect_detail(&mut s, a);
    text_error_body(&mut s, x);
    text_dialects(&mut s, a);
    s
}

/// Where the client's signing diverges from the verifier's (or the server's), and the knob.
fn text_divergence(s: &mut String, a: &Analysis) {
    if let Some(d) = &a.divergence {
        let _ = writeln!(
            s,
            "  diverges: {} line {} column {} against {}",
            d.step.name(),
            d.line,
            d.column,
            escape_str(&d.against)
        );
        let _ = writeln!(s, "    client signed: {}", escape_str(&d.ours));
        let _ = writeln!(
            s,
            "    {:>13}: {}",
            escape_str(&d.against),
            escape_str(&d.theirs)
        );
        if let Some(k) = &d.knob {
            let _ = writeln!(s, "    knob: {}", escape_str(k));
        }
    }
}

/// The verifier dialect's canonical request, string to sign, signing key, signature, chunks.
fn text_dialect_detail(s: &mut String, a: &Analysis) {
    if let Some(d) = a.dialect(a.verifier).filter(|d| !d.unsupported) {
        if let Some(cr) = &d.canonical_request {
            let _ = write!(
                s,
                "  canonical request ({}):\n{}",
                d.name,
                indent(&escape_multiline(cr))
            );
        }
        let _ = write!(
            s,
            "  string to sign ({}):\n{}",
            d.name,
            indent(&escape_multiline(&d.string_to_sign))
        );
        if let Some(k) = &a.signing_key {
            let _ = writeln!(
                s,
                "  signing key: kDate {} → kRegion {} → kService {} → kSigning {}",
                k.k_date, k.k_region, k.k_service, k.k_signing
            );
        }
        if let Some(k) = &a.public_key {
            let _ = writeln!(
                s,
                "  public key (SigV4A, derived from the access key and secret): x {} y {}",
                k.x, k.y
            );
            let _ = writeln!(
                s,
                "  signature: {} with this key ({})",
                if d.matches == Some(true) {
                    "verifies"
                } else {
                    "does not verify"
                },
                d.name
            );
        }
        if let Some(sig) = &d.signature {
            let _ = writeln!(
                s,
                "  signature: claimed  {}",
                escape_str(a.auth.signature.as_deref().unwrap_or(""))
            );
            let _ = writeln!(s, "             computed {sig}");
        }
        for c in &d.chunks {
            let _ = writeln!(
                s,
                "  {} {} ({} bytes): {}",
                if c.trailer { "trailer" } else { "chunk" },
                c.index,
                c.size,
                match c.matches {
                    Some(true) => "ok",
                    Some(false) => "MISMATCH",
                    None => "unverified",
                }
            );
        }
    }
}

/// The start of an error response's body (decoded), where the server says why.
fn text_error_body(s: &mut String, x: &Exchange) {
    if let Some(resp) = &x.response {
        if resp.status >= 400 && !resp.body.is_empty() {
            let body = crate::http::decoded_body(resp, &resp.body, 1 << 20)
                .unwrap_or_else(|| resp.body.clone());
            let body = crate::engine::auth::masked_body(&body);
            let shown = &body[..body.len().min(2048)];
            let _ = write!(
                s,
                "  response {} body:\n{}",
                resp.status,
                indent(&escape_multiline(shown))
            );
            if body.len() > shown.len() {
                let _ = writeln!(s, "    … ({} more bytes)", body.len() - shown.len());
            }
        }
    }
}

/// One line per dialect: whether its signature matches, and (without the secret, or when the
/// server's error body carried its strings) how its strings compare with the server's, else
/// with the verifier's.
fn text_dialects(s: &mut String, a: &Analysis) {
    use crate::engine::diagnose::strings::{self, Reference};
    if !a.dialects.is_empty() {
        let _ = writeln!(s, "  dialects:");
        let reference = strings::reference(a);
        for d in &a.dialects {
            let mut state = if d.unsupported {
                "n/a".to_string()
            } else {
                match (d.matches, &d.rejects) {
                    (Some(true), None) => "match".into(),
                    (Some(true), Some(r)) => {
                        format!("match, but rejects: {}", escape_str(&r.to_string()))
                    }
                    (Some(false), _) => "mismatch".into(),
                    (None, _) => "not checked (no secret)".into(),
                }
            };
            let vs = reference
                .filter(|r| d.matches.is_none() || *r == Reference::Server)
                .filter(|r| *r != Reference::Dialect(d.name))
                .and_then(|r| strings::compare(a, d, r));
            if let Some(c) = vs {
                state.push_str("; ");
                state.push_str(&c.words());
            }
            let _ = writeln!(s, "    {:<16} {state}", d.name);
        }
    }
}

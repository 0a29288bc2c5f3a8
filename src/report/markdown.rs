//! `report --format markdown`: one section per exchange, to paste into a bug report.

use std::fmt::Write;

use crate::engine::{Analysis, Mark};
use crate::escape::{escape_bytes, escape_multiline, escape_str};
use crate::exchange::Exchange;

/// One cell of a markdown table: escaped, pipes and backticks neutralised, spaces visible.
fn cell(line: &str) -> String {
    let e = escape_str(line).replace('|', "\\|").replace('`', "'");
    if e.is_empty() {
        "*(empty)*".into()
    } else {
        format!("`{e}`")
    }
}

/// Both sides of the divergent step side by side, the first differing line marked.
fn markdown_divergence(s: &mut String, a: &Analysis, d: &crate::engine::diagnose::Divergence) {
    let client = a.client_dialects.first().and_then(|n| a.dialect(n));
    let theirs_text: Option<String> = if d.against == "server" {
        a.server_expected.as_ref().and_then(|se| match d.step {
            crate::engine::diagnose::Step::CanonicalRequest => se.canonical_request.clone(),
            _ => se.string_to_sign.clone(),
        })
    } else {
        a.dialect(&d.against).map(|v| match d.step {
            crate::engine::diagnose::Step::CanonicalRequest => v
                .canonical_request
                .as_deref()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .unwrap_or_default(),
            _ => String::from_utf8_lossy(&v.string_to_sign).into_owned(),
        })
    };
    let ours_text: Option<String> =
        client
            .or_else(|| a.dialect(a.verifier))
            .map(|c| match d.step {
                crate::engine::diagnose::Step::CanonicalRequest => c
                    .canonical_request
                    .as_deref()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .unwrap_or_default(),
                _ => String::from_utf8_lossy(&c.string_to_sign).into_owned(),
            });
    let step = match d.step {
        crate::engine::diagnose::Step::CanonicalRequest => "canonical request",
        crate::engine::diagnose::Step::StringToSign => "string to sign",
        crate::engine::diagnose::Step::SigningKey => "signing key",
        crate::engine::diagnose::Step::Signature => "signature",
    };
    let _ = writeln!(s, "\n### Where it diverges\n");
    let _ = writeln!(
        s,
        "The {step} differs at **line {}, column {}** (against `{}`).",
        d.line,
        d.column,
        escape_str(&d.against)
    );
    if let Some(k) = &d.knob {
        let _ = writeln!(s, "\nResponsible knob: {}", escape_str(k));
    }
    if let (Some(o), Some(t)) = (ours_text, theirs_text) {
        let who = client.map(|c| c.name).unwrap_or(a.verifier);
        let _ = writeln!(
            s,
            "\n| | client signed ({who}) | {} computed |\n|---|---|---|",
            escape_str(&d.against)
        );
        let (ol, tl): (Vec<&str>, Vec<&str>) = (o.split('\n').collect(), t.split('\n').collect());
        for i in 0..ol.len().max(tl.len()) {
            let mark = if i + 1 == d.line { "**→**" } else { "" };
            let _ = writeln!(
                s,
                "| {mark}{} | {} | {} |",
                i + 1,
                cell(ol.get(i).copied().unwrap_or("")),
                cell(tl.get(i).copied().unwrap_or(""))
            );
        }
    }
    if d.step == crate::engine::diagnose::Step::CanonicalRequest {
        if let Some(c) = client {
            let _ = writeln!(
                s,
                "\n**String to sign ({})**\n\n```\n{}\n```",
                c.name,
                escape_multiline(&c.string_to_sign)
            );
        }
    }
}

/// The verdict for the heading, and its mark: a request valid under the verifier that the
/// server refused says both, since that is what the report is about; so does a valid one whose
/// body does not match what was signed.
fn heading_verdict(x: &Exchange, a: &Analysis) -> String {
    match Mark::of(x.response.as_ref().map(|r| r.status), a) {
        Mark::Refused => format!("{}, refused by the server", a.verdict.as_str()),
        Mark::BodyMismatch => format!(
            "{}, but the body does not match {}",
            a.verdict.as_str(),
            a.body_mismatch
                .iter()
                .map(|m| m.describe())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Mark::Plain => a.verdict.as_str().to_string(),
    }
}

pub fn to_markdown(x: &Exchange, a: &Analysis) -> String {
    let r = &x.request;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## #{} `{} {}` — {}\n",
        x.index,
        escape_str(&r.method),
        escape_bytes(&r.target).replace('`', "\\`"),
        heading_verdict(x, a)
    );
    let _ = writeln!(s, "| field | value |\n|---|---|");
    let _ = writeln!(s, "| source | `{}` |", escape_str(&x.source));
    let _ = writeln!(s, "| auth mode | {} |", a.auth.mode.as_str());
    if let Some(ak) = &a.auth.access_key {
        let _ = writeln!(s, "| access key | `{}` |", escape_str(ak));
    }
    let _ = writeln!(s, "| verifier | {} |", a.verifier);
    let _ = writeln!(
        s,
        "| client dialects | {} |",
        if a.client_dialects.is_empty() {
            "—".to_string()
        } else {
            a.client_dialects.join(", ")
        }
    );
    if let Some(p) = &x.response {
        let _ = writeln!(s, "| response | {} |", p.status);
    }
    if !a.findings.is_empty() || !x.notes.is_empty() {
        let _ = writeln!(s, "\n**Findings**\n");
        for f in x.notes.iter().chain(&a.findings) {
            let _ = writeln!(s, "- `{}`: {}", f.code, escape_str(&f.message));
        }
    }
    if let Some(div) = &a.divergence {
        markdown_divergence(&mut s, a, div);
    } else if let Some(d) = a.dialect(a.verifier).filter(|d| !d.unsupported) {
        if let Some(cr) = &d.canonical_request {
            let _ = writeln!(
                s,
                "\n**Canonical request ({})**\n\n```\n{}\n```",
                d.name,
                escape_multiline(cr)
            );
        }
        let _ = writeln!(
            s,
            "\n**String to sign ({})**\n\n```\n{}\n```",
            d.name,
            escape_multiline(&d.string_to_sign)
        );
    }
    if let Some(se) = &a.server_expected {
        let _ = writeln!(
            s,
            "\n**The server answered** `{}`{}",
            escape_str(&se.code),
            se.message
                .as_deref()
                .map(|m| format!(": {}", escape_str(m)))
                .unwrap_or_default()
        );
    }
    if !a.dialects.is_empty() {
        let _ = writeln!(
            s,
            "\n| dialect | signature matches | rejects |\n|---|---|---|"
        );
        for d in &a.dialects {
            let m = match (d.unsupported, d.matches) {
                (true, _) => "n/a",
                (_, Some(true)) => "yes",
                (_, Some(false)) => "no",
                (_, None) => "not checked",
            };
            let _ = writeln!(
                s,
                "| {} | {m} | {} |",
                d.name,
                d.rejects
                    .as_ref()
                    .map(|r| escape_str(&r.to_string()))
                    .unwrap_or_default()
            );
        }
    }
    s.push('\n');
    s
}

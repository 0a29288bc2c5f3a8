//! The Overview tab: the verdict, what explains it (findings, where it diverges), what to do
//! next, and the request's signature fields.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::lines::{heading, kv, verdict_badge, verdict_style};
use super::Builder;
use crate::engine::{Analysis, Code, Mode, Verdict};
use crate::exchange::Exchange;
use crate::tui::text::{safe, safe_str};

/// The one line that says why, first on the Overview. For a request the server refused though
/// the verifier accepts it: the dialect that would refuse it and the rule that separates it;
/// for any other failure (a verdict other than valid, or an error status): the finding that
/// explains it on its own, else the first that is not a plain fact everyone already sees.
/// `None` when nothing failed.
pub fn explanation(x: &Exchange, a: &Analysis) -> Option<String> {
    let status = x.response.as_ref().map(|r| r.status);
    if crate::engine::diagnose::servers::refused_though_valid(status, a) {
        let rule = a
            .findings
            .iter()
            .filter(|f| f.code == Code::ServerLikelyDialect)
            .flat_map(|f| &f.rules)
            .find_map(|r| r.rule.as_deref().map(|rule| (r.dialect, rule)));
        let status = status.unwrap_or_default();
        return Some(match rule {
            Some((d, rule)) => format!(
                "the server refused ({status}) a request valid under {}; {d} would refuse it: {}",
                a.verifier,
                safe_str(rule)
            ),
            None => format!(
                "the server refused ({status}) a request valid under {}; no known dialect refuses it",
                a.verifier
            ),
        });
    }
    // Tokens are unverified by nature: that is no failure.
    let failed = match a.verdict {
        Verdict::Invalid | Verdict::Malformed => true,
        Verdict::Unverified => a.auth.mode.is_signature(),
        Verdict::Valid | Verdict::Anonymous => false,
    } || status.is_some_and(|s| s >= 400);
    if !failed {
        return None;
    }
    let all: Vec<_> = x.notes.iter().chain(&a.findings).collect();
    all.iter()
        .find(|f| f.code.explains_failure())
        .or_else(|| {
            all.iter()
                .find(|f| !matches!(f.code, Code::NoSecret | Code::DecodedOnly))
        })
        .or_else(|| all.first())
        .map(|f| safe_str(&f.message))
}

impl Builder<'_> {
    pub(super) fn overview(&self) -> Vec<Line<'static>> {
        let (t, a, x) = (self.t, self.a, self.x);
        let mut v = Vec::new();
        let (sym, word) = verdict_badge(a.verdict);
        let mut head = vec![
            Span::styled(
                format!("{sym} {word}"),
                verdict_style(t, a.verdict).add_modifier(Modifier::REVERSED),
            ),
            Span::raw(format!(" under {}", a.verifier)),
        ];
        if self.auto && a.auth.mode.is_signature() {
            head.push(Span::styled(
                " (auto: the dialect its server's answers point to)",
                t.dim(),
            ));
        }
        if let Some(p) = &x.response {
            head.push(Span::raw(format!(
                "   server answered {} {}",
                p.status,
                safe_str(&p.reason)
            )));
        }
        v.push(Line::from(head));
        if let Some(why) = explanation(x, a) {
            v.push(Line::from(vec![
                Span::styled("Why: ", t.accent().add_modifier(Modifier::BOLD)),
                Span::styled(why, Style::default().add_modifier(Modifier::BOLD)),
            ]));
        }
        let mode = a.auth.mode;
        match mode {
            Mode::Anonymous => {
                v.push(Line::raw(""));
                v.push(heading(t, "Why nothing is verified"));
                v.push(Line::raw(
                    "Nothing is signed: the request has no Authorization header and no signature parameters (X-Amz-Signature, Signature, AWSAccessKeyId). A server that allows anonymous access (a public S3 bucket, Ceph RGW with an anonymous ACL) serves it; others answer 403 AccessDenied, which no signature fix changes.",
                ));
            }
            Mode::Basic | Mode::Bearer | Mode::XAuthToken => {
                v.push(Line::raw(""));
                v.push(Line::raw(
                    "This scheme carries a credential rather than a signature: it is decoded (secrets masked), not verified.",
                ));
            }
            _ => {}
        }
        let findings: Vec<_> = x.notes.iter().chain(&a.findings).collect();
        if !findings.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(t, "Findings"));
            for f in findings {
                v.push(Line::from(vec![
                    Span::styled("! ", t.fg(t.unverified).add_modifier(Modifier::BOLD)),
                    Span::styled(
                        f.code.to_string(),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                ]));
                v.push(Line::raw(format!("    {}", safe_str(&f.message))));
            }
        }
        if let Some(d) = &a.divergence {
            v.push(Line::raw(""));
            v.push(heading(t, "Where it diverges"));
            v.push(Line::raw(format!(
                "{} line {}, column {}, against {}",
                d.step.name(),
                d.line,
                d.column,
                safe_str(&d.against)
            )));
            v.push(Line::from(vec![
                Span::styled("  client signed: ", t.dim()),
                Span::raw(safe_str(&d.ours)),
            ]));
            v.push(Line::from(vec![
                Span::styled(format!("  {:>13}: ", safe_str(&d.against)), t.dim()),
                Span::raw(safe_str(&d.theirs)),
            ]));
            if let Some(k) = &d.knob {
                v.push(Line::raw(format!("  knob: {}", safe_str(k))));
            }
        }
        let mut next = Vec::new();
        if a.verdict == Verdict::Unverified && a.auth.access_key.is_some() && mode.is_signature() {
            next.push("press K to enter the secret for this access key (kept in memory only)");
        }
        if a.divergence.is_some()
            || a.findings
                .iter()
                .any(|f| f.code == crate::engine::Code::ServerLikelyDialect)
        {
            next.push("open the Diff tab to see both sides, the divergent line marked");
        }
        if a.findings
            .iter()
            .any(|f| f.code == crate::engine::Code::ServerLikelyDialect)
        {
            next.push("press d to verify as the dialect the server likely uses");
        }
        if !next.is_empty() {
            v.push(Line::raw(""));
            v.push(heading(t, "Next"));
            for n in next {
                v.push(Line::styled(format!("  → {n}"), t.dim()));
            }
        }
        v.extend(self.request_lines());
        v
    }

    /// The request and its signature fields, as parsed.
    fn request_lines(&self) -> Vec<Line<'static>> {
        let (t, a, x) = (self.t, self.a, self.x);
        let r = &x.request;
        let mode = a.auth.mode;
        let mut v = Vec::new();
        v.push(Line::raw(""));
        v.push(heading(t, "Request"));
        v.push(kv(
            t,
            "Request",
            format!(
                "{} {}{}",
                safe_str(&r.method),
                r.host().map(|h| safe_str(&h)).unwrap_or_default(),
                safe(&crate::engine::auth::shown_target(&r.target))
            ),
        ));
        v.push(kv(t, "Source", safe_str(&x.source)));
        if let Some(rp) = &x.replay {
            let mut said = rp.describe();
            if rp.edited && rp.resigned.is_none() {
                said.push_str(
                    ": its signature is the captured one, over the request before the edit",
                );
            }
            v.push(kv(t, "Replay", safe_str(&said)));
        }
        if let Some(tm) = x.time {
            v.push(kv(t, "Time", crate::engine::time::format_rfc3339(tm)));
        }
        if let (Some(c), Some(s)) = (&x.client, &x.server) {
            v.push(kv(
                t,
                "Endpoints",
                format!("{} → {}", safe_str(c), safe_str(s)),
            ));
        }
        v.push(kv(t, "Auth", mode.as_str()));
        if let Some(ak) = &a.auth.access_key {
            v.push(kv(t, "Access key", safe_str(ak)));
        }
        if let (Some(reg), Some(svc)) = (&a.auth.region, &a.auth.service) {
            v.push(kv(
                t,
                "Scope",
                format!("region {}  service {}", safe_str(reg), safe_str(svc)),
            ));
        }
        if let Some(d) = &a.auth.date {
            v.push(kv(t, "Signed at", safe_str(d)));
        }
        if let Some(sh) = &a.auth.signed_headers {
            v.push(kv(t, "Signed hdrs", safe_str(&sh.join(";"))));
        }
        for (k, val) in &a.auth.fields {
            v.push(Line::from(vec![
                Span::styled(format!("  {}: ", safe_str(k)), t.dim()),
                Span::raw(safe_str(val)),
            ]));
        }
        if !a.client_dialects.is_empty() {
            v.push(kv(t, "Signed like", a.client_dialects.join(", ")));
        } else if matches!(a.verdict, Verdict::Invalid) {
            // Issue 12 §6: "Client used no dialect reproduces…" read as one broken sentence.
            v.push(kv(
                t,
                "Signed like",
                "none of the known dialects: none reproduces the client's signature",
            ));
        }
        v
    }
}

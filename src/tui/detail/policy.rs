//! The Policy tab of a browser upload (`post-policy`, issue 15): each policy condition with
//! its verdict, the fields no condition names, the form's fields as S3 reads them, the file
//! part, and the decoded policy document.

use ratatui::text::{Line, Span};

use super::lines::{heading, kv, numbered};
use super::Builder;
use crate::engine::postpolicy::{Met, Version};
use crate::tui::text::safe_str;

impl Builder<'_> {
    pub(super) fn policy(&self) -> Vec<Line<'static>> {
        let t = self.t;
        let Some(p) = self.a.post_policy.as_deref() else {
            return vec![Line::raw("This request is not a browser upload form.")];
        };
        let mut v = vec![Line::styled(
            match p.signature_version {
                Version::Sigv4 => "Browser upload form, signed with SigV4 (x-amz-signature)",
                Version::Sigv2 => "Browser upload form, signed with SigV2 (signature)",
            },
            t.accent(),
        )];
        if let Some(why) = &p.problem {
            v.push(kv(t, "problem", safe_str(why)));
        }
        v.push(Line::raw(""));
        v.push(heading(t, "Policy conditions"));
        if let Some(e) = &p.expiration {
            let said = match p.expired {
                Some(true) => "EXPIRED when the upload came",
                Some(false) => "not expired when the upload came",
                None => "not checked (no capture time)",
            };
            v.push(kv(t, "expiration", format!("{} — {said}", safe_str(e))));
        }
        for c in &p.conditions {
            let (badge, style) = match c.verdict {
                Met::Met => ("✓ met      ", t.fg(t.valid)),
                Met::Failed => ("✗ FAILED   ", t.fg(t.invalid)),
                Met::Malformed => ("! MALFORMED", t.fg(t.malformed)),
            };
            v.push(Line::from(vec![
                Span::styled(badge.to_string(), style),
                Span::raw(format!(" {}", safe_str(&c.condition))),
            ]));
            v.push(Line::styled(
                format!("              {}", safe_str(&c.says)),
                t.dim(),
            ));
        }
        if p.conditions.is_empty() && p.policy.is_some() {
            v.push(Line::raw("(no conditions)"));
        }
        if !p.uncovered.is_empty() {
            v.push(Line::styled(
                format!(
                    "✗ fields named by no condition (S3 refuses them): {}",
                    safe_str(&p.uncovered.join(", "))
                ),
                t.fg(t.invalid),
            ));
        }
        v.push(Line::raw(""));
        v.push(heading(t, "Form fields (before the file; S3 reads these)"));
        for (n, val) in &p.fields {
            v.push(Line::from(vec![
                Span::styled(format!("{:<12}", safe_str(n)), t.accent()),
                Span::raw(format!(" {}", safe_str(val))),
            ]));
        }
        if let Some(f) = &p.file {
            v.push(Line::raw(""));
            v.push(heading(t, "File part (its bytes are in the Body tab)"));
            v.push(kv(
                t,
                "filename",
                safe_str(f.filename.as_deref().unwrap_or("(none)")),
            ));
            v.push(kv(
                t,
                "type",
                safe_str(f.content_type.as_deref().unwrap_or("(none)")),
            ));
            v.push(kv(t, "length", format!("{} bytes", f.length)));
        } else {
            v.push(Line::raw(""));
            v.push(Line::raw("The form has no file part."));
        }
        if !p.ignored.is_empty() {
            v.push(kv(
                t,
                "ignored",
                format!(
                    "{} (after the file: S3 does not read them)",
                    safe_str(&p.ignored.join(", "))
                ),
            ));
        }
        if let Some(doc) = &p.policy {
            v.push(Line::raw(""));
            v.push(heading(t, "Policy document (decoded from base64)"));
            let pretty = serde_json::from_str::<serde_json::Value>(doc)
                .ok()
                .and_then(|j| serde_json::to_string_pretty(&j).ok())
                .unwrap_or_else(|| doc.clone());
            v.extend(numbered(t, pretty.as_bytes(), &[], false));
        }
        v
    }
}

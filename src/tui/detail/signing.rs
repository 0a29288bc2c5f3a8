//! The Signing tab: the key chain (SigV4) or the HMAC used, the claimed and computed signatures
//! side by side, and the chunk signatures.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::lines::{heading, kv, verdict_style};
use super::Builder;
use crate::engine::{DialectResult, Family, Verdict};
use crate::tui::text::{changed_ranges, line_spans, safe_str, units};

impl Builder<'_> {
    pub(super) fn signing(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let mut v = Vec::new();
        let mode = a.auth.mode;
        let Some(d) = self.verifier() else {
            return v;
        };
        let claimed = a.auth.signature.clone().unwrap_or_default();
        // SigV4A computes no signature (ECDSA is randomised): the secret is known when the
        // public key was derived.
        let known = d.signature.is_some() || a.public_key.is_some();
        v.push(kv(
            t,
            "Secret",
            if known {
                "known (never shown)".to_string()
            } else {
                "not known — press K to enter it for this access key".to_string()
            },
        ));
        v.push(Line::raw(""));
        match mode.family() {
            Family::SigV4 if a.auth.mode.is_sigv4a() => {
                v.extend(self.sigv4a_key());
            }
            Family::SigV4 => {
                v.extend(self.sigv4_key_chain());
            }
            Family::SigV2 => {
                v.push(heading(
                    t,
                    "Signature = base64(HMAC-SHA1(secret, string to sign))",
                ));
            }
            Family::Query => {
                let m = a
                    .auth
                    .fields
                    .iter()
                    .find(|(k, _)| k == "SignatureMethod")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "HmacSHA1".into());
                v.push(heading(
                    t,
                    &format!(
                        "Signature = base64({}(secret, string to sign))",
                        safe_str(&m)
                    ),
                ));
            }
            Family::PostPolicy => match &a.signing_key {
                Some(_) => {
                    v.extend(self.sigv4_key_chain());
                    v.push(heading(
                        t,
                        "Signature = hex(HMAC-SHA256(kSigning, base64 policy))",
                    ));
                }
                None => v.push(heading(
                    t,
                    "Signature = base64(HMAC-SHA1(secret, base64 policy)) for SigV2 forms, hex(HMAC-SHA256(kSigning, base64 policy)) for SigV4 forms",
                )),
            },
            Family::Token | Family::Anonymous | Family::Unknown => {}
        }
        v.push(kv(t, "claimed", safe_str(&claimed)));
        match &d.signature {
            Some(sig) => v.push(self.computed_line(d, sig, &claimed)),
            // SigV4A: nothing is computed; the verification is above, with the key.
            None if mode.is_sigv4a() => {}
            None => v.push(kv(t, "computed", "— (needs the secret)")),
        }
        if let Some(r) = &d.rejects {
            v.push(Line::raw(""));
            v.push(Line::raw(format!(
                "{} would refuse it anyway: {}",
                d.name,
                safe_str(&r.to_string())
            )));
        }
        v.extend(self.chunk_lines(&d.chunks));
        v
    }

    /// SigV4's signing key, derived a step at a time from the secret and the credential scope.
    fn sigv4_key_chain(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let mut v = Vec::new();
        let date = match &self.a.parsed {
            crate::engine::auth::Parsed::V4(p) => Some((
                p.scope_date.clone(),
                p.region.clone(),
                p.service.clone(),
                p.terminator.clone(),
            )),
            crate::engine::auth::Parsed::PostPolicy(p) => p.scope.as_ref().map(|s| {
                (
                    s.date.clone(),
                    s.region.clone(),
                    s.service.clone(),
                    s.terminator.clone(),
                )
            }),
            _ => None,
        };
        let (sd, reg, svc, term) = date.unwrap_or_default();
        let k = a.signing_key.as_ref();
        let val = |f: fn(&crate::engine::KeyChainView) -> &String| {
            k.map(|k| f(k).clone()).unwrap_or_else(|| "—".into())
        };
        v.push(heading(
            t,
            "Signing key (derived from the secret and the credential scope)",
        ));
        v.push(kv(
            t,
            "kDate",
            format!(
                "HMAC-SHA256(\"AWS4\" + secret, \"{}\")  = {}",
                safe_str(&sd),
                val(|k| &k.k_date)
            ),
        ));
        v.push(kv(
            t,
            "kRegion",
            format!(
                "HMAC-SHA256(kDate, \"{}\")  = {}",
                safe_str(&reg),
                val(|k| &k.k_region)
            ),
        ));
        v.push(kv(
            t,
            "kService",
            format!(
                "HMAC-SHA256(kRegion, \"{}\")  = {}",
                safe_str(&svc),
                val(|k| &k.k_service)
            ),
        ));
        v.push(kv(
            t,
            "kSigning",
            format!(
                "HMAC-SHA256(kService, \"{}\")  = {}",
                safe_str(&term),
                val(|k| &k.k_signing)
            ),
        ));
        v.push(Line::styled(
            "  (derived keys sign anything in their scope for a day: shown by their first bytes)",
            t.dim(),
        ));
        v.push(Line::raw(""));
        v.push(heading(
            t,
            "Signature = hex(HMAC-SHA256(kSigning, string to sign))",
        ));
        v
    }

    /// SigV4A: the public key derived from the access key and the secret, and whether the
    /// claimed signature verifies with it (it cannot be recomputed: ECDSA is randomised).
    fn sigv4a_key(&self) -> Vec<Line<'static>> {
        let (t, a) = (self.t, self.a);
        let mut v = vec![heading(
            t,
            "Key pair (derived from the access key and the secret: KDF over \"AWS4A\" + secret)",
        )];
        match &a.public_key {
            Some(k) => {
                v.push(kv(t, "public x", k.x.clone()));
                v.push(kv(t, "public y", k.y.clone()));
                v.push(Line::styled(
                    "  (compare with the public key your SDK logs; the private key is never shown)",
                    t.dim(),
                ));
            }
            None => v.push(kv(t, "public key", "— (needs the secret)")),
        }
        v.push(Line::raw(""));
        v.push(heading(
            t,
            "Signature = hex(DER(ECDSA-P256(private key, SHA-256(string to sign))))",
        ));
        if a.public_key.is_none() {
            v.push(kv(t, "verified", "— (needs the secret)"));
        }
        if let (Some(_), Some(d)) = (&a.public_key, self.verifier()) {
            let ok = d.matches == Some(true);
            v.push(Line::from(vec![
                Span::styled(format!("{:<12}", "verified"), t.accent()),
                Span::styled(
                    if ok {
                        format!("✓ the signature verifies with the public key ({})", d.name)
                    } else {
                        format!(
                            "✗ the signature does not verify with the public key ({})",
                            d.name
                        )
                    },
                    verdict_style(t, if ok { Verdict::Valid } else { Verdict::Invalid }),
                ),
            ]));
        }
        v
    }

    /// The signature the verifier computed, the characters that differ from the claimed one marked.
    fn computed_line(&self, d: &DialectResult, sig: &str, claimed: &str) -> Line<'static> {
        let t = self.t;
        let same = d.matches == Some(true);
        let mark = if same { "✓ equal" } else { "✗ differs" };
        let (ra, _) = changed_ranges(&units(sig.as_bytes()), &units(claimed.as_bytes()));
        let spans = if same {
            vec![Span::raw(sig.to_string())]
        } else {
            line_spans(
                &units(sig.as_bytes()),
                false,
                false,
                Some(ra),
                Style::default(),
                t.changed(),
            )
        };
        let mut l = vec![Span::styled(format!("{:<12}", "computed"), t.accent())];
        l.extend(spans);
        l.push(Span::styled(
            format!("  {mark} ({})", d.name),
            verdict_style(
                t,
                if same {
                    Verdict::Valid
                } else {
                    Verdict::Invalid
                },
            ),
        ));
        Line::from(l)
    }
}

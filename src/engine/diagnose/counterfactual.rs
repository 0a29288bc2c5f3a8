//! Counterfactuals: which one knob of the verifier, set as the client's dialect has it, makes
//! the verifier compute what the client signed; and the step-by-step comparison of two results.

use super::*;

/// What [`responsible_v4`] needs of the request, made once per diagnosis: its SigV4
/// parameters and body hash, and one canonicalization memo for every knob variant of every
/// comparison (they all canonicalize the same request; the memo is keyed by every knob a
/// component depends on).
#[derive(Default)]
pub(super) struct KnobCache {
    v4: Option<Option<(crate::engine::auth::V4Auth, String)>>,
    memo: crate::engine::sigv4::V4Memo,
}

/// The knob(s) that explain the difference: setting one of the verifier's knobs to the
/// client's value makes the verifier compute exactly what the client signed.
pub(super) fn responsible_v4(
    req: &Request,
    presigned: bool,
    client: &Dialect,
    verifier: &Dialect,
    client_creq: &[u8],
    cache: &mut KnobCache,
) -> Option<String> {
    let KnobCache { v4, memo } = cache;
    let parsed = v4.get_or_insert_with(|| match crate::engine::auth::detect(req).parsed {
        crate::engine::auth::Parsed::V4(auth) => Some((*auth, req.body_sha256_hex())),
        _ => None,
    });
    let (auth, body_sha256) = parsed.as_ref()?;
    let ctx = crate::engine::sigv4::V4Context {
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
        if crate::engine::sigv4::canonical_parts_memo(&ctx, &rules, memo).canonical_request
            == client_creq
        {
            found.push(format!(
                "{label}: {} under {}, as the client signed; {} under {}",
                say(&client.sigv4),
                client.name,
                say(&verifier.sigv4),
                verifier.name
            ));
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

pub(super) fn responsible_v2(
    req: &Request,
    presigned: bool,
    client: &Dialect,
    verifier: &Dialect,
    client_sts: &[u8],
) -> Option<String> {
    let crate::engine::auth::Parsed::V2(auth) = crate::engine::auth::detect(req).parsed else {
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
        if crate::engine::sigv2::string_to_sign(req, &auth, &rules, presigned) == client_sts {
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
                "{label}: {sc} under {}, as the client signed; {sv} under {}",
                client.name, verifier.name
            ));
        }
    }
    (!found.is_empty()).then(|| found.join("; "))
}

pub(super) fn responsible_query(
    req: &Request,
    client: &Dialect,
    verifier: &Dialect,
    client_sts: &[u8],
) -> Option<String> {
    let crate::engine::auth::Parsed::Query(q) = crate::engine::auth::detect(req).parsed else {
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
        let (sts, hmac) = crate::engine::querysig::string_to_sign(req, &q, &rules);
        let (_, chmac) = crate::engine::querysig::string_to_sign(req, &q, c);
        if sts == client_sts && hmac == chmac {
            found.push(format!(
                "{label}: {} under {}, as the client signed; {} under {}",
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
pub(super) fn compare(
    req: &Request,
    mode: Mode,
    ours: &DialectResult,
    theirs: &DialectResult,
    against: &str,
    cache: &mut KnobCache,
) -> Option<Divergence> {
    let cd = dialect::by_name(ours.name)?;
    let vd = dialect::by_name(theirs.name);
    let presigned = mode.is_presigned();
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
        let knob = vd.and_then(|vd| match mode.family() {
            Family::SigV2 => responsible_v2(req, presigned, cd, vd, &ours.string_to_sign),
            Family::Query => responsible_query(req, cd, vd, &ours.string_to_sign),
            // SigV4 parts at the canonical request, above; the rest sign no strings.
            Family::SigV4
            | Family::PostPolicy
            | Family::Token
            | Family::Anonymous
            | Family::Unknown => None,
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

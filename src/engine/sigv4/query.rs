//! Canonical query string (line 3): decoding, re-encoding, ordering of repeated names.

use super::flavour::QueryNames;
use super::*;

/// `names` are the flavour's presigned parameters (the signature and the session token are
/// left out of what is signed).
pub(crate) fn canonical_query(
    req: &Request,
    rules: &SigV4Rules,
    presigned: bool,
    token_appended: bool,
    names: &QueryNames,
) -> String {
    let is_post = req.method.eq_ignore_ascii_case("POST");
    let url_q = req.query().unwrap_or(b"");
    let mut raw: Vec<(&[u8], Option<&[u8]>)> = match (rules.form_post_query, is_post) {
        (FormPostQuery::EmptyForPost, true) => Vec::new(),
        (FormPostQuery::MergeFormBody, true) if req.is_form_urlencoded() => {
            let mut v = split_pairs(url_q);
            v.extend(split_pairs(&req.body));
            v
        }
        _ => split_pairs(url_q),
    };
    if presigned && !rules.presigned_keeps_signature {
        raw.retain(|(k, _)| *k != names.signature.as_bytes());
    }
    if token_appended {
        raw.retain(|(k, _)| *k != names.token.as_bytes());
    }
    match rules.query.style {
        QueryStyle::RawPairs => {
            let mut pairs: Vec<(&[u8], &[u8])> =
                raw.iter().map(|(k, v)| (*k, v.unwrap_or(b""))).collect();
            pairs.sort();
            join_pairs(
                pairs
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
        }
        QueryStyle::Reencode {
            tilde_in_names_escaped,
        } => {
            let plus = rules.query.plus;
            // Python 2's quote(name, safe='') escaped `~`.
            let name_keep: fn(u8) -> bool = if tilde_in_names_escaped {
                |b| is_unreserved(b) && b != b'~'
            } else {
                is_unreserved
            };
            let mut enc: Vec<(String, String)> = raw
                .iter()
                .map(|(k, v)| {
                    let value = v.map(|v| reencode(v, plus, is_unreserved));
                    (reencode(k, plus, name_keep), value.unwrap_or_default())
                })
                .collect();
            if rules.query.duplicates == DuplicateOrder::LastWins {
                // Equal encoded names are equal decoded names: the encoding is one to one.
                let mut kept: Vec<(String, String)> = Vec::new();
                for (k, v) in enc {
                    kept.retain(|(kk, _)| *kk != k);
                    kept.push((k, v));
                }
                enc = kept;
            }
            match rules.query.duplicates {
                DuplicateOrder::SortByValue | DuplicateOrder::Refuse => enc.sort(),
                DuplicateOrder::ArrivalOrder | DuplicateOrder::LastWins => {
                    enc.sort_by(|a, b| a.0.cmp(&b.0))
                }
            }
            join_pairs(enc.into_iter())
        }
    }
}

pub(crate) fn join_pairs<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl Iterator<Item = (K, V)>,
) -> String {
    let mut s = String::new();
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(k.as_ref());
        s.push('=');
        s.push_str(v.as_ref());
    }
    s
}

/// A name or value decoded, then encoded with the unreserved set `keep`; a raw `+` is read as
/// the dialect's [`QueryPlus`] says.
fn reencode(b: &[u8], plus: QueryPlus, keep: fn(u8) -> bool) -> String {
    match plus {
        QueryPlus::Space => encode_with(&percent_decode(b, true), keep),
        QueryPlus::Plus => encode_with(&percent_decode(b, false), keep),
        QueryPlus::AsSent => b
            .split(|&c| c == b'+')
            .map(|seg| encode_with(&percent_decode(seg, false), keep))
            .collect::<Vec<_>>()
            .join("+"),
    }
}

//! Re-signing S3 SigV2 (header and presigned URL) and EC2/Query signatures v0–v2 (URL query
//! or form body).

use super::edit::{query_has, replace_header, set_body, set_header, set_pair, set_query_param};
use super::{DateChoice, Options, ResignError, Resigned};
use crate::engine::auth::{self, Mode, Parsed, QueryAuth, V2Auth};
use crate::engine::encode::uri_encode;
use crate::engine::time::format_http_date;
use crate::engine::{querysig, sigv2};
use crate::http::Request;

pub fn resign_v2(
    req: &Request,
    a: &V2Auth,
    mode: Mode,
    o: &Options,
) -> Result<Resigned, ResignError> {
    let Some(rules) = &o.dialect.sigv2 else {
        return Err(no_verifier(o, mode));
    };
    let presigned = mode == Mode::Sigv2Query;
    let access_key = o.access_key.unwrap_or(&a.access_key);
    let mut out = req.clone();
    if presigned {
        if let DateChoice::Fresh(t) = o.date {
            let expires = t.unix_timestamp().saturating_add_unsigned(o.expires_in);
            set_query_param(&mut out, "Expires", &expires.to_string());
        }
        set_query_param(
            &mut out,
            "AWSAccessKeyId",
            &uri_encode(access_key.as_bytes()),
        );
    } else if let DateChoice::Fresh(t) = o.date {
        let d = format_http_date(t);
        // The date the string to sign reads: X-Amz-Date when present (S3 docs), else Date.
        if !replace_header(&mut out, "x-amz-date", &d) {
            set_header(&mut out, "Date", &d);
        } else {
            replace_header(&mut out, "Date", &d);
        }
    }
    let b = if presigned {
        match auth::detect(&out).parsed {
            Parsed::V2(b) => b,
            _ => {
                return Err(ResignError::Malformed(
                    "the rewritten URL no longer parses as SigV2".into(),
                ))
            }
        }
    } else {
        V2Auth {
            access_key: access_key.to_string(),
            signature: String::new(),
            expires: None,
        }
    };
    let string_to_sign = sigv2::string_to_sign(&out, &b, rules, presigned);
    let signature = sigv2::sign(o.secret, &string_to_sign);
    if presigned {
        set_query_param(&mut out, "Signature", &uri_encode(signature.as_bytes()));
    } else {
        set_header(
            &mut out,
            "Authorization",
            &format!("AWS {access_key}:{signature}"),
        );
    }
    Ok(Resigned {
        request: out,
        mode,
        dialect: o.dialect.name,
        string_to_sign,
        signature,
        refused: None,
        notes: Vec::new(),
    })
}

fn no_verifier(o: &Options, mode: Mode) -> ResignError {
    ResignError::NoVerifier {
        dialect: o.dialect.name,
        mode: mode.as_str(),
    }
}

/// Sets a Query parameter where the request carries it: the URL, else a form body; a
/// parameter in neither is added to the URL.
fn set_param(out: &mut Request, name: &str, encoded: &str) {
    if !query_has(out, name) && out.is_form_urlencoded() {
        if let Some(body) = set_pair(&out.body, name, encoded, true) {
            set_body(out, body);
            return;
        }
    }
    set_query_param(out, name, encoded);
}

/// The ISO 8601 timestamp boto 2 writes (`time.strftime("%Y-%m-%dT%H:%M:%SZ", gmtime())`,
/// boto/connection.py `AWSQueryConnection.build_base_http_request` via `auth.py`).
fn iso(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_default()
}

pub fn resign_query(
    req: &Request,
    q: &QueryAuth,
    mode: Mode,
    o: &Options,
) -> Result<Resigned, ResignError> {
    let Some(rules) = o
        .dialect
        .query
        .as_ref()
        .filter(|r| r.versions.contains(&q.version))
    else {
        return Err(no_verifier(o, mode));
    };
    let has = |n: &str| q.params.iter().any(|(k, _)| k.as_slice() == n.as_bytes());
    let mut out = req.clone();
    if let DateChoice::Fresh(t) = o.date {
        if has("Timestamp") {
            set_param(&mut out, "Timestamp", &uri_encode(iso(t).as_bytes()));
        } else if has("Expires") {
            let e = t + time::Duration::seconds(i64::try_from(o.expires_in).unwrap_or(3600));
            set_param(&mut out, "Expires", &uri_encode(iso(e).as_bytes()));
        }
    }
    if let Some(ak) = o.access_key {
        set_param(&mut out, "AWSAccessKeyId", &uri_encode(ak.as_bytes()));
    }
    let Parsed::Query(b) = auth::detect(&out).parsed else {
        return Err(ResignError::Malformed(
            "the rewritten request no longer parses as a Query signature".into(),
        ));
    };
    let (string_to_sign, hmac) = querysig::string_to_sign(&out, &b, rules);
    let signature = querysig::sign(o.secret, &string_to_sign, hmac);
    set_param(&mut out, "Signature", &uri_encode(signature.as_bytes()));
    Ok(Resigned {
        request: out,
        mode,
        dialect: o.dialect.name,
        string_to_sign,
        signature,
        refused: None,
        notes: Vec::new(),
    })
}

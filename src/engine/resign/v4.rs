//! Re-signing SigV4 (and its HMAC flavours): header and presigned URL.

use super::edit::{replace_header, set_header, set_query_param};
use super::{DateChoice, Options, PayloadHash, ResignError, Resigned};
use crate::engine::auth::{self, Mode, Parsed, V4Auth};
use crate::engine::crypto::{derive_chain, Signing};
use crate::engine::encode::uri_encode;
use crate::engine::sigv4::{self, V4Context};
use crate::engine::time::{format_amz, format_http_date};
use crate::http::{Headers, Request};

/// Stands for the signature while the string to sign is built (the header form and the
/// query form leave it out; it only has to parse).
const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn resign(req: &Request, a: &V4Auth, mode: Mode, o: &Options) -> Result<Resigned, ResignError> {
    let f = a.flavour;
    if f.signing != Signing::HmacSha256 {
        return Err(ResignError::Unsupported(
            "re-signing SigV4A (ECDSA) requests is not supported",
        ));
    }
    if f.streaming_mode == Some(mode) {
        return Err(ResignError::Unsupported(
            "re-signing a streaming (aws-chunked) upload is not supported: every chunk signature chains from the seed signature",
        ));
    }
    let presigned = mode.is_presigned();
    if presigned && o.dialect.sigv4.presigned_keeps_signature {
        return Err(ResignError::Unsupported(
            "this dialect signs X-Amz-Signature itself into a presigned URL's canonical query: no signature can verify there",
        ));
    }
    let (amz_date, scope_date) = match o.date {
        DateChoice::Fresh(t) => {
            let s = format_amz(t);
            let day = s[..8].to_string();
            (s, day)
        }
        DateChoice::Keep => (
            a.amz_date.clone().ok_or(ResignError::NoDate)?,
            a.scope_date.clone(),
        ),
    };
    let access_key = o.access_key.unwrap_or(&a.access_key);
    let credential = format!(
        "{access_key}/{scope_date}/{}/{}/{}",
        a.region, a.service, a.terminator
    );
    let mut out = req.clone();
    let mut notes = Vec::new();
    if presigned {
        set_query_param(&mut out, f.query.date, &amz_date);
        set_query_param(
            &mut out,
            f.query.credential,
            &uri_encode(credential.as_bytes()),
        );
        set_query_param(&mut out, f.query.signature, PLACEHOLDER);
    } else {
        if let DateChoice::Fresh(t) = o.date {
            let http_date = format_http_date(t);
            if a.amz_date_from_date_header {
                set_header(&mut out, "Date", &http_date);
            } else {
                set_header(&mut out, f.date_header, &amz_date);
                replace_header(&mut out, "Date", &http_date);
            }
        }
        payload_hash(
            &mut out,
            f.content_sha256_header,
            o.payload_hash,
            &mut notes,
        );
        set_header(
            &mut out,
            "Authorization",
            &authorization(f.algorithm, &credential, &a.signed_headers_raw, PLACEHOLDER),
        );
    }
    let Parsed::V4(b) = auth::detect(&out).parsed else {
        return Err(ResignError::Malformed(
            "the rewritten request no longer parses as SigV4".into(),
        ));
    };
    let body_sha256 = out.body_sha256_hex();
    let ctx = V4Context {
        req: &out,
        auth: &b,
        presigned,
        body_sha256: &body_sha256,
        token_appended: false,
    };
    let c = sigv4::canonicalize(&ctx, &o.dialect.sigv4);
    let chain = derive_chain(o.secret, &b.key_scope());
    let signature = sigv4::sign(&chain, &c.string_to_sign);
    if presigned {
        set_query_param(&mut out, f.query.signature, &signature);
    } else {
        set_header(
            &mut out,
            "Authorization",
            &authorization(f.algorithm, &credential, &a.signed_headers_raw, &signature),
        );
    }
    Ok(Resigned {
        request: out,
        mode,
        dialect: o.dialect.name,
        string_to_sign: c.string_to_sign,
        signature,
        refused: c.rejects,
        notes,
    })
}

/// The Authorization header value in the form the AWS SDKs write it.
fn authorization(algorithm: &str, credential: &str, signed: &str, signature: &str) -> String {
    format!("{algorithm} Credential={credential}, SignedHeaders={signed}, Signature={signature}")
}

/// Applies the payload-hash choice to a header holding a hex SHA-256 (a payload mode such as
/// `UNSIGNED-PAYLOAD` is left alone).
fn payload_hash(out: &mut Request, header: &str, choice: PayloadHash, notes: &mut Vec<String>) {
    let Some(v) = out.header(header) else {
        return;
    };
    if choice == PayloadHash::Keep || v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return;
    }
    if !out.body_complete() {
        notes.push(format!(
            "{header} kept: only the first {} of {} body bytes were captured",
            out.body.len(),
            out.body_len()
        ));
        return;
    }
    let body = out.body_sha256_hex();
    if !v.eq_ignore_ascii_case(&body) {
        notes.push(format!(
            "{header} recomputed from the body ({} bytes): it was {v}",
            out.body.len()
        ));
        set_header(out, header, &body);
    }
}

//! The endpoint's answer to a browser upload (`post-policy`, issue 15), in S3's words.
//!
//! The order is the servers': the signature first, then the policy — expiry, then the
//! conditions, then fields no condition names (Ceph RGW `rgw_rest_s3.cc`
//! RGWPostObj_ObjStore_S3::get_policy then `rgw_policy_s3.cc` RGWPolicy::check; MinIO
//! `cmd/bucket-handlers.go` PostPolicyBucketHandler: doesPolicySignatureMatch, then
//! checkPostPolicy). A file outside `content-length-range` is `EntityTooLarge` or
//! `EntityTooSmall` as S3 answers it (with `ProposedSize` and the bound); a success is
//! `success_action_status` (200, 201 with a `PostResponse`, else 204 as S3's default).

use super::{render, success, xml_escape, Answer, ErrBody, Style};
use crate::engine::postpolicy::{FailKind, Met, View};
use crate::engine::{Analysis, Code, Verdict};
use crate::http::Request;

fn err(status: u16, code: &'static str, message: String) -> ErrBody<'static> {
    ErrBody {
        status,
        code,
        message,
        extra: Vec::new(),
        canonical_request: None,
        string_to_sign: None,
    }
}

/// The answer to a `post-policy` request.
pub(super) fn answer(a: &Analysis, req: &Request, request_id: &str) -> Answer {
    let style = Style::S3;
    let Some(view) = a.post_policy.as_deref() else {
        return render(
            style,
            err(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.".into(),
            ),
            request_id,
        );
    };
    if a.verdict == Verdict::Malformed {
        let why = a
            .findings
            .iter()
            .find(|f| f.code == Code::MalformedAuth)
            .map(|f| f.message.clone())
            .unwrap_or_default();
        let e = if a.findings.iter().any(|f| f.code == Code::FormMalformed) {
            err(
                400,
                "MalformedPOSTRequest",
                format!(
                    "The body of your POST request is not well-formed multipart/form-data ({why})."
                ),
            )
        } else {
            err(
                400,
                "InvalidArgument",
                format!("Bucket POST must contain the fields of a signed form ({why})."),
            )
        };
        return render(style, e, request_id);
    }
    let verifier = a.dialect(a.verifier);
    match a.verdict {
        Verdict::Unverified => {
            let mut e = err(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.".into(),
            );
            if let Some(k) = &a.auth.access_key {
                e.extra.push(("AWSAccessKeyId", xml_escape(k)));
            }
            return render(style, e, request_id);
        }
        _ if verifier.and_then(|d| d.matches) != Some(true) => {
            let mut e = err(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.".into());
            if let Some(k) = &a.auth.access_key {
                e.extra.push(("AWSAccessKeyId", xml_escape(k)));
            }
            if let Some(s) = &a.auth.signature {
                e.extra.push(("SignatureProvided", xml_escape(s)));
            }
            e.string_to_sign = verifier.map(|d| &d.string_to_sign[..]);
            return render(style, e, request_id);
        }
        _ => {}
    }
    if view.expired == Some(true) {
        return render(
            style,
            err(
                403,
                "AccessDenied",
                "Invalid according to Policy: Policy expired.".into(),
            ),
            request_id,
        );
    }
    if let Some(e) = length(view) {
        return render(style, e, request_id);
    }
    if let Some(why) = view.refusal() {
        return render(style, err(403, "AccessDenied", why), request_id);
    }
    posted(view, req, request_id)
}

/// `EntityTooLarge` / `EntityTooSmall` for a failed `content-length-range`.
fn length(view: &View) -> Option<ErrBody<'static>> {
    let c = view
        .conditions
        .iter()
        .find(|c| c.kind == FailKind::Length && c.verdict == Met::Failed)?;
    let size = view.file.as_ref().map(|f| f.length)?;
    let (min, max) = bounds(&c.condition)?;
    let (code, msg, bound) = if size > max {
        (
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ("MaxSizeAllowed", max),
        )
    } else {
        (
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            ("MinSizeAllowed", min),
        )
    };
    let mut e = err(400, code, msg.into());
    e.extra.push(("ProposedSize", size.to_string()));
    e.extra.push((bound.0, bound.1.to_string()));
    Some(e)
}

/// The bounds of `["content-length-range", min, max]` as [`View`] quotes it.
fn bounds(quoted: &str) -> Option<(u64, u64)> {
    let v: serde_json::Value = serde_json::from_str(quoted).ok()?;
    Some((
        v.get(1)?.as_i64()?.max(0) as u64,
        v.get(2)?.as_i64()?.max(0) as u64,
    ))
}

/// A stored upload: `success_action_status` 200 or 201 (with S3's `PostResponse`), else 204.
fn posted(view: &View, req: &Request, request_id: &str) -> Answer {
    let status = view
        .fields
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case("success_action_status"))
        .map(|(_, v)| v.trim().to_string());
    match status.as_deref() {
        Some("200") => success(Style::S3, req, request_id),
        Some("201") => {
            let key = view
                .fields
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case("key"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let key = match view.file.as_ref().and_then(|f| f.filename.as_deref()) {
                Some(f) => key.replace("${filename}", f),
                None => key,
            };
            Answer {
                status: 201,
                content_type: "application/xml",
                body: format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Key>{}</Key></PostResponse>",
                    xml_escape(&key)
                )
                .into_bytes(),
                code: None,
            }
        }
        _ => Answer {
            status: 204,
            content_type: "application/xml",
            body: Vec::new(),
            code: None,
        },
    }
}

//! Browser-based uploads (issue 15): a `multipart/form-data` POST to a bucket carrying a
//! base64 `policy` and its signature in form fields. The string to sign is the base64 policy
//! as sent: SigV4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`, `x-amz-signature`)
//! signs it with HMAC-SHA256 under the credential scope's signing key; SigV2
//! (`AWSAccessKeyId`, `signature`) with HMAC-SHA1 of the secret, base64.
//!
//! Read in: AWS "Authenticating Requests in Browser-Based Uploads Using POST" and
//! "Calculating a Signature" (sigv4-UsingHTTPPOST, sigv4-post-example); Ceph RGW
//! `src/rgw/rgw_rest_s3.cc` (RGWPostObj_ObjStore_S3::get_policy: SigV2 is HMAC-SHA1 of the
//! encoded policy, SigV4 the scope's key over it; fields after `file` are not read); MinIO
//! `cmd/signature-v4.go` (doesPolicySignatureV4Match) and `cmd/signature-v2.go`
//! (doesPolicySignatureV2Match). Conditions: [`policy`].

pub mod form;
pub mod policy;

use base64::Engine;
use serde::Serialize;

use super::auth::{AuthInfo, Detected, Mode, Parsed};
use super::crypto::{self, KeyCache, KeyChain, KeyScope, Signing};
use super::dialect::{self, Dialect};
use super::finding::{Code, Finding};
use super::rejection::Rejection;
use super::DialectResult;
use crate::escape::escape_str;
use crate::http::{Headers, Request};

pub use policy::{Checked, FailKind, Met};

/// The SigV4 algorithm a POST policy names (SigV4A forms do not exist).
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Why a post-policy form cannot be verified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the upload form has no `{0}` field")]
    Missing(&'static str),
    #[error("x-amz-algorithm `{}` is not AWS4-HMAC-SHA256", escape_str(.0))]
    Algorithm(String),
    #[error("x-amz-credential `{}` is not access-key/date/region/service/aws4_request", escape_str(.0))]
    Credential(String),
    #[error("the upload form could not be read: {0}")]
    Form(form::FormError),
}

/// Which signature the form carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    Sigv4,
    Sigv2,
}

/// SigV4's credential scope, from `x-amz-credential`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
}

/// The form, read: its credentials, fields and file.
#[derive(Clone, Debug)]
pub struct PostAuth {
    pub version: Version,
    pub access_key: Option<String>,
    pub signature: Option<String>,
    /// The `policy` field as sent: the string to sign.
    pub policy: Option<Vec<u8>>,
    pub scope: Option<Scope>,
    pub amz_date: Option<String>,
    pub session_token: Option<String>,
    pub form: form::Form,
    /// The fields S3 reads: every part before the file, names and values as sent.
    pub fields: Vec<(String, String)>,
    /// The file part (the first part named `file`).
    pub file: Option<usize>,
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A POST of `multipart/form-data` that carries a policy or a form signature; `None` for
/// anything else (an anonymous browser upload falls through to `anonymous`).
pub fn detect(req: &Request) -> Option<Detected> {
    if !req.method.eq_ignore_ascii_case("POST") {
        return None;
    }
    let ct = req.header_text("content-type")?;
    if !form::is_form_data(&ct) {
        return None;
    }
    let mut f = match form::boundary(&ct) {
        Some(b) => form::parse(&req.body, &b),
        None => form::Form {
            parts: Vec::new(),
            error: Some(form::FormError::NoBoundary),
        },
    };
    if !req.body_complete() && f.error.is_some() {
        f.error = Some(form::FormError::BodyNotKept);
    }
    // S3 reads the fields up to the file, and none after it (RGWPostObj_ObjStore_S3).
    let file = f
        .parts
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case("file"));
    let fields: Vec<(String, String)> = f.parts[..file.unwrap_or(f.parts.len())]
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                crate::http::text(&req.body[p.content.clone()]).into_owned(),
            )
        })
        .collect();
    let signed = [
        "policy",
        "x-amz-signature",
        "x-amz-credential",
        "signature",
        "awsaccesskeyid",
    ]
    .iter()
    .any(|n| field(&fields, n).is_some());
    if !signed && f.error != Some(form::FormError::NoBoundary) {
        return None;
    }
    let v4 = [
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-signature",
        "x-amz-date",
    ]
    .iter()
    .any(|n| field(&fields, n).is_some());
    let mut why = f.error.clone().map(PostError::Form);
    let mut auth = PostAuth {
        version: if v4 { Version::Sigv4 } else { Version::Sigv2 },
        access_key: None,
        signature: None,
        policy: field(&fields, "policy").map(|p| p.as_bytes().to_vec()),
        scope: None,
        amz_date: field(&fields, "x-amz-date").map(str::to_string),
        session_token: field(&fields, "x-amz-security-token").map(str::to_string),
        form: f,
        fields: Vec::new(),
        file,
    };
    let mut need = |name: &'static str| {
        let v = field(&fields, name).map(str::to_string);
        if v.is_none() && why.is_none() {
            why = Some(PostError::Missing(name));
        }
        v
    };
    if v4 {
        let alg = need("x-amz-algorithm");
        let cred = need("x-amz-credential");
        auth.signature = need("x-amz-signature");
        need("x-amz-date");
        need("policy");
        if let Some(a) = alg.filter(|a| a != ALGORITHM) {
            why = why.or(Some(PostError::Algorithm(a)));
        }
        if let Some(c) = cred {
            match credential(&c) {
                Some((ak, scope)) => {
                    auth.access_key = Some(ak);
                    auth.scope = Some(scope);
                }
                None => why = why.or(Some(PostError::Credential(c))),
            }
        }
    } else {
        auth.access_key = need("AWSAccessKeyId");
        auth.signature = need("signature");
        need("policy");
    }
    auth.fields = fields;
    Some(Detected {
        info: info(&auth),
        parsed: Parsed::PostPolicy(Box::new(auth)),
        malformed: why.map(|w| w.to_string()),
    })
}

/// `AK/date/region/service/terminator`; the access key may not hold `/`.
fn credential(c: &str) -> Option<(String, Scope)> {
    let parts: Vec<&str> = c.split('/').collect();
    let [ak, date, region, service, terminator] = parts.as_slice() else {
        return None;
    };
    if ak.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((
        ak.to_string(),
        Scope {
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            terminator: terminator.to_string(),
        },
    ))
}

fn info(a: &PostAuth) -> AuthInfo {
    let mut fields = vec![(
        "Form signature".to_string(),
        match a.version {
            Version::Sigv4 => "SigV4 (HMAC-SHA256 of the base64 policy)".to_string(),
            Version::Sigv2 => "SigV2 (HMAC-SHA1 of the base64 policy)".to_string(),
        },
    )];
    if let Some(s) = &a.scope {
        fields.push((
            "Credential scope".into(),
            format!("{}/{}/{}/{}", s.date, s.region, s.service, s.terminator),
        ));
    }
    if let Some(t) = &a.session_token {
        fields.push(("x-amz-security-token".into(), super::secret::mask(t)));
    }
    AuthInfo {
        mode: Mode::PostPolicy,
        access_key: a.access_key.clone(),
        signature: a.signature.clone(),
        date: a.amz_date.clone(),
        region: a.scope.as_ref().map(|s| s.region.clone()),
        service: a.scope.as_ref().map(|s| s.service.clone()),
        signed_headers: None,
        fields,
    }
}

/// What the report and the UI show of the form and its policy.
#[derive(Clone, Debug, Serialize)]
pub struct View {
    /// `sigv4` or `sigv2`.
    pub signature_version: Version,
    /// The fields S3 reads, in order; a session token masked.
    pub fields: Vec<(String, String)>,
    pub file: Option<FileView>,
    /// Parts after the file: S3 does not read them.
    pub ignored: Vec<String>,
    /// The decoded policy JSON.
    pub policy: Option<String>,
    pub expiration: Option<String>,
    /// Whether the policy had expired when the request was seen: `null` without a clock.
    pub expired: Option<bool>,
    pub conditions: Vec<Checked>,
    /// Fields no condition names (S3: "Extra input fields").
    pub uncovered: Vec<String>,
    /// Why the form or the policy could not be read whole.
    pub problem: Option<String>,
    #[serde(skip)]
    pub expires_at: Option<time::OffsetDateTime>,
}

/// The file part.
#[derive(Clone, Debug, Serialize)]
pub struct FileView {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub length: u64,
    /// Where its bytes are in the request body.
    #[serde(skip)]
    pub range: std::ops::Range<usize>,
}

impl View {
    /// The first reason S3 refuses the form whatever its signature, in S3's own words
    /// (`Invalid according to Policy: …`).
    pub fn refusal(&self) -> Option<String> {
        if let Some(c) = self.conditions.iter().find(|c| c.verdict != Met::Met) {
            return Some(format!(
                "Invalid according to Policy: Policy Condition failed: {}",
                c.condition
            ));
        }
        if !self.uncovered.is_empty() {
            return Some(format!(
                "Invalid according to Policy: Extra input fields: {}",
                self.uncovered.join(", ")
            ));
        }
        None
    }
}

/// The bucket a POST names: the first label of a virtual-hosted Host, else the path's first
/// segment.
fn bucket(req: &Request) -> Option<String> {
    if let Some(b) = req
        .header_text("host")
        .and_then(|h| super::sigv2::virtual_host_bucket(&h))
    {
        return Some(b);
    }
    let path = crate::http::text(req.path()).into_owned();
    let seg = path.trim_start_matches('/').split('/').next().unwrap_or("");
    (!seg.is_empty()).then(|| {
        crate::http::text(&super::encode::percent_decode(seg.as_bytes(), false)).into_owned()
    })
}

/// The view of the form and each condition's verdict, with a finding per kind of failure.
pub fn examine(req: &Request, a: &PostAuth, findings: &mut Vec<Finding>) -> View {
    let file = a.file.map(|i| {
        let p = &a.form.parts[i];
        FileView {
            filename: p.filename.clone(),
            content_type: p.content_type.clone(),
            length: p.content.len() as u64,
            range: p.content.clone(),
        }
    });
    let ignored = a
        .file
        .map(|i| {
            a.form.parts[i + 1..]
                .iter()
                .map(|p| p.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let fields = a
        .fields
        .iter()
        .map(|(n, v)| {
            let secret = n.eq_ignore_ascii_case("x-amz-security-token");
            (
                n.clone(),
                if secret {
                    super::secret::mask(v)
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let mut view = View {
        signature_version: a.version,
        fields,
        file,
        ignored,
        policy: None,
        expiration: None,
        expired: None,
        conditions: Vec::new(),
        uncovered: Vec::new(),
        problem: a.form.error.as_ref().map(|e| e.to_string()),
        expires_at: None,
    };
    if let Some(e) = &a.form.error {
        findings.push(Finding::new(
            Code::FormMalformed,
            format!("the multipart/form-data body could not be read to its end: {e}"),
        ));
    }
    let Some(b64) = &a.policy else {
        return view;
    };
    let p = match policy::decode(b64) {
        Ok(p) => p,
        Err((json, e)) => {
            view.policy = json;
            findings.push(Finding::new(Code::PolicyMalformed, e.to_string()));
            view.problem = view.problem.or(Some(e.to_string()));
            return view;
        }
    };
    let bucket = bucket(req).or_else(|| field(&a.fields, "bucket").map(str::to_string));
    let inputs = policy::Inputs {
        fields: &a.fields,
        bucket: bucket.as_deref(),
        filename: view.file.as_ref().and_then(|f| f.filename.as_deref()),
        file_len: view.file.as_ref().map(|f| f.length),
        sigv2: a.version == Version::Sigv2,
    };
    let (conditions, uncovered) = policy::check(&p, &inputs);
    // The session token the policy names (botocore and boto 2 add it as a condition) is shown
    // masked, as everywhere else.
    let hide = |s: String| match a.session_token.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => s.replace(t, &super::secret::mask(t)),
        None => s,
    };
    let conditions: Vec<Checked> = conditions
        .into_iter()
        .map(|c| Checked {
            condition: hide(c.condition),
            says: hide(c.says),
            ..c
        })
        .collect();
    for c in conditions.iter().filter(|c| c.verdict != Met::Met) {
        let code = match c.kind {
            FailKind::Field => Code::PolicyConditionFailed,
            FailKind::Length => Code::PolicyLengthRange,
            FailKind::Malformed => Code::PolicyMalformed,
        };
        let f = Finding::new(
            code,
            format!(
                "policy condition {} fails: {}",
                escape_str(&c.condition),
                c.says
            ),
        );
        // botocore adds the key's starts-with condition again when its Conditions hold it.
        if !findings.contains(&f) {
            findings.push(f);
        }
    }
    if !uncovered.is_empty() {
        findings.push(Finding::new(
            Code::PolicyFieldUncovered,
            format!(
                "form field{} {} named by no policy condition: S3 refuses every field the policy does not cover (except x-amz-signature, file, policy, x-ignore-*{})",
                if uncovered.len() == 1 { "" } else { "s" },
                uncovered.iter().map(|u| format!("`{}`", escape_str(u))).collect::<Vec<_>>().join(", ")
                    + if uncovered.len() == 1 { " is" } else { " are" },
                if a.version == Version::Sigv2 { ", AWSAccessKeyId, signature" } else { "" }
            ),
        ));
    }
    view.policy = Some(hide(p.json));
    view.expiration = Some(p.expiration);
    view.expires_at = Some(p.expires_at);
    view.conditions = conditions;
    view.uncovered = uncovered;
    view
}

/// The signature the secret gives over the policy, and the SigV4 key chain it came from.
pub fn sign(a: &PostAuth, secret: &str, cache: &KeyCache) -> Option<(String, Option<KeyChain>)> {
    let policy = a.policy.as_deref()?;
    match a.version {
        Version::Sigv2 => Some((
            base64::engine::general_purpose::STANDARD
                .encode(crypto::hmac_sha1(secret.as_bytes(), policy)),
            None,
        )),
        Version::Sigv4 => {
            let s = a.scope.as_ref()?;
            let chain = cache.chain(
                secret,
                &KeyScope {
                    signing: Signing::HmacSha256,
                    access_key: a.access_key.as_deref().unwrap_or(""),
                    key_prefix: "AWS4",
                    date: &s.date,
                    region: &s.region,
                    service: &s.service,
                    terminator: &s.terminator,
                },
            );
            let sig = crypto::to_hex(&crypto::hmac_sha256(&chain.k_signing, policy));
            Some((sig, Some(chain)))
        }
    }
}

/// Whether a dialect verifies POST policies: the S3 servers and clients (those with S3
/// SigV2 rules); Keystone's EC2 verifiers have no such request.
fn verifies_post(d: &Dialect) -> bool {
    d.sigv2.is_some()
}

/// Every dialect's result: the same string to sign (the policy), the same signature, and the
/// policy's first refusal.
pub fn analyze(a: &PostAuth, view: &View, signature: Option<&str>) -> Vec<DialectResult> {
    let sts = bytes::Bytes::from(a.policy.clone().unwrap_or_default());
    let claimed = a.signature.as_deref().unwrap_or("");
    let refusal = view.refusal().map(Rejection::PostPolicy);
    dialect::ALL
        .iter()
        .map(|d| {
            if !verifies_post(d) {
                return super::unsupported(d, "post-policy");
            }
            let mut r = DialectResult::string_signed(
                d.name,
                sts.clone(),
                signature.map(str::to_string),
                claimed,
            );
            r.rejects = refusal.clone();
            r
        })
        .collect()
}

/// With the time the request was seen: the policy's expiry.
pub fn expiry(a: &mut super::Analysis, now: time::OffsetDateTime) {
    let Some(v) = a.post_policy.as_mut() else {
        return;
    };
    let Some(at) = v.expires_at else {
        return;
    };
    let expired = at <= now;
    v.expired = Some(expired);
    if expired && !a.findings.iter().any(|f| f.code == Code::PolicyExpired) {
        a.findings.push(Finding::new(
            Code::PolicyExpired,
            format!(
                "the policy expired at {} and the upload came at {}",
                super::time::format_rfc3339(at),
                super::time::format_rfc3339(now)
            ),
        ));
    }
}

#[cfg(test)]
mod tests;

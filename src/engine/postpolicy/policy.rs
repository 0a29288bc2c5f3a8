//! The POST policy document: base64 JSON with an `expiration` and a list of `conditions`,
//! each checked against the form's fields.
//!
//! Rules, and where they are read:
//! - AWS, "Creating a POST policy" (sigv4-HTTPPOSTConstructPolicy): the condition forms
//!   (`{"field": "v"}` = `["eq", "$field", "v"]`, `starts-with`, `content-length-range`), that
//!   `${filename}` in `key` is replaced by the file's name, and that every form field except
//!   `x-amz-signature`, `file`, `policy` and `x-ignore-*` must be named by a condition.
//! - MinIO `cmd/postpolicyform.go` (parsePostPolicyForm, checkPostPolicy at 7aac2a2): operators
//!   and field names compared case-insensitively, a missing field read as the empty string,
//!   `starts-with` refused on `$bucket`, `$x-amz-algorithm`, `$x-amz-credential`,
//!   `$x-amz-date`; SigV2's `AWSAccessKeyId` and `signature` exempt from the coverage rule.
//! - Ceph RGW `src/rgw/rgw_policy_s3.cc` (RGWPolicy::from_json, add_condition, check): a
//!   condition array has exactly three elements, a policy without `expiration` or
//!   `conditions` is refused, field names are case-insensitive (`ltstr_nocase`).

use base64::Engine;
use serde::Serialize;

/// Why the policy could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy field is not base64")]
    NotBase64,
    #[error("the decoded policy is not JSON: {0}")]
    NotJson(String),
    #[error("the decoded policy is not a JSON object")]
    NotObject,
    #[error("the policy has no expiration")]
    NoExpiration,
    #[error("the policy's expiration `{}` is not an ISO 8601 date", crate::escape::escape_str(.0))]
    BadExpiration(String),
    #[error("the policy has no conditions list")]
    NoConditions,
}

/// How a condition compares a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Eq,
    StartsWith,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::StartsWith => "starts-with",
        }
    }
}

/// One condition of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// A field compared with a value; `field` in lower case, without its `$`.
    Match {
        op: Op,
        field: String,
        value: String,
    },
    /// The file's length in bytes, bounds included.
    LengthRange { min: i64, max: i64 },
    /// Not a condition S3 reads: the JSON as written, and why.
    Malformed { json: String, why: String },
}

impl Condition {
    /// The condition as S3 quotes it in `Policy Condition failed: [...]`.
    pub fn quoted(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        match self {
            Condition::Match { op, field, value } => {
                format!(
                    "[{}, {}, {}]",
                    q(op.as_str()),
                    q(&format!("${field}")),
                    q(value)
                )
            }
            Condition::LengthRange { min, max } => {
                format!("[\"content-length-range\", {min}, {max}]")
            }
            Condition::Malformed { json, .. } => json.clone(),
        }
    }
}

/// The decoded policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The JSON as decoded (for display; lossily UTF-8).
    pub json: String,
    pub expiration: String,
    pub expires_at: time::OffsetDateTime,
    pub conditions: Vec<Condition>,
}

/// Decodes the `policy` field's base64 and reads its JSON.
pub fn decode(b64: &[u8]) -> Result<Policy, (Option<String>, PolicyError)> {
    let compact: Vec<u8> = b64
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| (None, PolicyError::NotBase64))?;
    let json = crate::http::text(&raw).into_owned();
    let fail = |e| Err((Some(json.clone()), e));
    let v: serde_json::Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => return fail(PolicyError::NotJson(e.to_string())),
    };
    let Some(obj) = v.as_object() else {
        return fail(PolicyError::NotObject);
    };
    let Some(exp) = obj.get("expiration").and_then(|e| e.as_str()) else {
        return fail(PolicyError::NoExpiration);
    };
    let Some(expires_at) = crate::engine::time::parse_iso(exp) else {
        return fail(PolicyError::BadExpiration(exp.to_string()));
    };
    let Some(list) = obj.get("conditions").and_then(|c| c.as_array()) else {
        return fail(PolicyError::NoConditions);
    };
    let conditions = list.iter().flat_map(conditions_of).collect();
    Ok(Policy {
        json,
        expiration: exp.to_string(),
        expires_at,
        conditions,
    })
}

/// The conditions one element of `conditions` states (an object may state several).
fn conditions_of(v: &serde_json::Value) -> Vec<Condition> {
    let malformed = |why: &str| Condition::Malformed {
        json: v.to_string(),
        why: why.to_string(),
    };
    match v {
        serde_json::Value::Object(o) if !o.is_empty() => o
            .iter()
            .map(|(k, val)| match val.as_str() {
                Some(s) => Condition::Match {
                    op: Op::Eq,
                    field: k.to_ascii_lowercase(),
                    value: s.to_string(),
                },
                None => malformed("its value is not a string"),
            })
            .collect(),
        serde_json::Value::Array(a) if a.len() == 3 => {
            let op = a[0].as_str().map(str::to_ascii_lowercase);
            match op.as_deref() {
                Some("content-length-range") => match (number(&a[1]), number(&a[2])) {
                    (Some(min), Some(max)) => vec![Condition::LengthRange { min, max }],
                    _ => vec![malformed("its bounds are not integers")],
                },
                Some(op @ ("eq" | "starts-with")) => {
                    let op = if op == "eq" { Op::Eq } else { Op::StartsWith };
                    match (a[1].as_str(), a[2].as_str()) {
                        (Some(f), Some(value)) => match f.strip_prefix('$') {
                            Some(field) => vec![Condition::Match {
                                op,
                                field: field.to_ascii_lowercase(),
                                value: value.to_string(),
                            }],
                            None => vec![malformed("its field does not start with `$`")],
                        },
                        _ => vec![malformed("its field and value are not strings")],
                    }
                }
                _ => vec![malformed(
                    "its operator is not eq, starts-with or content-length-range",
                )],
            }
        }
        serde_json::Value::Array(_) => vec![malformed("a condition list has three elements")],
        _ => vec![malformed("a condition is an object or a list")],
    }
}

fn number(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// What the conditions are checked against.
pub struct Inputs<'a> {
    /// The form fields S3 reads (the parts before the file), names as sent.
    pub fields: &'a [(String, String)],
    /// The bucket the form is posted to (from the URL), else its `bucket` field.
    pub bucket: Option<&'a str>,
    /// The file part's name and length.
    pub filename: Option<&'a str>,
    pub file_len: Option<u64>,
    /// SigV2 form: `AWSAccessKeyId` and `signature` need no condition.
    pub sigv2: bool,
}

/// A condition's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Met {
    Met,
    Failed,
    Malformed,
}

/// How each kind of failure is told apart (one finding code each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailKind {
    /// eq/starts-with on a field.
    Field,
    /// The file's length outside content-length-range.
    Length,
    /// A condition S3 does not read.
    Malformed,
}

/// One condition and its verdict, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// As S3 quotes it: `["starts-with", "$key", "uploads/"]`.
    pub condition: String,
    pub verdict: Met,
    pub says: String,
    #[serde(skip)]
    pub kind: FailKind,
}

/// `starts-with` is not accepted on these (MinIO's `startsWithConds`, postpolicyform.go).
const NO_STARTS_WITH: &[&str] = &[
    "bucket",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
];

/// Fields every form may carry without a condition (AWS; MinIO's `keyInPolicyExceptions`).
fn exempt(name: &str, sigv2: bool) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "x-amz-signature" | "file" | "policy")
        || n.starts_with("x-ignore-")
        || (sigv2 && matches!(n.as_str(), "awsaccesskeyid" | "signature"))
}

impl Inputs<'_> {
    /// A field's value as S3 compares it: the last of that name (case-insensitive), the
    /// empty string when absent; `bucket` from the URL; `${filename}` substituted in `key`.
    fn value(&self, field: &str) -> Option<String> {
        if field == "bucket" {
            if let Some(b) = self.bucket {
                return Some(b.to_string());
            }
        }
        let v = self
            .fields
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.clone())?;
        if field == "key" {
            if let Some(f) = self.filename {
                return Some(v.replace("${filename}", f));
            }
        }
        Some(v)
    }
}

/// Each condition's verdict, and the fields no condition names.
pub fn check(p: &Policy, i: &Inputs) -> (Vec<Checked>, Vec<String>) {
    let shown = |s: &str| crate::escape::escape_str(s);
    let checked = p
        .conditions
        .iter()
        .map(|c| {
            let (verdict, says, kind) = match c {
                Condition::Malformed { why, .. } => (
                    Met::Malformed,
                    format!("not a condition S3 reads: {why}"),
                    FailKind::Malformed,
                ),
                Condition::LengthRange { min, max } => match i.file_len {
                    Some(n) if (*min..=*max).contains(&i64::try_from(n).unwrap_or(i64::MAX)) => (
                        Met::Met,
                        format!("the file's {n} bytes are within {min} to {max}"),
                        FailKind::Length,
                    ),
                    Some(n) => (
                        Met::Failed,
                        format!(
                            "the file is {n} bytes, {} the range {min} to {max}",
                            if i64::try_from(n).unwrap_or(i64::MAX) > *max {
                                "above"
                            } else {
                                "below"
                            }
                        ),
                        FailKind::Length,
                    ),
                    None => (
                        Met::Failed,
                        "the form has no file part to measure".to_string(),
                        FailKind::Length,
                    ),
                },
                Condition::Match { op, field, value } => {
                    let got = i.value(field);
                    let have = got.as_deref().unwrap_or("");
                    let (ok, why) = match op {
                        Op::StartsWith if NO_STARTS_WITH.contains(&field.as_str()) => {
                            (false, format!("starts-with is not allowed on ${field}"))
                        }
                        Op::Eq => (have == value, String::new()),
                        Op::StartsWith => (have.starts_with(value.as_str()), String::new()),
                    };
                    let said = match &got {
                        Some(v) => format!("`{}`", shown(v)),
                        None => "absent (read as empty)".to_string(),
                    };
                    let says = if !why.is_empty() {
                        why
                    } else if ok {
                        format!("{field} is {said}")
                    } else {
                        match op {
                            Op::Eq => format!("{field} is {said}, not `{}`", shown(value)),
                            Op::StartsWith => {
                                format!(
                                    "{field} is {said}, which does not start with `{}`",
                                    shown(value)
                                )
                            }
                        }
                    };
                    (
                        if ok { Met::Met } else { Met::Failed },
                        says,
                        FailKind::Field,
                    )
                }
            };
            Checked {
                condition: c.quoted(),
                verdict,
                says,
                kind,
            }
        })
        .collect();
    let named: Vec<&str> = p
        .conditions
        .iter()
        .filter_map(|c| match c {
            Condition::Match { field, .. } => Some(field.as_str()),
            _ => None,
        })
        .collect();
    let mut uncovered: Vec<String> = Vec::new();
    for (n, _) in i.fields {
        let covered = named.iter().any(|f| f.eq_ignore_ascii_case(n));
        if !covered && !exempt(n, i.sigv2) && !uncovered.iter().any(|u| u.eq_ignore_ascii_case(n)) {
            uncovered.push(n.clone());
        }
    }
    (checked, uncovered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(s)
            .into_bytes()
    }

    fn fields(f: &[(&str, &str)]) -> Vec<(String, String)> {
        f.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    const DOC: &str = r#"{"expiration": "2026-12-08T01:00:00Z", "conditions": [
        {"bucket": "bk"}, ["starts-with", "$key", "up/"], ["content-length-range", 1, "10"],
        ["eq", "$Content-Type", "text/plain"], {"x-amz-meta-a": "1"}, ["starts-with", "$bucket", ""],
        ["in", "$key", "x"], ["eq", "key"]]}"#;

    #[test]
    fn decodes_every_condition_form() {
        let p = decode(&b64(DOC)).unwrap();
        assert_eq!(p.expiration, "2026-12-08T01:00:00Z");
        let q: Vec<String> = p.conditions.iter().map(Condition::quoted).collect();
        assert_eq!(
            q,
            [
                r#"["eq", "$bucket", "bk"]"#,
                r#"["starts-with", "$key", "up/"]"#,
                r#"["content-length-range", 1, 10]"#,
                r#"["eq", "$content-type", "text/plain"]"#,
                r#"["eq", "$x-amz-meta-a", "1"]"#,
                r#"["starts-with", "$bucket", ""]"#,
                r#"["in","$key","x"]"#,
                r#"["eq","key"]"#,
            ]
        );
    }

    #[test]
    fn policy_faults() {
        assert_eq!(decode(b"%%%").unwrap_err().1, PolicyError::NotBase64);
        assert!(matches!(
            decode(&b64("{")).unwrap_err().1,
            PolicyError::NotJson(_)
        ));
        assert_eq!(decode(&b64("[]")).unwrap_err().1, PolicyError::NotObject);
        assert_eq!(
            decode(&b64("{\"conditions\":[]}")).unwrap_err().1,
            PolicyError::NoExpiration
        );
        assert_eq!(
            decode(&b64("{\"expiration\":\"soon\",\"conditions\":[]}"))
                .unwrap_err()
                .1,
            PolicyError::BadExpiration("soon".into())
        );
        assert_eq!(
            decode(&b64("{\"expiration\":\"2026-01-01T00:00:00.000Z\"}"))
                .unwrap_err()
                .1,
            PolicyError::NoConditions
        );
    }

    #[test]
    fn each_condition_is_judged() {
        let p = decode(&b64(DOC)).unwrap();
        let f = fields(&[
            ("key", "up/${filename}"),
            ("content-type", "text/plain"),
            ("x-amz-meta-a", "2"),
            ("X-Ignore-me", "x"),
            ("extra", "y"),
        ]);
        let i = Inputs {
            fields: &f,
            bucket: Some("bk"),
            filename: Some("f.txt"),
            file_len: Some(11),
            sigv2: false,
        };
        let (c, uncovered) = check(&p, &i);
        let v: Vec<Met> = c.iter().map(|c| c.verdict).collect();
        use Met::{Failed, Malformed};
        assert_eq!(
            v,
            [
                Met::Met,
                Met::Met,
                Failed,
                Met::Met,
                Failed,
                Failed,
                Malformed,
                Malformed
            ]
        );
        assert_eq!(c[1].says, "key is `up/f.txt`");
        assert_eq!(c[2].says, "the file is 11 bytes, above the range 1 to 10");
        assert_eq!(c[4].says, "x-amz-meta-a is `2`, not `1`");
        assert_eq!(c[5].says, "starts-with is not allowed on $bucket");
        assert_eq!(uncovered, ["extra"]);
        // Another file name, a smaller file, another bucket.
        let i = Inputs {
            filename: Some("../x"),
            file_len: Some(0),
            bucket: Some("other"),
            ..i
        };
        let (c, _) = check(&p, &i);
        assert_eq!(c[0].says, "bucket is `other`, not `bk`");
        assert_eq!(c[1].verdict, Met::Met);
        assert_eq!(c[2].says, "the file is 0 bytes, below the range 1 to 10");
    }

    #[test]
    fn sigv2_fields_are_exempt_only_in_sigv2() {
        let p = decode(&b64(
            r#"{"expiration":"2026-01-01T00:00:00Z","conditions":[]}"#,
        ))
        .unwrap();
        let f = fields(&[
            ("AWSAccessKeyId", "a"),
            ("signature", "s"),
            ("Policy", "p"),
            ("x-amz-signature", "s"),
        ]);
        let mut i = Inputs {
            fields: &f,
            bucket: None,
            filename: None,
            file_len: None,
            sigv2: true,
        };
        assert!(check(&p, &i).1.is_empty());
        i.sigv2 = false;
        assert_eq!(check(&p, &i).1, ["AWSAccessKeyId", "signature"]);
    }
}

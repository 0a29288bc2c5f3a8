//! Browser-upload forms from real clients (issue 15): botocore's `generate_presigned_post`
//! (SigV4, and SigV2 when no signature version is configured) and boto 2's
//! `build_post_form_args` (SigV2), posted by `requests` (and three by `curl -F`) and saved by
//! `sigscope listen`
//! (`tests/vectors/postpolicy`, generator in its `gen/`). The manifest says, per case, what
//! S3 answers and which condition the case breaks: written by hand from S3's documentation,
//! not read from sigscope. Each case is verified here, and the endpoint's answer decided
//! again from the capture.

use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::Observed;
use sigscope::engine::postpolicy::{Met, Version};
use sigscope::engine::{analyze_observed, Analysis, Code, KeyCache, Mode, Verdict};
use sigscope::exchange::Exchange;
use sigscope::live::respond::{answer, Policy};

use crate::support::{load, root, verifier};

const DIR: &str = "tests/vectors/postpolicy";

fn manifest() -> Vec<serde_json::Value> {
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join(DIR).join("forms.json")).unwrap(),
    )
    .unwrap();
    m["cases"].as_array().unwrap().clone()
}

fn creds() -> Credentials {
    Credentials::parse(&std::fs::read_to_string(root().join(DIR).join("credentials")).unwrap())
}

fn exchanges() -> Vec<Exchange> {
    load(root().join(DIR).join("forms.pcapng"))
}

pub fn analyse(x: &Exchange, creds: &Credentials) -> Analysis {
    let cache = KeyCache::default();
    let v = verifier(creds, "aws", &cache);
    analyze_observed(
        &Observed {
            request: &x.request,
            response: x.response.as_ref(),
            time: x.time,
            context: Default::default(),
        },
        &v,
    )
}

fn codes(a: &Analysis) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

const POLICY_CODES: [&str; 6] = [
    "policy-expired",
    "policy-condition-failed",
    "policy-length-range",
    "policy-field-uncovered",
    "policy-malformed",
    "form-malformed",
];

#[test]
fn every_real_form_is_judged_as_s3_would() {
    let cases = manifest();
    let xs = exchanges();
    assert_eq!(xs.len(), cases.len(), "one exchange per case");
    let creds = creds();
    for (x, c) in xs.iter().zip(&cases) {
        let name = c["case"].as_str().unwrap();
        let a = analyse(x, &creds);
        assert_eq!(a.auth.mode, Mode::PostPolicy, "{name}");
        let view = a.post_policy.as_deref().unwrap();
        let v4 = c["signature_version"] == "sigv4";
        assert_eq!(
            view.signature_version,
            if v4 { Version::Sigv4 } else { Version::Sigv2 },
            "{name}"
        );
        assert_eq!(
            a.signing_key.is_some(),
            v4,
            "{name}: SigV4 derives the scope's key"
        );
        assert_eq!(
            view.file.as_ref().unwrap().length,
            c["file_length"].as_u64().unwrap(),
            "{name}"
        );
        let tampered = name.ends_with("tampered-policy");
        // The signature verifies unless the policy was changed after signing.
        assert_eq!(
            a.dialect("aws").unwrap().matches,
            Some(!tampered),
            "{name}: {:?}",
            a.findings
        );
        let want_valid =
            name.ends_with("-valid") || name == "v4-session-token" || name == "v4-expired";
        assert_eq!(
            a.verdict,
            if want_valid {
                Verdict::Valid
            } else {
                Verdict::Invalid
            },
            "{name}: {:?}",
            a.findings
        );
        let got = codes(&a);
        match c["expect_finding"].as_str() {
            Some(f) => assert!(got.contains(&f), "{name}: {f} not in {got:?}"),
            None => assert!(
                !got.iter().any(|g| POLICY_CODES.contains(g)),
                "{name}: no policy failure expected, got {got:?}"
            ),
        }
        // The condition S3 names is the one marked failed.
        if let Some(m) = c["expect_message"].as_str() {
            if let Some(cond) = m.split("Policy Condition failed: ").nth(1) {
                let failed: Vec<&str> = view
                    .conditions
                    .iter()
                    .filter(|c| c.verdict == Met::Failed)
                    .map(|c| c.condition.as_str())
                    .collect();
                assert!(failed.contains(&cond), "{name}: {cond} not in {failed:?}");
            }
        }
        if tampered {
            assert!(
                view.conditions.iter().all(|c| c.verdict == Met::Met),
                "{name}"
            );
        }
        // The endpoint's answer, decided again at the capture's time: S3's status and code.
        let ans = answer(&a, &x.request, &Policy::default(), x.time.unwrap(), "RID");
        assert_eq!(
            ans.status as u64,
            c["expect_status"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(ans.code, c["expect_code"].as_str(), "{name}");
        if let Some(m) = c["expect_message"].as_str() {
            let e = sigscope::engine::server_error::parse(&sigscope::http::Response {
                status: ans.status,
                body: ans.body.clone(),
                ..Default::default()
            })
            .unwrap();
            let said = e.message.unwrap_or_default();
            assert!(said.contains(m), "{name}: {said}");
        }
    }
}

#[test]
fn session_token_is_masked_in_every_view() {
    let creds = creds();
    let cases = manifest();
    let i = cases
        .iter()
        .position(|c| c["case"] == "v4-session-token")
        .unwrap();
    let x = &exchanges()[i];
    let a = analyse(x, &creds);
    let token = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN";
    let view = a.post_policy.as_deref().unwrap();
    let (_, shown) = view
        .fields
        .iter()
        .find(|(n, _)| n == "x-amz-security-token")
        .unwrap();
    assert!(!shown.contains(token), "{shown}");
    // The form field, the auth fields, the decoded policy and its conditions: masked. (The
    // base64 policy, the string to sign, still encodes it: it is what is verified.)
    assert!(!serde_json::to_string(&a.auth.fields)
        .unwrap()
        .contains(token));
    let pp = serde_json::to_string(&view).unwrap();
    assert!(!pp.contains(token), "{pp}");
    assert!(pp.contains("x-amz-security-token"), "{pp}");
}

#[test]
fn without_the_secret_conditions_are_still_checked() {
    let cases = manifest();
    let i = cases
        .iter()
        .position(|c| c["case"] == "v4-too-large")
        .unwrap();
    let a = analyse(&exchanges()[i], &Credentials::default());
    assert_eq!(a.verdict, Verdict::Unverified);
    assert!(codes(&a).contains(&"no-secret"));
    assert!(
        codes(&a).contains(&"policy-length-range"),
        "{:?}",
        a.findings
    );
}

/// A case for each post-policy finding code (read by findings.rs).
pub fn post_policy_cases() -> Vec<(&'static str, Analysis)> {
    let creds = creds();
    let cases = manifest();
    let xs = exchanges();
    let by = |n: &str| &xs[cases.iter().position(|c| c["case"] == n).unwrap()];
    let mut out = vec![
        ("policy-expired", analyse(by("v4-expired"), &creds)),
        (
            "policy-condition-failed",
            analyse(by("v4-wrong-key-prefix"), &creds),
        ),
        ("policy-length-range", analyse(by("v4-too-large"), &creds)),
        (
            "policy-field-uncovered",
            analyse(by("v4-extra-field"), &creds),
        ),
    ];
    // The valid form with its policy replaced by base64 of something that is not JSON, and
    // with its body cut inside the file.
    let mut bad = by("v2-valid").clone();
    let body = String::from_utf8_lossy(&bad.request.body).into_owned();
    let start = body.find("name=\"policy\"\r\n\r\n").unwrap() + 17;
    let end = start + body[start..].find("\r\n").unwrap();
    bad.request.body = [&body[..start], "bm90IGpzb24=", &body[end..]]
        .concat()
        .into_bytes();
    out.push(("policy-malformed", analyse(&bad, &creds)));
    let mut cut = by("v2-valid").clone();
    let n = cut.request.body.len();
    cut.request.body.truncate(n - 30);
    out.push(("form-malformed", analyse(&cut, &creds)));
    out
}

#[test]
fn hand_broken_forms_say_why() {
    let cases = post_policy_cases();
    let (_, bad) = &cases[4];
    assert!(bad.findings.iter().any(|f| f.code == Code::PolicyMalformed
        && f.message.starts_with("the decoded policy is not JSON")));
    let (_, cut) = &cases[5];
    assert_eq!(cut.verdict, Verdict::Malformed);
    let ans = answer(
        cut,
        &exchanges()[0].request,
        &Policy::default(),
        time::OffsetDateTime::now_utc(),
        "R",
    );
    assert_eq!((ans.status, ans.code), (400, Some("MalformedPOSTRequest")));
}

//! The oracle property: whatever aws-sigv4 signs, sigscope's `aws` dialect verifies, with a
//! string to sign that gives aws-sigv4's signature under aws-sigv4's own signing key.

use aws_sigv4::sign::v4;
use proptest::prelude::*;

use sigscope::engine::{Analysis, Mode, Verdict};
use sigscope::http::{parse_raw, Message, Request};

use super::cases::{case, Case};
use super::signing::{sign_case, Signed};
use super::{config, lossy, run};

pub(super) fn parse_one(wire: &[u8]) -> Result<Request, String> {
    let p = parse_raw(wire);
    if !p.errors.is_empty() {
        return Err(format!("parse errors: {:?}", p.errors));
    }
    let mut msgs = p.messages.into_iter();
    match (msgs.next(), msgs.next()) {
        (Some(Message::Request(r, _)), None) => Ok(*r),
        (first, second) => Err(format!(
            "expected one request, got {first:?} and {second:?}"
        )),
    }
}

pub(super) fn explain(c: &Case, s: &Signed, a: &Analysis) -> String {
    let aws = a.dialect("aws");
    format!(
        "\n--- wire ---\n{}\n--- aws-sigv4 signature: {}\n--- sigscope verdict {:?}, findings {:?}\n--- sigscope canonical request ---\n{}\n--- sigscope string to sign ---\n{}\n--- rejects: {:?}\n--- case: {c:?}",
        lossy(&s.wire),
        s.signature,
        a.verdict,
        a.findings,
        aws.and_then(|d| d.canonical_request.as_deref())
            .map(lossy)
            .unwrap_or_default(),
        aws.map(|d| lossy(&d.string_to_sign)).unwrap_or_default(),
        aws.and_then(|d| d.rejects.clone()),
    )
}

fn check_signed(c: &Case, s: &Signed) -> Result<(), TestCaseError> {
    let parsed = parse_one(&s.wire).map_err(TestCaseError::fail)?;
    for (label, req) in [("wire", &parsed), ("struct", &s.req)] {
        let a = run(req, &s.keys, "aws");
        let why = || format!("[{label}] {}", explain(c, s, &a));
        let expected_mode = if c.presign.is_some() {
            Mode::Sigv4Query
        } else {
            Mode::Sigv4Header
        };
        prop_assert_eq!(a.auth.mode, expected_mode, "{}", why());
        let d = a.dialect("aws").expect("aws result");
        prop_assert_eq!(d.matches, Some(true), "{}", why());
        prop_assert_eq!(a.verdict, Verdict::Valid, "{}", why());
        prop_assert_eq!(
            d.signature.as_deref(),
            Some(s.signature.as_str()),
            "{}",
            why()
        );
        // sigscope's string to sign under aws-sigv4's own key derivation and HMAC: equal means
        // equal string to sign, hence (SHA-256 inside) byte-identical canonical requests.
        let key = v4::generate_signing_key(&c.secret, s.time, c.region, c.service);
        prop_assert_eq!(
            v4::calculate_signature(key, &d.string_to_sign),
            s.signature.clone(),
            "{}",
            why()
        );
        let appended = a
            .findings
            .iter()
            .any(|f| f.code == "session-token-appended");
        prop_assert_eq!(appended, c.token_excluded, "{}", why());
        prop_assert!(
            !a.findings.iter().any(|f| f.code == "payload-hash-mismatch"),
            "{}",
            why()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn aws_dialect_agrees_with_aws_sigv4(c in case()) {
        let s = sign_case(&c);
        check_signed(&c, &s)?;
    }
}

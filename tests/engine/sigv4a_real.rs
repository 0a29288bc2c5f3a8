//! SigV4A from a real client: botocore 1.43.11 signing through awscrt 0.32.2, captured on the
//! wire (tests/vectors/sigv4a, made by gen/generate.sh; not run by CI). Read through the
//! `sigscope report` binary, so the diagnosis and every output format are the ones users get.
//! And the private scalar of the derived key pair, computed here independently, never appears
//! in any output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use hmac::{Hmac, Mac};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::Value;
use sha2::Sha256;

use crate::support::{bin, root};

const DIR: &str = "tests/vectors/sigv4a";

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(root().join(DIR))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "http"))
        .collect();
    v.sort();
    v
}

fn creds_file(dir: &Path, ak: &str, secret: &str) -> PathBuf {
    let p = dir.join("credentials");
    fs::write(
        &p,
        format!("[default]\naws_access_key_id = {ak}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    p
}

/// `sigscope report` over `inputs`: stdout, stderr.
fn report(creds: &Path, format: &str, extra: &[&str], inputs: &[PathBuf]) -> (String, String) {
    let out = Command::new(bin())
        .arg("report")
        .args(["--credentials", creds.to_str().unwrap(), "--format", format])
        .args(extra)
        .args(inputs)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn lines(json: &str) -> Vec<Value> {
    json.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn botocore_awscrt_requests_verify_and_the_double_encoded_path_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let want_key: Value = serde_json::from_slice(
        &fs::read(
            root().join("tests/vectors/aws-signing-test-suite/v4a/get-vanilla/public-key.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let cases = cases();
    assert_eq!(cases.len(), 6);
    for http in &cases {
        let meta: Value =
            serde_json::from_slice(&fs::read(http.with_extension("json")).unwrap()).unwrap();
        let (ak, sk) = (
            meta["access_key"].as_str().unwrap(),
            meta["secret_key"].as_str().unwrap(),
        );
        let name = meta["case"].as_str().unwrap();
        let good = creds_file(tmp.path(), ak, sk);
        let (out, err) = report(&good, "json", &[], std::slice::from_ref(http));
        let x = &lines(&out)[0];
        assert_eq!(x["auth"]["mode"], meta["mode"], "{name} {err}");
        assert_eq!(x["auth"]["region"], meta["region_set"], "{name}");
        // The suite's credentials, so the suite's public key (not one computed by sigscope).
        assert_eq!(x["public_key"]["x"], want_key["X"], "{name}");
        assert_eq!(x["public_key"]["y"], want_key["Y"], "{name}");
        let codes: Vec<&str> = x["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        if name == "s3-get-object" {
            // botocore's S3 client with signature_version='v4a' signs with the generic
            // CrtSigV4AsymAuth (path encoded twice; the json records the class): invalid
            // under S3's rule, and the rule named.
            assert!(meta["signer"]
                .as_str()
                .unwrap()
                .starts_with("CrtSigV4AsymAuth"));
            assert_eq!(x["verdict"], "invalid", "{name}");
            let f = &x["findings"][0];
            assert_eq!(f["code"], "dialect-mismatch", "{name}: {codes:?}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("the path encoded twice"),
                "{f}"
            );
        } else {
            assert_eq!(x["verdict"], "valid", "{name}: {codes:?}");
            assert!(codes.is_empty(), "{name}: {codes:?}");
        }

        // Another secret: the signature does not verify with its key, and it is said so.
        let wrong = creds_file(tmp.path(), ak, "not-the-secret");
        let (out, _) = report(&wrong, "json", &[], std::slice::from_ref(http));
        let x = &lines(&out)[0];
        assert_eq!(x["verdict"], "invalid", "{name}");
        assert_ne!(x["public_key"]["x"], want_key["X"], "{name}");
        let f = &x["findings"][0];
        assert_eq!(f["code"], "signature-unexplained", "{name}: {f}");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("does not verify with the public key derived"),
            "{f}"
        );
    }
}

/// A flipped byte of a real signature: invalid, with the secret known.
#[test]
fn a_tampered_real_signature_is_invalid() {
    let tmp = tempfile::tempdir().unwrap();
    let http = root().join(DIR).join("service-region-list.http");
    let raw = fs::read_to_string(&http).unwrap();
    let sig = raw.split("Signature=").nth(1).unwrap()[..40].to_string();
    let mut flipped = sig.clone().into_bytes();
    flipped[30] = if flipped[30] == b'a' { b'b' } else { b'a' };
    let bad = tmp.path().join("bad.http");
    fs::write(
        &bad,
        raw.replacen(&sig, std::str::from_utf8(&flipped).unwrap(), 1),
    )
    .unwrap();
    let c = creds_file(
        tmp.path(),
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    let (out, _) = report(&c, "json", &[], &[http, bad]);
    let v = lines(&out);
    assert_eq!(v[0]["verdict"], "valid");
    assert_eq!(v[1]["verdict"], "invalid");
}

/// A real SigV4A request whose X-Amz-Date was moved after signing: the widened search (issue
/// 12 §3) finds the date the client signed, and says by how much, instead of blaming the
/// secret; with another secret, nothing reproduces it and the secret is blamed. Under SigV4A
/// each try is an ECDSA check (`engine/crypto/ecdsa_search.rs` keeps them cheap).
#[test]
fn a_moved_date_is_found_in_a_real_sigv4a_request() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = fs::read_to_string(root().join(DIR).join("s3-put-object.http")).unwrap();
    let signed = "X-Amz-Date: 20261207T205504Z";
    assert!(raw.contains(signed), "the fixture changed");
    let mut inputs = Vec::new();
    for (i, moved) in [
        "X-Amz-Date: 20261207T205611Z",
        "X-Amz-Date: 20261207T205455Z",
    ]
    .iter()
    .enumerate()
    {
        let p = tmp.path().join(format!("moved-{i}.http"));
        fs::write(&p, raw.replacen(signed, moved, 1)).unwrap();
        inputs.push(p);
    }
    let right = creds_file(
        tmp.path(),
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    );
    // One run each: in one run the second would be compared with the first, which carries
    // the same signature (a proxy's two legs).
    for (input, said) in inputs.iter().zip(["1m 7s later", "9s earlier"]) {
        let (out, _) = report(&right, "json", &[], std::slice::from_ref(input));
        let line = &lines(&out)[0];
        assert_eq!(line["verdict"], "invalid");
        let first = &line["findings"][0];
        assert_eq!(first["code"], "request-altered", "{line}");
        let message = first["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
        assert!(message.contains("20261207T205504Z"), "{message}");
    }
    let other_dir = tmp.path().join("other");
    fs::create_dir(&other_dir).unwrap();
    let wrong = creds_file(&other_dir, "AKIDEXAMPLE", "another/secret");
    let (out, _) = report(&wrong, "json", &[], &inputs[..1]);
    assert_eq!(
        lines(&out)[0]["findings"][0]["code"],
        "signature-unexplained"
    );
}

/// The private scalar as AWS derives it (aws-c-auth `source/key_derivation.c`), written
/// here from the specification rather than taken from sigscope, and checked against the
/// suite's public key so that the needle searched for below is the right one.
fn private_scalar(ak: &str, secret: &str) -> [u8; 32] {
    let n_minus_2 =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254f").unwrap();
    for counter in 1u8..=255 {
        let mut mac = Hmac::<Sha256>::new_from_slice(format!("AWS4A{secret}").as_bytes()).unwrap();
        let mut input = vec![0, 0, 0, 1];
        input.extend_from_slice(b"AWS4-ECDSA-P256-SHA256\0");
        input.extend_from_slice(ak.as_bytes());
        input.push(counter);
        input.extend_from_slice(&[0, 0, 1, 0]);
        mac.update(&input);
        let k: [u8; 32] = mac.finalize().into_bytes().into();
        if k.as_slice() > n_minus_2.as_slice() {
            continue;
        }
        // k + 1, big-endian.
        let mut d = k;
        for b in d.iter_mut().rev() {
            let (s, carry) = b.overflowing_add(1);
            *b = s;
            if !carry {
                break;
            }
        }
        return d;
    }
    unreachable!()
}

#[test]
fn the_private_scalar_never_appears_in_any_output() {
    let (ak, sk) = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let d = private_scalar(ak, sk);
    let public = p256::SecretKey::from_bytes(&d.into())
        .unwrap()
        .public_key()
        .to_encoded_point(false);
    let want: Value = serde_json::from_slice(
        &fs::read(
            root().join("tests/vectors/aws-signing-test-suite/v4a/get-vanilla/public-key.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        hex::encode(public.x().unwrap()),
        want["X"].as_str().unwrap()
    );
    let needles = [hex::encode(d), hex::encode_upper(d)];

    let tmp = tempfile::tempdir().unwrap();
    let c = creds_file(tmp.path(), ak, sk);
    let mut inputs = cases();
    for placement in ["header", "query"] {
        inputs.push(root().join(format!(
            "tests/vectors/aws-signing-test-suite/v4a/get-vanilla-with-session-token/{placement}-signed-request.txt"
        )));
    }
    for format in ["json", "text", "markdown", "tsv"] {
        for extra in [&[][..], &["--reveal-derived-keys"][..]] {
            let (out, err) = report(&c, format, extra, &inputs);
            assert!(out.contains("AKIDEXAMPLE"), "{format}: empty report");
            for n in &needles {
                assert!(
                    !out.contains(n.as_str()),
                    "{format} {extra:?}: private scalar"
                );
                assert!(
                    !err.contains(n.as_str()),
                    "{format} {extra:?}: private scalar"
                );
            }
            assert!(!out.contains(sk), "{format} {extra:?}: secret");
        }
    }
}

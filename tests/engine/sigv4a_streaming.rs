//! SigV4A streaming uploads (`STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]`) whose seed,
//! chunk and trailer signatures were made by awscrt 0.32.2's aws-c-auth and captured on the
//! wire (tests/vectors/sigv4a/streaming, made by gen/gen_streaming.py; not run by CI). Read
//! through the `sigscope report` binary.
//!
//! The fixtures hold chunk signatures both shorter than 144 characters (padded with `*` by
//! aws-c-auth) and exactly 144: verifying the chunk after a padded one needs the padding
//! stripped from the previous signature, verifying a padded one needs it stripped from itself.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{bin, root};

const DIR: &str = "tests/vectors/sigv4a/streaming";
const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn creds(dir: &Path, secret: &str) -> PathBuf {
    let p = dir.join(format!("credentials-{}", secret.len()));
    fs::write(
        &p,
        format!("[default]\naws_access_key_id = {AK}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    p
}

/// `sigscope report --format json` of one input: its one line.
fn report(creds: &Path, input: &Path) -> Value {
    let out = Command::new(bin())
        .arg("report")
        .args(["--credentials", creds.to_str().unwrap(), "--format", "json"])
        .arg(input)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().next().expect("one line")).unwrap()
}

fn codes(x: &Value) -> Vec<String> {
    x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The verifier's (aws's) chunk list.
fn chunks(x: &Value) -> Vec<Value> {
    x["dialects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "aws")
        .unwrap()["chunks"]
        .as_array()
        .unwrap()
        .clone()
}

fn case(name: &str) -> PathBuf {
    root().join(DIR).join(format!("{name}.http"))
}

#[test]
fn awscrt_signed_chunks_and_trailer_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let good = creds(tmp.path(), SK);
    for (name, trailer) in [("payload", false), ("payload-trailer", true)] {
        let meta: Value =
            serde_json::from_slice(&fs::read(case(name).with_extension("json")).unwrap()).unwrap();
        let x = report(&good, &case(name));
        assert_eq!(x["auth"]["mode"], "sigv4a-streaming", "{name}");
        assert_eq!(x["verdict"], "valid", "{name}: {:?}", codes(&x));
        let c = chunks(&x);
        // Every data chunk, the final empty chunk, and the trailer when there is one.
        let sizes = meta["chunks"].as_array().unwrap();
        assert_eq!(c.len(), sizes.len() + 1 + usize::from(trailer), "{name}");
        for (i, s) in sizes.iter().enumerate() {
            assert_eq!(c[i]["size"], *s, "{name} chunk {i}");
        }
        assert!(c.iter().all(|c| c["matches"] == true), "{name}: {c:?}");
        assert_eq!(
            c.last().unwrap()["trailer"].as_bool().unwrap_or(false),
            trailer
        );
        // The string to sign is aws-c-auth's (tests/test_chunked_signing.c,
        // s_chunk_sts_pre_signature: region-less scope): the previous signature unpadded.
        let sts = c[1]["string_to_sign"].as_str().unwrap();
        let prev = c[0]["claimed_signature"].as_str().unwrap();
        assert!(
            sts.starts_with("AWS4-ECDSA-P256-SHA256-PAYLOAD\n")
                && sts.contains("/s3/aws4_request\n")
                && sts.contains(&format!("\n{}\n", prev.trim_end_matches('*'))),
            "{sts}"
        );
        if trailer {
            let t = c.last().unwrap()["string_to_sign"].as_str().unwrap();
            assert!(t.starts_with("AWS4-ECDSA-P256-SHA256-TRAILER\n"), "{t}");
        }
        assert!(
            !codes(&x).iter().any(|c| c.contains("checksum")),
            "{name}: {:?}",
            codes(&x)
        );

        // Another secret: the seed, every chunk and the trailer fail.
        let wrong = creds(tmp.path(), "not-the-secret");
        let x = report(&wrong, &case(name));
        assert_eq!(x["verdict"], "invalid", "{name}");
        assert!(chunks(&x).iter().all(|c| c["matches"] == false), "{name}");
        assert!(codes(&x).contains(&"chunk-signature-mismatch".to_string()));
        if trailer {
            assert!(codes(&x).contains(&"trailer-signature-mismatch".to_string()));
        }
    }
}

/// A data byte changed after aws-c-auth signed (by the generator, before sending): that chunk,
/// and only that one, fails, and the finding says it does not verify with the key.
#[test]
fn a_tampered_chunk_fails_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let x = report(&creds(tmp.path(), SK), &case("tampered-chunk"));
    assert_eq!(x["verdict"], "invalid");
    let m: Vec<bool> = chunks(&x)
        .iter()
        .map(|c| c["matches"].as_bool().unwrap())
        .collect();
    assert_eq!(m, [false, true, true]);
    let f = x["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "chunk-signature-mismatch")
        .unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.starts_with("chunk 0 (65536 bytes)") && msg.contains("does not verify"),
        "{msg}"
    );
}

/// The trailer's checksum changed after signing: its signature fails, and the checksum too.
#[test]
fn a_tampered_trailer_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = fs::read(case("payload-trailer")).unwrap();
    let at = raw
        .windows(21)
        .position(|w| w == b"x-amz-checksum-crc32:")
        .unwrap()
        + 21;
    let mut bad = raw.clone();
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    let p = tmp.path().join("bad.http");
    fs::write(&p, bad).unwrap();
    let x = report(&creds(tmp.path(), SK), &p);
    assert_eq!(x["verdict"], "invalid");
    let c = chunks(&x);
    assert!(c[..c.len() - 1].iter().all(|c| c["matches"] == true));
    assert_eq!(c.last().unwrap()["matches"], false);
    let codes = codes(&x);
    assert!(
        codes.contains(&"trailer-signature-mismatch".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"checksum-mismatch".to_string()),
        "{codes:?}"
    );
}

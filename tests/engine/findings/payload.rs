//! Provoking cases for the payload codes of issue 14: aws-chunked framing with trailers,
//! x-amz-decoded-content-length, the trailer signature, flexible checksums, presigned checksums.

use super::*;

/// A botocore-shaped `STREAMING-UNSIGNED-PAYLOAD-TRAILER` PUT of `hello` with a CRC32 trailer
/// (`NhCmhg==`, Python's `zlib.crc32(b"hello")`), `extra` headers added, signed under aws.
pub(super) fn unsigned_trailer(extra: &str, body: &str) -> Request {
    // Every header sent is signed, as botocore does.
    let mut names: Vec<String> = [
        "content-encoding",
        "host",
        "x-amz-content-sha256",
        "x-amz-date",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(
        extra
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(n, _)| n.to_ascii_lowercase()),
    )
    .collect();
    names.sort();
    let raw = format!(
        "PUT /b/k HTTP/1.1\r\nHost: s3.amazonaws.com\r\nX-Amz-Date: 20150830T123600Z\r\nContent-Encoding: aws-chunked\r\nx-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n{extra}Content-Length: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders={}, Signature=0\r\n\r\n{body}",
        body.len(),
        names.join(";")
    );
    signed(req(&raw), "aws")
}

pub(super) const HELLO: &str = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";

pub(super) fn payload_cases() -> Cases {
    let ok_headers = "x-amz-trailer: x-amz-checksum-crc32\r\nx-amz-decoded-content-length: 5\r\n";
    let mut cases: Cases = vec![
        (
            "decoded-length-mismatch",
            run_full(
                &unsigned_trailer(
                    "x-amz-trailer: x-amz-checksum-crc32\r\nx-amz-decoded-content-length: 6\r\n",
                    HELLO,
                ),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
        (
            "trailer-undeclared",
            run_full(
                &unsigned_trailer("x-amz-decoded-content-length: 5\r\n", HELLO),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
        (
            "checksum-mismatch",
            run_full(
                &unsigned_trailer(ok_headers, &HELLO.replace("hello", "jello")),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
        (
            "checksum-absent",
            run_full(
                &signed(
                    req(&GET.replace(
                        "Host: s3",
                        "x-amz-sdk-checksum-algorithm: CRC32\r\nHost: s3",
                    )),
                    "aws",
                ),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
        (
            "presigned-checksum",
            run_full(
                &req("PUT /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32&X-Amz-Signature=0 HTTP/1.1\r\nHost: s3.amazonaws.com\r\nContent-Length: 5\r\n\r\nhello"),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
    ];
    let ok = unsigned_trailer(ok_headers, HELLO);
    let refused = resp(400, &s3_error("XAmzContentSHA256Mismatch", ""));
    cases.push((
        "payload-mode-unsupported",
        run_full(&ok, Some(&refused), None, Some(SK), "aws"),
    ));
    let mut stored = resp(200, HELLO);
    stored.headers = vec![Header::new("Content-Type", "binary/octet-stream")];
    cases.push((
        "aws-chunked-stored",
        run_full(
            &signed(req(GET), "aws"),
            Some(&stored),
            None,
            Some(SK),
            "aws",
        ),
    ));
    let mut changed = resp(200, "hellO");
    changed.headers = vec![Header::new("x-amz-checksum-crc32", "NhCmhg==")];
    cases.push((
        "response-checksum-mismatch",
        run_full(
            &signed(req(GET), "aws"),
            Some(&changed),
            None,
            Some(SK),
            "aws",
        ),
    ));
    // The AWS documentation's trailer example with its trailer changed after signing.
    let raw =
        fs::read(root().join("tests/vectors/aws-docs/s3-sigv4-chunked-trailer.http")).unwrap();
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("sOO8/Q==", "sOO8/Q=A");
    let docs = Credentials::parse("[d]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    let cache = KeyCache::default();
    let v = verifier(&docs, "aws", &cache);
    cases.push(("trailer-signature-mismatch", analyze(&req(&raw), &v)));
    cases.push((
        "multipart-checksum-mismatch",
        multipart_listing_another_checksum(),
    ));
    cases
}

/// The clean unsigned-trailer request raises nothing, and each mutation only its own code.
#[test]
fn the_clean_trailer_upload_is_clean_and_each_mutation_names_itself() {
    let ok = "x-amz-trailer: x-amz-checksum-crc32\r\nx-amz-decoded-content-length: 5\r\n";
    let a = run_full(&unsigned_trailer(ok, HELLO), None, None, Some(SK), "aws");
    assert_eq!(
        a.verdict,
        sigscope::engine::Verdict::Valid,
        "{:?}",
        a.findings
    );
    assert!(codes(&a).is_empty(), "{:?}", a.findings);
    let cases = payload_cases();
    for (code, a) in &cases[..3] {
        assert_eq!(codes(a), BTreeSet::from([*code]), "{:?}", a.findings);
        // The signature is right: the body is what fails, and the mark says so.
        assert_eq!(a.verdict, sigscope::engine::Verdict::Valid);
        assert!(!a.body_mismatch.is_empty(), "{code}");
    }
    let presigned = &cases[4].1;
    let msg = &presigned
        .findings
        .iter()
        .find(|f| f.code == "presigned-checksum")
        .unwrap()
        .message;
    assert!(msg.contains("the CRC32 of an empty body"), "{msg}");
    // The empty-body CRC32 against a 5-byte upload: a mismatch as well.
    assert!(codes(presigned).contains("checksum-mismatch"));
}

/// The diagnosis names an unread payload mode only where the answer says so, and a stored
/// framing only where the object read back is one.
#[test]
fn unread_modes_and_stored_framing_need_their_evidence() {
    let ok = "x-amz-trailer: x-amz-checksum-crc32\r\nx-amz-decoded-content-length: 5\r\n";
    let upload = unsigned_trailer(ok, HELLO);
    let cases = payload_cases();
    let (_, refused) = cases
        .iter()
        .find(|(c, _)| *c == "payload-mode-unsupported")
        .unwrap();
    let msg = &refused
        .findings
        .iter()
        .find(|f| f.code == "payload-mode-unsupported")
        .unwrap()
        .message;
    for words in [
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "the trailer x-amz-checksum-crc32",
        "400 XAmzContentSHA256Mismatch",
        "AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
        "requestChecksumCalculation",
    ] {
        assert!(msg.contains(words), "{words}: {msg}");
    }
    // A refusal for the signature is not about the payload mode.
    let sig = resp(403, &s3_error("SignatureDoesNotMatch", ""));
    let a = run_full(&upload, Some(&sig), None, Some(SK), "aws");
    assert!(!codes(&a).contains("payload-mode-unsupported"));
    // A plain PUT refused InvalidArgument is not either, unless the message names a checksum.
    let put = signed(
        req(&GET.replace("GET /b/k", "PUT /b/k").replace(
            "Host: s3",
            "x-amz-sdk-checksum-algorithm: CRC32\r\nx-amz-checksum-crc32: AAAAAA==\r\nHost: s3",
        )),
        "aws",
    );
    let generic = resp(400, &s3_error("InvalidArgument", ""));
    let a = run_full(&put, Some(&generic), None, Some(SK), "aws");
    assert!(
        !codes(&a).contains("payload-mode-unsupported"),
        "{:?}",
        a.findings
    );
    let named = resp(
        400,
        "<Error><Code>InvalidArgument</Code><Message>Unsupported header &apos;x-amz-sdk-checksum-algorithm&apos; received for this API call.</Message></Error>",
    );
    let a = run_full(&put, Some(&named), None, Some(SK), "aws");
    assert!(
        codes(&a).contains("payload-mode-unsupported"),
        "{:?}",
        a.findings
    );
    // An object that merely starts with hex digits is not framing.
    let plain = resp(200, "cafe\r\nnot a chunk\r\n");
    let a = run_full(
        &signed(req(GET), "aws"),
        Some(&plain),
        None,
        Some(SK),
        "aws",
    );
    assert!(
        !codes(&a).contains("aws-chunked-stored"),
        "{:?}",
        a.findings
    );
}

/// A response's checksum is checked only where it is the body's own.
#[test]
fn response_checksums_are_checked_where_they_describe_the_body() {
    let get = signed(req(GET), "aws");
    let with = |status, body: &str, headers: &[(&str, &str)]| {
        let mut r = resp(status, body);
        r.headers = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
        codes(&run_full(&get, Some(&r), None, Some(SK), "aws"))
    };
    let crc = ("x-amz-checksum-crc32", "NhCmhg==");
    assert!(with(200, "hello", &[crc]).is_empty());
    assert!(with(200, "hellO", &[crc]).contains("response-checksum-mismatch"));
    // A composite checksum of a multipart object, a range, a body cut short: not the body's.
    assert!(with(200, "hellO", &[("x-amz-checksum-crc32", "NhCmhg==-3")]).is_empty());
    assert!(with(200, "hellO", &[crc, ("x-amz-checksum-type", "COMPOSITE")]).is_empty());
    assert!(with(206, "hellO", &[crc]).is_empty());
    assert!(with(200, "hell", &[crc, ("Content-Length", "5")]).is_empty());
}

/// CompleteMultipartUpload's x-amz-checksum-* is the whole object's, not its XML body's.
#[test]
fn complete_multipart_checksum_is_the_objects() {
    let post = signed(
        req(&GET
            .replace("GET /b/k", "POST /b/k?uploadId=abc")
            .replace("Host: s3", "x-amz-checksum-crc32: NhCmhg==\r\nHost: s3")
            .replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\n<xml>")),
        "aws",
    );
    let a = run_full(&post, None, None, Some(SK), "aws");
    assert!(!codes(&a).contains("checksum-mismatch"), "{:?}", a.findings);
    // The same header on a PUT describes its body.
    let put = signed(
        req(&GET
            .replace("GET /b/k", "PUT /b/k")
            .replace("Host: s3", "x-amz-checksum-crc32: NhCmhg==\r\nHost: s3")
            .replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\n<xml>")),
        "aws",
    );
    let a = run_full(&put, None, None, Some(SK), "aws");
    assert!(codes(&a).contains("checksum-mismatch"), "{:?}", a.findings);
}

/// UploadPart 1 sent with the CRC32 of `hello`, then a CompleteMultipartUpload listing part 1
/// with another CRC32: the capture context links them.
fn multipart_listing_another_checksum() -> Analysis {
    let mut part = unsigned_trailer(
        "x-amz-trailer: x-amz-checksum-crc32\r\nx-amz-decoded-content-length: 5\r\n",
        HELLO,
    );
    part.target = b"/b/k?partNumber=1&uploadId=U".to_vec();
    let xml = "<CompleteMultipartUpload><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>";
    let mut complete = signed(
        req(&GET.replace("GET /b/k", "POST /b/k?uploadId=U").replace(
            "\r\n\r\n",
            &format!("\r\nContent-Length: {}\r\n\r\n{xml}", xml.len()),
        )),
        "aws",
    );
    let mut ctx = sigscope::pipeline::CaptureContext::default();
    let _ = ctx.next(&mut part, None);
    let x = ctx.next(&mut complete, None);
    let c = creds(Some(SK));
    let cache = KeyCache::default();
    analyze_observed(
        &Observed {
            request: &complete,
            response: None,
            time: None,
            context: x.as_context(),
        },
        &verifier(&c, "aws", &cache),
    )
}

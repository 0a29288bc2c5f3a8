//! Every finding code: one request that provokes it, and a sweep over clean inputs (the AWS
//! suites, the real-library vectors, the AWS documentation examples, the real captures) that
//! shows none of the problem codes is raised where nothing is wrong.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use sigscope::capture::Options;
use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::Observed;
use sigscope::engine::{analyze, analyze_observed, Analysis, KeyCache};
use sigscope::http::{parse_raw, Header, Message, Request, Response};

use crate::support::{request as req, request_file as file_req, root, verifier};

mod payload;

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn resp(status: u16, body: &str) -> Response {
    Response {
        status,
        reason: "x".into(),
        version: "HTTP/1.1".into(),
        headers: vec![Header::new("Content-Type", "application/xml")],
        body: body.as_bytes().to_vec(),
    }
}

fn creds(secret: Option<&str>) -> Credentials {
    match secret {
        Some(s) => Credentials::parse(&format!("[a]\naws_access_key_id={AK}\naws_secret_access_key={s}\n[k]\naws_access_key_id=966afbde20b84200ae4e62e09acf46b2\naws_secret_access_key=89cdf9e94e2643cab35b8b8ac5a51f83\n")),
        None => Credentials::default(),
    }
}

fn run_full(
    r: &Request,
    response: Option<&Response>,
    time: Option<&str>,
    secret: Option<&str>,
    dialect_name: &str,
) -> Analysis {
    let c = creds(secret);
    let cache = KeyCache::default();
    let v = verifier(&c, dialect_name, &cache);
    let time = time.map(|t| sigscope::engine::time::parse_amz(t).unwrap());
    analyze_observed(
        &Observed {
            request: r,
            response,
            time,
            context: Default::default(),
        },
        &v,
    )
}

fn codes(a: &Analysis) -> BTreeSet<&'static str> {
    a.findings.iter().map(|f| f.code.as_str()).collect()
}

/// Signs `r` as `dialect` would, with the suite secret (header auth).
fn signed(mut r: Request, dialect_name: &str) -> Request {
    let c = creds(Some(SK));
    let cache = KeyCache::default();
    let v = verifier(&c, "aws", &cache);
    let a = analyze(&r, &v);
    let d = a.dialect(dialect_name).unwrap();
    let sig = d.signature.clone().unwrap();
    crate::support::set_signature(&mut r, &sig);
    r
}

const GET: &str = "GET /b/k HTTP/1.1\r\nHost: s3.amazonaws.com\r\nX-Amz-Date: 20150830T123600Z\r\nx-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0\r\n\r\n";

fn seed() -> Request {
    file_req("samples/seed-cfn-push-stats.http")
}

const HEAT_403: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided</Message></Error></ErrorResponse>";

fn s3_error(code: &str, extra: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>m</Message>{extra}<RequestId>r</RequestId></Error>")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One provoking case per finding code: the code, and the analysis that must raise it.
type Cases = Vec<(&'static str, Analysis)>;

/// The verifier's facts: what is malformed, missing or mismatched in the request itself.
fn fact_cases() -> Cases {
    let malformed =
        req("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AK\r\n\r\n");
    let mut cases: Cases = vec![
        (
            "malformed-auth",
            run_full(&malformed, None, None, Some(SK), "aws"),
        ),
        ("no-secret", run_full(&seed(), None, None, None, "aws")),
        (
            "decoded-only",
            run_full(
                &req("GET / HTTP/1.1\r\nAuthorization: Basic dXNlcjpwdw==\r\n\r\n"),
                None,
                None,
                Some(SK),
                "aws",
            ),
        ),
        (
            "mode-unsupported",
            run_full(
                &file_req("tests/vectors/real/keystoneclient/v2-sha256.http"),
                None,
                None,
                Some(SK),
                "minio",
            ),
        ),
    ];
    let mut unsigned_amz = req(&GET.replace("Host: s3", "x-amz-meta-a: 1\r\nHost: s3"));
    unsigned_amz = signed(unsigned_amz, "aws");
    cases.push((
        "verifier-rejects",
        run_full(&unsigned_amz, None, None, Some(SK), "aws"),
    ));
    let mut body = req(&GET
        .replace("GET /b/k", "PUT /b/k")
        .replace("\r\n\r\n", "\r\nContent-Length: 3\r\n\r\nabc"));
    body = signed(body, "aws");
    cases.push((
        "payload-hash-mismatch",
        run_full(&body, None, None, Some(SK), "aws"),
    ));
    let streaming = signed(
        req(&GET
            .replace(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            )
            .replace("\r\n\r\n", "\r\nContent-Length: 5\r\n\r\nnoise")),
        "aws",
    );
    cases.push((
        "aws-chunked-malformed",
        run_full(&streaming, None, None, Some(SK), "aws"),
    ));
    let mut chunked =
        fs::read(root().join("tests/vectors/aws-docs/s3-sigv4-chunked.http")).unwrap();
    let n = chunked.len();
    chunked[n - 200] = b'b';
    let chunked = match parse_raw(&chunked).messages.into_iter().next() {
        Some(Message::Request(r, _)) => *r,
        _ => panic!(),
    };
    let docs = Credentials::parse("[d]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    let cache = KeyCache::default();
    let v = verifier(&docs, "aws", &cache);
    cases.push(("chunk-signature-mismatch", analyze(&chunked, &v)));
    let mut capped = chunked.clone();
    capped.body_digest = Some(sigscope::http::BodyDigest {
        len: 1 << 30,
        sha256_hex: "0".repeat(64),
    });
    cases.push(("body-not-kept", analyze(&capped, &v)));
    let token = signed(
        req(&GET.replace("Host: s3", "X-Amz-Security-Token: tok\r\nHost: s3")),
        "aws",
    );
    cases.push((
        "session-token-unsigned",
        run_full(&token, None, None, Some("wrong"), "aws"),
    ));
    cases.push(("session-token-appended", run_full(&file_req("tests/vectors/aws-signing-test-suite/v4/post-sts-header-after/query-signed-request.txt"), None, None, Some(SK), "aws")));
    cases.push(("signature-plus-unescaped", run_full(&req("GET /?AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=ab+cd HTTP/1.1\r\nHost: h\r\n\r\n"), None, None, Some(SK), "aws")));
    let md5 = signed(
        req(&GET
            .replace("GET /b/k", "PUT /b/k")
            .replace(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "UNSIGNED-PAYLOAD",
            )
            .replace(
                "\r\n\r\n",
                "\r\nContent-MD5: 1B2M2Y8AsgTpgAmY7PhCfg==\r\nContent-Length: 3\r\n\r\nabc",
            )),
        "aws",
    );
    cases.push((
        "content-md5-mismatch",
        run_full(&md5, None, None, Some(SK), "aws"),
    ));
    // HTTP/2 with a Host header beside a different :authority, signed over the Host header
    // (as MinIO verifies it): aws takes :authority (issue 13).
    let mut h2 = req(GET);
    h2.version = "HTTP/2".into();
    h2.h2_authority = Some(sigscope::http::Authority {
        value: b"b.example:9000".to_vec(),
        host_added: false,
    });
    let h2 = signed(h2, "minio");
    cases.push(("h2-host", run_full(&h2, None, None, Some(SK), "aws")));
    cases
}

/// Diagnosis: the wrong dialect, an altered request, the server's own strings.
fn dialect_and_server_cases() -> Cases {
    let mut cases: Cases = Vec::new();
    let get = || signed(req(GET), "aws");
    cases.push((
        "dialect-mismatch",
        run_full(&seed(), None, None, Some(SK), "keystone-legacy"),
    ));
    cases.push((
        "server-likely-dialect",
        run_full(&seed(), Some(&resp(403, HEAT_403)), None, Some(SK), "aws"),
    ));
    let mut moved = signed(
        req(&GET.replace("Host: s3.amazonaws.com", "Host: 127.0.0.1:9000")),
        "aws",
    );
    for h in &mut moved.headers {
        if h.name.eq_ignore_ascii_case(b"host") {
            h.value = b"127.0.0.1".to_vec();
        }
    }
    let altered = run_full(&moved, None, None, Some(SK), "aws");
    assert!(
        altered
            .findings
            .iter()
            .any(|f| f.code == "request-altered" && f.message.contains("host:127.0.0.1:9000")),
        "{:?}",
        altered.findings
    );
    assert_eq!(
        altered.divergence.as_ref().map(|d| d.line),
        Some(4),
        "the host line of the canonical request"
    );
    cases.push(("request-altered", altered));
    cases.push((
        "signature-unexplained",
        run_full(&get(), None, None, Some("not-the-secret"), "aws"),
    ));
    // The server's own strings (S3 XML), equal to what the client signed.
    let ok = run_full(&get(), None, None, Some(SK), "aws");
    let aws = ok.dialect("aws").unwrap();
    let cr = String::from_utf8(aws.canonical_request.clone().unwrap().to_vec()).unwrap();
    let sts = String::from_utf8(aws.string_to_sign.to_vec()).unwrap();
    let agree = resp(
        403,
        &s3_error(
            "SignatureDoesNotMatch",
            &format!(
                "<StringToSign>{}</StringToSign><CanonicalRequest>{}</CanonicalRequest>",
                xml_escape(&sts),
                xml_escape(&cr)
            ),
        ),
    );
    // Every dialect builds those strings for this GET: naming them all would say nothing.
    let all = run_full(&get(), Some(&agree), None, None, "aws");
    assert!(
        !codes(&all).contains(&"server-dialect"),
        "{:?}",
        all.findings
    );
    // The seed's form POST: the server's strings are aws's, which keystone-legacy's are not.
    let seed_ok = run_full(&seed(), None, None, Some(SK), "aws");
    let seed_aws = seed_ok.dialect("aws").unwrap();
    let seed_strings = resp(
        403,
        &s3_error(
            "SignatureDoesNotMatch",
            &format!(
                "<StringToSign>{}</StringToSign><CanonicalRequest>{}</CanonicalRequest>",
                xml_escape(std::str::from_utf8(&seed_aws.string_to_sign).unwrap()),
                xml_escape(
                    std::str::from_utf8(seed_aws.canonical_request.as_ref().unwrap()).unwrap()
                )
            ),
        ),
    );
    let named = run_full(&seed(), Some(&seed_strings), None, None, "aws");
    let msg = named
        .findings
        .iter()
        .find(|f| f.code == "server-dialect")
        .map(|f| f.message.clone())
        .unwrap_or_default();
    let (equal, not) = msg.split_once(", not those of ").unwrap_or_default();
    assert!(
        equal.contains("aws") && !equal.contains("keystone-legacy"),
        "{msg}"
    );
    assert!(
        not.contains("keystone-legacy") && !not.contains("botocore"),
        "{msg}"
    );
    cases.push(("server-dialect", named));
    cases.push((
        "strings-agree-key-differs",
        run_full(&get(), Some(&agree), None, None, "aws"),
    ));
    let differ = resp(
        403,
        &s3_error(
            "SignatureDoesNotMatch",
            &format!(
                "<CanonicalRequest>{}</CanonicalRequest>",
                xml_escape(&cr.replace("host:s3.amazonaws.com", "host:s3.amazonaws.com:443"))
            ),
        ),
    );
    let d = run_full(&get(), Some(&differ), None, None, "aws");
    assert_eq!(
        d.divergence.as_ref().map(|d| (d.against.as_str(), d.line)),
        Some(("server", 4))
    );
    cases.push(("server-strings-differ", d));
    cases
}

/// Diagnosis: clock, expiry, scope, region, service, headers and keys the server names.
/// SigV4A (issue 15): the suite's get-vanilla sent to an S3 endpoint in eu-west-1 with region
/// set us-east-1; a SigV4 request refused by a server that asks for SigV4A (its message, as S3
/// Multi-Region Access Points answer), and the reverse.
fn sigv4a_cases() -> Cases {
    let mut cases: Cases = Vec::new();
    let get = || signed(req(GET), "aws");
    let v4a = fs::read_to_string(
        root()
            .join("tests/vectors/aws-signing-test-suite/v4a/get-vanilla/header-signed-request.txt"),
    )
    .unwrap();
    cases.push((
        "region-set-excludes-endpoint",
        run_full(
            &req(&v4a.replace(
                "Host:example.amazonaws.com",
                "Host:s3.eu-west-1.amazonaws.com",
            )),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "algorithm-mismatch",
        run_full(
            &get(),
            Some(&resp(
                400,
                "<Error><Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-ECDSA-P256-SHA256.</Message></Error>",
            )),
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "algorithm-mismatch",
        run_full(
            &req(&v4a),
            Some(&resp(
                400,
                "<Error><Code>InvalidRequest</Code><Message>Please use AWS4-HMAC-SHA256.</Message></Error>",
            )),
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases
}

fn clock_scope_and_key_cases() -> Cases {
    let mut cases: Cases = Vec::new();
    let get = || signed(req(GET), "aws");
    cases.push((
        "clock-skew",
        run_full(&get(), None, Some("20150830T134000Z"), Some(SK), "aws"),
    ));
    cases.push((
        "clock-skew",
        run_full(
            &get(),
            Some(&resp(
                403,
                &s3_error(
                    "RequestTimeTooSkewed",
                    "<RequestTime>a</RequestTime><ServerTime>b</ServerTime>",
                ),
            )),
            None,
            Some(SK),
            "aws",
        ),
    ));
    let presigned = file_req("tests/vectors/real/botocore/s3-sigv4-presigned.http");
    cases.push((
        "presigned-expired",
        run_full(&presigned, None, Some("20150901T000000Z"), Some(SK), "aws"),
    ));
    let zero = req(&String::from_utf8_lossy(&presigned.to_wire())
        .replace("X-Amz-Expires=86400", "X-Amz-Expires=0"));
    cases.push((
        "presigned-expires-invalid",
        run_full(&zero, None, Some("20150830T123600Z"), Some(SK), "aws"),
    ));
    cases.push((
        "scope-date-mismatch",
        run_full(
            &req(&GET.replace("AKIDEXAMPLE/20150830", "AKIDEXAMPLE/20150829")),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "scope-terminator",
        run_full(
            &req(&GET.replace("s3/aws4_request", "s3/aws4_reqest")),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "region-mismatch",
        run_full(
            &req(&GET.replace("Host: s3.amazonaws.com", "Host: s3.eu-west-1.amazonaws.com")),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "region-mismatch",
        run_full(
            &get(),
            Some(&resp(
                400,
                &s3_error("AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>"),
            )),
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "service-mismatch",
        run_full(
            &req(&GET.replace("Host: s3.amazonaws.com", "Host: sts.amazonaws.com")),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "signed-header-absent",
        run_full(
            &req(&GET.replace("SignedHeaders=host;", "SignedHeaders=content-type;host;")),
            None,
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "access-key-unknown",
        run_full(
            &get(),
            Some(&resp(
                403,
                &s3_error(
                    "InvalidAccessKeyId",
                    "<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>",
                ),
            )),
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases.push((
        "session-token-expired",
        run_full(
            &get(),
            Some(&resp(400, &s3_error("ExpiredToken", ""))),
            None,
            Some(SK),
            "aws",
        ),
    ));
    cases
}

/// Hints, raised on failures nothing else explains (here: a wrong secret).
fn hint_cases() -> Cases {
    let mut cases: Cases = Vec::new();
    let hint = |text: &str| run_full(&signed(req(text), "aws"), None, None, Some("wrong"), "aws");
    cases.push((
        "proxy-sensitive-header-signed",
        hint(
            &GET.replace("SignedHeaders=host;", "SignedHeaders=content-type;host;")
                .replace("Host: s3", "Content-Type: text/plain\r\nHost: s3"),
        ),
    ));
    cases.push((
        "proxy-sensitive-header-unsigned",
        hint(
            &GET.replace("GET /b/k", "POST /b/k")
                .replace("Host: s3", "Content-Type: text/plain\r\nHost: s3"),
        ),
    ));
    cases.push((
        "duplicate-header",
        hint(
            &GET.replace("SignedHeaders=host;", "SignedHeaders=host;x-a;")
                .replace("Host: s3", "X-A: 1\r\nX-A: 2\r\nHost: s3"),
        ),
    ));
    cases.push((
        "header-whitespace",
        hint(
            &GET.replace("SignedHeaders=host;", "SignedHeaders=host;x-a;")
                .replace("Host: s3", "X-A: a  b\r\nHost: s3"),
        ),
    ));
    cases.push((
        "query-plus",
        hint(&GET.replace("GET /b/k", "GET /b/k?prefix=a+b")),
    ));
    cases.push((
        "query-lowercase-hex",
        hint(&GET.replace("GET /b/k", "GET /b/k?prefix=a%2fb")),
    ));
    cases.push((
        "query-unescaped-reserved",
        hint(&GET.replace("GET /b/k", "GET /b/k?prefix=a*b")),
    ));
    cases.push((
        "path-not-normalised",
        hint(
            &GET.replace("GET /b/k", "GET /b//./k")
                .replace("/s3/aws4", "/sts/aws4")
                .replace("Host: s3.amazonaws.com", "Host: sts.amazonaws.com"),
        ),
    ));
    cases.push(("sigv2-subresource-disputed", run_full(&signed(req("GET /bucket/key?encryption HTTP/1.1\r\nHost: s3.amazonaws.com\r\nDate: Tue, 27 Mar 2007 19:36:42 +0000\r\nAuthorization: AWS AKIDEXAMPLE:x\r\n\r\n"), "aws"), None, None, Some("wrong"), "aws")));
    cases
}

#[test]
fn each_code_is_provoked() {
    let cases: Cases = [
        fact_cases(),
        dialect_and_server_cases(),
        clock_scope_and_key_cases(),
        sigv4a_cases(),
        crate::s3express_real::cases(),
        crate::gcs_real::cases(),
        hint_cases(),
        payload::payload_cases(),
        crate::post_policy_real::post_policy_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();

    let mut failures = Vec::new();
    for (code, a) in &cases {
        if !codes(a).contains(code) {
            failures.push(format!("{code}: not raised; got {:?}", a.findings));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every code the engine and diagnosis can emit is covered above: all of them but the
    // few the capture reader and the proxy raise (tested with those).
    let outside_engine = ["capture-incomplete", "no-response", "upstream-disagrees"];
    let emitted: BTreeSet<String> = sigscope::engine::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !outside_engine.contains(c))
        .map(String::from)
        .collect();
    let covered: BTreeSet<String> = cases.iter().map(|(c, _)| c.to_string()).collect();
    let missing: Vec<&String> = emitted.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "finding codes without a provoking case: {missing:?}"
    );
}

/// Codes that say something is wrong; none may appear on a clean request.
fn problems(a: &Analysis) -> Vec<String> {
    a.findings
        .iter()
        .filter(|f| !matches!(f.code.as_str(), "session-token-appended" | "server-dialect"))
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect()
}

#[test]
fn no_false_alarms_on_clean_inputs() {
    let mut failures = Vec::new();
    let mut checked = 0;
    // AWS suites (classic: the .sreq with its .authz; new: both placements).
    let mut files: Vec<PathBuf> = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else if p.extension().is_some_and(|x| x == "sreq")
                || p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("-signed-request.txt"))
            {
                out.push(p)
            }
        }
    }
    walk(
        &root().join("tests/vectors/aws-sigv4-testsuite"),
        &mut files,
    );
    walk(
        &root().join("tests/vectors/aws-signing-test-suite/v4"),
        &mut files,
    );
    walk(
        &root().join("tests/vectors/aws-signing-test-suite/v4a"),
        &mut files,
    );
    for f in &files {
        let mut r = file_req(f.strip_prefix(root()).unwrap().to_str().unwrap());
        if f.extension().is_some_and(|x| x == "sreq") {
            r.headers
                .retain(|h| !h.name.eq_ignore_ascii_case(b"authorization"));
            let authz = fs::read_to_string(f.with_extension("authz")).unwrap();
            r.headers.push(Header::new("Authorization", authz.trim()));
        }
        let unnormalized = f.to_string_lossy().contains("unnormalized");
        let a = run_full(&r, None, None, Some(SK), "aws");
        if unnormalized {
            continue; // signed with the S3 path rule for service `service`: invalid under aws by design
        }
        checked += 1;
        let p = problems(&a);
        if !p.is_empty() || a.verdict.as_str() != "valid" {
            failures.push(format!("{}: {} {p:?}", f.display(), a.verdict.as_str()));
        }
    }
    // Real-library vectors, verified by their own library's dialect.
    for group in ["boto2", "botocore", "keystoneclient"] {
        for e in fs::read_dir(root().join("tests/vectors/real").join(group)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_none_or(|x| x != "http") {
                continue;
            }
            let meta: serde_json::Value =
                serde_json::from_slice(&fs::read(p.with_extension("json")).unwrap()).unwrap();
            let secret = meta["secret_key"].as_str().unwrap();
            let r = file_req(p.strip_prefix(root()).unwrap().to_str().unwrap());
            let c = Credentials::parse(&format!(
                "[x]\naws_access_key_id={}\naws_secret_access_key={secret}\n",
                meta["access_key"].as_str().unwrap()
            ));
            let cache = KeyCache::default();
            let base = analyze(&r, &verifier(&c, "aws", &cache));
            let Some(client) = base.client_dialects.first() else {
                failures.push(format!("{}: no dialect reproduces it", p.display()));
                continue;
            };
            let v = verifier(&c, client, &cache);
            let a = analyze_observed(
                &Observed {
                    request: &r,
                    response: None,
                    time: None,
                    context: Default::default(),
                },
                &v,
            );
            checked += 1;
            // A verifier rule (e.g. S3's all-x-amz-signed) may refuse what the library signs.
            let p2: Vec<String> = problems(&a)
                .into_iter()
                .filter(|f| !f.starts_with("verifier-rejects"))
                .collect();
            if !p2.is_empty() {
                failures.push(format!("{}: {p2:?}", p.display()));
            }
        }
    }
    // Real captures: every exchange the server accepted.
    let c = Credentials::load_file(&root().join("tests/captures/credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&c, "aws", &cache);
    for e in fs::read_dir(root().join("tests/captures")).unwrap() {
        let p = e.unwrap().path();
        if !p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            continue;
        }
        sigscope::ingest::stream_path(&p, 0, &Options::default(), &mut |x| {
            if x.response.as_ref().is_some_and(|r| r.status >= 400) || !x.notes.is_empty() {
                return;
            }
            let a = analyze_observed(
                &Observed {
                    request: &x.request,
                    response: x.response.as_ref(),
                    time: x.time,
                    context: Default::default(),
                },
                &v,
            );
            checked += 1;
            let p2 = problems(&a);
            if !p2.is_empty() {
                failures.push(format!("{}: {p2:?}", x.source));
            }
        });
    }
    assert!(checked > 130, "only {checked} clean requests checked");
    assert!(
        failures.is_empty(),
        "{} false alarms:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn alteration_search_covers_scope_and_date() {
    // Signed for eu-west-1, sent with us-east-1 in the credential scope.
    let eu = signed(req(&GET.replace("/us-east-1/s3/", "/eu-west-1/s3/")), "aws");
    let sent =
        req(&String::from_utf8_lossy(&eu.to_wire()).replace("/eu-west-1/s3/", "/us-east-1/s3/"));
    let a = run_full(&sent, None, None, Some(SK), "aws");
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "request-altered")
        .expect("request-altered");
    assert!(f.message.contains("eu-west-1/s3"), "{}", f.message);
    // Signed with Date (no X-Amz-Date), X-Amz-Date added afterwards.
    let base = GET
        .replace(
            "X-Amz-Date: 20150830T123600Z\r\n",
            "Date: Sun, 30 Aug 2015 12:36:00 GMT\r\n",
        )
        .replace(
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date",
            "SignedHeaders=date;host;x-amz-content-sha256",
        );
    let by_date = signed(req(&base), "aws");
    let mut later = by_date.clone();
    later
        .headers
        .push(Header::new("X-Amz-Date", "20150830T123700Z"));
    let a = run_full(&later, None, None, Some(SK), "aws");
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "request-altered")
        .expect("request-altered");
    assert!(f.message.contains("Date header"), "{}", f.message);
}

//! Garbage never panics: arbitrary bytes, fragments steered into every parser branch, chunked
//! bodies with extreme sizes and arbitrary `Request`s, through `parse_raw` and every dialect.

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::sample::Index;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::http::{parse_raw, Header, Message, Request};

use super::{config, creds, lossy, run, AK, SK, V4_AUTH};

/// Pieces of requests that steer random bytes into every parser and verifier branch.
const FRAGMENTS: &[&str] = &[
    "GET / HTTP/1.1\r\n",
    "POST /a b/?x=1 HTTP/1.1\n",
    "PUT http://h:8080/p?q HTTP/1.1\r\n",
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.1 abc\r\n",
    "Host: example.amazonaws.com\r\n",
    "Host:\r\n",
    "X-Amz-Date: 20150830T123600Z\r\n",
    "X-Amz-Date: 2015\r\n",
    "Date: Mon, 09 Sep 2011 23:36:00 GMT\r\n",
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\r\n",
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00\r\n",
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE//\r\n",
    "Authorization: AWS4-HMAC-SHA256 Credential=, SignedHeaders=;;, Signature=\r\n",
    "Authorization: AWS4-ECDSA-P256-SHA256 Credential=x\r\n",
    "Authorization: AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=\r\n",
    "Authorization: AWS :\r\n",
    "Authorization: Basic dXNlcjpwdw==\r\n",
    "Authorization: Basic !!!\r\n",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\r\n",
    "X-Auth-Token: gAAAAAB\r\n",
    "X-Amz-Security-Token: AQoDYXdzEPT//////////wEXAMPLE\r\n",
    "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n",
    "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n",
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n",
    "Content-Type: application/x-www-form-urlencoded\r\n",
    "Content-Length: 5\r\n",
    "Content-Length: 18446744073709551616\r\n",
    "Content-Length: -1\r\n",
    "Transfer-Encoding: chunked\r\n",
    " folded continuation\r\n",
    "\tfolded\r\n",
    "3;chunk-signature=ab\r\nabc\r\n",
    "0;chunk-signature=cd\r\n\r\n",
    "7fffffff\r\n",
    "0\r\n\r\n",
    "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\r\n",
    "GET /?X-Amz-Algorithm=HMAC-MD5 HTTP/1.1\r\n",
    "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%ZZ&X-Amz-SignedHeaders HTTP/1.1\r\n",
    "GET /b/k?AWSAccessKeyId=AKIDEXAMPLE&Expires=1&Signature=c2ln HTTP/1.1\r\n",
    "GET /?AWSAccessKeyId=AKIDEXAMPLE&Action=A&SignatureVersion=0&Timestamp=t&Signature=x HTTP/1.1\r\n",
    "GET /?AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=1&Signature=a+b HTTP/1.1\r\n",
    "GET /?AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=x HTTP/1.1\r\n",
    "GET /?SignatureVersion=9 HTTP/1.1\r\n",
    "AWSAccessKeyId=AKIDEXAMPLE&SignatureVersion=2&Signature=x&Action=Y",
    "\r\n",
    "\n",
    "\r\n\r\n",
    ":",
    " ",
    "%",
    "%e9%",
    "é",
    "/.././/",
    "?",
    "&=&",
    "\u{1b}[2J",
];

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..48),
        5 => prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
        // Chunk sizes for chunked and aws-chunked bodies.
        1 => chunk_size().prop_map(|n| format!("{n:x}\r\n").into_bytes()),
    ]
}

/// Chunk sizes that lie: below 2^32, anywhere in u64, or within 128 of u64::MAX (= usize::MAX),
/// where `pos + size` overflowed (`regression_*_chunk_size_overflow`).
fn chunk_size() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0u64..(1 << 32),
        1 => any::<u64>(),
        1 => (0u64..128).prop_map(|d| u64::MAX - d),
    ]
}

/// A chunked request (HTTP framing) or a SigV4 streaming one (aws-chunked body, key held by the
/// test), its first chunk-size line right after the head, then fragments. Lying sizes reach
/// both chunk parsers this way; `fragment()` alone almost never lines them up.
fn chunked_request() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        chunk_size(),
        prop::collection::vec(fragment(), 0..8),
    )
        .prop_map(|(aws, n, tail)| {
            let mut v = if aws {
                format!(
                    "PUT /k HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20150830T123600Z\r\n\
                     x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD\r\n\
                     Authorization: {V4_AUTH}\r\n\r\n"
                )
            } else {
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
            };
            write!(v, "{n:x};chunk-signature={}\r\n", "0".repeat(64)).unwrap();
            let mut v = v.into_bytes();
            v.extend(tail.concat());
            v
        })
}

/// Header values: arbitrary bytes (controls, invalid UTF-8), up to 64 KiB, or a signed-looking
/// template with garbage spliced in.
fn garbage_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..64),
        1 => (any::<u8>(), 0usize..=65_536).prop_map(|(b, n)| vec![b; n]),
        1 => (prop::collection::vec(any::<u8>(), 1..16), 1usize..=4096)
            .prop_map(|(pat, n)| pat.iter().copied().cycle().take(n * pat.len()).collect()),
        3 => (
            prop::sample::select(&[
                V4_AUTH,
                "AWS4-HMAC-SHA256 ",
                "AWS AKIDEXAMPLE:",
                "20150830T123600Z",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "application/x-www-form-urlencoded",
                "chunked",
                "Bearer a.b.c",
                "Basic dXNlcjpwdw==",
            ][..]),
            any::<Index>(),
            prop::collection::vec(any::<u8>(), 0..24),
        )
            .prop_map(|(t, at, junk)| {
                let mut v = t.as_bytes().to_vec();
                let i = at.index(v.len() + 1);
                v.splice(i..i, junk);
                v
            }),
    ]
}

const GARBAGE_NAMES: &[&str] = &[
    "Authorization",
    "authorization",
    "X-Amz-Date",
    "x-amz-content-sha256",
    "X-Amz-Security-Token",
    "Host",
    "host",
    "Date",
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "User-Agent",
    "X-Auth-Token",
    "x-amz-meta-a",
];

fn garbage_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(GARBAGE_NAMES).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..24),
    ]
}

/// aws-chunked-looking bodies: `size;chunk-signature=sig\r\ndata\r\n` frames, sizes that lie.
fn garbage_body() -> impl Strategy<Value = Vec<u8>> {
    let frame = (
        prop_oneof![
            3 => (0u64..64).prop_map(|n| format!("{n:x}")),
            1 => chunk_size().prop_map(|n| format!("{n:X}")),
            1 => prop::collection::vec(any::<u8>(), 0..6).prop_map(|b| lossy(&b)),
        ],
        prop_oneof![
            3 => Just(";chunk-signature=".to_string()),
            1 => Just(String::new()),
            1 => Just("; chunk-signature = ".to_string()),
        ],
        prop::collection::vec(prop::sample::select(b"0123456789abcdef".to_vec()), 0..70),
        prop::collection::vec(any::<u8>(), 0..80),
        prop_oneof![3 => Just("\r\n"), 1 => Just("\n"), 1 => Just("")],
    )
        .prop_map(|(size, ext, sig, data, end)| {
            let mut v = size.into_bytes();
            v.extend_from_slice(ext.as_bytes());
            v.extend_from_slice(&sig);
            v.extend_from_slice(b"\r\n");
            v.extend_from_slice(&data);
            v.extend_from_slice(end.as_bytes());
            v
        });
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..256),
        2 => prop::collection::vec(frame, 0..5).prop_map(|f| f.concat()),
    ]
}

fn garbage_request() -> impl Strategy<Value = Request> {
    (
        prop_oneof![
            3 => prop::sample::select(&["GET", "PUT", "POST", "HEAD", "DELETE"][..])
                .prop_map(str::to_string),
            1 => prop::collection::vec(any::<u8>(), 0..10).prop_map(|b| lossy(&b)),
        ],
        prop_oneof![
            2 => prop::collection::vec(any::<u8>(), 0..80),
            2 => prop::sample::select(FRAGMENTS).prop_map(|f| {
                // The target part of a request-line fragment, when it is one.
                let t = f.split(' ').nth(1).unwrap_or(f);
                t.as_bytes().to_vec()
            }),
            1 => (prop::sample::select(FRAGMENTS), prop::collection::vec(any::<u8>(), 0..16))
                .prop_map(|(f, junk)| {
                    let mut t = f.split(' ').nth(1).unwrap_or(f).as_bytes().to_vec();
                    t.extend(junk);
                    t
                }),
        ],
        prop::collection::vec((garbage_name(), garbage_value()), 0..8),
        garbage_body(),
    )
        .prop_map(|(method, target, headers, body)| Request {
            method,
            target,
            version: "HTTP/1.1".into(),
            headers: headers
                .into_iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
            body,
            ..Request::default()
        })
}

pub(super) fn analyze_everywhere(req: &Request, keys: &Credentials) {
    for d in dialect::ALL {
        let a = run(req, keys, d.name);
        // Cheap invariants: the verifier is the one asked for, and there is either no
        // computation at all (nothing to verify) or one per dialect.
        assert_eq!(a.verifier, d.name);
        assert!(a.dialects.is_empty() || a.dialects.len() == dialect::ALL.len());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn garbage_bytes_never_panic(
        raw in prop_oneof![
            1 => prop::collection::vec(any::<u8>(), 0..2048),
            3 => prop::collection::vec(fragment(), 0..40).prop_map(|f| f.concat()),
            1 => chunked_request(),
        ]
    ) {
        let keys = creds(AK, SK);
        let p = parse_raw(&raw);
        for m in &p.messages {
            if let Message::Request(r, _) = m {
                analyze_everywhere(r, &keys);
                // The model's own serialisation must parse again without panicking.
                let again = parse_raw(&r.to_wire());
                for m2 in &again.messages {
                    if let Message::Request(r2, _) = m2 {
                        analyze_everywhere(r2, &keys);
                    }
                }
            }
        }
    }

    #[test]
    fn garbage_requests_never_panic(req in garbage_request()) {
        let keys = creds(AK, SK);
        analyze_everywhere(&req, &keys);
        let p = parse_raw(&req.to_wire());
        for m in &p.messages {
            if let Message::Request(r, _) = m {
                analyze_everywhere(r, &keys);
            }
        }
    }
}

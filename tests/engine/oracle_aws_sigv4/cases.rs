//! The random request the oracle signs: character tables, the `Case` it is drawn as, and the
//! proptest strategies, each restricted where aws-sigv4 is not a faithful oracle (R1-R9 in
//! `mod.rs`).

use proptest::prelude::*;
use proptest::sample::Index;

/// Characters of a path segment (decoded). `/` is added for non-S3 services only (R5).
const PATH_CHARS: &[&str] = &[
    "a", "b", "z", "K", "Q", "0", "7", "-", "_", ".", "~", " ", " ", "$", "+", "=", "@", "!", "*",
    "'", "(", ")", ",", ";", ":", "&", "%", "?", "#", "é", "ሴ", "😀",
];

/// Characters of a query name or value (decoded). A space goes on the wire as a raw `+` or as
/// `%20`, a `+` as `%2B` (R1): both weigh more than the other characters.
const QUERY_CHARS: &[&str] = &[
    "a", "b", "Z", "0", "9", "-", "_", ".", "~", " ", " ", " ", "*", "/", "+", "+", "+", "=", "&",
    "?", "%", "#", "$", "@", "!", ";", ",", "'", "(", ")", ":", "é", "ሴ",
];

/// Query names drawn as they are, few enough that names repeat: S3 subresources (`?acl`,
/// `?uploads`), names holding a space or a plus.
const QUERY_NAMES: &[&str] = &[
    "a",
    "b",
    "Z",
    "acl",
    "uploads",
    "prefix",
    "list-type",
    "a b",
    "a+b",
    "+",
    " ",
];

/// Header value characters: spaces (also in runs), punctuation, non-ASCII; no control (R2).
const HEADER_VALUE_CHARS: &[&str] = &[
    "a", "Z", "9", " ", " ", "  ", "   ", "\"", ",", ";", "=", "/", ":", "-", "(", ")", "é", "ሴ",
];

/// User headers (R3, R4): mixed case, duplicates across case, x-amz-* and headers aws-sigv4
/// leaves unsigned.
const HEADER_NAMES: &[&str] = &[
    "X-Custom",
    "x-custom",
    "X-Amz-Meta-Note",
    "x-amz-meta-a",
    "x-amz-acl",
    "Content-Type",
    "Content-MD5",
    "x-foo-bar",
    "Accept",
    "Cache-Control",
    "If-Match",
    "Date",
    "User-Agent",
    "X-Amzn-Trace-Id",
];

const REGIONS: &[&str] = &["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1"];
const SERVICES: &[&str] = &[
    "s3",
    "s3",
    "s3",
    "execute-api",
    "sts",
    "dynamodb",
    "es",
    "iam",
];

/// (scheme, authority in the URL).
const ENDPOINTS: &[(&str, &str)] = &[
    ("https", "example.amazonaws.com"),
    ("https", "s3.us-west-2.amazonaws.com"),
    ("https", "bucket.s3.amazonaws.com:443"),
    ("http", "localhost:9000"),
    ("http", "127.0.0.1:80"),
    ("https", "Mixed.Case.Example.COM:8443"),
];

const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) method: &'static str,
    pub(super) endpoint: (&'static str, &'static str),
    /// Give the signer an explicit Host header (else it derives one from the URL).
    pub(super) pass_host: bool,
    pub(super) segments: Vec<String>,
    pub(super) trailing_slash: bool,
    pub(super) query: Vec<(String, Option<String>)>,
    /// A bare `?` when there are no parameters.
    pub(super) empty_query_mark: bool,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) sign_content_length: bool,
    pub(super) body: Vec<u8>,
    pub(super) region: &'static str,
    pub(super) service: &'static str,
    pub(super) time: u64,
    /// Presigned URL valid for this many seconds; `None`: Authorization header.
    pub(super) presign: Option<u64>,
    pub(super) token: Option<String>,
    /// Presigned only (R9): the token is appended after signing.
    pub(super) token_excluded: bool,
    /// Non-S3 header auth: also send x-amz-content-sha256 (always on for S3).
    pub(super) sha256_header: bool,
    pub(super) access_key: String,
    pub(super) secret: String,
    pub(super) seed: u64,
}

impl Case {
    pub(super) fn s3(&self) -> bool {
        self.service == "s3"
    }
}

fn text(chars: &'static [&'static str], len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(chars), len)
        .prop_map(|v| v.concat())
        .boxed()
}

fn segment(s3: bool) -> BoxedStrategy<String> {
    let chars: BoxedStrategy<String> = if s3 {
        text(PATH_CHARS, 1..8)
    } else {
        prop::collection::vec(
            prop_oneof![8 => prop::sample::select(PATH_CHARS), 1 => Just("/")],
            1..8,
        )
        .prop_map(|v| v.concat())
        .boxed()
    };
    prop_oneof![
        10 => chars,
        1 => Just(".".to_string()),
        1 => Just("..".to_string()),
        1 => Just(String::new()),
    ]
    .boxed()
}

/// `None`: the name alone (`?acl`); `Some("")`: `?a=`.
fn query_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(String::new())),
        4 => text(QUERY_CHARS, 0..8).prop_map(Some),
    ]
}

/// An empty name with no value is an empty pair on the wire (`a&&b`, a leading or trailing
/// `&`); with a value it is `=v`.
fn query_param() -> impl Strategy<Value = (String, Option<String>)> {
    (
        prop_oneof![
            3 => prop::sample::select(QUERY_NAMES).prop_map(str::to_string),
            3 => text(QUERY_CHARS, 1..6),
            1 => Just(String::new()),
        ],
        query_value(),
    )
}

/// The query pairs in wire order. One time in three one pair's name is added again with another
/// value, anywhere (before or after the first), so that a repeated name is drawn with its values
/// in both orders, not only when two random names happen to be equal.
fn query() -> impl Strategy<Value = Vec<(String, Option<String>)>> {
    (
        prop::collection::vec(query_param(), 0..=5),
        prop::option::weighted(0.35, (any::<Index>(), query_value(), any::<Index>())),
    )
        .prop_map(|(mut q, repeat)| {
            if let (Some((from, value, at)), false) = (repeat, q.is_empty()) {
                let name = q[from.index(q.len())].0.clone();
                q.insert(at.index(q.len() + 1), (name, value));
            }
            q
        })
}

fn header() -> impl Strategy<Value = (&'static str, String)> {
    (
        prop::sample::select(HEADER_NAMES),
        text(HEADER_VALUE_CHARS, 0..12),
    )
}

fn key_text(alphabet: &'static str, len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(chars), len)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

pub(super) fn case() -> impl Strategy<Value = Case> {
    prop::sample::select(SERVICES).prop_flat_map(|service| {
        let s3 = service == "s3";
        let segments: BoxedStrategy<Vec<String>> = if s3 {
            prop::collection::vec(segment(true), 1..=4).boxed()
        } else {
            // R6: the last segment is never a dot segment.
            prop::collection::vec(segment(false), 1..=4)
                .prop_filter("trailing dot segment (R6)", |s| {
                    !matches!(s.last().map(String::as_str), Some(".") | Some(".."))
                })
                .boxed()
        };
        let request = (
            prop::sample::select(METHODS),
            prop::sample::select(ENDPOINTS),
            any::<bool>(),
            segments,
            any::<bool>(),
            query(),
            prop::bool::weighted(0.1),
            prop::collection::vec(header(), 0..=4),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=200),
        );
        let signing = (
            prop::sample::select(REGIONS),
            946_684_800u64..2_082_758_400,
            prop_oneof![1 => Just(None), 1 => (1u64..=604_800).prop_map(Some)],
            prop_oneof![
                2 => Just(None),
                1 => key_text(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                    16..48
                )
                .prop_map(Some)
            ],
            any::<bool>(),
            any::<bool>(),
            key_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16..20),
            key_text(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                40..41,
            ),
            any::<u64>(),
        );
        (request, signing).prop_map(
            move |(
                (
                    method,
                    endpoint,
                    pass_host,
                    segments,
                    trailing_slash,
                    query,
                    empty_query_mark,
                    headers,
                    sign_content_length,
                    body,
                ),
                (region, time, presign, token, token_excluded, sha256_header, ak, secret, seed),
            )| Case {
                method,
                endpoint,
                pass_host,
                segments,
                trailing_slash,
                query,
                empty_query_mark,
                headers,
                sign_content_length,
                body,
                region,
                service,
                time,
                presign,
                token_excluded: token_excluded && presign.is_some() && token.is_some(),
                token,
                sha256_header,
                access_key: format!("AKIA{ak}"),
                secret,
                seed,
            },
        )
    })
}

//! Structure-aware: a SigV4 request that botocore signed validly
//! (`tests/vectors/real/botocore/s3-sigv4-put.http`, the AWS suite's example keys) has its
//! fields changed as `arbitrary` decodes the input, then is analysed with a server's refusal
//! and the capture time, so every input reaches the diagnosis (counterfactual knobs,
//! alterations, the widened date search, the server's strings) instead of stopping at a
//! parser. The reports of the analysis are checked as in the pipeline target.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigscope::credentials::Credentials;
use sigscope::engine::diagnose::{Context, Observed};
use sigscope::engine::{analyze_observed, dialect, KeyCache, Verifier};
use sigscope::exchange::Exchange;
use sigscope::http::{Header, Headers, Request, Response};
use std::sync::OnceLock;

const SIGNED: &[u8] = include_bytes!("../../tests/vectors/real/botocore/s3-sigv4-put.http");

#[derive(Arbitrary, Debug)]
enum Field {
    Method(String),
    Path(String),
    Query(String),
    /// Replaces the value of the header at this index (modulo the count).
    HeaderValue(u8, Vec<u8>),
    HeaderName(u8, String),
    RemoveHeader(u8),
    DuplicateHeader(u8),
    AddHeader(String, Vec<u8>),
    /// Moves X-Amz-Date by this many seconds.
    ShiftDate(i32),
    /// One of the Credential's five parts (key, date, region, service, terminator).
    Credential(u8, String),
    /// SignedHeaders, as the names of the headers at these indices.
    SignedHeaders(Vec<u8>),
    /// Flips one hex digit of the signature.
    FlipSignature(u8),
    Body(Vec<u8>),
    AppendBody(Vec<u8>),
    Host(String),
}

#[derive(Arbitrary, Debug)]
enum Refusal {
    None,
    /// S3's `SignatureDoesNotMatch`, carrying the server's own strings or the client's.
    Mismatch {
        own_strings: bool,
    },
    Skewed,
    Other(String, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    fields: Vec<Field>,
    refusal: Refusal,
    dialect: u8,
    /// Capture time, seconds from the request's own date.
    seen_after: i16,
}

struct Base {
    request: Request,
    creds: Credentials,
}

static BASE: OnceLock<Base> = OnceLock::new();

fn base() -> &'static Base {
    BASE.get_or_init(|| {
        let x = sigscope::ingest::from_raw(SIGNED, "s3-sigv4-put.http", 0);
        Base {
            request: x.exchanges[0].request.clone(),
            creds: Credentials::parse(include_str!("../../samples/demo.credentials")),
        }
    })
}

fn set_header(r: &mut Request, name: &str, value: Vec<u8>) {
    match r
        .headers
        .iter_mut()
        .find(|h| h.name.eq_ignore_ascii_case(name.as_bytes()))
    {
        Some(h) => h.value = value,
        None => r.headers.push(Header::new(name, value)),
    }
}

/// The date as X-Amz-Date writes it, moved by `secs`.
fn shifted(date: &str, secs: i64) -> Option<String> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(date, &fmt)
        .ok()?
        .assume_utc();
    (t + time::Duration::seconds(secs)).format(&fmt).ok()
}

fn authz_parts(r: &Request) -> String {
    r.header_text("authorization").unwrap_or_default().into_owned()
}

fn apply(r: &mut Request, f: Field) {
    let n = r.headers.len().max(1);
    match f {
        Field::Method(m) => r.method = m,
        Field::Path(p) => {
            let q = r.query().map(<[u8]>::to_vec);
            r.target = p.into_bytes();
            if let Some(q) = q {
                r.target.push(b'?');
                r.target.extend(q);
            }
        }
        Field::Query(q) => {
            let path = r.path().to_vec();
            r.target = [path, b"?".to_vec(), q.into_bytes()].concat();
        }
        Field::HeaderValue(i, v) => {
            if let Some(h) = r.headers.get_mut(usize::from(i) % n) {
                h.value = v;
            }
        }
        Field::HeaderName(i, name) => {
            if let Some(h) = r.headers.get_mut(usize::from(i) % n) {
                h.name = name.into_bytes();
            }
        }
        Field::RemoveHeader(i) => {
            if !r.headers.is_empty() {
                r.headers.remove(usize::from(i) % n);
            }
        }
        Field::DuplicateHeader(i) => {
            if let Some(h) = r.headers.get(usize::from(i) % n).cloned() {
                r.headers.push(h);
            }
        }
        Field::AddHeader(name, value) => r.headers.push(Header::new(name, value)),
        Field::ShiftDate(s) => {
            let d = r.header_text("x-amz-date").unwrap_or_default();
            if let Some(d) = shifted(&d, i64::from(s)) {
                set_header(r, "x-amz-date", d.into_bytes());
            }
        }
        Field::Credential(part, value) => {
            let a = authz_parts(r);
            let Some((before, rest)) = a.split_once("Credential=") else {
                return;
            };
            let (cred, after) = rest.split_once(',').unwrap_or((rest, ""));
            let mut parts: Vec<String> = cred.split('/').map(str::to_string).collect();
            let i = usize::from(part) % parts.len().max(1);
            if let Some(p) = parts.get_mut(i) {
                *p = value;
            }
            let v = format!("{before}Credential={},{after}", parts.join("/"));
            set_header(r, "authorization", v.into_bytes());
        }
        Field::SignedHeaders(idx) => {
            let names: Vec<String> = idx
                .iter()
                .filter_map(|&i| r.headers.get(usize::from(i) % n))
                .map(|h| String::from_utf8_lossy(&h.name).to_ascii_lowercase())
                .collect();
            let a = authz_parts(r);
            let Some((before, rest)) = a.split_once("SignedHeaders=") else {
                return;
            };
            let after = rest.split_once(',').map_or("", |(_, a)| a);
            let v = format!("{before}SignedHeaders={},{after}", names.join(";"));
            set_header(r, "authorization", v.into_bytes());
        }
        Field::FlipSignature(at) => {
            let a = authz_parts(r);
            let Some(pos) = a.find("Signature=") else {
                return;
            };
            let mut b = a.into_bytes();
            let i = pos + 10 + usize::from(at) % 64;
            if let Some(c) = b.get_mut(i) {
                *c = if *c == b'0' { b'1' } else { b'0' };
            }
            set_header(r, "authorization", b);
        }
        Field::Body(b) => r.body = b,
        Field::AppendBody(b) => r.body.extend(b),
        Field::Host(h) => set_header(r, "host", h.into_bytes()),
    }
}

fn refusal(r: &Refusal, a_strings: Option<(String, String)>) -> Option<Response> {
    let (code, message, extra) = match r {
        Refusal::None => return None,
        Refusal::Mismatch { own_strings } => {
            let (sts, creq) = if *own_strings {
                a_strings.unwrap_or_default()
            } else {
                Default::default()
            };
            let extra = format!(
                "<StringToSign>{sts}</StringToSign><CanonicalRequest>{creq}</CanonicalRequest>"
            );
            (
                "SignatureDoesNotMatch".to_string(),
                "The request signature we calculated does not match the signature you provided."
                    .to_string(),
                extra,
            )
        }
        Refusal::Skewed => (
            "RequestTimeTooSkewed".into(),
            "The difference between the request time and the current time is too large.".into(),
            String::new(),
        ),
        Refusal::Other(c, m) => (c.clone(), m.clone(), String::new()),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}</Error>"
    );
    Some(Response {
        status: 403,
        reason: "Forbidden".into(),
        version: "HTTP/1.1".into(),
        headers: vec![Header::new("content-type", "application/xml")],
        body: body.into_bytes(),
    })
}

fuzz_target!(|input: Input| {
    let b = base();
    let mut req = b.request.clone();
    for f in input.fields.into_iter().take(8) {
        apply(&mut req, f);
    }
    let cache = KeyCache::default();
    let dialects = dialect::ALL;
    let v = Verifier {
        keys: &b.creds,
        dialect: dialects[usize::from(input.dialect) % dialects.len()],
        cache: &cache,
        reveal_keys: false,
    };
    // The client's strings, for a server that echoes them (as S3 does).
    let first = sigscope::engine::analyze(&req, &v);
    let strings = first.dialects.first().map(|d| {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let creq = d.canonical_request.as_deref().map(text).unwrap_or_default();
        (text(&d.string_to_sign), creq)
    });
    let response = refusal(&input.refusal, strings);
    let date = req.header_text("x-amz-date").unwrap_or_default();
    let time = shifted(&date, i64::from(input.seen_after)).and_then(|d| {
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        Some(time::PrimitiveDateTime::parse(&d, &fmt).ok()?.assume_utc())
    });
    let o = Observed {
        request: &req,
        response: response.as_ref(),
        time,
        context: Context::default(),
    };
    let a = analyze_observed(&o, &v);
    let x = Exchange {
        request: req.clone(),
        response,
        time,
        ..Default::default()
    };
    let mut json = Vec::new();
    sigscope::report::write_json(&mut json, &x, &a);
    for (what, s) in [
        ("text", sigscope::report::to_text(&x, &a)),
        ("markdown", sigscope::report::to_markdown(&x, &a)),
    ] {
        if let Some((at, c)) = sigscope_fuzz::raw_control(&s) {
            panic!("{what} report carries the raw control character {c:?} at byte {at}:\n{s}");
        }
    }
});

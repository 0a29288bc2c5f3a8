//! What the capture holds: the real-client fixtures, the request mix, and each exchange.

#[allow(unused_imports)]
use super::*;

/// Real client requests (see tests/vectors/real/README.md) and whether AWS accepts them.
pub(crate) const FIXTURES: &[(&str, &[u8], bool)] = &[
    (
        "botocore/query-v2",
        include_bytes!("../../tests/vectors/real/botocore/query-v2.http"),
        true,
    ),
    (
        "botocore/s3-sigv2-get",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv2-get.http"),
        true,
    ),
    (
        "botocore/s3-sigv2-presigned",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv2-presigned.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-key-special",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv4-key-special.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-presigned",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv4-presigned.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-put",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv4-put.http"),
        true,
    ),
    (
        "botocore/s3-sigv4-query-plus",
        include_bytes!("../../tests/vectors/real/botocore/s3-sigv4-query-plus.http"),
        true,
    ),
    (
        "botocore/sigv4-get-query",
        include_bytes!("../../tests/vectors/real/botocore/sigv4-get-query.http"),
        true,
    ),
    (
        "botocore/sigv4-post-form",
        include_bytes!("../../tests/vectors/real/botocore/sigv4-post-form.http"),
        true,
    ),
    (
        "botocore/sigv4-session-token",
        include_bytes!("../../tests/vectors/real/botocore/sigv4-session-token.http"),
        true,
    ),
    // `?k=v+w`: AWS reads the `+` as a space, as botocore signed it, so it verifies under aws.
    (
        "botocore/sigv4-path-encoding",
        include_bytes!("../../tests/vectors/real/botocore/sigv4-path-encoding.http"),
        true,
    ),
    (
        "boto2/cfn-push-stats-post",
        include_bytes!("../../tests/vectors/real/boto2/cfn-push-stats-post.http"),
        true,
    ),
    (
        "boto2/query-v2-post",
        include_bytes!("../../tests/vectors/real/boto2/query-v2-post.http"),
        true,
    ),
    (
        "boto2/s3-sigv2-put",
        include_bytes!("../../tests/vectors/real/boto2/s3-sigv2-put.http"),
        true,
    ),
];

pub(crate) const BUCKETS: &[&str] = &[
    "examplebucket",
    "logs-prod-eu",
    "media-assets",
    "backup-2015",
];

pub(crate) const PREFIXES: &[&str] = &[
    "photos/2015%20summer",
    "logs/app/2015/08/30",
    "data/part",
    "uploads/tmp",
    "reports/q3",
    "videos/raw",
];

pub(crate) const EXTS: &[&str] = &["txt", "log", "csv", "bin", "dat", "parquet"];

// ------------------------------------------------------------------------------------ PRNG

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    /// Inclusive range.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for c in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

// ------------------------------------------------------------------------------------ HTTP

pub(crate) struct Exchange {
    /// Client writes: headers, then the body (each split into MSS segments).
    pub(crate) request_head: Vec<u8>,
    pub(crate) request_body: Vec<u8>,
    /// `Expect: 100-continue`: the server answers `100 Continue` between head and body.
    pub(crate) expect_continue: bool,
    pub(crate) response: Vec<u8>,
    pub(crate) valid: bool,
}

pub(crate) struct Gen {
    pub(crate) rng: Rng,
    pub(crate) clock: Clock,
    pub(crate) key_date: String,
    pub(crate) key_good: [u8; 32],
    pub(crate) key_bad: [u8; 32],
    pub(crate) large_put_permille: u64,
    pub(crate) fixtures: Vec<(Vec<u8>, Vec<u8>, bool, bool)>,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn split_fixture(raw: &[u8]) -> (Vec<u8>, Vec<u8>, bool) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("fixture has a header end")
        + 4;
    let head = std::str::from_utf8(&raw[..end]).expect("ASCII headers");
    let mut out = String::new();
    let mut expect = false;
    for line in head.split_inclusive("\r\n") {
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:") {
            continue; // keep-alive here, so no `Connection: close`
        }
        if l.starts_with("expect:") && l.contains("100-continue") {
            expect = true;
        }
        out.push_str(line);
    }
    (out.into_bytes(), raw[end..].to_vec(), expect)
}

impl Gen {
    pub(crate) fn new(seed: u64, large_put_permille: u64) -> Gen {
        let fixtures = FIXTURES
            .iter()
            .map(|(_, raw, ok)| {
                let (h, b, e) = split_fixture(raw);
                (h, b, e, *ok)
            })
            .collect();
        let mut g = Gen {
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            clock: Clock {
                date: String::new(),
                amz: String::new(),
                http: String::new(),
                sec: u64::MAX,
            },
            key_date: String::new(),
            key_good: [0; 32],
            key_bad: [0; 32],
            large_put_permille,
            fixtures,
            body: Vec::new(),
        };
        g.clock.at(START_UNIX);
        g
    }

    pub(crate) fn set_time(&mut self, ts_us: u64) {
        self.clock.at(ts_us / 1_000_000);
        if self.key_date != self.clock.date {
            self.key_date = self.clock.date.clone();
            self.key_good = signing_key(SECRET_KEY, &self.key_date, "s3");
            self.key_bad = signing_key(WRONG_SECRET, &self.key_date, "s3");
        }
    }

    pub(crate) fn object_path(&mut self) -> (String, &'static str) {
        let b = *self.rng.pick(BUCKETS);
        let p = *self.rng.pick(PREFIXES);
        let e = *self.rng.pick(EXTS);
        let n = self.rng.below(1_000_000);
        (format!("/{b}/{p}/obj-{n:06}.{e}"), e)
    }

    pub(crate) fn invocation_id(&mut self) -> String {
        let a = self.rng.next();
        let b = self.rng.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn request_id(&mut self) -> (String, String) {
        let id = format!("{:016X}", self.rng.next());
        let mut host = [0u8; 48];
        self.rng.fill(&mut host);
        (id, base64::engine::general_purpose::STANDARD.encode(host))
    }

    pub(crate) fn response(
        &mut self,
        status: &str,
        ctype: &str,
        extra: &str,
        body: &[u8],
        head_only: usize,
    ) -> Vec<u8> {
        let (id, host) = self.request_id();
        let len = if head_only > 0 { head_only } else { body.len() };
        let mut r = format!(
            "HTTP/1.1 {status}\r\nx-amz-id-2: {host}\r\nx-amz-request-id: {id}\r\nDate: {}\r\n{extra}Content-Type: {ctype}\r\nContent-Length: {len}\r\nServer: AmazonS3\r\n\r\n",
            self.clock.http
        )
        .into_bytes();
        if head_only == 0 {
            r.extend_from_slice(body);
        }
        r
    }

    pub(crate) fn denied(&mut self) -> Vec<u8> {
        let (id, host) = self.request_id();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>{ACCESS_KEY}</AWSAccessKeyId><RequestId>{id}</RequestId><HostId>{host}</HostId></Error>"
        );
        format!(
            "HTTP/1.1 403 Forbidden\r\nx-amz-request-id: {id}\r\nx-amz-id-2: {host}\r\nContent-Type: application/xml\r\nDate: {}\r\nContent-Length: {}\r\nServer: AmazonS3\r\n\r\n{body}",
            self.clock.http,
            body.len()
        )
        .into_bytes()
    }

    /// A small object body: text for the text types, random bytes otherwise.
    pub(crate) fn object(&mut self, ext: &str) -> Vec<u8> {
        let n = self.rng.range(16, 512) as usize;
        let mut obj = vec![0u8; n];
        self.rng.fill(&mut obj);
        if content_type(ext).starts_with("text/") {
            for (i, b) in obj.iter_mut().enumerate() {
                *b = if i % 64 == 63 {
                    b'\n'
                } else {
                    b"abcdefghij,0123456789 "[(*b % 22) as usize]
                };
            }
        }
        obj
    }

    pub(crate) fn etag(&mut self) -> String {
        format!(
            "ETag: \"{:016x}{:016x}\"\r\n",
            self.rng.next(),
            self.rng.next()
        )
    }

    /// S3 SigV4 with header auth (botocore's S3SigV4Auth shape).
    pub(crate) fn s3_v4(&mut self, method: &str, body_len: usize, wrong_key: bool) -> Exchange {
        let (path, ext) = self.object_path();
        let mut body = std::mem::take(&mut self.body);
        body.resize(body_len, 0);
        self.rng.fill(&mut body);
        let payload_hash = if body_len == 0 {
            EMPTY_SHA256.to_string()
        } else {
            sha256_hex(&body)
        };
        let amz = self.clock.amz.clone();
        let date = self.clock.date.clone();
        let ctype = "application/octet-stream";
        let (signed, canon_headers, extra) = if method == "PUT" {
            (
                "content-type;host;x-amz-content-sha256;x-amz-date",
                format!("content-type:{ctype}\nhost:127.0.0.1\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz}\n"),
                format!("Content-Type: {ctype}\r\nContent-Length: {body_len}\r\n"),
            )
        } else {
            (
                "host;x-amz-content-sha256;x-amz-date",
                format!("host:127.0.0.1\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz}\n"),
                String::new(),
            )
        };
        let canonical = format!("{method}\n{path}\n\n{canon_headers}\n{signed}\n{payload_hash}");
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let key = if wrong_key {
            self.key_bad
        } else {
            self.key_good
        };
        let sig = sigv4(&key, &amz, &scope, &canonical);
        let inv = self.invocation_id();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nUser-Agent: Botocore/1.43.11 sigscope-bench\r\nX-Amz-Date: {amz}\r\nX-Amz-Content-SHA256: {payload_hash}\r\n{extra}Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={signed}, Signature={sig}\r\namz-sdk-invocation-id: {inv}\r\namz-sdk-request: attempt=1\r\n\r\n"
        )
        .into_bytes();
        let response = if wrong_key {
            self.denied()
        } else {
            match method {
                "PUT" => {
                    let etag = self.etag();
                    self.response("200 OK", "application/xml", &etag, b"", 0)
                }
                "HEAD" => {
                    let etag = self.etag();
                    let len = self.rng.range(1, 10_000_000) as usize;
                    self.response("200 OK", content_type(ext), &etag, b"", len)
                }
                _ => {
                    let obj = self.object(ext);
                    let etag = self.etag();
                    self.response("200 OK", content_type(ext), &etag, &obj, 0)
                }
            }
        };
        let ex = Exchange {
            request_head: head,
            request_body: body.clone(),
            expect_continue: false,
            response,
            valid: !wrong_key,
        };
        self.body = body;
        ex
    }

    /// S3 SigV4 presigned GET (botocore's S3SigV4QueryAuth shape), fetched by a plain client.
    pub(crate) fn s3_v4_presigned(&mut self) -> Exchange {
        let (path, ext) = self.object_path();
        let amz = self.clock.amz.clone();
        let date = self.clock.date.clone();
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY}%2F{date}%2F{REGION}%2Fs3%2Faws4_request&X-Amz-Date={amz}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        );
        let canonical = format!("GET\n{path}\n{query}\nhost:127.0.0.1\n\nhost\nUNSIGNED-PAYLOAD");
        let sig = sigv4(&self.key_good, &amz, &scope, &canonical);
        let head = format!(
            "GET {path}?{query}&X-Amz-Signature={sig} HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
        )
        .into_bytes();
        let obj = self.object(ext);
        let etag = self.etag();
        let response = self.response("200 OK", content_type(ext), &etag, &obj, 0);
        Exchange {
            request_head: head,
            request_body: Vec::new(),
            expect_continue: false,
            response,
            valid: true,
        }
    }

    /// S3 SigV2 GET with header auth (botocore's HmacV1Auth shape).
    pub(crate) fn s3_v2_get(&mut self) -> Exchange {
        let (path, ext) = self.object_path();
        let date = self.clock.http.clone();
        let sig = sigv2(SECRET_KEY, &format!("GET\n\n\n{date}\n{path}"));
        let inv = self.invocation_id();
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\nUser-Agent: Botocore/1.43.11 sigscope-bench\r\nDate: {date}\r\nAuthorization: AWS {ACCESS_KEY}:{sig}\r\namz-sdk-invocation-id: {inv}\r\namz-sdk-request: attempt=1\r\n\r\n"
        )
        .into_bytes();
        let obj = self.object(ext);
        let etag = self.etag();
        let response = self.response("200 OK", content_type(ext), &etag, &obj, 0);
        Exchange {
            request_head: head,
            request_body: Vec::new(),
            expect_continue: false,
            response,
            valid: true,
        }
    }

    pub(crate) fn fixture(&mut self) -> Exchange {
        let i = self.rng.below(self.fixtures.len() as u64) as usize;
        let (head, body, expect, ok) = self.fixtures[i].clone();
        let response = if ok {
            let body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></Response>";
            self.response("200 OK", "text/xml", "", body, 0)
        } else {
            self.denied()
        };
        Exchange {
            request_head: head,
            request_body: body,
            expect_continue: expect,
            response,
            valid: ok,
        }
    }

    pub(crate) fn exchange(&mut self, ts_us: u64) -> Exchange {
        self.set_time(ts_us);
        let r = self.rng.below(1000);
        let large = self.large_put_permille;
        match r {
            _ if r < large => {
                let n = self.rng.range(4 << 10, 64 << 10) as usize;
                self.s3_v4("PUT", n, false)
            }
            _ if r < 300 => self.s3_v4("GET", 0, false),
            _ if r < 360 => self.s3_v4("HEAD", 0, false),
            _ if r < 460 => {
                let n = self.rng.range(64, 2048) as usize;
                self.s3_v4("PUT", n, false)
            }
            _ if r < 560 => self.s3_v4_presigned(),
            _ if r < 660 => self.s3_v2_get(),
            _ if r < 680 => self.s3_v4("GET", 0, true),
            _ => self.fixture(),
        }
    }
}

pub(crate) fn content_type(ext: &str) -> &'static str {
    match ext {
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        _ => "application/octet-stream",
    }
}

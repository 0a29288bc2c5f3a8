use super::*;

#[test]
fn dot_segments() {
    assert_eq!(remove_dot_segments(b"/example/.."), b"/");
    assert_eq!(remove_dot_segments(b"//example//"), b"/example/");
    assert_eq!(remove_dot_segments(b"/./"), b"/");
    assert_eq!(remove_dot_segments(b"/a/b/../c/"), b"/a/c/");
    assert_eq!(remove_dot_segments(b""), b"/");
}

#[test]
fn python_normpath() {
    // posixpath.normpath('//example//') == '//example'; boto 2 re-adds the slash.
    assert_eq!(posix_normpath(b"//example//"), b"//example/");
    assert_eq!(posix_normpath(b"/./"), b"//");
    assert_eq!(posix_normpath(b"/"), b"/");
    assert_eq!(posix_normpath(b"///a/./b/.."), b"/a");
    assert_eq!(posix_normpath(b"/a/../../b"), b"/b");
}

#[test]
fn trims_per_dialect() {
    let v = b"  a \t b   \"c  d\" ";
    assert_eq!(trim_value(v, HeaderTrim::TrimAll), b"a b \"c d\"");
    assert_eq!(
        trim_value(v, HeaderTrim::TrimAllUnlessQuoted),
        b"a \t b   \"c  d\""
    );
    assert_eq!(trim_value(v, HeaderTrim::StripOnly), b"a \t b   \"c  d\"");
    assert_eq!(trim_value(v, HeaderTrim::FoldToFirstChar), b"a b \"c d\"");
    assert_eq!(trim_value(b"a\t  b", HeaderTrim::FoldToFirstChar), b"a\tb");
}

/// Strings from an alphabet of the bytes the plain checks look at (xorshift, fixed seed).
fn samples(alphabet: &[&str], n: usize, max_len: usize) -> Vec<String> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let len = (next() % max_len as u64) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn plain_paths_are_the_same_under_every_rule() {
    let alphabet = [
        "/", "a", "b", ".", "..", "~", "-", "%2F", "%41", "%2f", " ", "+", "é",
    ];
    let rules: Vec<PathRule> = crate::engine::dialect::ALL
        .iter()
        .flat_map(|d| [d.sigv4.path, d.sigv4.s3_path])
        .collect();
    let mut plain = 0;
    for p in samples(&alphabet, 20_000, 9) {
        let p = p.as_bytes();
        if !plain_path(p) {
            continue;
        }
        plain += 1;
        for r in &rules {
            assert_eq!(canonical_uri(p, *r).as_bytes(), p, "{r:?}");
        }
    }
    assert!(plain > 200, "{plain}");
}

#[test]
fn plain_queries_are_the_same_under_every_rule() {
    let alphabet = [
        "a", "b", "=", "&", "~", ".", "%2F", "%41", "%2f", "%3", "+", " ", "-",
    ];
    let mut plain = 0;
    for q in samples(&alphabet, 20_000, 8) {
        if !plain_query(q.as_bytes()) {
            continue;
        }
        plain += 1;
        let req = Request {
            method: "GET".into(),
            target: format!("/?{q}").into_bytes(),
            ..Default::default()
        };
        for presigned in [false, true] {
            let want = |keeps: bool| {
                canonical_query(
                    &req,
                    &SigV4Rules {
                        presigned_keeps_signature: keeps,
                        ..crate::engine::dialect::ALL[0].sigv4
                    },
                    presigned,
                    false,
                    &super::flavour::AWS4.query,
                )
            };
            let raw = |keeps: bool| {
                let base = crate::engine::dialect::ALL[0].sigv4;
                canonical_query(
                    &req,
                    &SigV4Rules {
                        presigned_keeps_signature: keeps,
                        query: QueryRule {
                            style: QueryStyle::RawPairs,
                            ..base.query
                        },
                        ..base
                    },
                    presigned,
                    false,
                    &super::flavour::AWS4.query,
                )
            };
            for d in crate::engine::dialect::ALL {
                let got = canonical_query(
                    &req,
                    &d.sigv4,
                    presigned,
                    false,
                    &super::flavour::AWS4.query,
                );
                let keeps = d.sigv4.presigned_keeps_signature;
                assert_eq!(got, want(keeps), "{q} {}", d.name);
                assert_eq!(got, raw(keeps), "{q} {} raw pairs", d.name);
            }
        }
    }
    assert!(plain > 500, "{plain}");
}

#[test]
fn plain_headers_are_the_same_under_every_rule() {
    let alphabet = ["a", " ", "  ", "\t", "\"", "b", ":", "1"];
    let values = samples(&alphabet, 3_000, 6);
    let mut plain = 0;
    for (i, v) in values.iter().enumerate() {
        let mut headers = vec![
            crate::http::Header::new("Host", format!("h{v}")),
            crate::http::Header::new("X-Amz-Date", "20150830T123600Z"),
            crate::http::Header::new("X-A", v.as_bytes()),
        ];
        if i % 7 == 0 {
            headers.push(crate::http::Header::new("x-a", "again"));
        }
        if i % 11 == 0 {
            headers.push(crate::http::Header::new("User-Agent", "Boto/2.0.1"));
        }
        let req = Request {
            method: "GET".into(),
            target: b"/".to_vec(),
            headers,
            ..Default::default()
        };
        let mut signed: Vec<String> = vec!["host".into(), "x-a".into(), "x-amz-date".into()];
        if i % 5 == 0 {
            signed.push("x-missing".into());
        }
        let auth = V4Auth {
            flavour: &super::flavour::AWS4,
            algorithm: "AWS4-HMAC-SHA256".into(),
            access_key: "AK".into(),
            scope: "20150830/us-east-1/s3/aws4_request".into(),
            scope_date: "20150830".into(),
            region: "us-east-1".into(),
            service: "s3".into(),
            terminator: "aws4_request".into(),
            signed_headers_raw: signed.join(";"),
            signed_headers: signed,
            signature: String::new(),
            amz_date: Some("20150830T123600Z".into()),
            amz_date_from_date_header: false,
            expires: None,
            session_token: None,
        };
        if !plain_headers(&req, &auth) {
            continue;
        }
        plain += 1;
        let want = canonical_headers(&req, &auth, &crate::engine::dialect::ALL[0].sigv4);
        assert_eq!(want.1, None);
        for d in crate::engine::dialect::ALL {
            assert_eq!(
                canonical_headers(&req, &auth, &d.sigv4),
                want,
                "{v:?} {}",
                d.name
            );
        }
    }
    assert!(plain > 100, "{plain}");
}

#[test]
fn http2_host_per_knob_value() {
    // An HTTP/2 request's host line under each `sigv4.h2_host` value (issue 13): with no Host
    // header (curl: the one in `headers` was made from :authority), and with a Host header
    // that differs from :authority.
    let auth = V4Auth {
        flavour: &super::flavour::AWS4,
        algorithm: "AWS4-HMAC-SHA256".into(),
        access_key: "AK".into(),
        scope: "20150830/us-east-1/s3/aws4_request".into(),
        scope_date: "20150830".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
        terminator: "aws4_request".into(),
        signed_headers_raw: "host".into(),
        signed_headers: vec!["host".into()],
        signature: String::new(),
        amz_date: None,
        amz_date_from_date_header: false,
        expires: None,
        session_token: None,
    };
    let req = |host: &str, host_added: bool| Request {
        method: "GET".into(),
        target: b"/".to_vec(),
        version: "HTTP/2".into(),
        headers: vec![crate::http::Header::new("host", host)],
        h2_authority: Some(crate::http::Authority {
            value: b"a.example".to_vec(),
            host_added,
        }),
        ..Default::default()
    };
    assert!(!plain_headers(&req("a.example", true), &auth));
    let line = |r: &Request, h2_host: H2Host| {
        let rules = SigV4Rules {
            h2_host,
            ..crate::engine::dialect::aws::SIGV4
        };
        let (out, missing) = canonical_headers(r, &auth, &rules);
        (String::from_utf8(out).unwrap(), missing)
    };
    let curl = req("a.example", true);
    let some = (String::from("host:a.example\n"), None);
    assert_eq!(line(&curl, H2Host::Authority), some);
    assert_eq!(line(&curl, H2Host::HostHeaderElseAuthority), some);
    assert_eq!(
        line(&curl, H2Host::HostHeader),
        (String::from("host:\n"), Some("host".into()))
    );
    let both = req("b.example", false);
    assert_eq!(line(&both, H2Host::Authority), some);
    let b = (String::from("host:b.example\n"), None);
    assert_eq!(line(&both, H2Host::HostHeaderElseAuthority), b);
    assert_eq!(line(&both, H2Host::HostHeader), b);
}

use super::*;

use crate::engine::Finding;
use crate::http::{Header, Request, Response};

fn req(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    Request {
        method: method.into(),
        target: target.as_bytes().to_vec(),
        version: "HTTP/1.1".into(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        body: body.to_vec(),
        ..Default::default()
    }
}

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
    Response {
        status,
        reason: "R".into(),
        version: "HTTP/1.1".into(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        body: body.to_vec(),
    }
}

fn ex(request: Request, response: Option<Response>) -> Exchange {
    Exchange {
        server: Some("10.0.0.1:8080".into()),
        request,
        response,
        ..Default::default()
    }
}

/// A signed S3 PUT answered 403, and an anonymous GET without a response.
fn put() -> Exchange {
    ex(
        req(
            "PUT",
            "/bucket/key.txt?acl",
            &[
                ("Host", "s3.example.com:9000"),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDX/20150830/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00"),
                ("Content-Type", "text/plain"),
            ],
            b"hello body",
        ),
        Some(resp(
            403,
            &[("Content-Type", "application/xml"), ("X-Amz-Request-Id", "RID1")],
            b"<Error><Code>SignatureDoesNotMatch</Code></Error>",
        )),
    )
}

fn get() -> Exchange {
    ex(
        req(
            "GET",
            "/public/index.html",
            &[("Host", "cdn.example.org")],
            b"",
        ),
        None,
    )
}

fn put_row() -> RowInfo {
    RowInfo {
        mode: Mode::Sigv4Header,
        verdict: Verdict::Invalid,
        access_key: Some("AKIDX".into()),
        region: Some("eu-west-1".into()),
        service: Some("s3".into()),
        findings: vec!["signature-unexplained", "clock-skew"].into(),
        mark: Mark::Plain,
        judged: "aws",
        answer: None,
    }
}

fn get_row() -> RowInfo {
    RowInfo {
        mode: Mode::Anonymous,
        verdict: Verdict::Anonymous,
        access_key: None,
        region: None,
        service: None,
        findings: vec!["no-response"].into(),
        mark: Mark::Plain,
        judged: "aws",
        answer: None,
    }
}

/// (put, get) with rows.
fn m(src: &str) -> (bool, bool) {
    let f = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    (
        f.matches(&put(), Some(&put_row())),
        f.matches(&get(), Some(&get_row())),
    )
}

fn err(src: &str) -> FilterError {
    match parse(src) {
        Ok(_) => panic!("{src} parsed"),
        Err(e) => e,
    }
}

#[test]
fn empty_matches_everything() {
    for s in ["", "   ", "\t\n"] {
        let f = parse(s).unwrap();
        assert!(f.is_empty());
        assert!(f.matches(&put(), None) && f.matches(&get(), Some(&get_row())));
    }
    assert!(Filter::default().matches(&get(), None));
}

#[test]
fn request_terms() {
    assert_eq!(m("~m put"), (true, false));
    assert_eq!(m("~m ^GET$"), (false, true));
    assert_eq!(m("~u key\\.txt"), (true, false));
    assert_eq!(
        m("~u ^http://s3\\.example\\.com:9000/bucket/"),
        (true, false)
    );
    assert!(
        err("~u ?acl$").message.contains("repetition operator"),
        "? is a regex operator"
    );
    assert_eq!(m("~u \\?acl$"), (true, false));
    assert_eq!(m("~u cdn.example.org/public"), (false, true));
    assert_eq!(m("~d ^s3\\.example\\.com$"), (true, false), "port dropped");
    assert_eq!(m("~d :9000$"), (true, false), "port kept");
    assert_eq!(m("~d example"), (true, true));
    assert_eq!(m("~d ^example\\.com$"), (false, false));
}

#[test]
fn url_scheme_and_absolute_targets() {
    let mut x = get();
    x.server = Some("[2001:db8::1]:443".into());
    assert!(parse("~u ^https://cdn").unwrap().matches(&x, None));
    let mut y = get();
    y.request.target = b"http://proxy.example/abs?x=1".to_vec();
    y.request.headers.clear();
    let f = parse("~u ^http://proxy\\.example/abs\\?x=1$").unwrap();
    assert!(f.matches(&y, None));
    assert!(parse("~d ^proxy\\.example$").unwrap().matches(&y, None));
    // Nothing names the host: the server address stands in.
    let mut z = get();
    z.request.headers.clear();
    assert!(parse("~u ^http://10\\.0\\.0\\.1:8080/public")
        .unwrap()
        .matches(&z, None));
    assert!(!parse("~d .").unwrap().matches(&z, None));
}

#[test]
fn header_terms_match_whole_lines() {
    assert_eq!(m("~h ^content-type:\\s*text/plain$"), (true, false));
    assert_eq!(m("~h application/xml"), (true, false), "response header");
    assert_eq!(m("~hq application/xml"), (false, false));
    assert_eq!(m("~hs application/xml"), (true, false));
    assert_eq!(m("~hs '^x-amz-request-id: RID1$'"), (true, false));
    assert_eq!(m("~hq '^host: cdn'"), (false, true));
    // Unquoted, the space ends the argument: `~hs ^x-amz-request-id:` and the URL `RID1`.
    assert_eq!(m("~hs ^x-amz-request-id: RID1"), (false, false));
    assert_eq!(m("~hs ."), (true, false), "no response, no header");
    // A name only matches with its colon, a value only after it.
    assert_eq!(m("~hq \"^authorization: AWS4\""), (true, false));
    assert_eq!(m("~hq ^aws4"), (false, false));
}

#[test]
fn status_and_response_presence() {
    assert_eq!(m("~c 403"), (true, false));
    assert_eq!(m("~c 4xx"), (true, false));
    assert_eq!(m("~c 4XX"), (true, false));
    assert_eq!(m("~c 5xx"), (false, false));
    assert_eq!(m("~c 404"), (false, false));
    assert_eq!(m("~q"), (false, true));
    assert_eq!(m("~s"), (true, false));
    for bad in ["~c", "~c 40", "~c 4x", "~c abc", "~c 0xx", "~c 4031"] {
        let e = err(bad);
        assert!(e.message.contains("~c needs a status code"), "{bad}: {e}");
    }
}

#[test]
fn body_terms() {
    assert_eq!(m("~b \"hello body\""), (true, false));
    assert_eq!(m("~bq hello"), (true, false));
    assert_eq!(m("~bs hello"), (false, false));
    assert_eq!(m("~bs SignatureDoesNotMatch"), (true, false));
    assert_eq!(m("~bq SignatureDoesNotMatch"), (false, false));
    assert_eq!(
        m("~b signaturedoesnotmatch"),
        (true, false),
        "case-insensitive"
    );
    // Binary bodies: a regex over bytes, invalid UTF-8 is no obstacle.
    let mut x = put();
    x.request.body = b"\xff\xfe needle \x00".to_vec();
    assert!(parse("~bq needle").unwrap().matches(&x, None));
}

#[test]
fn body_terms_see_through_gzip() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"<Code>AccessDenied</Code>").unwrap();
    let gz = e.finish().unwrap();
    let mut x = put();
    x.response = Some(resp(403, &[("Content-Encoding", "gzip")], &gz));
    assert!(parse("~bs AccessDenied").unwrap().matches(&x, None));
    assert!(!parse("~bs SignatureDoesNotMatch")
        .unwrap()
        .matches(&x, None));
}

#[test]
fn signature_terms() {
    assert_eq!(m("~auth sigv4"), (true, false));
    assert_eq!(m("~auth sigv4-header"), (true, false));
    assert_eq!(m("~auth SIGV4-H"), (true, false));
    assert_eq!(m("~auth sigv4-query"), (false, false));
    assert_eq!(m("~auth anonymous"), (false, true));
    assert_eq!(m("~auth sigv2"), (false, false));
    assert_eq!(m("~v invalid"), (true, false));
    assert_eq!(m("~v inv"), (true, false));
    assert_eq!(m("~v i"), (true, false));
    assert_eq!(
        m("~v valid"),
        (false, false),
        "valid is not a prefix of invalid"
    );
    assert_eq!(m("~v anon"), (false, true));
    assert_eq!(m("~ak ^akidx$"), (true, false));
    assert_eq!(m("~ak ."), (true, false), "no access key: false");
    assert_eq!(m("~svc ^s3$"), (true, false));
    assert_eq!(m("~region eu-"), (true, false));
    assert_eq!(m("~f clock-skew"), (true, false));
    assert_eq!(m("~f ^no-response$"), (false, true));
    assert_eq!(m("~f skew|response"), (true, true));
    assert_eq!(m("~a"), (true, false));
    assert!(err("~auth sigv5")
        .message
        .contains("unknown auth mode sigv5"));
    assert!(err("~v great").message.contains("unknown verdict great"));
    assert!(err("~auth").message.contains("~auth needs an auth mode"));
}

#[test]
fn the_marks_beside_valid_are_selected_by_v() {
    let row = |verdict, mark| RowInfo {
        verdict,
        mark,
        ..put_row()
    };
    let body = row(Verdict::Valid, Mark::BodyMismatch);
    let refused = row(Verdict::Valid, Mark::Refused);
    let plain = row(Verdict::Valid, Mark::Plain);
    let hit = |src: &str, r: &RowInfo| parse(src).unwrap().matches(&put(), Some(r));
    for src in ["~v body-mismatch", "~v body", "~v B"] {
        assert!(hit(src, &body), "{src}");
        assert!(!hit(src, &refused) && !hit(src, &plain), "{src}");
    }
    for src in ["~v refused", "~v ref"] {
        assert!(
            hit(src, &refused) && !hit(src, &body) && !hit(src, &plain),
            "{src}"
        );
    }
    // The verdict is still valid: `~v valid` keeps every one, `!~v body` drops the failed.
    assert!(hit("~v valid", &body) && hit("~v valid", &refused));
    assert!(hit("~v valid & !~v body", &plain) && !hit("~v valid & !~v body", &body));
    assert!(hit("~v invalid | ~v body", &body));
    assert!(parse("~v body").unwrap().uses_row());
    // Before analysis a mark term fails, like every signature term.
    assert!(!parse("~v body").unwrap().matches(&put(), None));
    assert!(err("~v bodies")
        .message
        .contains("the marks refused, body-mismatch"));
}

#[test]
fn every_mode_and_verdict_is_reachable() {
    for m in MODES {
        let f = parse(&format!("~auth {}", m.as_str())).unwrap();
        let row = RowInfo {
            mode: *m,
            ..put_row()
        };
        assert!(f.matches(&put(), Some(&row)), "{}", m.as_str());
        let has_auth = parse("~a").unwrap().matches(&put(), Some(&row));
        assert_eq!(
            has_auth,
            !matches!(m, Mode::Anonymous | Mode::Unknown),
            "{}",
            m.as_str()
        );
    }
    for v in VERDICTS {
        let f = parse(&format!("~v {}", v.as_str())).unwrap();
        let row = RowInfo {
            verdict: *v,
            ..put_row()
        };
        assert!(f.matches(&put(), Some(&row)));
        for other in VERDICTS.iter().filter(|o| *o != v) {
            let row = RowInfo {
                verdict: *other,
                ..put_row()
            };
            assert!(
                !f.matches(&put(), Some(&row)),
                "{} {}",
                v.as_str(),
                other.as_str()
            );
        }
    }
}

#[test]
fn rowless_signature_terms_are_false() {
    let x = put();
    for s in [
        "~auth sigv4",
        "~v invalid",
        "~ak .",
        "~svc s3",
        "~region eu",
        "~a",
    ] {
        let f = parse(s).unwrap();
        assert!(f.uses_row(), "{s}");
        assert!(f.matches(&x, Some(&put_row())), "{s} with the row");
        assert!(!f.matches(&x, None), "{s} without a row");
        assert!(
            parse(&format!("!{s}")).unwrap().matches(&x, None),
            "!{s} without a row"
        );
    }
    // ~f falls back to the capture's notes.
    let mut y = get();
    y.notes
        .push(Finding::new(crate::engine::Code::CaptureIncomplete, "gap"));
    assert!(parse("~f incomplete").unwrap().matches(&y, None));
    assert!(!parse("~f clock").unwrap().matches(&y, None));
    assert!(!parse("~m GET | ~q").unwrap().uses_row());
    assert!(parse("~m GET | !~v valid").unwrap().uses_row());
}

#[test]
fn operators_and_precedence() {
    assert_eq!(m("!~q"), (true, false));
    assert_eq!(m("!!~q"), (false, true));
    assert_eq!(m("~m PUT & ~c 403"), (true, false));
    assert_eq!(m("~m PUT ~c 403"), (true, false), "juxtaposition is and");
    assert_eq!(m("~m PUT&~s"), (false, false), "the argument is `PUT&~s`");
    assert_eq!(
        m("~q&~m GET"),
        (false, true),
        "no argument, so & is an operator"
    );
    assert_eq!(m("~m PUT | ~m GET"), (true, true));
    assert_eq!(m("~m GET|PUT"), (true, true), "one regex");
    // & binds tighter than |: (~m PUT & ~q) | ~m GET
    assert_eq!(m("~m PUT & ~q | ~m GET"), (false, true));
    assert_eq!(m("~m PUT & (~q | ~m GET)"), (false, false));
    // ! binds tighter than &: (!~q) & ~m PUT
    assert_eq!(m("!~q & ~m PUT"), (true, false));
    assert_eq!(m("!(~q | ~m PUT)"), (false, false));
    assert_eq!(m("!~q | ~m GET"), (true, true));
    assert_eq!(m("~m GET | ~m PUT ~c 5xx"), (false, true));
    assert_eq!(m("((~s))"), (true, false));
    assert_eq!(m("(~m GET)(~q)"), (false, true), "groups juxtaposed");
}

#[test]
fn bare_words_and_quoting() {
    assert_eq!(m("bucket"), (true, false));
    assert_eq!(m("public ~q"), (false, true));
    assert_eq!(m("!bucket"), (false, true));
    assert_eq!(m("\"key.txt\""), (true, false));
    assert_eq!(m("'index html'"), (false, false));
    assert_eq!(m("~b 'hello body'"), (true, false));
    assert_eq!(
        m("~b \"hello\\\\ body\""),
        (true, false),
        "\\\\ is one backslash: `\\ ` = space"
    );
    assert_eq!(
        m("~bs \"<Code>Sig\\w+</Code>\""),
        (true, false),
        "\\w kept for the regex"
    );
    assert_eq!(m("~u \"(bucket|public)/\""), (true, true));
    assert_eq!(m("~u '/~user'"), (false, false));
    // Escaped quotes of both kinds inside either quote.
    let mut x = put();
    x.request.body = br#"say "hi" it's"#.to_vec();
    assert!(parse(r#"~bq "\"hi\" it's""#).unwrap().matches(&x, None));
    assert!(parse(r#"~bq 'it\'s'"#).unwrap().matches(&x, None));
    assert!(parse(r#"~bq "it\'s""#).unwrap().matches(&x, None));
    // A quoted argument needs no space after the term name.
    assert!(parse(r#"~bq"hi""#).unwrap().matches(&x, None));
    // An empty quoted regex matches everything.
    assert_eq!(m("~u ''"), (true, true));
    // Non-ASCII is fine and case-folded.
    let mut y = get();
    y.request.target = "/Ünïcode".as_bytes().to_vec();
    assert!(parse("~u ünï").unwrap().matches(&y, None));
}

#[test]
fn errors_say_what_and_where() {
    let e = err("~m GET & ~x foo");
    assert_eq!(e.at, 9);
    assert!(
        e.message
            .starts_with("unknown filter ~x; known: ~m ~u ~h ~hq ~hs ~c"),
        "{e}"
    );
    assert!(e.message.contains("~auth") && e.message.contains("~region"));
    let e = err("~");
    assert_eq!(e.at, 0);
    assert!(e.message.starts_with("~ needs a filter name"));
    let e = err("(~m GET | ~q");
    assert_eq!(
        (e.at, e.message.as_str()),
        (0, "unbalanced parenthesis: this ( is never closed")
    );
    let e = err("~q (");
    assert_eq!(e.at, 3);
    assert!(e.message.contains("never closed"));
    let e = err("~m GET)");
    assert_eq!(
        (e.at, e.message.as_str()),
        (6, "unbalanced parenthesis: ) without a matching (")
    );
    let e = err(")");
    assert_eq!(e.at, 0);
    assert!(e.message.contains("without a matching"));
    let e = err("~q ()");
    assert_eq!((e.at, e.message.as_str()), (3, "empty parentheses"));
    let e = err("~c");
    assert_eq!(
        (e.at, e.message.as_str()),
        (2, "~c needs a status code (e.g. 403 or 4xx)")
    );
    let e = err("~c 99x");
    assert_eq!(e.at, 3);
    let e = err("~m");
    assert_eq!(
        (e.at, e.message.as_str()),
        (2, "~m needs a regular expression")
    );
    let e = err("(~m)");
    assert_eq!(e.at, 3);
    assert!(e.message.starts_with("~m needs"));
    let e = err("~u (a|b)");
    assert_eq!(e.at, 3);
    assert!(e.message.contains("quote one that has parentheses"), "{e}");
    let e = err("~q &");
    assert_eq!((e.at, e.message.as_str()), (4, "expected a filter after &"));
    let e = err("~q | ");
    assert_eq!((e.at, e.message.as_str()), (5, "expected a filter after |"));
    let e = err("| ~q");
    assert_eq!(
        (e.at, e.message.as_str()),
        (0, "expected a filter before |")
    );
    let e = err("~q & & ~s");
    assert_eq!(e.at, 5);
    let e = err("!");
    assert_eq!((e.at, e.message.as_str()), (1, "expected a filter after !"));
    let e = err("~b 'abc");
    assert_eq!(
        (e.at, e.message.as_str()),
        (3, "unterminated quoted string")
    );
    let e = err("~b \"abc\\\"");
    assert_eq!(e.at, 3, "an escaped quote does not close");
}

#[test]
fn regex_errors_point_into_the_pattern() {
    // `[` opened at char 6 (the regex starts at 3).
    let e = err("~u ab[cd");
    assert_eq!(e.at, 5);
    assert!(
        e.message.starts_with("bad regex: unclosed character class"),
        "{e}"
    );
    // Offsets are characters, not bytes, and count the quote.
    let e = err("~m ü ~u \"é\\\"[x\"");
    assert_eq!(e.at, 12, "{e}");
    assert!(e.message.starts_with("bad regex:"), "{e}");
    let e = err("~h a{2,1}");
    assert!(e.message.starts_with("bad regex:"), "{e}");
    assert!(e.at >= 4 && e.at <= 8, "{e}");
    // Bare words are regexes too.
    let e = err("~q *oops");
    assert_eq!(e.at, 3);
    assert!(
        e.message.contains("repetition operator missing expression"),
        "{e}"
    );
    assert!(!e.message.contains('\n'));
}

#[test]
fn hostile_regexes_are_refused_not_run() {
    let e = err("~u a{1000}{1000}{1000}");
    assert!(e.message.starts_with("bad regex:"), "{e}");
    assert!(!e.message.contains('\n'));
    let deep = format!("~u \"{}a{}\"", "(".repeat(100), ")".repeat(100));
    let e = err(&deep);
    assert!(e.message.starts_with("bad regex:"), "{e}");
    // Deep filter nesting is refused with a message, not a stack overflow.
    let e = err(&"!".repeat(100_000));
    assert!(e.message.contains("nested too deeply"));
    let e = err(&format!("{}~q{}", "(".repeat(10_000), ")".repeat(10_000)));
    assert!(e.message.contains("nested too deeply"));
    assert!(parse(&format!("{}~q{}", "(".repeat(50), ")".repeat(50))).is_ok());
}

#[test]
fn term_table_matches_the_parser() {
    let mut names = Vec::new();
    for (t, help) in describe_terms() {
        assert!(!help.is_empty());
        if !t.starts_with('~') {
            continue;
        }
        let (name, arg) = t.split_once(' ').unwrap_or((t, ""));
        names.push(name);
        let sample = match arg {
            "" => String::new(),
            "RE" => "x".into(),
            "CODE" => "200".into(),
            "MODE" => "sigv4".into(),
            "VERDICT" => "valid".into(),
            other => panic!("argument kind {other} not in the sample list"),
        };
        parse(&format!("{name} {sample}")).unwrap_or_else(|e| panic!("{t}: {e}"));
        if !arg.is_empty() {
            assert!(parse(name).is_err(), "{name} needs an argument");
        }
    }
    assert_eq!(names.len(), 19);
    // Every two-letter-or-longer term name is in the table, and nothing else parses.
    for n in ["~x", "~mm", "~hx", "~authx", "~vv"] {
        assert!(parse(&format!("{n} a")).is_err(), "{n}");
    }
    // Term names are not case-sensitive.
    assert_eq!(m("~M put"), (true, false));
}

#[test]
fn filter_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Filter>();
    let f = parse("~u bucket & ~hq host").unwrap();
    let x = put();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| assert!(f.matches(&x, None)));
        }
    });
}

/// Many generated exchanges against a hand-written predicate per filter.
#[test]
fn many_exchanges_agree_with_a_reference() {
    let methods = ["GET", "PUT", "POST", "DELETE", "HEAD"];
    let statuses = [200, 204, 403, 404, 500];
    let mut xs = Vec::new();
    for i in 0..20_000usize {
        let method = methods[i % 5];
        let target = format!("/b{}/k{}?n={}", i % 7, i % 13, i);
        let host = format!("h{}.example.com:{}", i % 3, 9000 + i % 2);
        let mut x = ex(
            req(
                method,
                &target,
                &[("Host", &host), ("X-Seq", &i.to_string())],
                if i % 4 == 0 { b"needle" } else { b"hay" },
            ),
            (i % 6 != 0).then(|| resp(statuses[i % 5], &[], b"")),
        );
        x.index = i;
        let row = (i % 10 != 0).then(|| RowInfo {
            verdict: VERDICTS[i % 5],
            ..put_row()
        });
        xs.push((x, row));
    }
    type Reference = fn(usize, Option<Verdict>) -> bool;
    let cases: &[(&str, Reference)] = &[
        ("~m PUT & ~u /b3/", |i, _| i % 5 == 1 && i % 7 == 3),
        ("~c 4xx | ~q", |i, _| i % 6 == 0 || matches!(i % 5, 2 | 3)),
        ("~d ^h1\\. !~bq needle", |i, _| i % 3 == 1 && i % 4 != 0),
        ("~hq \"^x-seq: 1\\d*$\"", |i, _| {
            i.to_string().starts_with('1')
        }),
        ("!~v valid", |_, v| v != Some(Verdict::Valid)),
        ("~v valid | ~v inv", |_, v| {
            matches!(v, Some(Verdict::Valid | Verdict::Invalid))
        }),
    ];
    for (src, want) in cases {
        let f = parse(src).unwrap();
        let mut hits = 0;
        for (i, (x, row)) in xs.iter().enumerate() {
            let got = f.matches(x, row.as_ref());
            assert_eq!(
                got,
                want(i, row.as_ref().map(|r| r.verdict)),
                "{src} on #{i}"
            );
            hits += usize::from(got);
        }
        assert!(hits > 0 && hits < xs.len(), "{src}: {hits} hits");
    }
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,64}") {
        let _ = parse(&s);
    }

    /// Strings made of the grammar's own pieces reach deep into the parser; when they
    /// parse, matching must not panic either, and errors point inside the input.
    #[test]
    fn grammar_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
        "~m", "~u", "~h", "~hq", "~c", "~q", "~s", "~b", "~d", "~auth", "~v", "~f", "~a", "~zz", "~",
        "(", ")", "!", "&", "|", " ", "\"", "'", "\\", "GET", "4xx", "403", "sig", "[", "a{2}",
        "ü", "*", "\"x y\"", "'(a|b)'",
    ]), 0..24)) {
        let s: String = parts.concat();
        match parse(&s) {
            Ok(f) => {
                let _ = f.matches(&put(), Some(&put_row()));
                let _ = f.matches(&get(), None);
            }
            Err(e) => proptest::prop_assert!(e.at <= s.chars().count(), "{s:?}: {e}"),
        }
    }
}

/// `~auth WORD` picks the modes of that word, not of a longer word it starts (`sigv4` is not
/// SigV4A); a partial word still picks every mode it starts.
#[test]
fn an_auth_word_picks_its_own_modes() {
    let picks = |q: &str| -> Vec<&str> {
        let f = parse(&format!("~auth {q}")).unwrap();
        MODES
            .iter()
            .filter(|m| {
                let row = RowInfo {
                    mode: **m,
                    ..put_row()
                };
                f.matches(&put(), Some(&row))
            })
            .map(|m| m.as_str())
            .collect()
    };
    let sigv4 = picks("sigv4");
    assert!(
        sigv4.contains(&"sigv4-header") && sigv4.contains(&"sigv4-query"),
        "{sigv4:?}"
    );
    assert!(sigv4.iter().all(|m| !m.starts_with("sigv4a")), "{sigv4:?}");
    assert_eq!(
        picks("sigv4a"),
        ["sigv4a-header", "sigv4a-query", "sigv4a-streaming"]
    );
    let sig = picks("sig");
    assert!(
        sig.contains(&"sigv4a-header") && sig.contains(&"sigv2-header"),
        "{sig:?}"
    );
}

use super::*;
use crate::http::Header;

#[test]
fn canonical_query_sorts_and_encodes() {
    assert_eq!(canonical_query(b"b=2&a=1&a=0"), b"a=0&a=1&b=2");
    assert_eq!(canonical_query(b"acl"), b"acl=");
    assert_eq!(
        canonical_query(b"prefix=photos%2F2024%20summer%2F&delimiter=/&x=a+b&y=%7e"),
        b"delimiter=%2F&prefix=photos%2F2024%20summer%2F&x=a%2Bb&y=~"
    );
}

#[test]
fn url_safety() {
    assert_eq!(
        url_safe(b"/a b#c\x1b\xc3\xa9"),
        (b"/a%20b%23c%1B%C3%A9".to_vec(), true)
    );
    assert_eq!(url_safe(b"/a?b=[1]{2}"), (b"/a?b=[1]{2}".to_vec(), false));
    assert_eq!(url_safe(b"*").0, b"/*");
    assert_eq!(origin_form(b"http://h:1/p?q"), b"/p?q");
    assert_eq!(origin_form(b"http://h?q"), b"?q");
    assert_eq!(origin_form(b"http://h"), b"/");
}

fn exchange(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Exchange {
    Exchange {
        server: Some("10.0.0.1:80".into()),
        request: Request {
            method: method.into(),
            target: target.as_bytes().to_vec(),
            version: "HTTP/1.1".into(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            body: body.to_vec(),
            ..Default::default()
        },
        ..Default::default()
    }
}

const V4: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

fn lines(c: &str) -> Vec<&str> {
    c.lines()
        .map(|l| l.trim().trim_end_matches(" \\"))
        .collect()
}

#[test]
fn curl_methods_and_bodies() {
    let c = curl(&exchange("HEAD", "/k", &[("Host", "h")], b""), None);
    assert!(lines(&c).contains(&"--head") && !c.contains("-X"), "{c}");
    let c = curl(
        &exchange("GET", "/k", &[("Host", "h"), ("Content-Length", "0")], b""),
        None,
    );
    assert!(
        lines(&c).contains(&"-X GET") && lines(&c).contains(&"--data-raw ''"),
        "{c}"
    );
    let c = curl(&exchange("POST", "/k", &[("Host", "h")], b""), None);
    assert!(
        lines(&c).contains(&"-X POST") && !c.contains("--data"),
        "{c}"
    );
    let c = curl(&exchange("POST", "/k", &[("Host", "h")], b"a=1"), None);
    assert!(
        !c.contains("-X") && lines(&c).contains(&"--data-raw 'a=1'"),
        "{c}"
    );
    assert!(
        lines(&c).contains(&"-H 'Content-Type:'"),
        "curl's default suppressed: {c}"
    );
    let c = curl(&exchange("PUT", "/k", &[("Host", "h")], b"\x00\x01"), None);
    assert!(
        c.starts_with("# ") && c.contains("\nprintf %b '\\x00\\x01' | curl"),
        "{c}"
    );
    assert!(lines(&c).contains(&"--data-binary @-"), "{c}");
    let mut x = exchange("GET", "/k", &[("Host", "h")], b"");
    x.request.version = "HTTP/1.0".into();
    x.server = Some("[2001:db8::1]:443".into());
    let c = curl(&x, None);
    assert!(lines(&c).contains(&"--http1.0"), "{c}");
    assert!(c.trim_end().ends_with("'https://h/k'"), "{c}");
    let c = curl(&exchange("GET", "/k", &[], b""), None);
    assert!(
        c.trim_end().ends_with("'http://10.0.0.1:80/k'"),
        "no Host: the server: {c}"
    );
}

#[test]
fn curl_headers_by_mode() {
    let hs = [
        ("Host", "b.s3.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("X-Empty", ""),
        ("Authorization", V4),
        ("Content-Length", "3"),
    ];
    let x = exchange("PUT", "/b/a$b?z=1&a=2", &hs, b"abc");
    let c = curl(&x, None);
    let l = lines(&c);
    assert!(l.contains(&"--aws-sigv4 'aws:amz:us-east-1:s3'"), "{c}");
    assert!(
        l.contains(&"--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\""),
        "{c}"
    );
    for gone in [
        "X-Amz-Date",
        "Authorization",
        "Host:",
        "Content-Length",
        "X-Empty",
    ] {
        assert!(
            !l.iter().any(|l| l.starts_with("-H") && l.contains(gone)),
            "{gone}: {c}"
        );
    }
    assert!(c.contains("# empty header X-Empty dropped"), "{c}");
    assert!(c.contains("# curl adds Content-Type"), "{c}");
    assert!(
        c.contains("# curl before 8.x signs this path as written"),
        "`$` is %24 to AWS: {c}"
    );
    assert!(c.contains("# query rewritten"), "{c}");
    assert!(
        c.trim_end()
            .ends_with("'http://b.s3.amazonaws.com/b/a$b?a=2&z=1'"),
        "{c}"
    );
    // The same request re-sent as captured when the scope cannot be given to curl.
    let odd = V4.replace("us-east-1", "us:east");
    let hs2 = [
        ("Host", "h"),
        ("X-Empty", ""),
        ("Authorization", odd.as_str()),
    ];
    let c = curl(&exchange("GET", "/?z=1&a=2", &hs2, b""), None);
    let l = lines(&c);
    assert!(
        !l.iter().any(|l| l.starts_with("--aws-sigv4"))
            && c.contains("not one curl --aws-sigv4 can sign"),
        "{c}"
    );
    assert!(l.contains(&"-H 'X-Empty;'"), "sent empty, not removed: {c}");
    assert!(
        l.contains(&"-H 'User-Agent:'") && l.contains(&"-H 'Accept:'"),
        "{c}"
    );
    assert!(
        c.trim_end().ends_with("'http://h/?z=1&a=2'"),
        "query as captured: {c}"
    );
    // Presigned and streaming requests cannot be re-signed.
    let c = curl(&exchange("GET", "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00", &[("Host", "h")], b""), None);
    assert!(c.contains("sigv4-query: curl cannot re-sign it"), "{c}");
    // Nor SigV4A (curl has no ECDSA signer): replayed, and said so.
    let authz = "AWS4-ECDSA-P256-SHA256 Credential=AK/20150830/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=30";
    let hs = [
        ("Host", "h"),
        ("X-Amz-Date", "20150830T000000Z"),
        ("X-Amz-Region-Set", "*"),
        ("Authorization", authz),
    ];
    let c = curl(&exchange("GET", "/k", &hs, b""), None);
    assert!(
        !lines(&c).iter().any(|l| l.starts_with("--aws-sigv4"))
            && c.contains("sigv4a-header: curl cannot re-sign it"),
        "{c}"
    );
}

#[test]
fn curl_secrets_become_environment_variables() {
    let hs = [
        ("Host", "h"),
        ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"),
        ("Proxy-Authorization", "Basic cHJveHk6cHc="),
        ("X-Amz-Security-Token", "FQoTOKEN"),
    ];
    let c = curl(&exchange("GET", "/", &hs, b""), None);
    for secret in ["e30.sig", "cHJveHk6cHc", "FQoTOKEN"] {
        assert!(!c.contains(secret), "{secret}: {c}");
    }
    let l = lines(&c);
    assert!(
        l.contains(&"-H 'Authorization: Bearer '\"$BEARER_TOKEN\""),
        "{c}"
    );
    assert!(
        l.contains(&"-H 'Proxy-Authorization: Basic '\"$PROXY_CREDENTIALS\""),
        "{c}"
    );
    assert!(
        l.contains(&"-H 'X-Amz-Security-Token: '\"$AWS_SESSION_TOKEN\""),
        "{c}"
    );
    assert!(
        c.contains(
            "# reads $BEARER_TOKEN, $PROXY_CREDENTIALS, $AWS_SESSION_TOKEN from the environment"
        ),
        "{c}"
    );
}

/// A presigned request's session token (in the query) is read from the environment, as the
/// header's is, and the raw and HAR exports mask it; run through bash, the URL curl gets is the
/// one captured.
#[test]
fn a_presigned_session_token_stays_out_of_every_export() {
    let token = "FQoGZXIvYXdzE%2BTOKEN%2F%3D";
    let target = format!(
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={token}&X-Amz-Signature=00"
    );
    let x = exchange("GET", &target, &[("Host", "h")], b"");
    let c = curl(&x, None);
    assert!(!c.contains("FQoGZXIvYXdzE"), "{c}");
    assert!(c.contains("$AWS_SESSION_TOKEN_QUERY"), "{c}");
    assert!(
        c.contains("# reads $AWS_SESSION_TOKEN_QUERY from the environment"),
        "{c}"
    );
    let url_word = lines(&c).into_iter().last().unwrap().to_string();
    let echoed = std::process::Command::new("bash")
        .args(["-c", &format!("printf %s {url_word}")])
        .env("AWS_SESSION_TOKEN_QUERY", token)
        .output();
    if let Ok(o) = echoed {
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("http://h{target}")
        );
    }
    for export in [
        String::from_utf8(crate::export::raw_http(&x)).unwrap(),
        crate::export::har(&[(&x, None)]),
        crate::export::url(&x),
    ] {
        assert!(!export.contains("FQoGZXIvYXdzE"), "{export}");
        assert!(
            export.contains("X-Amz-Security-Token=FQoG••••(27-chars)"),
            "{export}"
        );
    }
}

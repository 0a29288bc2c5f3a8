//! The mask and restore round trip of `E`: a mask left alone gives the secret back, a mask
//! edited is kept as typed, the rest of the edit is taken.

use super::{masked, restore, EditError};
use crate::http::{self, Headers as _, Request};

const SIG: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW";

fn request(text: &str) -> Request {
    let p = http::parse_raw(text.as_bytes());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    match p.messages.into_iter().next() {
        Some(http::Message::Request(r, _)) => *r,
        _ => panic!("no request"),
    }
}

fn sigv4() -> Request {
    request(&format!(
        "PUT /bucket/key HTTP/1.1\r\nHost: s3.example.test\r\nX-Amz-Date: 20150830T123600Z\r\n\
         X-Amz-Security-Token: {TOKEN}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={SIG}\r\nContent-Length: 5\r\n\r\nhello"
    ))
}

fn text(m: &super::Masked) -> String {
    String::from_utf8(m.text.clone()).unwrap()
}

#[test]
fn secrets_are_masked_and_an_unchanged_text_gives_the_request_back() {
    let req = sigv4();
    let m = masked(&req);
    let t = text(&m);
    assert!(!t.contains(SIG) && !t.contains(TOKEN), "{t}");
    assert!(t.contains("Signature=f0e8••••"), "{t}");
    assert!(t.contains("Credential=AKIDEXAMPLE/20150830"), "{t}");
    let back = restore(&m.text, &m, &req).unwrap();
    assert_eq!(back.headers, req.headers);
    assert_eq!(back.body, req.body);
    assert_eq!(
        (back.method.as_str(), &back.target[..]),
        ("PUT", &b"/bucket/key"[..])
    );
}

#[test]
fn a_header_edited_beside_the_masks_keeps_the_secrets() {
    let req = sigv4();
    let m = masked(&req);
    let t = text(&m).replace("Host: s3.example.test", "Host: other.example.test");
    let back = restore(t.as_bytes(), &m, &req).unwrap();
    assert_eq!(back.header("host").as_deref(), Some("other.example.test"));
    assert_eq!(back.header("x-amz-security-token").as_deref(), Some(TOKEN));
    assert!(back.header("authorization").unwrap().ends_with(SIG));
}

#[test]
fn a_mask_edited_is_kept_as_edited() {
    let req = sigv4();
    let m = masked(&req);
    let t = text(&m);
    let start = t.find("Signature=").unwrap() + "Signature=".len();
    let end = start + t[start..].find('\n').unwrap();
    let t = format!("{}{}{}", &t[..start], "0000", &t[end..]);
    let tok = t.find("X-Amz-Security-Token: ").unwrap() + "X-Amz-Security-Token: ".len();
    let tok_end = tok + t[tok..].find('\n').unwrap();
    let t = format!("{}{}{}", &t[..tok], "mytoken", &t[tok_end..]);
    let back = restore(t.as_bytes(), &m, &req).unwrap();
    assert!(back
        .header("authorization")
        .unwrap()
        .ends_with("Signature=0000"));
    assert_eq!(
        back.header("x-amz-security-token").as_deref(),
        Some("mytoken")
    );
}

#[test]
fn presigned_signature_and_token_in_the_target() {
    let target = format!(
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token={}&X-Amz-Signature={SIG}",
        TOKEN.replace('/', "%2F")
    );
    let req = request(&format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n"));
    let m = masked(&req);
    let t = text(&m);
    let line = t.lines().next().unwrap();
    assert!(!line.contains(SIG) && !line.contains("AQoDYXdz"), "{line}");
    assert_eq!(line.split(' ').count(), 3, "{line}");
    let back = restore(&m.text, &m, &req).unwrap();
    assert_eq!(back.target, target.as_bytes());
    // The signature's mask replaced, the token's left: the token comes back.
    let sig_mask = line.rsplit("X-Amz-Signature=").next().unwrap().to_string();
    let t = t.replacen(&sig_mask, "abc HTTP/1.1", 1);
    let back = restore(t.as_bytes(), &m, &req).unwrap();
    assert!(back.target_lossy().ends_with("X-Amz-Signature=abc"));
    assert!(back.target_lossy().contains("AQoDYXdz"));
}

#[test]
fn sigv2_and_bearer() {
    let req = request(
        "GET /b HTTP/1.1\r\nHost: h\r\nAuthorization: AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=\r\n\
         X-Auth-Token: gAAAAABexampletokenvalue\r\n\r\n",
    );
    let m = masked(&req);
    let t = text(&m);
    assert!(t.contains("Authorization: AWS AKIDEXAMPLE:frJI••••"), "{t}");
    assert!(
        !t.contains("yllqDzg=") && !t.contains("exampletokenvalue"),
        "{t}"
    );
    assert_eq!(restore(&m.text, &m, &req).unwrap().headers, req.headers);
}

#[test]
fn equal_masks_stay_apart() {
    // Same first four characters, same length: the masks differ, each restores its own.
    let req = request("GET / HTTP/1.1\r\nHost: h\r\nX-Auth-Token: abcd111111\r\nX-Subject-Token: abcd222222\r\n\r\n");
    let m = masked(&req);
    assert_eq!(restore(&m.text, &m, &req).unwrap().headers, req.headers);
}

#[test]
fn the_body_edited_and_the_editors_last_newline() {
    let req = sigv4();
    let m = masked(&req);
    // An editor that ends the file with a newline: the body is unchanged.
    let mut t = m.text.clone();
    t.push(b'\n');
    assert_eq!(restore(&t, &m, &req).unwrap().body, b"hello");
    let t = text(&m).replace("\n\nhello", "\n\nhello, world\n");
    let back = restore(t.as_bytes(), &m, &req).unwrap();
    assert_eq!(back.body, b"hello, world");
    assert_eq!(back.header("content-length").as_deref(), Some("12"));
    // LF or CRLF lines alike.
    let crlf = text(&m).replace('\n', "\r\n");
    assert_eq!(
        restore(crlf.as_bytes(), &m, &req).unwrap().headers,
        req.headers
    );
}

#[test]
fn bad_edits_are_refused() {
    let req = sigv4();
    let m = masked(&req);
    for bad in [
        "",
        "no blank line",
        "\n\n",
        "HTTP/1.1 200 OK\r\n\r\n",
        "GET\n\n",
    ] {
        assert!(
            matches!(
                restore(bad.as_bytes(), &m, &req),
                Err(EditError::Unparseable(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn an_http2_request_stays_http2_with_its_authority() {
    let mut req = request(
        "GET /b/k HTTP/1.1\r\nhost: 127.0.0.1:9000\r\nx-amz-date: 20261207T000000Z\r\n\r\n",
    );
    req.version = "HTTP/2".into();
    req.h2_authority = Some(crate::http::Authority {
        value: b"127.0.0.1:9000".to_vec(),
        host_added: true,
    });
    let m = masked(&req);
    assert!(text(&m).starts_with("GET /b/k HTTP/2\n"), "{}", text(&m));
    let back = restore(&m.text, &m, &req).unwrap();
    assert_eq!(back.version, "HTTP/2");
    assert_eq!(back.h2_authority, req.h2_authority);
    // Another Host: the captured :authority no longer stands.
    let t = text(&m).replace("host: 127.0.0.1:9000", "host: other:9000");
    assert_eq!(restore(t.as_bytes(), &m, &req).unwrap().h2_authority, None);
}

//! HTTP/2 replays (issue 17): a request captured as HTTP/2 is sent again as HTTP/2 by
//! hyper's client — over TLS when the server's ALPN picks `h2`, with prior knowledge in the
//! clear (RFC 9113 §3.3) — its `:authority` the captured one (else its Host), its headers in
//! their order. Connection-specific headers are not HTTP/2's (RFC 9113 §8.2.2) and are left
//! out, as is a Host the capture made from `:authority` (the client did not send one).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Destination, ReplayError};
use crate::escape::{escape_bytes, escape_str};
use crate::http::{Header, Headers as _, Request, Response};

/// Whether `req` was captured as HTTP/2 (the capture and listener readers say "HTTP/2").
pub fn is_h2(req: &Request) -> bool {
    req.version.eq_ignore_ascii_case("HTTP/2") || req.version.eq_ignore_ascii_case("HTTP/2.0")
}

/// Headers that name the connection rather than the message: HTTP/1.1 only.
const CONNECTION_SPECIFIC: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
];

/// Sends `req` on a new HTTP/2 connection over `io` and reads the answer (at most `limit`
/// bytes of body).
pub async fn send<T>(
    io: T,
    req: &Request,
    dest: &Destination,
    limit: usize,
) -> Result<Response, ReplayError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let request = to_http(req, dest)?;
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .map_err(|e| ReplayError::Io(format!("HTTP/2 handshake: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| ReplayError::Response(format!("HTTP/2: {e}")))?;
    let (parts, body) = answer.into_parts();
    let body = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| ReplayError::Response(format!("HTTP/2 body: {e}")))?
        .to_bytes();
    Ok(Response {
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").into(),
        version: "HTTP/2".into(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| Header::new(n.as_str(), v.as_bytes()))
            .collect(),
        body: body.to_vec(),
    })
}

/// `req` as hyper's request: scheme from the destination, `:authority` as captured (else
/// the Host), the target in origin form, the headers but the connection's, the body.
fn to_http(req: &Request, dest: &Destination) -> Result<hyper::Request<Full<Bytes>>, ReplayError> {
    let bad = |what: &str, v: &[u8]| {
        ReplayError::NoDestination(format!(
            "cannot be sent over HTTP/2: its {what} `{}` is not valid there",
            escape_bytes(v)
        ))
    };
    let authority = match (&req.h2_authority, req.header_values("host").first()) {
        (Some(a), _) => a.value.clone(),
        (None, Some(h)) => h.to_vec(),
        (None, None) => format!("{}:{}", dest.host, dest.port).into_bytes(),
    };
    let target = match crate::exchange::absolute_form(&req.target) {
        Some((_, rest)) => match rest.iter().position(|&b| b == b'/' || b == b'?') {
            Some(i) if rest[i] == b'/' => rest[i..].to_vec(),
            Some(i) => [b"/", &rest[i..]].concat(),
            None => b"/".to_vec(),
        },
        None => req.target.clone(),
    };
    let uri = hyper::Uri::builder()
        .scheme(if dest.tls { "https" } else { "http" })
        .authority(authority.as_slice())
        .path_and_query(target.as_slice())
        .build()
        .map_err(|_| bad("target", &req.target))?;
    let method = hyper::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| bad("method", req.method.as_bytes()))?;
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .version(hyper::Version::HTTP_2);
    let host_added = req.h2_authority.as_ref().is_some_and(|a| a.host_added);
    for h in &req.headers {
        let lower = String::from_utf8_lossy(&h.name).to_ascii_lowercase();
        if CONNECTION_SPECIFIC.contains(&lower.as_str()) || (host_added && lower == "host") {
            continue;
        }
        // `te` may only say "trailers" in HTTP/2.
        if lower == "te" && !h.value.eq_ignore_ascii_case(b"trailers") {
            continue;
        }
        let name = hyper::header::HeaderName::from_bytes(&h.name)
            .map_err(|_| bad("header name", &h.name))?;
        let value = hyper::header::HeaderValue::from_bytes(&h.value).map_err(|_| {
            bad(
                &format!("value of {}", escape_str(&String::from_utf8_lossy(&h.name))),
                &h.value,
            )
        })?;
        b = b.header(name, value);
    }
    b.body(Full::new(Bytes::from(req.body.clone())))
        .map_err(|e| ReplayError::NoDestination(format!("cannot be sent over HTTP/2: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Authority;

    fn dest(tls: bool) -> Destination {
        Destination {
            tls,
            host: "127.0.0.1".into(),
            port: 8443,
            server_name: "127.0.0.1".into(),
        }
    }

    #[test]
    fn the_request_as_hyper_sends_it() {
        let mut r = Request {
            method: "PUT".into(),
            target: b"/b/k?x=1".to_vec(),
            version: "HTTP/2".into(),
            headers: vec![
                Header::new("host", "s3.example.test"),
                Header::new("Connection", "keep-alive"),
                Header::new("x-amz-date", "20261207T000000Z"),
                Header::new("te", "gzip"),
            ],
            body: b"abc".to_vec(),
            ..Default::default()
        };
        let h = to_http(&r, &dest(true)).unwrap();
        assert_eq!(h.uri().to_string(), "https://s3.example.test/b/k?x=1");
        let names: Vec<_> = h.headers().keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["host", "x-amz-date"]);
        // The captured :authority wins; a Host made from it is not sent.
        r.h2_authority = Some(Authority {
            value: b"127.0.0.1:9000".to_vec(),
            host_added: true,
        });
        r.target = b"http://ignored.test".to_vec();
        let h = to_http(&r, &dest(false)).unwrap();
        assert_eq!(h.uri().to_string(), "http://127.0.0.1:9000/");
        assert!(h.headers().get("host").is_none());
        r.headers.push(Header::new("x-bad", "a\nb"));
        let e = to_http(&r, &dest(false)).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot be sent over HTTP/2: its value of x-bad"),
            "{e}"
        );
        assert!(is_h2(&r) && !is_h2(&Request::default()));
    }
}

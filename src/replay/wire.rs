//! Reading one HTTP/1.x response off a connection: the head, then the body as its framing
//! says (Content-Length, chunked, or until the server closes), interim 1xx answers skipped.

use crate::http::{
    decode_chunked, parse_message_head, response_has_no_body, Headers, MessageHead, Response,
};

/// What the bytes read so far hold.
pub enum Progress {
    /// More bytes are needed (or the connection's end, for a body read until close).
    More,
    /// A complete final response.
    Done(Box<Response>),
    /// Not an HTTP response.
    Bad(String),
}

/// The first final response in `data`, if complete; `closed` says the server closed the
/// connection (the end of a body without framing).
pub fn response(data: &[u8], method: &str, closed: bool) -> Progress {
    let mut start = 0;
    loop {
        let Some(end) = memchr::memmem::find(&data[start..], b"\r\n\r\n")
            .map(|i| start + i + 4)
            .or_else(|| memchr::memmem::find(&data[start..], b"\n\n").map(|i| start + i + 2))
        else {
            return if closed && data.len() > start {
                Progress::Bad(
                    "the server closed the connection in the middle of its response head".into(),
                )
            } else if closed {
                Progress::Bad("the server closed the connection without answering".into())
            } else {
                Progress::More
            };
        };
        let (head, body_start) = match parse_message_head(&data[..end], start) {
            Ok((MessageHead::Response(r), b)) => (r, b),
            Ok((MessageHead::Request(_), _)) => {
                return Progress::Bad(
                    "the server answered with something that is not an HTTP response".into(),
                )
            }
            Err(e) => return Progress::Bad(e.to_string()),
        };
        let mut resp = *head;
        if (100..200).contains(&resp.status) && resp.status != 101 {
            start = body_start;
            continue;
        }
        if response_has_no_body(Some(method), resp.status) {
            return Progress::Done(Box::new(resp));
        }
        let chunked = resp
            .header_text("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            return match decode_chunked(data, body_start) {
                Ok((body, _)) => {
                    resp.body = body;
                    Progress::Done(Box::new(resp))
                }
                Err(_) if !closed => Progress::More,
                Err(e) => Progress::Bad(format!("the chunked body ends early: {e}")),
            };
        }
        if let Some(len) = resp
            .header_text("content-length")
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            let have = data.len() - body_start;
            if have >= len {
                resp.body = data[body_start..body_start + len].to_vec();
                return Progress::Done(Box::new(resp));
            }
            return if closed {
                Progress::Bad(format!(
                    "the server closed the connection after {have} of {len} body bytes"
                ))
            } else {
                Progress::More
            };
        }
        if !closed {
            return Progress::More;
        }
        resp.body = data[body_start..].to_vec();
        return Progress::Done(Box::new(resp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(p: Progress) -> Response {
        match p {
            Progress::Done(r) => *r,
            Progress::More => panic!("more"),
            Progress::Bad(e) => panic!("{e}"),
        }
    }

    #[test]
    fn framings() {
        let cl = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nhello";
        assert!(matches!(
            response(&cl[..cl.len() - 1], "GET", false),
            Progress::More
        ));
        assert!(matches!(
            response(&cl[..cl.len() - 1], "GET", true),
            Progress::Bad(_)
        ));
        let r = done(response(cl, "GET", false));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"hello"[..]));
        let ch = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert!(matches!(
            response(&ch[..ch.len() - 3], "PUT", false),
            Progress::More
        ));
        let r = done(response(ch, "PUT", false));
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let close = b"HTTP/1.0 200 OK\r\n\r\nall of it";
        assert!(matches!(response(close, "GET", false), Progress::More));
        assert_eq!(done(response(close, "GET", true)).body, b"all of it");
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        assert_eq!(done(response(head, "HEAD", false)).status, 200);
        assert!(matches!(response(b"", "GET", true), Progress::Bad(_)));
    }
}

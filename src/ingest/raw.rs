//! Raw HTTP files: requests and responses in wire form, one after another, as
//! [`crate::export::raw_http`] writes them.

use crate::exchange::Exchange;
use crate::http::{parse_raw, Message};

#[derive(Debug, Default)]
pub struct Loaded {
    pub exchanges: Vec<Exchange>,
    /// Problems met while reading; everything before each problem is in `exchanges`.
    pub errors: Vec<String>,
}

/// Raw HTTP: requests, each paired with the response that follows it (if any).
pub fn from_raw(data: &[u8], name: &str, first_index: usize) -> Loaded {
    let parsed = parse_raw(data);
    let mut out = Loaded::default();
    for m in parsed.messages {
        match m {
            Message::Request(r, off) => out.exchanges.push(Exchange {
                index: first_index + out.exchanges.len(),
                source: format!("{name}:{off}"),
                request: *r,
                ..Default::default()
            }),
            Message::Response(r, off) => match out.exchanges.last_mut() {
                Some(x) if x.response.is_none() => x.response = Some(*r),
                _ => out.errors.push(format!(
                    "{name}:{off}: response without a request before it (ignored)"
                )),
            },
        }
    }
    for e in parsed.errors {
        out.errors.push(format!("{name}: {e}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_response_has_no_body_whatever_its_length_says() {
        let l = from_raw(b"HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 36\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "f", 0);
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert_eq!(l.exchanges.len(), 2);
        assert!(l.exchanges[0].response.as_ref().unwrap().body.is_empty());
        assert_eq!(l.exchanges[1].response.as_ref().unwrap().body, b"ok");
    }

    #[test]
    fn pairs_responses() {
        let l = from_raw(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", "f", 0);
        assert_eq!(l.exchanges.len(), 2);
        assert_eq!(l.exchanges[0].response.as_ref().unwrap().status, 403);
        assert!(l.exchanges[1].response.is_none());
        assert_eq!(l.exchanges[1].index, 1);
    }
}

//! Matching a compiled filter against one exchange: no regex is built here and, once the
//! per-thread buffer is warm, nothing is allocated.

use std::cell::RefCell;

use regex::bytes::Regex;

use super::{Node, Side, Term};
use crate::engine::Mode;
use crate::exchange::{absolute_form, host_of, write_url, Exchange};
use crate::http::Header;
use crate::tui::row::RowInfo;

/// Bodies decoded for `~b` are capped like the report's display.
const DECODE_LIMIT: usize = 1 << 20;

thread_local! {
    /// The URL or header line being matched; reused so matching does not allocate.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut b) => {
            b.clear();
            f(&mut b)
        }
        // Not reachable today (matching does not nest); stay correct if it ever does.
        Err(_) => f(&mut Vec::new()),
    })
}

fn header_matches(headers: &[Header], re: &Regex) -> bool {
    with_scratch(|buf| {
        headers.iter().any(|h| {
            buf.clear();
            buf.extend_from_slice(&h.name);
            buf.extend_from_slice(b": ");
            buf.extend_from_slice(&h.value);
            re.is_match(buf)
        })
    })
}

fn body_matches<H: crate::http::Headers>(m: &H, body: &[u8], re: &Regex) -> bool {
    if re.is_match(body) {
        return true;
    }
    // Compressed bodies are searched as text too (mitmproxy decodes them); the decoding cost
    // is paid only for encoded bodies the raw bytes did not match (the header test first, as
    // `decoded_body` allocates).
    let encoded = m
        .header_list()
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case(b"content-encoding"));
    encoded && crate::http::decoded_body(m, body, DECODE_LIMIT).is_some_and(|d| re.is_match(&d))
}

fn bit(v: u32) -> u32 {
    1 << v
}

pub(super) fn eval(n: &Node, x: &Exchange, row: Option<&RowInfo>) -> bool {
    match n {
        Node::Not(n) => !eval(n, x, row),
        Node::And(v) => v.iter().all(|n| eval(n, x, row)),
        Node::Or(v) => v.iter().any(|n| eval(n, x, row)),
        Node::Term(t) => term(t, x, row),
    }
}

fn opt_matches(re: &Regex, s: Option<&str>) -> bool {
    s.is_some_and(|s| re.is_match(s.as_bytes()))
}

fn term(t: &Term, x: &Exchange, row: Option<&RowInfo>) -> bool {
    let r = &x.request;
    let resp = x.response.as_ref();
    match t {
        Term::Method(re) => re.is_match(r.method.as_bytes()),
        Term::Url(re) => {
            if absolute_form(&r.target).is_some() {
                return re.is_match(&r.target);
            }
            with_scratch(|buf| {
                write_url(x, buf);
                re.is_match(buf)
            })
        }
        Term::Header(side, re) => {
            (*side != Side::Response && header_matches(&r.headers, re))
                || (*side != Side::Request && resp.is_some_and(|s| header_matches(&s.headers, re)))
        }
        Term::Status(c) => resp.is_some_and(|s| s.status == *c),
        Term::StatusClass(c) => resp.is_some_and(|s| s.status / 100 == *c),
        Term::NoResponse => resp.is_none(),
        Term::HasResponse => resp.is_some(),
        Term::Body(side, re) => {
            (*side != Side::Response && body_matches(r, &r.body, re))
                || (*side != Side::Request && resp.is_some_and(|s| body_matches(s, &s.body, re)))
        }
        Term::Domain(re) => host_of(r).is_some_and(|h| {
            if re.is_match(h) {
                return true;
            }
            // Without the port: `~d ^example\.com$` matches `example.com:8080`. An IPv6
            // literal keeps its brackets.
            match h.iter().rposition(|&b| b == b':') {
                Some(i) if !h[i..].contains(&b']') && h[i + 1..].iter().all(u8::is_ascii_digit) => {
                    re.is_match(&h[..i])
                }
                _ => false,
            }
        }),
        Term::Auth(set) => row.is_some_and(|w| set & bit(w.mode as u32) != 0),
        Term::Verdict(set) => row.is_some_and(|w| set & bit(w.verdict as u32) != 0),
        Term::Mark(set) => row.is_some_and(|w| set & bit(w.mark as u32) != 0),
        Term::AccessKey(re) => opt_matches(re, row.and_then(|w| w.access_key.as_deref())),
        Term::Service(re) => opt_matches(re, row.and_then(|w| w.service.as_deref())),
        Term::Region(re) => opt_matches(re, row.and_then(|w| w.region.as_deref())),
        Term::Finding(re) => match row {
            Some(w) => w.findings.iter().any(|c| re.is_match(c.as_bytes())),
            None => x
                .notes
                .iter()
                .any(|f| re.is_match(f.code.as_str().as_bytes())),
        },
        Term::HasAuth => row.is_some_and(|w| !matches!(w.mode, Mode::Anonymous | Mode::Unknown)),
    }
}

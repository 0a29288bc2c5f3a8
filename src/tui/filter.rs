//! Filter expressions for the exchange list: mitmproxy's vocabulary (`~m`, `~u`, `~h`, `~c`,
//! `~q`, `~s`, `~b`, `~d`, `!`, `&`, `|`, parentheses) plus signature terms (`~auth`, `~v`,
//! `~ak`, `~svc`, `~region`, `~f`, `~a`).
//!
//! [`parse`] compiles an expression once (regexes included, case-insensitive, size-limited);
//! [`Filter::matches`] is then cheap enough to run over a million exchanges: no regex is built
//! and, after the first call on a thread, nothing is allocated (the URL and header lines that
//! `~u` and `~h` match are assembled in a reused per-thread buffer).
//!
//! Syntax, as mitmproxy's:
//! - `~x ARG`; ARG is a run of characters up to whitespace or a parenthesis, or a `"…"` /
//!   `'…'` string in which `\"`, `\'` and `\\` stand for the character and any other backslash
//!   is kept (so `"\d+"` is the regex `\d+`). A regex with spaces or parentheses needs quotes.
//! - A bare word or quoted string alone means `~u` with it.
//! - `!` binds tightest, then `&` (also implied between two filters: `~q ~m PUT`), then `|`.
//!   An unquoted argument runs up to whitespace, so `~m GET|PUT` is one regex; write
//!   `~m GET | ~m PUT` for two terms.
//!
//! Rows: signature terms read the exchange's [`RowInfo`]. An exchange not analysed yet
//! (`row == None`) fails every signature term, so `!~v invalid` includes it and `~v valid`
//! does not; the only exception is `~f`, which before analysis still sees the capture's notes
//! (`capture-incomplete`, `no-response`: the row lists them first anyway). The TUI re-applies
//! a filter for which [`Filter::uses_row`] is true when rows arrive.

use std::cell::RefCell;

use regex::bytes::{Regex, RegexBuilder};

use crate::engine::{Mode, Verdict};
use crate::exchange::Exchange;
use crate::http::{Header, Request};
use crate::tui::row::RowInfo;

/// Why an expression does not parse; `at` is a character offset into the source, for a caret
/// under the input line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub at: usize,
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.at, self.message)
    }
}

impl std::error::Error for FilterError {}

/// A compiled filter. `Default` (and an empty expression) matches everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    root: Option<Node>,
    uses_row: bool,
}

#[derive(Clone, Debug)]
enum Node {
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Term(Term),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Request,
    Response,
    Both,
}

#[derive(Clone, Debug)]
enum Term {
    Method(Regex),
    Url(Regex),
    Header(Side, Regex),
    /// Exact status, or a class (`4xx` is stored as 4).
    Status(u16),
    StatusClass(u16),
    NoResponse,
    HasResponse,
    Body(Side, Regex),
    Domain(Regex),
    /// Bit set of `Mode as u32`.
    Auth(u32),
    /// Bit set of `Verdict as u32`.
    Verdict(u32),
    AccessKey(Regex),
    Service(Regex),
    Region(Regex),
    Finding(Regex),
    HasAuth,
}

impl Term {
    fn uses_row(&self) -> bool {
        matches!(
            self,
            Term::Auth(_)
                | Term::Verdict(_)
                | Term::AccessKey(_)
                | Term::Service(_)
                | Term::Region(_)
                | Term::Finding(_)
                | Term::HasAuth
        )
    }
}

const TERMS: &[(&str, &str)] = &[
    ("~m RE", "request method"),
    (
        "~u RE",
        "URL: scheme://Host + target (a bare word or \"quoted string\" alone means ~u)",
    ),
    ("~h RE", "a request or response header line, `Name: value`"),
    ("~hq RE", "a request header line"),
    ("~hs RE", "a response header line"),
    ("~c CODE", "response status: 403, or a class such as 4xx"),
    ("~q", "request without a response"),
    ("~s", "request with a response"),
    ("~b RE", "request or response body"),
    ("~bq RE", "request body"),
    ("~bs RE", "response body (gzip/deflate decoded when the raw bytes do not match)"),
    ("~d RE", "domain: the Host, with or without its port"),
    (
        "~auth MODE",
        "auth mode, or a prefix of it: sigv4, sigv4-header, sigv4-query, sigv4-streaming, sigv2, query-v2, anonymous, basic, bearer, x-auth-token, unknown",
    ),
    (
        "~v VERDICT",
        "verdict: valid, invalid, unverified, anonymous, malformed (a prefix will do)",
    ),
    ("~ak RE", "access key"),
    ("~svc RE", "service in the credential scope"),
    ("~region RE", "region in the credential scope"),
    ("~f RE", "a finding code, e.g. ~f clock-skew"),
    ("~a", "carries credentials: auth mode neither anonymous nor unknown"),
    ("!", "not (binds tightest)"),
    ("&", "and; also implied between two filters"),
    ("|", "or (binds loosest)"),
    ("( )", "grouping"),
];

/// The help screen's table: (syntax, one line of help).
pub fn describe_terms() -> &'static [(&'static str, &'static str)] {
    TERMS
}

fn known_terms() -> String {
    TERMS
        .iter()
        .filter(|(t, _)| t.starts_with('~'))
        .map(|(t, _)| t.split(' ').next().unwrap_or(t))
        .collect::<Vec<_>>()
        .join(" ")
}

const MODES: &[Mode] = &[
    Mode::Sigv4Header,
    Mode::Sigv4Query,
    Mode::Sigv4Streaming,
    Mode::Sigv2Header,
    Mode::Sigv2Query,
    Mode::QueryV0,
    Mode::QueryV1,
    Mode::QueryV2,
    Mode::Anonymous,
    Mode::Basic,
    Mode::Bearer,
    Mode::XAuthToken,
    Mode::Unknown,
];

const VERDICTS: &[Verdict] = &[
    Verdict::Valid,
    Verdict::Invalid,
    Verdict::Unverified,
    Verdict::Anonymous,
    Verdict::Malformed,
];

/// Hostile patterns must not cost the TUI its memory: compiled programs and lazy DFAs are
/// capped at 1 MiB each, nesting at 64.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_NEST_LIMIT: u32 = 64;
/// `!!!!…` and `((((…` recurse; deeper input is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;
/// Bodies decoded for `~b` are capped like the report's display.
const DECODE_LIMIT: usize = 1 << 20;

/// Compiles an expression. Empty or whitespace-only input matches everything.
pub fn parse(src: &str) -> Result<Filter, FilterError> {
    let mut p = Parser {
        src: src.chars().collect(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.peek().is_none() {
        return Ok(Filter::default());
    }
    let root = p.parse_or()?;
    p.skip_ws();
    if let Some(c) = p.peek() {
        // parse_and stops only at `)` or `|`, and parse_or consumes every `|`.
        return Err(p.err(
            p.pos,
            if c == ')' {
                "unbalanced parenthesis: ) without a matching (".to_string()
            } else {
                format!("unexpected {c}")
            },
        ));
    }
    let mut uses_row = false;
    visit(&root, &mut |t| uses_row |= t.uses_row());
    Ok(Filter {
        root: Some(root),
        uses_row,
    })
}

fn visit(n: &Node, f: &mut dyn FnMut(&Term)) {
    match n {
        Node::Not(n) => visit(n, f),
        Node::And(v) | Node::Or(v) => v.iter().for_each(|n| visit(n, f)),
        Node::Term(t) => f(t),
    }
}

struct Parser {
    src: Vec<char>,
    pos: usize,
    depth: usize,
}

/// An argument as written: its text after unquoting, and the source offset of each of its
/// characters (so a regex error points into the input line).
struct Arg {
    text: String,
    offsets: Vec<usize>,
    start: usize,
}

enum ArgKind {
    None,
    Regex,
    Code,
    Mode,
    Verdict,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn err(&self, at: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            at,
            message: message.into(),
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos, "expression nested too deeply"));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Node, FilterError> {
        let mut alts = vec![self.parse_and()?];
        loop {
            self.skip_ws();
            if self.peek() != Some('|') {
                break;
            }
            self.pos += 1;
            self.skip_ws();
            if matches!(self.peek(), None | Some(')' | '|' | '&')) {
                return Err(self.err(self.pos, "expected a filter after |"));
            }
            alts.push(self.parse_and()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().expect("one element")
        } else {
            Node::Or(alts)
        })
    }

    fn parse_and(&mut self) -> Result<Node, FilterError> {
        let mut all = vec![self.parse_unary()?];
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some(')' | '|') => break,
                Some('&') => {
                    self.pos += 1;
                    self.skip_ws();
                    if matches!(self.peek(), None | Some(')' | '|' | '&')) {
                        return Err(self.err(self.pos, "expected a filter after &"));
                    }
                }
                // Juxtaposition is an implicit and, as in mitmproxy.
                Some(_) => {}
            }
            all.push(self.parse_unary()?);
        }
        Ok(if all.len() == 1 {
            all.pop().expect("one element")
        } else {
            Node::And(all)
        })
    }

    fn parse_unary(&mut self) -> Result<Node, FilterError> {
        self.skip_ws();
        if self.peek() == Some('!') {
            self.pos += 1;
            self.enter()?;
            self.skip_ws();
            if matches!(self.peek(), None | Some(')' | '|' | '&')) {
                return Err(self.err(self.pos, "expected a filter after !"));
            }
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<Node, FilterError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Err(self.err(start, "expected a filter")),
            Some('(') => {
                self.pos += 1;
                self.enter()?;
                self.skip_ws();
                if self.peek() == Some(')') {
                    return Err(self.err(start, "empty parentheses"));
                }
                if self.peek().is_none() {
                    return Err(self.err(start, "unbalanced parenthesis: this ( is never closed"));
                }
                let inner = self.parse_or()?;
                self.skip_ws();
                if self.peek() != Some(')') {
                    return Err(self.err(start, "unbalanced parenthesis: this ( is never closed"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Some(')') => Err(self.err(start, "unbalanced parenthesis: ) without a matching (")),
            Some(c @ ('&' | '|')) => Err(self.err(start, format!("expected a filter before {c}"))),
            Some('~') => self.parse_term(),
            Some(_) => {
                let arg = self.read_arg()?.expect("a word starts here");
                Ok(Node::Term(Term::Url(compile(&arg)?)))
            }
        }
    }

    fn parse_term(&mut self) -> Result<Node, FilterError> {
        let start = self.pos;
        self.pos += 1; // `~`
        let name_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let name: String = self.src[name_start..self.pos]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        let (kind, what) = match name.as_str() {
            "q" | "s" | "a" => (ArgKind::None, ""),
            "m" | "u" | "h" | "hq" | "hs" | "b" | "bq" | "bs" | "d" | "ak" | "svc" | "region"
            | "f" => (ArgKind::Regex, "a regular expression"),
            "c" => (ArgKind::Code, "a status code (e.g. 403 or 4xx)"),
            "auth" => (ArgKind::Mode, "an auth mode (e.g. sigv4, sigv2, anonymous)"),
            "v" => (
                ArgKind::Verdict,
                "a verdict (valid, invalid, unverified, anonymous, malformed)",
            ),
            _ => {
                let shown: String = self.src[start..self.pos].iter().collect();
                let shown = if name.is_empty() {
                    "~ needs a filter name".to_string()
                } else {
                    format!("unknown filter {}", crate::escape::escape_str(&shown))
                };
                return Err(self.err(start, format!("{shown}; known: {}", known_terms())));
            }
        };
        if let ArgKind::None = kind {
            return Ok(Node::Term(match name.as_str() {
                "q" => Term::NoResponse,
                "s" => Term::HasResponse,
                _ => Term::HasAuth,
            }));
        }
        self.skip_ws();
        let arg = match self.peek() {
            Some('(') => {
                return Err(self.err(
                    self.pos,
                    format!(
                        "~{name} needs {what}; quote one that has parentheses: ~{name} \"(a|b)\""
                    ),
                ))
            }
            None | Some(')' | '&' | '|') => None,
            Some(_) => self.read_arg()?,
        };
        let Some(arg) = arg else {
            return Err(self.err(self.pos, format!("~{name} needs {what}")));
        };
        let term = match kind {
            ArgKind::Regex => {
                let re = compile(&arg)?;
                match name.as_str() {
                    "m" => Term::Method(re),
                    "u" => Term::Url(re),
                    "h" => Term::Header(Side::Both, re),
                    "hq" => Term::Header(Side::Request, re),
                    "hs" => Term::Header(Side::Response, re),
                    "b" => Term::Body(Side::Both, re),
                    "bq" => Term::Body(Side::Request, re),
                    "bs" => Term::Body(Side::Response, re),
                    "d" => Term::Domain(re),
                    "ak" => Term::AccessKey(re),
                    "svc" => Term::Service(re),
                    "region" => Term::Region(re),
                    _ => Term::Finding(re),
                }
            }
            ArgKind::Code => parse_code(&arg.text).ok_or_else(|| {
                self.err(
                    arg.start,
                    format!(
                        "~c needs a status code (e.g. 403 or 4xx), not {}",
                        crate::escape::escape_str(&arg.text)
                    ),
                )
            })?,
            ArgKind::Mode => {
                let want = arg.text.to_ascii_lowercase();
                let set = MODES
                    .iter()
                    .filter(|m| m.as_str().starts_with(&want))
                    .fold(0u32, |s, m| s | 1 << (*m as u32));
                if set == 0 {
                    let known: Vec<&str> = MODES.iter().map(|m| m.as_str()).collect();
                    return Err(self.err(
                        arg.start,
                        format!(
                            "unknown auth mode {}; known: {} (a prefix picks every mode it starts)",
                            crate::escape::escape_str(&arg.text),
                            known.join(", ")
                        ),
                    ));
                }
                Term::Auth(set)
            }
            ArgKind::Verdict => {
                let want = arg.text.to_ascii_lowercase();
                let set = VERDICTS
                    .iter()
                    .filter(|v| v.as_str().starts_with(&want))
                    .fold(0u32, |s, v| s | 1 << (*v as u32));
                if set == 0 {
                    return Err(self.err(
                        arg.start,
                        format!(
                            "unknown verdict {}; known: valid, invalid, unverified, anonymous, malformed",
                            crate::escape::escape_str(&arg.text)
                        ),
                    ));
                }
                Term::Verdict(set)
            }
            ArgKind::None => unreachable!("handled above"),
        };
        Ok(Node::Term(term))
    }

    /// A quoted string, or a run of characters up to whitespace or a parenthesis. `None` at
    /// the end of input.
    fn read_arg(&mut self) -> Result<Option<Arg>, FilterError> {
        let start = self.pos;
        let Some(first) = self.peek() else {
            return Ok(None);
        };
        let mut text = String::new();
        let mut offsets = Vec::new();
        if first == '"' || first == '\'' {
            self.pos += 1;
            loop {
                match self.peek() {
                    None => return Err(self.err(start, "unterminated quoted string")),
                    Some(c) if c == first => {
                        self.pos += 1;
                        break;
                    }
                    Some('\\') => {
                        let at = self.pos;
                        self.pos += 1;
                        match self.peek() {
                            Some(n) if n == first || n == '\\' || n == '"' || n == '\'' => {
                                text.push(n);
                                offsets.push(self.pos);
                                self.pos += 1;
                            }
                            // Other escapes belong to the regex (`\d`, `\.`): kept whole.
                            _ => {
                                text.push('\\');
                                offsets.push(at);
                            }
                        }
                    }
                    Some(c) => {
                        text.push(c);
                        offsets.push(self.pos);
                        self.pos += 1;
                    }
                }
            }
        } else {
            while let Some(c) = self.peek() {
                if c.is_whitespace() || c == '(' || c == ')' {
                    break;
                }
                text.push(c);
                offsets.push(self.pos);
                self.pos += 1;
            }
        }
        Ok(Some(Arg {
            text,
            offsets,
            start,
        }))
    }
}

fn parse_code(s: &str) -> Option<Term> {
    let b = s.as_bytes();
    if b.len() != 3 || !(b'1'..=b'9').contains(&b[0]) {
        return None;
    }
    if b[1..].eq_ignore_ascii_case(b"xx") {
        return Some(Term::StatusClass(u16::from(b[0] - b'0')));
    }
    s.parse().ok().map(Term::Status)
}

fn compile(arg: &Arg) -> Result<Regex, FilterError> {
    let p = &arg.text;
    // The AST parser says where the syntax error is; regex::Error only says what.
    let ast = regex_syntax::ast::parse::ParserBuilder::new()
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .parse(p);
    if let Err(e) = ast {
        let byte = e.span().start.offset.min(p.len());
        let ch = p[..byte].chars().count();
        let at = arg
            .offsets
            .get(ch)
            .copied()
            .unwrap_or_else(|| arg.offsets.last().map(|o| o + 1).unwrap_or(arg.start));
        return Err(FilterError {
            at,
            message: format!("bad regex: {}", e.kind()),
        });
    }
    RegexBuilder::new(p)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| FilterError {
            at: arg.start,
            message: format!("bad regex: {}", one_line(&e.to_string())),
        })
}

/// regex's messages draw the pattern and a caret over several lines; the TUI has one.
fn one_line(s: &str) -> String {
    s.lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| s.lines().next().unwrap_or(s))
        .trim()
        .to_string()
}

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

fn trim(b: &[u8]) -> &[u8] {
    crate::http::trim_bytes(b)
}

/// The Host header (trimmed), else the authority of an absolute-form target.
pub(crate) fn host_of(r: &Request) -> Option<&[u8]> {
    if let Some(h) = r
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(b"host"))
    {
        return Some(trim(&h.value));
    }
    let (_, rest) = absolute_form(&r.target)?;
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?' || b == b'#')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `http://` / `https://` targets (a proxy's client): the scheme and what follows `://`.
fn absolute_form(t: &[u8]) -> Option<(&'static str, &[u8])> {
    let has = |p: &[u8]| t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p);
    if has(b"http://") {
        Some(("http", &t[7..]))
    } else if has(b"https://") {
        Some(("https", &t[8..]))
    } else {
        None
    }
}

/// `https` when the server port is 443, else `http` (the captures are of plain HTTP; a TLS
/// port only appears for HAR imports and proxies).
pub(crate) fn scheme_of(x: &Exchange) -> &'static str {
    let port = x
        .server
        .as_deref()
        .and_then(|s| s.rsplit_once(':'))
        .map(|(_, p)| p);
    if port == Some("443") {
        "https"
    } else {
        "http"
    }
}

/// The URL as mitmproxy's `~u` sees it: `scheme://Host` + target, or the target itself when
/// it is already absolute. Bytes are appended as captured.
pub(crate) fn write_url(x: &Exchange, out: &mut Vec<u8>) {
    let r = &x.request;
    if absolute_form(&r.target).is_some() {
        out.extend_from_slice(&r.target);
        return;
    }
    out.extend_from_slice(scheme_of(x).as_bytes());
    out.extend_from_slice(b"://");
    match host_of(r) {
        Some(h) => out.extend_from_slice(h),
        None => out.extend_from_slice(x.server.as_deref().unwrap_or("").as_bytes()),
    }
    out.extend_from_slice(&r.target);
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

impl Filter {
    /// Whether the expression was empty (matches every exchange).
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Whether the result can change once the exchange's row is computed.
    pub fn uses_row(&self) -> bool {
        self.uses_row
    }

    pub fn matches(&self, x: &Exchange, row: Option<&RowInfo>) -> bool {
        match &self.root {
            None => true,
            Some(n) => eval(n, x, row),
        }
    }
}

fn eval(n: &Node, x: &Exchange, row: Option<&RowInfo>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Finding;
    use crate::http::{Header, Response};

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
}

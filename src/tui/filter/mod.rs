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
//!
//! This file holds the compiled tree and the term table; `parser` compiles an expression,
//! `eval` matches it.

mod eval;
mod parser;
#[cfg(test)]
mod tests;

use regex::bytes::Regex;

use crate::engine::{Mark, Mode, Verdict};
use crate::exchange::Exchange;
use crate::tui::row::RowInfo;

pub use parser::parse;

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
    /// Bit set of `Mark as u32`: the mark beside a valid verdict.
    Mark(u32),
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
                | Term::Mark(_)
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
        "auth mode, or the word before its hyphen (`sigv4` is every SigV4 mode but not SigV4A's; a partial word such as `sig` picks every mode it starts): sigv4, sigv4-header, sigv4-query, sigv4-streaming, sigv4a, sigv4a-streaming, sigv2, query-v2, anonymous, basic, bearer, x-auth-token, unknown",
    ),
    (
        "~v VERDICT",
        "verdict: valid, invalid, unverified, anonymous, malformed, or the mark beside a valid one: refused (by the server), body-mismatch (a prefix will do)",
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

const MODES: &[Mode] = Mode::ALL;

/// The marks `~v` also selects, by these words.
const MARKS: &[(&str, Mark)] = &[
    ("refused", Mark::Refused),
    ("body-mismatch", Mark::BodyMismatch),
];

const VERDICTS: &[Verdict] = &[
    Verdict::Valid,
    Verdict::Invalid,
    Verdict::Unverified,
    Verdict::Anonymous,
    Verdict::Malformed,
];

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
            Some(n) => eval::eval(n, x, row),
        }
    }
}

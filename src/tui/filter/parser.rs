//! The parser: an expression's characters to a tree of terms, each regex compiled once, here.

use regex::bytes::{Regex, RegexBuilder};

use super::{known_terms, Filter, FilterError, Node, Side, Term, MARKS, MODES, VERDICTS};

/// Hostile patterns must not cost the TUI its memory: compiled programs and lazy DFAs are
/// capped at 1 MiB each, nesting at 64.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_NEST_LIMIT: u32 = 64;
/// `!!!!…` and `((((…` recurse; deeper input is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

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
                "a verdict (valid, invalid, unverified, anonymous, malformed) or a mark (refused, body-mismatch)",
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
                // Whole words first: `sigv4` is sigv4-header, -query and -streaming, not
                // SigV4A's modes; a partial word (`sig`) picks every mode it starts.
                let pick = |whole: bool| {
                    MODES
                        .iter()
                        .filter(|m| {
                            let name = m.as_str();
                            match name.strip_prefix(want.as_str()) {
                                Some(rest) => !whole || rest.is_empty() || rest.starts_with('-'),
                                None => false,
                            }
                        })
                        .fold(0u32, |s, m| s | 1 << (*m as u32))
                };
                let set = match pick(true) {
                    0 => pick(false),
                    set => set,
                };
                if set == 0 {
                    let known: Vec<&str> = MODES.iter().map(|m| m.as_str()).collect();
                    return Err(self.err(
                        arg.start,
                        format!(
                            "unknown auth mode {}; known: {} (a word before a hyphen picks every mode it starts)",
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
                let marks = MARKS
                    .iter()
                    .filter(|(w, _)| w.starts_with(&want))
                    .fold(0u32, |s, (_, m)| s | 1 << (*m as u32));
                match (set, marks) {
                    (0, 0) => return Err(self.err(
                        arg.start,
                        format!(
                            "unknown verdict {}; known: valid, invalid, unverified, anonymous, malformed, and the marks refused, body-mismatch",
                            crate::escape::escape_str(&arg.text)
                        ),
                    )),
                    (0, m) => Term::Mark(m),
                    (v, 0) => Term::Verdict(v),
                    // No verdict and mark share a prefix today; stay correct if one ever does.
                    (v, m) => {
                        return Ok(Node::Or(vec![
                            Node::Term(Term::Verdict(v)),
                            Node::Term(Term::Mark(m)),
                        ]))
                    }
                }
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

//! The server's dialect, inferred per server from its answers (issue #12 §4): for every
//! server endpoint of a capture, which dialect predicts what it accepted and what it refused
//! with a signature error, and how many of its answers each one explains.
//!
//! A dialect explains an answer when, as a verifier, it would have answered the same: it
//! accepts a request the server accepted, or refuses (or computes other strings than the
//! client signed for) a request the server refused for its signature. Without the secret a
//! refusal is still explained by the dialects whose strings equal the ones the server's error
//! body says it computed. Answers nothing can judge (no secret and no strings, other errors)
//! are not counted.

use std::collections::BTreeMap;

use super::super::dialect;
use super::super::{Analysis, Family, Verdict};

/// How a server answered one signed request, as far as its dialect goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    /// 401 or 403 with a signature error, or with no error code at all.
    RefusedSignature,
}

impl Answer {
    /// The answer an exchange's response gives, `None` when it says nothing of the dialect
    /// (no response, a 404, a refusal for another reason).
    pub fn of(status: Option<u16>, a: &Analysis) -> Option<Answer> {
        let status = status?;
        if a.verdict == Verdict::Anonymous || !a.auth.mode.is_signature() {
            return None;
        }
        match status {
            200..=399 => Some(Answer::Accepted),
            401 | 403 => {
                let code = a.server_expected.as_ref().map(|s| s.code.as_str());
                match code {
                    None | Some("") => Some(Answer::RefusedSignature),
                    Some(c) if c.contains("Signature") => Some(Answer::RefusedSignature),
                    Some(_) => None,
                }
            }
            _ => None,
        }
    }
}

/// Whether the server refused, for its signature, a request valid under the verifier: the
/// case a report must not show as a plain "valid".
pub fn refused_though_valid(status: Option<u16>, a: &Analysis) -> bool {
    a.verdict == Verdict::Valid && Answer::of(status, a) == Some(Answer::RefusedSignature)
}

/// One server's answers and, per dialect (in [`dialect::ALL`] order), how many it explains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub answers: usize,
    pub explained: Vec<usize>,
}

/// Every server of a run, by endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servers {
    pub by_endpoint: BTreeMap<String, Tally>,
}

impl Servers {
    /// Counts one exchange: `server` is its endpoint (address:port), `host` its Host header.
    pub fn observe(&mut self, server: &str, host: Option<&str>, status: Option<u16>, a: &Analysis) {
        let Some(answer) = Answer::of(status, a) else {
            return;
        };
        // A proxy's relayed answer to bytes it changed is no answer to this request: it says
        // nothing of any rule (the request is still shown refused).
        if a.answered_other_request {
            return;
        }
        let explains: Vec<bool> = dialect::ALL
            .iter()
            .map(|d| explains(answer, a, d.name))
            .collect();
        if !explains.contains(&true) {
            // Nothing judged it (no secret, no strings): it says nothing of the dialect.
            return;
        }
        // One endpoint can front several verifiers (heat's API and an S3 gateway on one port,
        // RGW's S3 and Swift): each scheme, and each SigV4 service, is counted on its own.
        let what = match a.auth.mode.family() {
            Family::SigV4 => format!(
                "SigV4 for {}",
                crate::escape::escape_str(a.auth.service.as_deref().unwrap_or("?"))
            ),
            Family::SigV2 => "S3 SigV2".to_string(),
            Family::Query => "EC2/Query".to_string(),
            Family::Token | Family::Anonymous | Family::Unknown => return,
        };
        let key = match host {
            Some(h) if h != server => format!("{server} (Host {h}, {what})"),
            _ => format!("{server} ({what})"),
        };
        let t = self.by_endpoint.entry(key).or_default();
        t.explained.resize(dialect::ALL.len(), 0);
        t.answers += 1;
        for (n, e) in t.explained.iter_mut().zip(explains) {
            *n += usize::from(e);
        }
    }

    /// Adds another run's (another worker's) counts.
    pub fn merge(&mut self, other: Servers) {
        for (k, t) in other.by_endpoint {
            let mine = self.by_endpoint.entry(k).or_default();
            mine.explained.resize(dialect::ALL.len(), 0);
            mine.answers += t.answers;
            for (a, b) in mine.explained.iter_mut().zip(t.explained) {
                *a += b;
            }
        }
    }

    /// The dialects that explain the most of a server's answers, with that count.
    pub fn best(t: &Tally) -> (Vec<&'static str>, usize) {
        let top = t.explained.iter().copied().max().unwrap_or(0);
        let names = dialect::ALL
            .iter()
            .zip(&t.explained)
            .filter(|(_, n)| **n == top && top > 0)
            .map(|(d, _)| d.name)
            .collect();
        (names, top)
    }

    /// One line per server, in plain words.
    pub fn lines(&self) -> Vec<String> {
        self.by_endpoint
            .iter()
            .map(|(server, t)| {
                let (names, n) = Self::best(t);
                let of = format!("{n} of {} answer{}", t.answers, plural(t.answers));
                match names.as_slice() {
                    [] => format!("{server}: no known dialect explains its answers"),
                    [one] => {
                        let summary = dialect::by_name(one).map(|d| d.summary).unwrap_or("");
                        format!("{server}: behaves like {one} ({summary}): explains {of}")
                    }
                    [many @ .., last] => format!(
                        "{server}: behaves like {} or {last}: each explains {of}",
                        many.join(", ")
                    ),
                }
            })
            .collect()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Whether dialect `name`, as the verifier, would have answered as the server did.
fn explains(answer: Answer, a: &Analysis, name: &str) -> bool {
    let Some(d) = a.dialect(name) else {
        return false;
    };
    if d.unsupported {
        return false;
    }
    match (answer, d.accepts()) {
        (Answer::Accepted, Some(accepts)) => accepts,
        (Answer::RefusedSignature, Some(accepts)) => !accepts,
        (Answer::Accepted, None) => false,
        // Without the secret: a dialect that computes what the server says it computed.
        (Answer::RefusedSignature, None) => a.server_expected.as_ref().is_some_and(|se| {
            let cr = match (&se.canonical_request, &d.canonical_request) {
                (Some(s), Some(c)) => Some(s.as_bytes() == &c[..]),
                _ => None,
            };
            let sts = se
                .string_to_sign
                .as_ref()
                .map(|s| s.as_bytes() == &d.string_to_sign[..]);
            match (cr, sts) {
                (Some(c), Some(s)) => c && s,
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => false,
            }
        }),
    }
}

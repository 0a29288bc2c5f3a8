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

use super::super::auth::AuthInfo;
use super::super::dialect;
use super::super::{Analysis, Dialect, Family, Mark, Verdict};
use crate::http::{Headers, Request};

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
            400 if a.server_expected.as_ref().and_then(|s| s.means)
                == Some(crate::engine::server_error::SIGNING_RULE) =>
            {
                Some(Answer::RefusedSignature)
            }
            401 | 403 => {
                let code = a.server_expected.as_ref().map(|s| s.meaning());
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
    /// Requests valid under the verifier whose body does not match what its headers say
    /// (a failure whatever the dialect, so not an answer about it).
    pub body_mismatch: usize,
}

/// Every server of a run, by endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servers {
    pub by_endpoint: BTreeMap<String, Tally>,
}

impl Servers {
    /// Counts one exchange: `server` is its endpoint (address:port), `host` its Host header.
    pub fn observe(&mut self, server: &str, host: Option<&str>, status: Option<u16>, a: &Analysis) {
        let mismatch = Mark::of(status, a) == Mark::BodyMismatch;
        let mask = explained(status, a);
        if mask.is_none() && !mismatch {
            // Nothing judged it (no secret, no strings): it says nothing of the dialect.
            return;
        }
        let Some(key) = key(server, host, &a.auth) else {
            return;
        };
        if mismatch {
            let t = self.by_endpoint.entry(key.clone()).or_default();
            t.explained.resize(dialect::ALL.len(), 0);
            t.body_mismatch += 1;
        }
        if let Some(mask) = mask {
            self.count(key, mask);
        }
    }

    /// Counts one answer of the server `key` (see [`key`]) that the dialects in `mask` (see
    /// [`explained`]) explain.
    pub fn count(&mut self, key: String, mask: u32) {
        let t = self.by_endpoint.entry(key).or_default();
        t.explained.resize(dialect::ALL.len(), 0);
        t.answers += 1;
        for (i, n) in t.explained.iter_mut().enumerate() {
            *n += usize::from(mask & (1 << i) != 0);
        }
    }

    /// Takes back an answer counted with [`Servers::count`] (the UI verifies a row again).
    pub fn uncount(&mut self, key: &str, mask: u32) {
        let Some(t) = self.by_endpoint.get_mut(key) else {
            return;
        };
        t.answers = t.answers.saturating_sub(1);
        for (i, n) in t.explained.iter_mut().enumerate() {
            *n = n.saturating_sub(usize::from(mask & (1 << i) != 0));
        }
        if t.answers == 0 && t.body_mismatch == 0 {
            self.by_endpoint.remove(key);
        }
    }

    /// Whether `self` and `other` pick the same dialect for every server either knows.
    pub fn same_choices(&self, other: &Servers, fallback: &'static Dialect) -> bool {
        let pick = |s: &Servers, k: &str| s.choose(k, fallback).map(|d| d.name);
        self.by_endpoint
            .keys()
            .chain(other.by_endpoint.keys())
            .all(|k| pick(self, k) == pick(other, k))
    }

    /// The dialect that judges the requests sent to server `key` under `--dialect auto`: the
    /// one that explains the most of its answers. On a tie `fallback` wins if it is among the
    /// best, else the first of them in [`dialect::ALL`]'s order (the order `sigscope dialects`
    /// lists them in). `None` when no answer of that server could be judged.
    pub fn choose(&self, key: &str, fallback: &'static Dialect) -> Option<&'static Dialect> {
        let (names, n) = Self::best(self.by_endpoint.get(key)?);
        if n == 0 {
            return None;
        }
        if names.contains(&fallback.name) {
            return Some(fallback);
        }
        names.first().and_then(|name| dialect::by_name(name))
    }

    /// Adds another run's (another worker's) counts.
    pub fn merge(&mut self, other: Servers) {
        for (k, t) in other.by_endpoint {
            let mine = self.by_endpoint.entry(k).or_default();
            mine.explained.resize(dialect::ALL.len(), 0);
            mine.answers += t.answers;
            mine.body_mismatch += t.body_mismatch;
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

    /// One line per server, in plain words; under `--dialect auto` (`judged` is then the
    /// fallback dialect) each line also says which dialect judged that server's requests.
    pub fn lines(&self, judged: Option<&'static Dialect>) -> Vec<String> {
        self.by_endpoint
            .iter()
            .map(|(server, t)| {
                let (names, n) = Self::best(t);
                let of = format!("{n} of {} answer{}", t.answers, plural(t.answers));
                let mut line = match names.as_slice() {
                    [] if t.answers == 0 => {
                        format!("{server}: no answer says which dialect it follows")
                    }
                    [] => format!("{server}: no known dialect explains its answers"),
                    [one] => {
                        let summary = dialect::by_name(one).map(|d| d.summary).unwrap_or("");
                        format!("{server}: behaves like {one} ({summary}): explains {of}")
                    }
                    [many @ .., last] => format!(
                        "{server}: behaves like {} or {last}: each explains {of}",
                        many.join(", ")
                    ),
                };
                match t.body_mismatch {
                    0 => {}
                    1 => line.push_str(
                        "; 1 valid request with a body that does not match what was signed",
                    ),
                    b => line.push_str(&format!(
                        "; {b} valid requests with bodies that do not match what was signed"
                    )),
                }
                if let Some(fallback) = judged {
                    let d = self.choose(server, fallback).unwrap_or(fallback);
                    line.push_str(&format!(
                        "; --dialect auto judges its requests as {}",
                        d.name
                    ));
                }
                line
            })
            .collect()
    }
}

/// The server an answer is counted under: its endpoint, its Host when that says something
/// else, and the scheme (and SigV4 service). One endpoint can front several verifiers (heat's
/// API and an S3 gateway on one port, RGW's S3 and Swift): each scheme, and each SigV4
/// service, is counted on its own. `None` for requests no dialect verifies (tokens,
/// anonymous, unknown schemes).
pub fn key(server: &str, host: Option<&str>, auth: &AuthInfo) -> Option<String> {
    let what = match auth.mode.family() {
        Family::SigV4 => format!(
            "SigV4 for {}",
            crate::escape::escape_str(auth.service.as_deref().unwrap_or("?"))
        ),
        Family::SigV2 => "S3 SigV2".to_string(),
        Family::Query => "EC2/Query".to_string(),
        Family::PostPolicy => "S3 POST policy".to_string(),
        Family::Token | Family::Anonymous | Family::Unknown => return None,
    };
    Some(match host {
        Some(h) if h != server => format!("{server} (Host {h}, {what})"),
        _ => format!("{server} ({what})"),
    })
}

/// Which dialects (bit `i` for [`dialect::ALL`]`[i]`) explain how the server answered this
/// request; `None` when the answer says nothing of the dialect, or nothing could judge it (no
/// secret and no strings in the error body). It does not depend on the verifier's dialect,
/// so it can be counted under any.
pub fn explained(status: Option<u16>, a: &Analysis) -> Option<u32> {
    let answer = Answer::of(status, a)?;
    // A proxy's relayed answer to bytes it changed is no answer to this request: it says
    // nothing of any rule (the request is still shown refused).
    if a.answered_other_request {
        return None;
    }
    let mask = dialect::ALL
        .iter()
        .enumerate()
        .filter(|(_, d)| explains(answer, a, d.name))
        .fold(0u32, |m, (i, _)| m | (1 << i));
    (mask != 0).then_some(mask)
}

/// Which dialect judges each exchange.
#[derive(Clone, Debug, Default)]
pub enum Judge {
    /// The verifier's dialect judges every exchange.
    #[default]
    Fixed,
    /// `--dialect auto`: each exchange is judged under the dialect its server's answers point
    /// to ([`Servers::choose`]), the verifier's own dialect where they point nowhere.
    ByServer(std::sync::Arc<Servers>),
}

impl Judge {
    /// The dialect that judges `req`, sent to the server endpoint `server` (address:port);
    /// `fallback` is the verifier's own.
    pub fn dialect_for(
        &self,
        fallback: &'static Dialect,
        server: Option<&str>,
        req: &Request,
    ) -> &'static Dialect {
        let Judge::ByServer(servers) = self else {
            return fallback;
        };
        let host = req.header_text("host");
        server
            .and_then(|s| key(s, host.as_deref(), &super::super::auth::detect(req).info))
            .and_then(|k| servers.choose(&k, fallback))
            .unwrap_or(fallback)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bit(name: &str) -> u32 {
        1 << dialect::ALL.iter().position(|d| d.name == name).unwrap()
    }

    fn d(name: &str) -> &'static Dialect {
        dialect::by_name(name).unwrap()
    }

    #[test]
    fn every_dialect_has_a_bit() {
        assert!(dialect::ALL.len() <= 32, "the masks are u32");
    }

    #[test]
    fn auto_picks_the_dialect_that_explains_most_answers() {
        let mut s = Servers::default();
        let k = "127.0.0.1:8003 (SigV4 for 127)";
        // Two answers explained by keystone-legacy, one of them by aws as well.
        s.count(k.into(), bit("keystone-legacy") | bit("aws"));
        s.count(k.into(), bit("keystone-legacy") | bit("minio"));
        assert_eq!(s.choose(k, d("aws")).unwrap().name, "keystone-legacy");
        // A server nothing was counted for: no pick, the caller falls back.
        assert!(s.choose("127.0.0.1:1 (S3 SigV2)", d("aws")).is_none());
    }

    #[test]
    fn a_tie_goes_to_the_fallback_else_to_the_first_in_list_order() {
        let mut s = Servers::default();
        let k = "s (S3 SigV2)";
        s.count(k.into(), bit("minio") | bit("botocore") | bit("aws"));
        assert_eq!(s.choose(k, d("aws")).unwrap().name, "aws");
        assert_eq!(s.choose(k, d("minio")).unwrap().name, "minio");
        // The fallback is not among the best: the first of them as `sigscope dialects` lists.
        assert_eq!(s.choose(k, d("keystone")).unwrap().name, "aws");
        let mut t = Servers::default();
        t.count(k.into(), bit("minio") | bit("ceph-rgw"));
        assert_eq!(t.choose(k, d("aws")).unwrap().name, "ceph-rgw");
    }

    #[test]
    fn uncounting_takes_an_answer_back_and_choices_compare_per_server() {
        let (k1, k2) = ("a (S3 SigV2)", "b (EC2/Query)");
        let mut s = Servers::default();
        s.count(k1.into(), bit("boto2"));
        let before = s.clone();
        s.count(k2.into(), bit("keystone"));
        assert!(
            !s.same_choices(&before, d("aws")),
            "b is picked only in one"
        );
        s.uncount(k2, bit("keystone"));
        assert_eq!(s, before);
        assert!(s.same_choices(&before, d("aws")));
        // Another count that picks the same dialect is the same choice.
        s.count(k1.into(), bit("boto2") | bit("aws"));
        assert!(s.same_choices(&before, d("aws")));
        s.count(k1.into(), bit("aws"));
        s.count(k1.into(), bit("aws"));
        assert!(!s.same_choices(&before, d("aws")));
    }

    #[test]
    fn the_auto_line_says_which_dialect_judges() {
        let mut s = Servers::default();
        s.count("h (S3 SigV2)".into(), bit("boto2"));
        assert_eq!(
            s.lines(Some(d("aws"))),
            vec![format!(
                "h (S3 SigV2): behaves like boto2 ({}): explains 1 of 1 answer; --dialect auto judges its requests as boto2",
                d("boto2").summary
            )]
        );
        assert!(!s.lines(None)[0].contains("auto"));
    }
}

//! Each dialect's strings against a reference, secret or not (issue #12 §4): the server's own
//! (from its error body), or, when the server said nothing, the verifier's. Without the secret
//! no signature can be checked, but the dialects still build different strings for the same
//! request, and which of them equals what the server computed is often the whole diagnosis
//! (a form POST to a keystone-legacy server: only keystone-legacy puts the body's parameters
//! in the canonical query).

use super::{first_difference, Step};
use crate::engine::server_error::ServerExpected;
use crate::engine::{Analysis, DialectResult};

/// What a dialect's strings are compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    /// The strings the server's error body says it computed.
    Server,
    /// Another dialect's (the verifier's) strings.
    Dialect(&'a str),
}

/// How a dialect's strings compare with the reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison<'a> {
    Equal(Reference<'a>),
    /// They first part in this step, at this 1-based line and column.
    Differs {
        against: Reference<'a>,
        step: Step,
        line: usize,
        column: usize,
    },
}

impl Comparison<'_> {
    /// In words, for the report and the UI: "equal to the server's", "canonical request
    /// differs from aws's at line 3 column 1".
    pub fn words(&self) -> String {
        let whose = |r: &Reference| match r {
            Reference::Server => "the server's".to_string(),
            Reference::Dialect(d) => format!("{d}'s"),
        };
        match self {
            Comparison::Equal(r) => format!("strings equal {}", whose(r)),
            Comparison::Differs {
                against,
                step,
                line,
                column,
            } => format!(
                "{} differs from {} at line {line} column {column}",
                step.name(),
                whose(against)
            ),
        }
    }

    /// The same, short, for a table cell: "= server", "canonical 3:1".
    pub fn short(&self) -> String {
        match self {
            Comparison::Equal(Reference::Server) => "= server".into(),
            Comparison::Equal(Reference::Dialect(d)) => format!("= {d}"),
            Comparison::Differs {
                step, line, column, ..
            } => {
                let s = match step {
                    Step::CanonicalRequest => "canonical",
                    Step::StringToSign => "sts",
                    Step::SigningKey => "key",
                    Step::Signature => "signature",
                };
                format!("{s} {line}:{column}")
            }
        }
    }
}

/// The strings every dialect's are compared with for this request: the server's when its
/// error body carried any, else the verifier's (when it verifies this scheme). `None` when
/// there is nothing to compare with, or only one dialect computes strings.
pub fn reference(a: &Analysis) -> Option<Reference<'_>> {
    let se = a.server_expected.as_ref();
    if se.is_some_and(|s| s.canonical_request.is_some() || s.string_to_sign.is_some()) {
        return Some(Reference::Server);
    }
    let computing = a.dialects.iter().filter(|d| !d.unsupported).count();
    let verifier = a.dialect(a.verifier).filter(|d| !d.unsupported)?;
    (computing > 1).then_some(Reference::Dialect(verifier.name))
}

/// Dialect `d`'s strings against `r`: the canonical request first (where both have one; SigV2
/// and the Query schemes have none), then the string to sign.
pub fn compare<'a>(a: &'a Analysis, d: &DialectResult, r: Reference<'a>) -> Option<Comparison<'a>> {
    if d.unsupported {
        return None;
    }
    let (canonical, sts) = match r {
        Reference::Server => server_strings(a.server_expected.as_ref()?),
        Reference::Dialect(name) => {
            let o = a.dialect(name).filter(|o| !o.unsupported)?;
            (
                o.canonical_request.as_deref().map(text),
                Some(text(&o.string_to_sign)),
            )
        }
    };
    let ours = [
        (
            Step::CanonicalRequest,
            d.canonical_request.as_deref().map(text),
            canonical,
        ),
        (Step::StringToSign, Some(text(&d.string_to_sign)), sts),
    ];
    let mut compared = false;
    for (step, mine, theirs) in ours {
        let (Some(mine), Some(theirs)) = (mine, theirs) else {
            continue;
        };
        compared = true;
        if let Some((line, column, _, _)) = first_difference(&mine, &theirs) {
            return Some(Comparison::Differs {
                against: r,
                step,
                line,
                column,
            });
        }
    }
    compared.then_some(Comparison::Equal(r))
}

fn server_strings(se: &ServerExpected) -> (Option<String>, Option<String>) {
    (se.canonical_request.clone(), se.string_to_sign.clone())
}

fn text(b: &[u8]) -> String {
    crate::http::text(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_the_step_and_whose_strings() {
        let d = Comparison::Differs {
            against: Reference::Dialect("aws"),
            step: Step::CanonicalRequest,
            line: 3,
            column: 1,
        };
        assert_eq!(
            d.words(),
            "canonical request differs from aws's at line 3 column 1"
        );
        assert_eq!(d.short(), "canonical 3:1");
        let e = Comparison::Equal(Reference::Server);
        assert_eq!(e.words(), "strings equal the server's");
        assert_eq!(e.short(), "= server");
    }
}

//! What the exchange list shows and filters on, per exchange: small, computed once per verifier
//! setting by the analysis workers, never in a draw call.

use crate::engine::{Analysis, Mark, Mode, Verdict};
use crate::exchange::Exchange;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowInfo {
    pub mode: Mode,
    pub verdict: Verdict,
    pub access_key: Option<Box<str>>,
    pub region: Option<Box<str>>,
    pub service: Option<Box<str>>,
    /// Finding codes, the capture's notes first, in report order.
    pub findings: Box<[&'static str]>,
    /// Beside the verdict: valid under the verifier but refused by the server for its
    /// signature, or valid with a body that does not match its signed hash or Content-MD5.
    pub mark: Mark,
}

impl RowInfo {
    pub fn from_analysis(x: &Exchange, a: &Analysis) -> Self {
        let b = |s: &Option<String>| s.as_deref().map(Box::from);
        RowInfo {
            mode: a.auth.mode,
            verdict: a.verdict,
            access_key: b(&a.auth.access_key),
            region: b(&a.auth.region),
            service: b(&a.auth.service),
            findings: x
                .notes
                .iter()
                .chain(&a.findings)
                .map(|f| f.code.as_str())
                .collect(),
            mark: Mark::of(x.response.as_ref().map(|r| r.status), a),
        }
    }

    /// The row of an exchange whose analysis panicked (a bug): shown as malformed.
    pub fn internal_error() -> Self {
        RowInfo {
            mode: Mode::Unknown,
            verdict: Verdict::Malformed,
            access_key: None,
            region: None,
            service: None,
            findings: Box::new(["internal-error"]),
            mark: Mark::Plain,
        }
    }

    /// The finding worth a column in the list: the first that is not a plain fact everyone
    /// already sees (no secret, decoded only).
    pub fn headline(&self) -> Option<&'static str> {
        self.findings
            .iter()
            .copied()
            .find(|c| !matches!(*c, "no-secret" | "decoded-only"))
            .or_else(|| self.findings.first().copied())
    }
}

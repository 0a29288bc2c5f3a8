//! What the exchange list shows and filters on, per exchange: small, computed once per verifier
//! setting by the analysis workers, never in a draw call.

use std::sync::Arc;

use crate::engine::diagnose::servers;
use crate::engine::{Analysis, Mark, Mode, Verdict};
use crate::exchange::Exchange;
use crate::http::Headers;

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
    /// The dialect that judged it (the verifier's, or under auto its server's).
    pub judged: &'static str,
    /// The server it was sent to and the dialects that explain how that server answered it
    /// (see [`servers::explained`]), which the UI counts per server.
    pub answer: Option<(Arc<str>, u32)>,
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
            // A request with no signature is judged by no dialect.
            judged: if a.auth.mode.is_signature() {
                a.verifier
            } else {
                ""
            },
            answer: None,
        }
    }

    /// [`RowInfo::from_analysis`], and how the server's answer counts towards its dialect.
    /// `keys` interns the server names of one batch of rows.
    pub fn counted(x: &Exchange, a: &Analysis, keys: &mut Vec<Arc<str>>) -> Self {
        let mut row = Self::from_analysis(x, a);
        let status = x.response.as_ref().map(|r| r.status);
        let host = x.request.header_text("host");
        let key = x
            .server
            .as_deref()
            .and_then(|s| servers::key(s, host.as_deref(), &a.auth));
        if let (Some(key), Some(mask)) = (key, servers::explained(status, a)) {
            let key = match keys.iter().find(|k| ***k == *key) {
                Some(k) => k.clone(),
                None => {
                    keys.push(Arc::from(key));
                    keys[keys.len() - 1].clone()
                }
            };
            row.answer = Some((key, mask));
        }
        row
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
            judged: "",
            answer: None,
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

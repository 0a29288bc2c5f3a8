//! The contract of `report --format json`: one JSON object per exchange, in this shape and
//! field order. The structures serialise straight from the analysis (no intermediate JSON
//! tree); [`super::json::write_json`] writes the same bytes faster.

use std::borrow::Cow;

use serde::ser::SerializeSeq;
use serde::Serialize;

use crate::engine::{Analysis, Verdict};
use crate::exchange::Exchange;
use crate::http::{text, Header};

/// Header pairs, serialised as `[name, value]` arrays; credentials in values masked.
pub(super) struct JsonHeaders<'a>(pub(super) &'a [Header]);

impl Serialize for JsonHeaders<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for h in self.0 {
            let value: Cow<'_, str> = match crate::engine::auth::masked_header(&h.name, &h.value) {
                Some(m) => Cow::Owned(m),
                None => text(&h.value),
            };
            seq.serialize_element(&(text(&h.name), value))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
pub(super) struct JsonRequest<'a> {
    pub(super) method: &'a str,
    pub(super) target: Cow<'a, str>,
    pub(super) headers: JsonHeaders<'a>,
    pub(super) body_len: u64,
    pub(super) body_sha256: &'a str,
}

#[derive(Serialize)]
pub(super) struct JsonResponse<'a> {
    pub(super) status: u16,
    pub(super) reason: &'a str,
    pub(super) headers: JsonHeaders<'a>,
    pub(super) body_len: usize,
}

#[derive(Serialize)]
pub(super) struct JsonAuth<'a> {
    pub(super) mode: &'static str,
    pub(super) access_key: &'a Option<String>,
    pub(super) signature: &'a Option<String>,
    pub(super) date: &'a Option<String>,
    pub(super) region: &'a Option<String>,
    pub(super) service: &'a Option<String>,
    pub(super) signed_headers: &'a Option<Vec<String>>,
    pub(super) fields: &'a [(String, String)],
}

/// One line of `report --format json`: serialised straight from the analysis (no
/// intermediate JSON tree; this is the hot path of a large capture).
#[derive(Serialize)]
pub struct JsonExchange<'a> {
    pub(super) index: usize,
    pub(super) source: &'a str,
    pub(super) time: Option<String>,
    pub(super) client: &'a Option<String>,
    pub(super) server: &'a Option<String>,
    /// The pcapng interface the exchange was captured on: absent for other inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) interface: &'a Option<String>,
    pub(super) request: JsonRequest<'a>,
    pub(super) response: Option<JsonResponse<'a>>,
    pub(super) auth: JsonAuth<'a>,
    pub(super) verifier: &'a str,
    pub(super) verdict: Verdict,
    pub(super) dialects: &'a [crate::engine::DialectResult],
    pub(super) client_dialects: &'a [&'static str],
    pub(super) findings: Vec<&'a crate::engine::Finding>,
    pub(super) signing_key: &'a Option<crate::engine::KeyChainView>,
    /// SigV4A with the secret known only: absent otherwise (every other line is unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) public_key: &'a Option<crate::engine::PublicKeyView>,
    /// `post-policy` only: the form, the decoded policy and each condition's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) post_policy: &'a Option<Box<crate::engine::postpolicy::View>>,
    pub(super) divergence: &'a Option<crate::engine::diagnose::Divergence>,
    pub(super) server_expected: &'a Option<crate::engine::server_error::ServerExpected>,
    pub(super) body_mismatch: &'a [crate::engine::BodyMismatch],
}

pub fn to_json<'a>(x: &'a Exchange, a: &'a Analysis) -> JsonExchange<'a> {
    let r = &x.request;
    JsonExchange {
        index: x.index,
        source: &x.source,
        time: x.time.map(crate::engine::time::format_rfc3339),
        client: &x.client,
        server: &x.server,
        interface: &x.interface,
        request: JsonRequest {
            method: &r.method,
            target: match crate::engine::auth::shown_target(&r.target) {
                Cow::Borrowed(t) => text(t),
                Cow::Owned(t) => Cow::Owned(String::from_utf8_lossy(&t).into_owned()),
            },
            headers: JsonHeaders(&r.headers),
            body_len: r.body_len(),
            body_sha256: &a.body_sha256,
        },
        response: x.response.as_ref().map(|s| JsonResponse {
            status: s.status,
            reason: &s.reason,
            headers: JsonHeaders(&s.headers),
            body_len: s.body.len(),
        }),
        auth: JsonAuth {
            mode: a.auth.mode.as_str(),
            access_key: &a.auth.access_key,
            signature: &a.auth.signature,
            date: &a.auth.date,
            region: &a.auth.region,
            service: &a.auth.service,
            signed_headers: &a.auth.signed_headers,
            fields: &a.auth.fields,
        },
        verifier: a.verifier,
        verdict: a.verdict,
        dialects: &a.dialects,
        client_dialects: &a.client_dialects,
        findings: x.notes.iter().chain(a.findings.iter()).collect(),
        signing_key: &a.signing_key,
        public_key: &a.public_key,
        post_policy: &a.post_policy,
        divergence: &a.divergence,
        server_expected: &a.server_expected,
        body_mismatch: &a.body_mismatch,
    }
}

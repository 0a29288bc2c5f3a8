//! Google Cloud Storage: its front end (GFE) appends `,gzip(gfe)` to the Accept-Encoding of a
//! write before Cloud Storage checks the signature, so a client that signed Accept-Encoding is
//! refused though it signed correctly (siderolabs/talos-backup#64, rclone/rclone#6670). Seen
//! in the server's own `<CanonicalRequest>` without the secret, or, with it, under a verifier
//! dialect that models the front end (`sigv4.gfe_accept_encoding`, the `gcs` dialect).

use super::super::sigv4::{gfe_rewrites, GFE_SUFFIX};
use super::{finding, Analysis, Code, Verdict};
use crate::engine::Dialect;
use crate::http::{Headers, Request};

const WHY: &str = "Google's front end appends ,gzip(gfe) to the Accept-Encoding of a write before Cloud Storage checks the signature (siderolabs/talos-backup#64); leave Accept-Encoding out of the signed headers when talking to GCS";

/// The finding, when the server's canonical request or the verifier's rules show the rewrite.
pub(super) fn gfe_findings(req: &Request, a: &mut Analysis, verifier: &Dialect) {
    let signed = a
        .auth
        .signed_headers
        .as_ref()
        .is_some_and(|s| s.iter().any(|h| h.eq_ignore_ascii_case("accept-encoding")));
    if !signed {
        return;
    }
    let sent = req.header_text("accept-encoding").unwrap_or_default();
    let gfe = String::from_utf8_lossy(GFE_SUFFIX);
    let server_line = a
        .server_expected
        .as_ref()
        .and_then(|se| se.canonical_request.as_deref())
        .and_then(|cr| {
            cr.lines()
                .find(|l| l.starts_with("accept-encoding:") && l.ends_with(&gfe[1..]))
                .map(str::to_string)
        });
    if let Some(line) = server_line.filter(|_| !sent.contains(&gfe[1..])) {
        finding(
            a,
            Code::GcsAcceptEncodingGfe,
            format!(
                "the server signed `{}` where the client sent Accept-Encoding `{}`: {WHY}",
                crate::escape::escape_str(&line),
                crate::escape::escape_str(sent.trim())
            ),
        );
        return;
    }
    let modelled = verifier.sigv4.gfe_accept_encoding && gfe_rewrites(req);
    if modelled && a.verdict == Verdict::Invalid && !a.client_dialects.is_empty() {
        finding(
            a,
            Code::GcsAcceptEncodingGfe,
            format!(
                "the signature is right for Accept-Encoding `{}`, but {} checks it as `{}{gfe}`: {WHY}",
                crate::escape::escape_str(sent.trim()),
                verifier.name,
                crate::escape::escape_str(sent.trim())
            ),
        );
    }
}

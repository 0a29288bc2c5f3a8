//! `gcs`: Google Cloud Storage's XML API, which verifies `GOOG4-HMAC-SHA256` (HMAC keys, the
//! `GOOG4` flavour) and AWS's `AWS4-HMAC-SHA256` alike, behind Google's front end (GFE).
//!
//! The canonical request is SigV4's (cloud.google.com/storage/docs/authentication/
//! canonical-requests: `HTTP_VERB`, `PATH_TO_RESOURCE`, `CANONICAL_QUERY_STRING`,
//! `CANONICAL_HEADERS`, `SIGNED_HEADERS`, `PAYLOAD`); the path is signed as sent and a signed
//! URL signs `UNSIGNED-PAYLOAD` unless `x-goog-content-sha256` is signed, as for S3
//! (`googleapis/python-storage` `google/cloud/storage/_signing.py` `generate_signed_url_v4`),
//! which `sigv4::is_storage` applies to every GOOG4 request under every dialect. What sets GCS
//! apart is its front end: it appends `,gzip(gfe)` to the Accept-Encoding of a write before
//! Cloud Storage checks the signature, so a client that signs Accept-Encoding on a PUT is
//! refused (siderolabs/talos-backup#64: `accept-encoding:identity,gzip(gfe)` in GCS's
//! `<CanonicalRequest>` on PutObject and CreateMultipartUpload, ListObjects and GetObject
//! unaffected; rclone/rclone#6670: `accept-encoding:gzip,gzip(gfe)` on a PUT).

use super::*;

pub static DIALECT: Dialect = Dialect {
    name: "gcs",
    summary: "Google Cloud Storage XML API (GOOG4 and AWS4 HMAC keys, behind Google's front end)",
    sigv4: SigV4Rules {
        gfe_accept_encoding: true,
        ..super::aws::SIGV4
    },
    // GCS also takes `GOOG1`/`AWS` V2 HMAC signatures; their rules are not modelled here.
    sigv2: None,
    query: None,
    sources: &[
        "cloud.google.com/storage/docs/authentication/canonical-requests (structure, resource path)",
        "googleapis/python-storage google/cloud/storage/_signing.py generate_signed_url_v4 (payload, query encoding)",
        "siderolabs/talos-backup#64, rclone/rclone#6670 (GFE appends ,gzip(gfe) to Accept-Encoding on writes)",
    ],
};

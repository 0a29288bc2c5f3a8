//! Re-signing: a copy of a request signed again under one dialect's rules, with a given
//! secret and a fresh date (or the captured one). Pure: the time comes in as a value.
//!
//! The canonicalisation is each scheme's own (`sigv4`, `sigv2`, `querysig`); re-signing is
//! writing the new date and credential into a copy of the request, building the string to
//! sign under the dialect, signing it with the derived key and writing the signature back
//! where the request carries it (Authorization, the query, or a form body).

use time::OffsetDateTime;

use super::auth::{self, Mode, Parsed};
use super::dialect::Dialect;
use super::Rejection;
use crate::http::Request;

mod edit;
mod stale;
mod v2;
mod v4;

pub use edit::{set_header, set_query_param};
pub use stale::{staleness, Staleness};

/// Which date the re-signed request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateChoice {
    /// This time (the caller's clock): the date headers or parameters are rewritten.
    Fresh(OffsetDateTime),
    /// The captured date, unchanged (`--keep-date`).
    Keep,
}

/// What happens to a SigV4 request's `x-amz-content-sha256` when it holds a body hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadHash {
    /// As captured, even if it does not match the body.
    Keep,
    /// Set to the SHA-256 of the body (a mode such as `UNSIGNED-PAYLOAD` is kept).
    Recompute,
}

/// How to re-sign.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    pub dialect: &'static Dialect,
    pub secret: &'a str,
    /// Another access key for the credential; `None` keeps the captured one.
    pub access_key: Option<&'a str>,
    pub date: DateChoice,
    pub payload_hash: PayloadHash,
    /// A fresh SigV2 presigned URL's or Query request's `Expires`: this many seconds after
    /// the fresh date (a SigV4 presigned URL keeps its relative `X-Amz-Expires`).
    pub expires_in: u64,
}

impl<'a> Options<'a> {
    /// Fresh date `now`, payload hash recomputed, captured access key, one hour for an
    /// absolute expiry (botocore's `generate_presigned_url` default).
    pub fn new(dialect: &'static Dialect, secret: &'a str, now: OffsetDateTime) -> Self {
        Options {
            dialect,
            secret,
            access_key: None,
            date: DateChoice::Fresh(now),
            payload_hash: PayloadHash::Recompute,
            expires_in: 3600,
        }
    }
}

/// A re-signed copy of a request.
#[derive(Clone, Debug)]
pub struct Resigned {
    pub request: Request,
    pub mode: Mode,
    pub dialect: &'static str,
    /// What was signed, under the dialect's rules.
    pub string_to_sign: Vec<u8>,
    pub signature: String,
    /// Why the dialect refuses the request whatever its signature (re-signing cannot fix it).
    pub refused: Option<Rejection>,
    /// What else was changed besides the signature and the date, in words.
    pub notes: Vec<String>,
}

/// Why a request cannot be re-signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResignError {
    #[error("the request carries no signature to re-sign ({0})")]
    NotSigned(&'static str),
    #[error("the request's signature cannot be read: {0}")]
    Malformed(String),
    #[error("{dialect} has no verifier for {mode} requests")]
    NoVerifier {
        dialect: &'static str,
        mode: &'static str,
    },
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("the request has no date to keep")]
    NoDate,
    /// The access key whose secret is not known.
    #[error("no secret for access key {}", crate::escape::escape_str(.0))]
    NoSecret(String),
}

/// `req` signed again under `o.dialect` with `o.secret`. The request's own signing mode is
/// kept (a presigned URL stays presigned).
pub fn resign(req: &Request, o: &Options) -> Result<Resigned, ResignError> {
    let d = auth::detect(req);
    let mode = d.info.mode;
    if let Some(why) = d.malformed {
        return Err(ResignError::Malformed(why));
    }
    match d.parsed {
        Parsed::V4(a) => v4::resign(req, &a, mode, o),
        Parsed::V2(a) => v2::resign_v2(req, &a, mode, o),
        Parsed::Query(q) => v2::resign_query(req, &q, mode, o),
        Parsed::PostPolicy(_) => Err(ResignError::Unsupported(
            "a browser upload form is not re-signed: its policy and signature are form fields the page that made it chose",
        )),
        Parsed::Nothing => Err(ResignError::NotSigned(mode.as_str())),
    }
}

/// [`resign`] with the secret `keys` hold for the request's access key (`options` makes the
/// options from it). A request that cannot be re-signed says why before a missing secret
/// does.
pub fn resign_with<'k>(
    req: &Request,
    keys: &'k dyn super::KeyStore,
    options: impl Fn(&'k str) -> Options<'k>,
) -> Result<Resigned, ResignError> {
    let ak = auth::detect(req).info.access_key;
    match ak.as_deref().and_then(|ak| keys.secret(ak)) {
        Some(secret) => resign(req, &options(secret)),
        None => {
            // Everything but the signature is checked with no secret at all.
            resign(req, &options(""))?;
            Err(ResignError::NoSecret(ak.unwrap_or_default()))
        }
    }
}

#[cfg(test)]
mod tests;

//! Replay (issue 17): a captured request sent again — as captured, byte for byte, or
//! re-signed ([`crate::engine::resign`]) — to its original server or another one, and the
//! answer read back. Nothing here runs unless asked for (`sigscope replay`); every send
//! leaves an audit line in the log (tracing, target `sigscope::replay`): what, where, when.
//! Secrets never leave the process except inside the signature.
//!
//! `transport.rs` TCP, proxy `CONNECT`, TLS, timeout; `tls.rs` the rustls client;
//! `wire.rs` the response's framing; `h2.rs` HTTP/2 by hyper's client.

use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

use crate::engine::auth::shown_target;
use crate::escape::{escape_bytes, escape_str};
use crate::exchange::Exchange;
use crate::http::{Request, Response};

pub mod h2;
mod tls;
pub mod transport;
mod wire;

/// Why a replay did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0}")]
    NoDestination(String),
    #[error("the body was captured only in part ({kept} of {len} bytes kept), so the request cannot be sent again: read the input again with a larger --body-cap")]
    BodyTruncated { kept: usize, len: u64 },
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("proxy: {0}")]
    Proxy(String),
    #[error("{0}")]
    Io(String),
    #[error("no answer within {} seconds", .0.as_secs())]
    Timeout(Duration),
    #[error("the answer could not be read: {0}")]
    Response(String),
}

/// Where a request goes: the host and port connected to, and whether TLS is spoken (with
/// `server_name` as SNI and the name the certificate must carry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub server_name: String,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{}:{}", escape_str(&host), self.port)
    }
}

/// How to reach servers.
#[derive(Clone, Debug)]
pub struct Transport {
    pub timeout: Duration,
    pub insecure: bool,
    pub cacert: Option<PathBuf>,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            timeout: Duration::from_secs(30),
            insecure: false,
            cacert: None,
        }
    }
}

/// `host[:port]` (a bracketed IPv6 literal allowed), the port defaulting to `default`.
fn split_authority(a: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = a.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        Some(_) => Some((a.to_string(), default)),
        None if !a.is_empty() => Some((a.to_string(), default)),
        None => None,
    }
}

/// `--to URL`: `http://host[:port]` or `https://host[:port]` (a path is ignored: the
/// request's own target is sent).
pub fn parse_to(url: &str) -> Result<Destination, ReplayError> {
    let bad = || {
        ReplayError::NoDestination(format!(
            "--to `{}` is not http://host[:port] or https://host[:port]",
            escape_str(url)
        ))
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err(bad()),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (host, port) = split_authority(authority, if tls { 443 } else { 80 }).ok_or_else(bad)?;
    Ok(Destination {
        tls,
        server_name: host.clone(),
        host,
        port,
    })
}

/// Where the exchange's request was sent: `to` when given, else the capture's server
/// address and port (HTTPS when the port is 443 or the target is an `https://` URL), else
/// the request's Host. The certificate name is the Host's name, when it is one.
pub fn destination(x: &Exchange, to: Option<&str>) -> Result<Destination, ReplayError> {
    let host_name = x
        .request
        .host()
        .and_then(|h| split_authority(&h, 80))
        .map(|(h, _)| h);
    let mut d = match to {
        Some(url) => parse_to(url)?,
        None => {
            let absolute = crate::exchange::absolute_form(&x.request.target).map(|(s, _)| s);
            let tls = absolute == Some("https") || crate::exchange::scheme_of(x) == "https";
            let default = if tls { 443 } else { 80 };
            let (host, port) = x
                .server
                .as_deref()
                .and_then(|s| split_authority(s, default))
                .or_else(|| x.request.host().and_then(|h| split_authority(&h, default)))
                .ok_or_else(|| ReplayError::NoDestination("the input does not say which server the request went to, and it has no Host: give one with --to URL".into()))?;
            Destination {
                tls,
                server_name: host.clone(),
                host,
                port,
            }
        }
    };
    if let Some(h) = host_name.filter(|h| h.parse::<std::net::IpAddr>().is_err() && !h.is_empty()) {
        if to.is_none() {
            d.server_name = h;
        }
    }
    Ok(d)
}

/// A request that can be sent: its whole body was kept.
pub fn sendable(req: &Request) -> Result<(), ReplayError> {
    if req.body_complete() {
        Ok(())
    } else {
        Err(ReplayError::BodyTruncated {
            kept: req.body.len(),
            len: req.body_len(),
        })
    }
}

/// One request sent and its answer.
#[derive(Clone, Debug)]
pub struct Sent {
    pub request: Request,
    pub response: Response,
    pub at: OffsetDateTime,
}

/// Sends `req` (its HTTP/1.1 wire form: the captured bytes when it is unchanged; by HTTP/2
/// when it was captured as HTTP/2, [`transport::send`]) to `dest`,
/// after writing the audit line; `what` says how it was prepared ("as captured",
/// "re-signed as keystone-legacy").
pub fn send(
    req: &Request,
    dest: &Destination,
    what: &str,
    t: &Transport,
) -> Result<Sent, ReplayError> {
    sendable(req)?;
    let at = OffsetDateTime::now_utc();
    let wire = req.to_wire();
    tracing::info!(
        target: "sigscope::replay",
        "replay: sending {} {} ({} bytes, {}{}) to {} (Host {}) at {}",
        escape_str(&req.method),
        escape_bytes(&shown_target(&req.target)),
        wire.len(),
        what,
        if h2::is_h2(req) { ", HTTP/2" } else { "" },
        dest,
        escape_str(&req.host().unwrap_or_default()),
        crate::engine::time::format_rfc3339(at),
    );
    let result = transport::send(dest, req, &wire, t);
    match &result {
        Ok(r) => {
            tracing::info!(target: "sigscope::replay", "replay: {} answered {}", dest, r.status)
        }
        Err(e) => {
            tracing::info!(target: "sigscope::replay", "replay: {} did not answer: {e}", dest)
        }
    }
    Ok(Sent {
        request: req.clone(),
        response: result?,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Header;

    #[test]
    fn destinations() {
        let mut x = Exchange {
            server: Some("10.0.0.5:9000".into()),
            ..Default::default()
        };
        x.request
            .headers
            .push(Header::new("Host", "s3.example.test:9000"));
        let d = destination(&x, None).unwrap();
        assert_eq!(
            d,
            Destination {
                tls: false,
                host: "10.0.0.5".into(),
                port: 9000,
                server_name: "s3.example.test".into()
            }
        );
        x.server = Some("[::1]:443".into());
        let d = destination(&x, None).unwrap();
        assert!(d.tls && d.host == "::1" && d.port == 443);
        assert_eq!(d.to_string(), "https://[::1]:443");
        x.server = None;
        let d = destination(&x, None).unwrap();
        assert_eq!((d.host.as_str(), d.port), ("s3.example.test", 9000));
        let d = destination(&x, Some("https://127.0.0.1:8443/ignored")).unwrap();
        assert_eq!(
            d,
            Destination {
                tls: true,
                host: "127.0.0.1".into(),
                port: 8443,
                server_name: "127.0.0.1".into()
            }
        );
        assert!(destination(&x, Some("ftp://h")).is_err());
        x.request.headers.clear();
        assert!(matches!(
            destination(&x, None),
            Err(ReplayError::NoDestination(_))
        ));
    }

    #[test]
    fn a_truncated_body_is_refused_with_the_reason() {
        let r = Request {
            body: vec![0; 4],
            body_digest: Some(crate::http::BodyDigest {
                len: 10,
                sha256_hex: String::new(),
            }),
            ..Default::default()
        };
        let e = send(
            &r,
            &parse_to("http://127.0.0.1:9").unwrap(),
            "as captured",
            &Transport::default(),
        )
        .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("the body was captured only in part (4 of 10 bytes kept)"));
    }
}

//! What `sigscope listen` is told: the [`Config`], its resource [`Limits`] and the
//! reverse proxy's [`Upstream`].

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{respond, LiveError};
use crate::credentials::Credentials;
use crate::engine::Dialect;

/// Where a reverse proxy forwards to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

impl Upstream {
    /// `http://host:port` or `https://host[:port]`.
    pub fn parse(s: &str) -> Result<Upstream, LiveError> {
        let bad = |why: &str| LiveError::Upstream(s.to_string(), why.to_string());
        let (tls, rest) = if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else {
            return Err(bad("expected http://host:port or https://host:port"));
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') || rest.contains('@') {
            return Err(bad("expected only a scheme, a host and a port"));
        }
        let (host, port) = if let Some(h) = rest.strip_prefix('[') {
            let (h, p) = h
                .split_once(']')
                .ok_or_else(|| bad("unclosed [ in the host"))?;
            (h.to_string(), p.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (rest.to_string(), None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
            None if tls => 443,
            None => 80,
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Upstream { tls, host, port })
    }

    /// The Host header value naming the upstream (the port left out when it is the default).
    pub fn authority(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if (self.tls && self.port == 443) || (!self.tls && self.port == 80) {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }

    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.authority()
        )
    }
}

/// Resource limits. Each one, when hit, is said in a notice and in the answer where there is
/// one; other connections are not affected.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request head (request line and headers); larger gets 431.
    pub max_header_size: usize,
    pub max_headers: usize,
    /// Bytes of each body kept in memory; the whole body is still received, forwarded and
    /// hashed.
    pub body_cap: usize,
    pub max_connections: usize,
    /// Time allowed for a request head to arrive (also bounds an idle keep-alive connection
    /// waiting for its next request): slowloris protection.
    pub header_timeout: Duration,
    /// A connection on which no byte moved for this long is closed (a stalled body).
    pub idle_timeout: Duration,
    /// On shutdown, how long in-flight exchanges may take to finish.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_size: 64 << 10,
            max_headers: 200,
            body_cap: 8 << 20,
            max_connections: 16384,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Everything `sigscope listen` is told.
#[derive(Clone)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    /// Reverse-proxy mode when set; endpoint mode otherwise.
    pub upstream: Option<Upstream>,
    /// Keep the client's Host header when forwarding (otherwise it names the upstream).
    pub preserve_host: bool,
    /// Extra CA certificates (PEM) trusted for an `https://` upstream.
    pub upstream_ca: Option<PathBuf>,
    pub dialect: &'static Dialect,
    pub credentials: Arc<Credentials>,
    pub policy: respond::Policy,
    /// TLS on the listener: certificate chain and private key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// With `tls`: write the listener's TLS secrets to this file in NSS key log format
    /// (created 0600, appended to), so that a raw capture of its traffic can be decrypted.
    pub keylog: Option<PathBuf>,
    pub save: Option<PathBuf>,
    pub limits: Limits,
}

impl Config {
    pub fn new(dialect: &'static Dialect, credentials: Credentials) -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            upstream: None,
            keylog: None,
            preserve_host: false,
            upstream_ca: None,
            dialect,
            credentials: Arc::new(credentials),
            policy: respond::Policy::default(),
            tls: None,
            save: None,
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Upstream;

    #[test]
    fn upstream_urls() {
        let u = Upstream::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port), (false, "127.0.0.1", 9000));
        assert_eq!(u.authority(), "127.0.0.1:9000");
        let u = Upstream::parse("https://s3.example.com/").unwrap();
        assert_eq!(
            (u.tls, u.port, u.authority()),
            (true, 443, "s3.example.com".into())
        );
        let u = Upstream::parse("http://[::1]:8080").unwrap();
        assert_eq!(
            (u.host.as_str(), u.authority()),
            ("::1", "[::1]:8080".into())
        );
        for bad in [
            "ftp://x",
            "http://",
            "http://h:port",
            "http://h/path",
            "http://u@h",
            "h:80",
        ] {
            assert!(Upstream::parse(bad).is_err(), "{bad}");
        }
    }
}

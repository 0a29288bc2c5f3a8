//! Sending one request and reading the answer: TCP (through an HTTP proxy's `CONNECT` when
//! `HTTPS_PROXY`/`HTTP_PROXY` say so and `NO_PROXY` does not), TLS for `https`, everything
//! under one timeout. An HTTP/1.x request's bytes are written as given: the captured
//! request, byte for byte; one captured as HTTP/2 goes by HTTP/2 (`h2.rs`).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::wire::{response, Progress};
use super::{Destination, ReplayError, Transport};
use crate::http::{Request, Response};

/// Where the connection goes: straight to the destination, or to a proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
}

/// The proxy for `dest` from the environment (`get` reads a variable; lower case first, as
/// curl does): `https_proxy` for TLS, `http_proxy` otherwise, unless `no_proxy` lists the
/// host (a suffix match on names, `*` for every host).
pub fn proxy_for(dest: &Destination, get: impl Fn(&str) -> Option<String>) -> Option<Proxy> {
    let var = |n: &str| {
        get(n)
            .or_else(|| get(&n.to_ascii_uppercase()))
            .filter(|v| !v.is_empty())
    };
    let url = var(if dest.tls {
        "https_proxy"
    } else {
        "http_proxy"
    })?;
    let host = dest.host.trim_matches(['[', ']']).to_ascii_lowercase();
    if let Some(no) = var("no_proxy") {
        let skip = no
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .any(|e| {
                let e = e.trim_start_matches('.').to_ascii_lowercase();
                let e = e
                    .rsplit_once(':')
                    .map_or(e.as_str(), |(h, _)| h)
                    .to_string();
                e == "*" || host == e || host.ends_with(&format!(".{e}"))
            });
        if skip {
            return None;
        }
    }
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let (h, p) = match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            (h.to_string(), p.parse().ok()?)
        }
        _ => (authority.to_string(), 80),
    };
    Some(Proxy { host: h, port: p })
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Sends `req` to `dest` and reads the response: `wire` (its HTTP/1.1 bytes) on an HTTP/1.1
/// connection, or `req` by HTTP/2 when it was captured as HTTP/2 and the server speaks it
/// (ALPN over TLS; prior knowledge in the clear). Blocking: a current-thread runtime of its
/// own.
pub fn send(
    dest: &Destination,
    req: &Request,
    wire: &[u8],
    t: &Transport,
) -> Result<Response, ReplayError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ReplayError::Io(e.to_string()))?;
    let timeout = t.timeout;
    rt.block_on(async {
        tokio::time::timeout(timeout, exchange(dest, req, wire, t))
            .await
            .unwrap_or(Err(ReplayError::Timeout(timeout)))
    })
}

async fn exchange(
    dest: &Destination,
    req: &Request,
    wire: &[u8],
    t: &Transport,
) -> Result<Response, ReplayError> {
    let h2 = super::h2::is_h2(req);
    let proxy = proxy_for(dest, |n| std::env::var(n).ok());
    let (host, port) = match &proxy {
        Some(p) => (p.host.as_str(), p.port),
        None => (dest.host.trim_matches(['[', ']']), dest.port),
    };
    let mut tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| ReplayError::Connect(format!("{host}:{port}"), e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    if proxy.is_some() {
        tunnel(&mut tcp, dest).await?;
    }
    let mut io: Box<dyn Io> = if dest.tls {
        let connector = super::tls::connector(t.cacert.as_deref(), t.insecure, h2)?;
        let name = rustls_pki_types::ServerName::try_from(dest.server_name.clone())
            .map_err(|e| ReplayError::Tls(format!("server name `{}`: {e}", dest.server_name)))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| ReplayError::Tls(e.to_string()))?;
        if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            return super::h2::send(tls, req, dest, MAX_RESPONSE).await;
        }
        Box::new(tls)
    } else if h2 {
        return super::h2::send(tcp, req, dest, MAX_RESPONSE).await;
    } else {
        Box::new(tcp)
    };
    io.write_all(wire)
        .await
        .map_err(|e| ReplayError::Io(e.to_string()))?;
    io.flush()
        .await
        .map_err(|e| ReplayError::Io(e.to_string()))?;
    read_response(&mut io, &req.method).await
}

/// `CONNECT host:port` through the proxy; a 2xx opens the tunnel.
async fn tunnel(tcp: &mut TcpStream, dest: &Destination) -> Result<(), ReplayError> {
    let authority = format!("{}:{}", dest.host, dest.port);
    let req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    tcp.write_all(req.as_bytes())
        .await
        .map_err(|e| ReplayError::Io(e.to_string()))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while memchr::memmem::find(&buf, b"\r\n\r\n").is_none() {
        let n = tcp
            .read(&mut chunk)
            .await
            .map_err(|e| ReplayError::Io(e.to_string()))?;
        if n == 0 || buf.len() > 16 << 10 {
            return Err(ReplayError::Proxy("the proxy closed the connection".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = String::from_utf8_lossy(&buf[..buf.iter().position(|&b| b == b'\r').unwrap_or(0)])
        .into_owned();
    let status = line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(s) if (200..300).contains(&s) => Ok(()),
        _ => Err(ReplayError::Proxy(format!(
            "CONNECT {authority} refused: {}",
            crate::escape::escape_str(&line)
        ))),
    }
}

/// Responses larger than this are cut (the head and the first bytes are what is shown).
const MAX_RESPONSE: usize = 64 << 20;

async fn read_response(io: &mut Box<dyn Io>, method: &str) -> Result<Response, ReplayError> {
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match io.read(&mut chunk).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify still ended its response.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(ReplayError::Io(e.to_string())),
        };
        buf.extend_from_slice(&chunk[..n]);
        let closed = n == 0 || buf.len() >= MAX_RESPONSE;
        match response(&buf, method, closed) {
            Progress::Done(r) => return Ok(*r),
            Progress::Bad(why) => return Err(ReplayError::Response(why)),
            Progress::More => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(host: &str, tls: bool) -> Destination {
        Destination {
            tls,
            host: host.into(),
            port: 443,
            server_name: host.into(),
        }
    }

    #[test]
    fn proxy_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let p = env(&[
            ("HTTPS_PROXY", "http://user:pw@proxy.test:3128/"),
            ("NO_PROXY", "internal.test, .corp"),
        ]);
        assert_eq!(
            proxy_for(&dest("s3.example.test", true), p),
            Some(Proxy {
                host: "proxy.test".into(),
                port: 3128
            })
        );
        assert_eq!(proxy_for(&dest("s3.example.test", false), p), None);
        assert_eq!(proxy_for(&dest("a.internal.test", true), p), None);
        assert_eq!(proxy_for(&dest("x.corp", true), p), None);
        let all = env(&[("http_proxy", "proxy:8080"), ("no_proxy", "*")]);
        assert_eq!(proxy_for(&dest("h", false), all), None);
        let lower = env(&[("http_proxy", "proxy:8080")]);
        assert_eq!(
            proxy_for(&dest("h", false), lower),
            Some(Proxy {
                host: "proxy".into(),
                port: 8080
            })
        );
    }
}

//! Reverse-proxy mode: each client connection gets its own upstream connection (HTTP/1.1,
//! TLS with rustls for `https://`), requests are forwarded unchanged — method, target, header
//! case, body streamed as it arrives — with Host kept or rewritten per `--preserve-host`, and
//! the upstream's response streamed back. The tap records both; the verdict is computed
//! locally and compared with the upstream's.

use std::sync::atomic::Ordering;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::{full, Body, BoxError, Ctx, Upstream};
use crate::engine::{self, Finding, Verdict};
use crate::http::Request;

/// The upstream connection of one client connection, opened on first use and reopened when
/// the upstream closed it.
#[derive(Default)]
pub struct UpstreamConn {
    sender: tokio::sync::Mutex<Option<SendRequest<Body>>>,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(ctx: &Ctx, u: &Upstream) -> Result<SendRequest<Body>, String> {
    let tcp = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((u.host.as_str(), u.port)),
    )
    .await
    .map_err(|_| format!("no connection within {}s", CONNECT_TIMEOUT.as_secs()))?
    .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let mut b = hyper::client::conn::http1::Builder::new();
    b.preserve_header_case(true);
    if u.tls {
        let connector = ctx
            .connector
            .clone()
            .ok_or_else(|| "no TLS client configuration".to_string())?;
        let name = rustls_pki_types::ServerName::try_from(u.host.clone())
            .map_err(|e| format!("TLS server name `{}`: {e}", u.host))?;
        let s = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        handshake(&b, s).await
    } else {
        handshake(&b, tcp).await
    }
}

/// HTTP/1.1 over an open connection (TLS or not), its driver on a task of its own.
async fn handshake<I>(
    b: &hyper::client::conn::http1::Builder,
    io: I,
) -> Result<SendRequest<Body>, String>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = b
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("upstream connection: {e}");
        }
    });
    Ok(send)
}

fn bad_gateway(ctx: &Ctx, u: &Upstream, why: &str) -> hyper::Response<Body> {
    ctx.counters.upstream_errors.fetch_add(1, Ordering::Relaxed);
    let msg = format!("upstream {}: {why}", u.url());
    // The notice is printed with the program's prefix already; the answer's body needs it.
    let body = format!("sigscope: {msg}\n");
    ctx.notice("upstream", msg);
    full(502, "text/plain", body)
}

/// Forwards one request and returns the upstream's response (502 when it cannot be reached).
pub(crate) async fn forward(
    ctx: &Ctx,
    up: &UpstreamConn,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let body: Body = body.map_err(|e| -> BoxError { Box::new(e) }).boxed();
    forward_parts(ctx, up, parts, body).await
}

/// [`forward`] for a request already taken apart (HTTP/2 streams, whose body is recorded on
/// the way).
pub(crate) async fn forward_parts(
    ctx: &Ctx,
    up: &UpstreamConn,
    mut parts: hyper::http::request::Parts,
    body: Body,
) -> hyper::Response<Body> {
    let Some(u) = ctx.cfg.upstream.as_ref() else {
        return full(500, "text/plain", "sigscope: no upstream\n");
    };
    // HTTP/2 names the host in `:authority`; HTTP/1.1 needs it in Host.
    if !parts.headers.contains_key(hyper::header::HOST) {
        if let Some(a) = parts.uri.authority() {
            if let Ok(v) = hyper::header::HeaderValue::from_str(a.as_str()) {
                parts.headers.insert(hyper::header::HOST, v);
            }
        }
    }
    // Origin form towards the upstream, exactly as the client wrote it after the authority.
    if let Some(pq) = parts.uri.path_and_query() {
        if let Ok(uri) = pq.as_str().parse() {
            parts.uri = uri;
        }
    }
    parts.version = hyper::Version::HTTP_11;
    if !ctx.cfg.preserve_host {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&u.authority()) {
            parts.headers.insert(hyper::header::HOST, v);
        }
    }
    let req = hyper::Request::from_parts(parts, body);

    let mut guard = up.sender.lock().await;
    let reusable = guard
        .as_mut()
        .is_some_and(|s| !s.is_closed() && s.is_ready());
    if !reusable {
        match connect(ctx, u).await {
            Ok(s) => *guard = Some(s),
            Err(e) => {
                *guard = None;
                return bad_gateway(ctx, u, &e);
            }
        }
    }
    let Some(sender) = guard.as_mut() else {
        return bad_gateway(ctx, u, "no connection");
    };
    if let Err(e) = sender.ready().await {
        *guard = None;
        return bad_gateway(ctx, u, &e.to_string());
    }
    match sender.send_request(req).await {
        Ok(resp) => {
            drop(guard);
            resp.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed())
        }
        Err(e) => {
            *guard = None;
            bad_gateway(ctx, u, &e.to_string())
        }
    }
}

/// When the upstream's answer and the local verdict disagree: an `upstream-disagrees` note
/// naming the dialects on each side.
pub(crate) fn disagreement(
    ctx: &Ctx,
    request: &Request,
    response: &crate::http::Response,
) -> Option<Finding> {
    let status = response.status;
    let rejected = matches!(status, 401 | 403);
    let accepted = (200..400).contains(&status);
    if !rejected && !accepted {
        return None;
    }
    let v = ctx.verifier();
    let a = engine::analyze(request, &v);
    let names = |accepts: bool| -> Vec<&str> {
        a.dialects
            .iter()
            .filter(|d| d.accepts() == Some(accepts))
            .map(|d| d.name)
            .collect()
    };
    let list = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    match a.verdict {
        Verdict::Valid if rejected => Some(Finding::new(
            crate::engine::Code::UpstreamDisagrees,
            format!(
                "the upstream answered {status} to a request valid under {}; dialects that would reject it: {}",
                a.verifier,
                list(names(false))
            ),
        )),
        Verdict::Invalid | Verdict::Malformed if accepted => Some(Finding::new(
            crate::engine::Code::UpstreamDisagrees,
            format!(
                "the upstream answered {status} to a request {} under {}; dialects that accept it: {}",
                a.verdict.as_str(),
                a.verifier,
                list(names(true))
            ),
        )),
        _ => None,
    }
}

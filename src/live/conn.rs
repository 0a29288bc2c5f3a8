//! One client connection: the TLS handshake, the choice between HTTP/2 and HTTP/1.1, and
//! the HTTP/1.1 serving loop with its idle timeout and graceful drain.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::endpoint::endpoint_answer;
use super::{h2, proxy, tap, Ctx};

/// One client connection: TLS if configured, then HTTP/1.1 through the tap until the client
/// leaves, a limit closes it, or the listener drains.
pub(super) async fn connection(ctx: Arc<Ctx>, tcp: tokio::net::TcpStream, peer: SocketAddr) {
    let local = tcp.local_addr().unwrap_or(ctx.local);
    match ctx.acceptor.clone() {
        Some(acc) => {
            match tokio::time::timeout(ctx.cfg.limits.header_timeout, acc.accept(tcp)).await {
                Ok(Ok(s)) => {
                    if s.get_ref().1.alpn_protocol() == Some(b"h2") {
                        h2::serve(ctx, s, peer, local, true).await
                    } else {
                        http_connection(ctx, s, peer, local).await
                    }
                }
                Ok(Err(e)) => ctx.notice("tls", format!("{peer}: TLS handshake failed: {e}")),
                Err(_) => {
                    ctx.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    ctx.notice(
                        "timeout",
                        format!("{peer}: closed: no TLS handshake within the header timeout"),
                    )
                }
            }
        }
        None => {
            if h2::starts_with_preface(&tcp, ctx.cfg.limits.header_timeout).await {
                h2::serve(ctx, tcp, peer, local, false).await
            } else {
                http_connection(ctx, tcp, peer, local).await
            }
        }
    }
}

async fn http_connection<S>(ctx: Arc<Ctx>, io: S, peer: SocketAddr, local: SocketAddr)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn_id = ctx.next_conn.fetch_add(1, Ordering::Relaxed);
    let endpoint = ctx.cfg.upstream.is_none();
    let shared = Arc::new(tap::Shared::new(
        conn_id,
        peer,
        local,
        ctx.cfg.limits.body_cap,
        ctx.saver.clone(),
        ctx.out.clone(),
        endpoint,
    ));
    let io = TokioIo::new(tap::Tap::new(io, shared.clone()));
    let ordinal = Arc::new(AtomicU64::new(0));
    let upstream = Arc::new(proxy::UpstreamConn::default());
    let svc = {
        let ctx = ctx.clone();
        let shared = shared.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let k = ordinal.fetch_add(1, Ordering::Relaxed);
            let ctx = ctx.clone();
            let shared = shared.clone();
            let upstream = upstream.clone();
            async move {
                let r = if ctx.cfg.upstream.is_some() {
                    proxy::forward(&ctx, &upstream, req).await
                } else {
                    endpoint_answer(&ctx, &shared, k, req).await
                };
                Ok::<_, Infallible>(r)
            }
        })
    };
    let conn = ctx.http1.serve_connection(io, svc);
    tokio::pin!(conn);
    let mut stop = ctx.shutdown.clone();
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    let idle = ctx.cfg.limits.idle_timeout;
    let tick = (idle / 4).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    connection_error(&ctx, peer, &e);
                }
                break;
            }
            c = stop.changed(), if !stopping => {
                stopping = true;
                let _ = c;
                conn.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(tick) => {
                if shared.idle_nanos() > idle.as_nanos() as i128 {
                    ctx.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    ctx.notice(
                        "timeout",
                        format!("{peer}: closed: nothing sent or received for {}s (--idle-timeout)", idle.as_secs()),
                    );
                    break;
                }
            }
        }
    }
    shared.finish();
}

fn connection_error(ctx: &Ctx, peer: SocketAddr, e: &hyper::Error) {
    let limits = &ctx.cfg.limits;
    if e.is_timeout() {
        ctx.counters.timeouts.fetch_add(1, Ordering::Relaxed);
        ctx.notice(
            "timeout",
            format!(
                "{peer}: closed: request head not received within {}s (--header-timeout)",
                limits.header_timeout.as_secs()
            ),
        );
    } else if e.is_parse_too_large() {
        ctx.counters.bad_requests.fetch_add(1, Ordering::Relaxed);
        ctx.notice(
            "too-large",
            format!(
                "{peer}: answered 431: request head larger than {} bytes or more than {} headers (--max-header-size)",
                limits.max_header_size, limits.max_headers
            ),
        );
    } else if e.is_parse() {
        ctx.counters.bad_requests.fetch_add(1, Ordering::Relaxed);
        ctx.notice(
            "parse",
            format!("{peer}: answered 400: malformed request: {e}"),
        );
    } else if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        tracing::debug!("{peer}: {e}");
    } else {
        tracing::debug!("{peer}: connection error: {e}");
    }
}

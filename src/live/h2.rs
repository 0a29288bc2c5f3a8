//! HTTP/2, served by hyper: cleartext with prior knowledge (the connection starts with the
//! HTTP/2 preface) or negotiated by ALPN on the TLS listener. There are no HTTP/1 bytes to parse here, so each stream is recorded from what
//! hyper decoded — pseudo-header `:authority` as Host (as HAR import does), header names as
//! HTTP/2 carries them (lowercase), the body hashed whole and kept up to the cap while it
//! streams — and saved as HTTP/2 frames on a synthesised connection (`h2save.rs`), which
//! capture replay reads back.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use sha2::{Digest, Sha256};

use super::save::{Dir, SaveMsg};
use super::tap::{Completed, TapOut};
use super::{full, now_nanos, proxy, respond, Body, BoxError, Ctx};
use crate::http::{BodyDigest, Header, Request, Response};

pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether the client opened with the HTTP/2 preface: peeks (without consuming) only as long as
/// what arrived is a prefix of it, so an HTTP/1 request is told apart by its first bytes.
pub async fn starts_with_preface(tcp: &tokio::net::TcpStream, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 24];
    loop {
        let n = match tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            _ => return false,
        };
        if n == 0 || buf[..n] != PREFACE[..n] {
            return false;
        }
        if n == PREFACE.len() {
            return true;
        }
        // A partial preface: wait for the rest.
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A body wrapper that hashes every byte, keeps the first `cap`, and reports at the end (or
/// when dropped early).
pub struct Recorded {
    inner: Body,
    cap: usize,
    kept: Vec<u8>,
    hasher: Sha256,
    len: u64,
    error: Option<String>,
    done: Option<tokio::sync::oneshot::Sender<Captured>>,
}

#[derive(Debug, Default)]
pub struct Captured {
    pub kept: Vec<u8>,
    pub len: u64,
    pub sha256_hex: String,
    pub error: Option<String>,
    pub complete: bool,
}

impl Recorded {
    pub fn new(inner: Body, cap: usize) -> (Self, tokio::sync::oneshot::Receiver<Captured>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            Recorded {
                inner,
                cap,
                kept: Vec::new(),
                hasher: Sha256::new(),
                len: 0,
                error: None,
                done: Some(tx),
            },
            rx,
        )
    }

    fn finish(&mut self, complete: bool) {
        if let Some(tx) = self.done.take() {
            let h = std::mem::take(&mut self.hasher);
            let _ = tx.send(Captured {
                kept: std::mem::take(&mut self.kept),
                len: self.len,
                sha256_hex: crate::engine::crypto::to_hex(&h.finalize()),
                error: self.error.take(),
                complete,
            });
        }
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.finish(false);
    }
}

impl hyper::body::Body for Recorded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    self.hasher.update(d);
                    self.len += d.len() as u64;
                    let room = self.cap.saturating_sub(self.kept.len());
                    let take = room.min(d.len());
                    self.kept.extend_from_slice(&d[..take]);
                }
            }
            Poll::Ready(Some(Err(e))) => {
                self.error = Some(e.to_string());
                self.finish(false);
            }
            Poll::Ready(None) => self.finish(true),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

fn boxed(b: Incoming) -> Body {
    b.map_err(|e| -> BoxError { Box::new(e) }).boxed()
}

/// The request as recorded: Host from `:authority` when there is no Host header, and the
/// `:authority` itself (what a server takes as the host differs: `sigv4.h2_host`).
fn request_of(parts: &hyper::http::request::Parts) -> Request {
    let mut headers = Vec::with_capacity(parts.headers.len() + 1);
    let has_host = parts.headers.contains_key(hyper::header::HOST);
    if !has_host {
        if let Some(a) = parts.uri.authority() {
            headers.push(Header::new("host", a.as_str()));
        }
    }
    for (k, v) in &parts.headers {
        headers.push(Header::new(k.as_str(), v.as_bytes()));
    }
    Request {
        method: parts.method.as_str().to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().as_bytes().to_vec())
            .unwrap_or_else(|| b"/".to_vec()),
        version: "HTTP/2".into(),
        headers,
        h2_authority: parts.uri.authority().map(|a| crate::http::Authority {
            value: a.as_str().as_bytes().to_vec(),
            host_added: !has_host,
        }),
        ..Default::default()
    }
}

fn set_body(r: &mut Request, c: Captured) {
    let whole = c.kept.len() as u64 == c.len;
    r.body = c.kept;
    r.body_sha256 = Some(c.sha256_hex.clone());
    r.body_digest = (!whole).then_some(BodyDigest {
        len: c.len,
        sha256_hex: c.sha256_hex,
    });
}

fn response_of(
    parts: &hyper::http::response::Parts,
    body: Vec<u8>,
    extra: &[(&str, String)],
) -> Response {
    let mut headers: Vec<Header> = parts
        .headers
        .iter()
        .map(|(k, v)| Header::new(k.as_str(), v.as_bytes()))
        .collect();
    for (k, v) in extra {
        headers.push(Header::new(*k, v.as_bytes()));
    }
    Response {
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").to_string(),
        version: "HTTP/2".into(),
        headers,
        body,
    }
}

struct Conn {
    id: u64,
    client: SocketAddr,
    server: SocketAddr,
    busy: AtomicU64,
    last: AtomicI64,
    upstream: proxy::UpstreamConn,
    /// The saved session's HTTP/2 encoders (with `--save`).
    save: std::sync::Mutex<Option<super::h2save::H2Save>>,
}

impl Conn {
    fn touch(&self) {
        self.last.store(now_nanos() as i64, Ordering::Relaxed);
    }

    fn complete(&self, ctx: &Ctx, request: Request, response: Option<Response>, end_ts: i128) {
        let frames = self
            .save
            .lock()
            .ok()
            .and_then(|mut g| g.as_mut().map(|w| w.exchange(&request, response.as_ref())));
        if let (Some(s), Some((rq, rs))) = (&ctx.saver, frames) {
            let _ = s.send(SaveMsg::Data {
                conn: self.id,
                dir: Dir::ClientToServer,
                bytes: rq,
                ts_nanos: end_ts,
            });
            if !rs.is_empty() {
                let _ = s.send(SaveMsg::Data {
                    conn: self.id,
                    dir: Dir::ServerToClient,
                    bytes: rs,
                    ts_nanos: now_nanos(),
                });
            }
        }
        let _ = ctx.out.send(TapOut::Exchange(Box::new(Completed {
            client: self.client,
            server: self.server,
            request,
            response,
            end_ts,
            notes: Vec::new(),
        })));
    }
}

async fn endpoint(ctx: &Ctx, conn: &Conn, req: hyper::Request<Incoming>) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let mut request = request_of(&parts);
    let (mut rec, rx) = Recorded::new(boxed(body), ctx.cfg.limits.body_cap);
    while let Some(f) = rec.frame().await {
        if f.is_err() {
            break;
        }
    }
    drop(rec);
    let captured = rx.await.unwrap_or_default();
    let end_ts = now_nanos();
    if let Some(e) = &captured.error {
        ctx.counters.bad_requests.fetch_add(1, Ordering::Relaxed);
        return full(
            400,
            "text/plain",
            format!("sigscope: the request body could not be read: {e}\n"),
        );
    }
    set_body(&mut request, captured);
    let (a, now) = ctx.verify_now(&request);
    let rid = format!("{:016X}", ctx.next_request.fetch_add(1, Ordering::Relaxed));
    let ans = respond::answer(&a, &request, &ctx.cfg.policy, now, &rid);
    if ans.status < 300 {
        ctx.counters.valid.fetch_add(1, Ordering::Relaxed);
    } else {
        ctx.counters.error.fetch_add(1, Ordering::Relaxed);
    }
    let mut r = full(ans.status, ans.content_type, ans.body.clone());
    r.headers_mut().insert(
        "x-amz-request-id",
        hyper::header::HeaderValue::from_str(&rid)
            .unwrap_or(hyper::header::HeaderValue::from_static("0")),
    );
    let (rparts, rbody) = r.into_parts();
    let recorded = response_of(
        &rparts,
        ans.body.clone(),
        &[("content-length", ans.body.len().to_string())],
    );
    conn.complete(ctx, request, Some(recorded), end_ts);
    hyper::Response::from_parts(rparts, rbody)
}

async fn forward(
    ctx: Arc<Ctx>,
    conn: Arc<Conn>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let request = request_of(&parts);
    let (rec, req_rx) = Recorded::new(boxed(body), ctx.cfg.limits.body_cap);
    let resp = proxy::forward_parts(&ctx, &conn.upstream, parts, rec.boxed()).await;
    let (rparts, rbody) = resp.into_parts();
    let (rrec, resp_rx) = Recorded::new(rbody, ctx.cfg.limits.body_cap);
    let head = response_of(&rparts, Vec::new(), &[]);
    // The exchange completes when the response body has been relayed.
    tokio::spawn(async move {
        let reqc = req_rx.await.unwrap_or_default();
        let end_ts = now_nanos();
        let respc = resp_rx.await.unwrap_or_default();
        let mut request = request;
        set_body(&mut request, reqc);
        let mut response = head;
        response.body = respc.kept;
        conn.complete(&ctx, request, Some(response), end_ts);
        conn.busy.fetch_sub(1, Ordering::Relaxed);
    });
    hyper::Response::from_parts(rparts, rrec.boxed())
}

/// Serves one HTTP/2 connection until the client leaves, it idles out, or the listener drains.
pub(crate) async fn serve<S>(ctx: Arc<Ctx>, io: S, peer: SocketAddr, local: SocketAddr, tls: bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let id = ctx.next_conn.fetch_add(1, Ordering::Relaxed);
    let mut save = None;
    if let Some(s) = &ctx.saver {
        let ts_nanos = now_nanos();
        let _ = s.send(SaveMsg::Open {
            conn: id,
            client: peer,
            server: local,
            ts_nanos,
        });
        let (w, c, srv) = super::h2save::H2Save::open(tls);
        save = Some(w);
        for (dir, bytes) in [(Dir::ClientToServer, c), (Dir::ServerToClient, srv)] {
            let _ = s.send(SaveMsg::Data {
                conn: id,
                dir,
                bytes,
                ts_nanos,
            });
        }
    }
    let conn = Arc::new(Conn {
        id,
        client: peer,
        server: local,
        busy: AtomicU64::new(0),
        last: AtomicI64::new(now_nanos() as i64),
        upstream: proxy::UpstreamConn::default(),
        save: std::sync::Mutex::new(save),
    });
    let svc = {
        let ctx = ctx.clone();
        let conn = conn.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let ctx = ctx.clone();
            let conn = conn.clone();
            async move {
                conn.busy.fetch_add(1, Ordering::Relaxed);
                conn.touch();
                // `busy` counts exchanges not yet recorded: the proxy's completes once the
                // response body has been relayed, after this returns.
                let r = if ctx.cfg.upstream.is_some() {
                    forward(ctx.clone(), conn.clone(), req).await
                } else {
                    let r = endpoint(&ctx, &conn, req).await;
                    conn.busy.fetch_sub(1, Ordering::Relaxed);
                    r
                };
                conn.touch();
                Ok::<_, std::convert::Infallible>(r)
            }
        })
    };
    let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    b.timer(TokioTimer::new())
        .max_header_list_size(ctx.cfg.limits.max_header_size.min(u32::MAX as usize) as u32)
        .max_concurrent_streams(256);
    let h = b.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(h);
    let mut stop = ctx.shutdown.clone();
    let mut stopping = *stop.borrow();
    if stopping {
        h.as_mut().graceful_shutdown();
    }
    let idle = ctx.cfg.limits.idle_timeout;
    let tick = (idle / 4).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            r = h.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("{peer}: HTTP/2: {e}");
                }
                break;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                h.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(tick) => {
                let quiet = now_nanos() - conn.last.load(Ordering::Relaxed) as i128;
                if conn.busy.load(Ordering::Relaxed) == 0 && quiet > idle.as_nanos() as i128 {
                    ctx.notice(
                        "timeout",
                        format!("{peer}: closed: HTTP/2 connection idle for {}s (--idle-timeout)", idle.as_secs()),
                    );
                    break;
                }
            }
        }
    }
    // Exchanges still being recorded (a relayed body just finished) go in before the FIN.
    let t0 = tokio::time::Instant::now();
    while conn.busy.load(Ordering::Relaxed) > 0 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if let Some(s) = &ctx.saver {
        let _ = s.send(SaveMsg::Close {
            conn: id,
            ts_nanos: now_nanos(),
        });
    }
}

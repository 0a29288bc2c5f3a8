//! Live capture: `sigscope listen`. A hyper server on tokio that either verifies each request
//! itself and answers like the service it imitates (endpoint mode), or forwards it unchanged
//! to an upstream and records the upstream's answer (reverse-proxy mode). Every completed
//! exchange goes into a [`FeedSender`], as capture replay's do, for the TUI or the JSON-lines
//! printer; `--save` writes the session as pcapng while it runs.
//!
//! ```no_run
//! # async fn f(cfg: sigscope::live::Config) -> Result<(), sigscope::live::LiveError> {
//! let (tx, mut rx) = sigscope::feed::channel();
//! let stats = sigscope::live::serve(cfg, tx, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod h2;
pub mod proxy;
pub mod respond;
pub mod save;
pub mod tap;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;

use crate::credentials::Credentials;
use crate::engine::{self, Dialect, KeyCache, Verifier};
use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedSender};
use tap::{Completed, TapOut};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = BoxBody<Bytes, BoxError>;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("--upstream `{0}`: {1}")]
    Upstream(String, String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("--save {}: {error}", path.display())]
    Save {
        path: PathBuf,
        error: std::io::Error,
    },
}

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
    pub save: Option<PathBuf>,
    pub limits: Limits,
}

impl Config {
    pub fn new(dialect: &'static Dialect, credentials: Credentials) -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            upstream: None,
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

/// What a run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub connections: u64,
    pub refused_connections: u64,
    pub exchanges: u64,
    pub answered_valid: u64,
    pub answered_error: u64,
    pub upstream_errors: u64,
    pub timeouts: u64,
    pub bad_requests: u64,
    pub saved_packets: u64,
    /// Exchanges still in flight when the drain timeout ran out.
    pub abandoned_connections: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    refused: AtomicU64,
    valid: AtomicU64,
    error: AtomicU64,
    upstream_errors: AtomicU64,
    timeouts: AtomicU64,
    bad_requests: AtomicU64,
}

pub(crate) fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Notices of one kind at most once a second, with a count of those left out.
#[derive(Default)]
struct RateLimit {
    kinds: Mutex<std::collections::HashMap<&'static str, (std::time::Instant, u64)>>,
}

impl RateLimit {
    fn allow(&self, kind: &'static str) -> Option<u64> {
        let mut m = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        match m.get_mut(kind) {
            Some((last, dropped)) if now.duration_since(*last) < Duration::from_secs(1) => {
                *dropped += 1;
                None
            }
            Some((last, dropped)) => {
                *last = now;
                Some(std::mem::take(dropped))
            }
            None => {
                m.insert(kind, (now, 0));
                Some(0)
            }
        }
    }
}

/// What every connection task shares.
pub(crate) struct Ctx {
    cfg: Config,
    local: SocketAddr,
    cache: KeyCache,
    counters: Counters,
    out: tokio::sync::mpsc::UnboundedSender<TapOut>,
    saver: Option<save::SaveTx>,
    http1: hyper::server::conn::http1::Builder,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    pub(crate) connector: Option<tokio_rustls::TlsConnector>,
    next_conn: AtomicU64,
    next_request: AtomicU64,
    limit: RateLimit,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Ctx {
    fn notice(&self, kind: &'static str, msg: String) {
        tracing::info!(kind, "{}", crate::escape::escape_str(&msg));
        if let Some(dropped) = self.limit.allow(kind) {
            let m = if dropped > 0 {
                format!("{msg} (and {dropped} more like it)")
            } else {
                msg
            };
            let _ = self.out.send(TapOut::Notice(m));
        }
    }

    fn verifier(&self) -> Verifier<'_> {
        Verifier {
            keys: &*self.cfg.credentials,
            dialect: self.cfg.dialect,
            cache: &self.cache,
            reveal_keys: false,
        }
    }

    /// Verifies a request as it arrives (no response yet), for the endpoint's answer.
    fn verify_now(
        &self,
        request: &crate::http::Request,
    ) -> (engine::Analysis, time::OffsetDateTime) {
        let now = time::OffsetDateTime::now_utc();
        let a = engine::analyze_observed(
            &engine::diagnose::Observed {
                request,
                response: None,
                time: Some(now),
                context: engine::diagnose::Context {
                    seen_hosts: &[],
                    earlier_leg: None,
                },
            },
            &self.verifier(),
        );
        (a, now)
    }
}

/// A listener bound to its port, not yet serving.
pub struct Bound {
    listener: tokio::net::TcpListener,
    cfg: Config,
}

/// Raises the soft open-files limit to the hard one: each connection is a descriptor.
#[allow(clippy::unnecessary_cast)]
#[allow(unsafe_code)]
fn raise_nofile() -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 0;
        }
        if r.rlim_cur < r.rlim_max {
            let want = libc::rlimit {
                rlim_cur: r.rlim_max,
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return want.rlim_cur as u64;
            }
        }
        r.rlim_cur as u64
    }
}

/// Binds the port (`--port 0` picks a free one; see [`Bound::local_addr`]).
pub async fn bind(cfg: Config) -> Result<Bound, LiveError> {
    let addr = SocketAddr::new(cfg.bind, cfg.port);
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|error| LiveError::Bind { addr, error })?;
    sock.set_reuseaddr(true)
        .map_err(|error| LiveError::Bind { addr, error })?;
    sock.bind(addr)
        .map_err(|error| LiveError::Bind { addr, error })?;
    let listener = sock
        .listen(4096)
        .map_err(|error| LiveError::Bind { addr, error })?;
    Ok(Bound { listener, cfg })
}

/// [`bind`] then [`Bound::run`].
pub async fn serve(
    cfg: Config,
    feed: FeedSender,
    shutdown: impl Future<Output = ()>,
) -> Result<Stats, LiveError> {
    bind(cfg).await?.run(feed, shutdown).await
}

impl Bound {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::new(self.cfg.bind, self.cfg.port))
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight exchanges
    /// finish (up to the drain timeout), flushes the saved file and sends [`FeedEvent::Done`].
    pub async fn run(
        self,
        feed: FeedSender,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Stats, LiveError> {
        let local = self.local_addr();
        let cfg = self.cfg;
        let acceptor = match &cfg.tls {
            Some((c, k)) => Some(tls::acceptor(c, k)?),
            None => None,
        };
        let connector = match &cfg.upstream {
            Some(u) if u.tls => Some(tls::connector(cfg.upstream_ca.as_deref())?),
            _ => None,
        };
        let fd_limit = raise_nofile();
        let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel::<TapOut>();
        let saver = match &cfg.save {
            Some(p) => {
                let tx = out_tx.clone();
                let (s, h) = save::start(p, move |m| {
                    tracing::error!("{}", crate::escape::escape_str(&m));
                    let _ = tx.send(TapOut::Notice(m));
                })
                .map_err(|error| LiveError::Save {
                    path: p.clone(),
                    error,
                })?;
                Some((s, h))
            }
            None => None,
        };
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(cfg.limits.header_timeout)
            .max_header_size(cfg.limits.max_header_size)
            .max_headers(cfg.limits.max_headers)
            .max_buf_size((cfg.limits.max_header_size + 4096).max(64 << 10))
            .keep_alive(true)
            .preserve_header_case(true);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let ctx = Arc::new(Ctx {
            local,
            cache: KeyCache::default(),
            counters: Counters::default(),
            out: out_tx.clone(),
            saver: saver.as_ref().map(|(s, _)| s.clone()),
            http1,
            acceptor,
            connector,
            next_conn: AtomicU64::new(0),
            next_request: AtomicU64::new(0),
            limit: RateLimit::default(),
            shutdown: stop_rx,
            cfg,
        });
        let what = match &ctx.cfg.upstream {
            Some(u) => format!("reverse proxy to {}", u.url()),
            None => format!(
                "verifying endpoint, verifier {}, answers {}",
                ctx.cfg.dialect.name,
                ctx.cfg
                    .policy
                    .style
                    .map(|s| s.as_str())
                    .unwrap_or("in the style the request calls for")
            ),
        };
        let scheme = if ctx.acceptor.is_some() {
            "https"
        } else {
            "http"
        };
        let hello = format!("listening on {scheme}://{local} ({what})");
        tracing::info!("{hello}; open-files limit {fd_limit}");
        let _ = feed.send(FeedEvent::Notice(hello));

        let finisher = tokio::spawn(finish_loop(ctx.clone(), out_rx, feed.clone()));

        let max = ctx
            .cfg
            .limits
            .max_connections
            .clamp(1, u32::MAX as usize >> 4);
        let permits = Arc::new(tokio::sync::Semaphore::new(max));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                r = self.listener.accept() => {
                    let (tcp, peer) = match r {
                        Ok(v) => v,
                        Err(e) => {
                            // Out of descriptors or the like: say so, back off, keep serving.
                            ctx.notice("accept", format!("accept failed: {e}"));
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        ctx.counters.refused.fetch_add(1, Ordering::Relaxed);
                        ctx.notice(
                            "max-connections",
                            format!("{peer}: refused: {max} connections already open (--max-connections)"),
                        );
                        tokio::spawn(refuse(tcp));
                        continue;
                    };
                    let _ = tcp.set_nodelay(true);
                    ctx.counters.connections.fetch_add(1, Ordering::Relaxed);
                    let c = ctx.clone();
                    tokio::spawn(async move {
                        connection(c, tcp, peer).await;
                        drop(permit);
                    });
                }
            }
        }
        drop(self.listener);
        // Drain: connections finish their exchange in flight, then close.
        let _ = stop_tx.send(true);
        let drained = tokio::time::timeout(
            ctx.cfg.limits.drain_timeout,
            permits.acquire_many(max as u32),
        )
        .await;
        let abandoned = if drained.is_ok() {
            0
        } else {
            (max - permits.available_permits()) as u64
        };
        if abandoned > 0 {
            ctx.notice(
                "drain",
                format!(
                    "{abandoned} connection(s) still busy after the drain timeout; left unsaved"
                ),
            );
        }
        let _ = out_tx.send(TapOut::Stop);
        drop(out_tx);
        let exchanges = finisher.await.unwrap_or(0);
        let mut saved_packets = 0;
        if let Some((s, h)) = saver {
            let _ = s.send(save::SaveMsg::Stop);
            drop(s);
            saved_packets = tokio::task::spawn_blocking(move || h.join().unwrap_or(0))
                .await
                .unwrap_or(0);
        }
        let c = &ctx.counters;
        let stats = Stats {
            connections: c.connections.load(Ordering::Relaxed),
            refused_connections: c.refused.load(Ordering::Relaxed),
            exchanges,
            answered_valid: c.valid.load(Ordering::Relaxed),
            answered_error: c.error.load(Ordering::Relaxed),
            upstream_errors: c.upstream_errors.load(Ordering::Relaxed),
            timeouts: c.timeouts.load(Ordering::Relaxed),
            bad_requests: c.bad_requests.load(Ordering::Relaxed),
            saved_packets,
            abandoned_connections: abandoned,
        };
        let _ = feed.send(FeedEvent::Notice(format!(
            "stopped: {} exchanges on {} connections ({} refused){}",
            stats.exchanges,
            stats.connections,
            stats.refused_connections,
            if saved_packets > 0 {
                format!("; {saved_packets} packets saved")
            } else {
                String::new()
            }
        )));
        let _ = feed.send(FeedEvent::Done);
        Ok(stats)
    }
}

/// Over the connection limit: a short 503 that says why, then close.
async fn refuse(mut tcp: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = "sigscope: too many connections (--max-connections); try again\n";
    let msg = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(msg.as_bytes())).await;
    let _ = tcp.shutdown().await;
}

/// Turns completed pairs into numbered exchanges on the feed, in completion order.
async fn finish_loop(
    ctx: Arc<Ctx>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<TapOut>,
    feed: FeedSender,
) -> u64 {
    let mut index = 0usize;
    while let Some(m) = rx.recv().await {
        match m {
            TapOut::Stop => break,
            TapOut::Notice(n) => {
                let _ = feed.send(FeedEvent::Notice(n));
            }
            TapOut::Exchange(c) => {
                let x = exchange(&ctx, *c, index);
                index += 1;
                let _ = feed.send(FeedEvent::Exchange(Box::new(x)));
            }
        }
    }
    index as u64
}

fn exchange(ctx: &Ctx, c: Completed, index: usize) -> Exchange {
    let Completed {
        client,
        server,
        request,
        response,
        end_ts,
        mut notes,
    } = c;
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(end_ts).ok();
    if ctx.cfg.upstream.is_some() {
        if let Some(n) = response
            .as_ref()
            .and_then(|r| proxy::disagreement(ctx, &request, r))
        {
            notes.push(n);
        }
    }
    Exchange {
        index,
        source: format!("listen:{}#{index}", ctx.local),
        time,
        client: Some(client.to_string()),
        server: Some(server.to_string()),
        request,
        response,
        notes,
    }
}

/// One client connection: TLS if configured, then HTTP/1.1 through the tap until the client
/// leaves, a limit closes it, or the listener drains.
async fn connection(ctx: Arc<Ctx>, tcp: tokio::net::TcpStream, peer: SocketAddr) {
    let local = tcp.local_addr().unwrap_or(ctx.local);
    match ctx.acceptor.clone() {
        Some(acc) => {
            match tokio::time::timeout(ctx.cfg.limits.header_timeout, acc.accept(tcp)).await {
                Ok(Ok(s)) => {
                    if s.get_ref().1.alpn_protocol() == Some(b"h2") {
                        h2::serve(ctx, s, peer, local).await
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
                h2::serve(ctx, tcp, peer, local).await
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

pub(crate) fn full(
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(
        Full::new(body.into())
            .map_err(|e: Infallible| -> BoxError { match e {} })
            .boxed(),
    );
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// Endpoint mode: read the whole body (the tap keeps and hashes it), verify, answer.
async fn endpoint_answer(
    ctx: &Ctx,
    shared: &tap::Shared,
    ordinal: u64,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Body> {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        if let Err(e) = frame {
            ctx.counters.bad_requests.fetch_add(1, Ordering::Relaxed);
            let msg = format!("sigscope: the request body could not be read: {e}\n");
            ctx.notice(
                "body",
                format!("{}: answered 400: {}", shared.client, msg.trim_end()),
            );
            let mut r = full(400, "text/plain", msg);
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return r;
        }
    }
    // The request the tap recorded must be the one hyper parsed: framing both read the same
    // way. Anything else (an ambiguous message) is refused rather than verified wrongly.
    let recorded = shared.take_request(ordinal).filter(|r| {
        r.method == method.as_str() && (r.target.ends_with(path.as_bytes()) || path.is_empty())
    });
    let Some(request) = recorded else {
        ctx.counters.bad_requests.fetch_add(1, Ordering::Relaxed);
        ctx.notice(
            "parse",
            format!(
                "{}: answered 400: the request's framing is ambiguous",
                shared.client
            ),
        );
        let mut r = full(
            400,
            "text/plain",
            "sigscope: this request could not be read unambiguously as HTTP/1.x\n",
        );
        r.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
        return r;
    };
    let (a, now) = ctx.verify_now(&request);
    let rid = format!("{:016X}", ctx.next_request.fetch_add(1, Ordering::Relaxed));
    let ans = respond::answer(&a, &request, &ctx.cfg.policy, now, &rid);
    drop(request);
    if ans.status < 300 {
        ctx.counters.valid.fetch_add(1, Ordering::Relaxed);
    } else {
        ctx.counters.error.fetch_add(1, Ordering::Relaxed);
    }
    let mut r = full(ans.status, ans.content_type, ans.body);
    if let Ok(v) = hyper::header::HeaderValue::from_str(&rid) {
        r.headers_mut().insert("x-amz-request-id", v);
    }
    if let Ok(v) = hyper::header::HeaderValue::from_str(a.verdict.as_str()) {
        r.headers_mut().insert("x-sigscope-verdict", v);
    }
    r
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

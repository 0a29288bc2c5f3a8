//! The listener: [`bind`], then [`Bound::run`]: set up what connections share, accept until
//! shutdown (each connection in its own task, under the connection limit), then wind the
//! session down ([`super::drain`]).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioTimer;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::Semaphore;

use super::ctx::{Counters, RateLimit};
use super::drain::{self, Ends};
use super::tap::TapOut;
use super::{conn, finish, save, tls, Config, Ctx, Limits, LiveError, Stats};
use crate::engine::KeyCache;
use crate::feed::{FeedEvent, FeedSender};

/// A listener bound to its port, not yet serving.
pub struct Bound {
    listener: tokio::net::TcpListener,
    cfg: Config,
    replays: save::ReplaySink,
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
    Ok(Bound {
        listener,
        cfg,
        replays: save::ReplaySink::default(),
    })
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
    /// Where the UI's replays go to be saved with the session (`--save`; issue 17).
    pub fn replay_sink(&self) -> save::ReplaySink {
        self.replays.clone()
    }

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
        let Started {
            ctx,
            out_rx,
            ends,
            fd_limit,
        } = start(self.cfg, local)?;
        if let Some(s) = &ctx.saver {
            let _ = self.replays.0.set(s.clone());
        }
        let hello = hello(&ctx, local);
        tracing::info!("{hello}; open-files limit {fd_limit}");
        let _ = feed.send(FeedEvent::Notice(hello));

        let finisher = tokio::spawn(finish::finish_loop(ctx.clone(), out_rx, feed.clone()));

        let max = ctx
            .cfg
            .limits
            .max_connections
            .clamp(1, u32::MAX as usize >> 4);
        let permits = Arc::new(Semaphore::new(max));
        accept_loop(&self.listener, &ctx, &permits, max, shutdown).await;
        drop(self.listener);
        Ok(drain::wind_down(&ctx, ends, finisher, &permits, max, &feed).await)
    }
}

/// What [`start`] sets up: the shared [`Ctx`], the receiving end of its exchanges and
/// notices, and the ends only [`Bound::run`] holds, to wind the session down.
struct Started {
    ctx: Arc<Ctx>,
    out_rx: UnboundedReceiver<TapOut>,
    ends: Ends,
    fd_limit: u64,
}

/// TLS both ways, the open-files limit, the saved file, hyper's HTTP/1.1 limits and the
/// shutdown signal: everything connections share, set up before the first is accepted.
fn start(cfg: Config, local: SocketAddr) -> Result<Started, LiveError> {
    let acceptor = match &cfg.tls {
        Some((c, k)) => Some(tls::acceptor(c, k, cfg.keylog.as_deref())?),
        None => None,
    };
    let connector = match &cfg.upstream {
        Some(u) if u.tls => Some(tls::connector(cfg.upstream_ca.as_deref())?),
        _ => None,
    };
    let fd_limit = raise_nofile();
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel::<TapOut>();
    let saver = start_saver(&cfg, &out_tx)?;
    let http1 = http1_builder(&cfg.limits);
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
        sessions: std::sync::Mutex::new(Vec::new()),
        cfg,
    });
    Ok(Started {
        ctx,
        out_rx,
        ends: Ends {
            out_tx,
            stop_tx,
            saver,
        },
        fd_limit,
    })
}

/// `--save`: the pcapng writer thread; its write errors become notices on the feed.
fn start_saver(
    cfg: &Config,
    out_tx: &UnboundedSender<TapOut>,
) -> Result<Option<(save::SaveTx, std::thread::JoinHandle<u64>)>, LiveError> {
    let Some(p) = &cfg.save else {
        return Ok(None);
    };
    let tx = out_tx.clone();
    let (s, h) = save::start(p, move |m| {
        tracing::error!("{}", crate::escape::escape_str(&m));
        let _ = tx.send(TapOut::Notice(m));
    })
    .map_err(|error| LiveError::Save {
        path: p.clone(),
        error,
    })?;
    Ok(Some((s, h)))
}

fn http1_builder(limits: &Limits) -> hyper::server::conn::http1::Builder {
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_size)
        .max_headers(limits.max_headers)
        .max_buf_size((limits.max_header_size + 4096).max(64 << 10))
        .keep_alive(true)
        .preserve_header_case(true);
    http1
}

/// The first notice: where it listens and in which mode.
fn hello(ctx: &Ctx, local: SocketAddr) -> String {
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
    format!("listening on {scheme}://{local} ({what})")
}

/// Accepts until `shutdown` completes. Each connection runs in its own task holding one of
/// the `max` permits; past the limit a connection is refused with a 503.
async fn accept_loop(
    listener: &TcpListener,
    ctx: &Arc<Ctx>,
    permits: &Arc<Semaphore>,
    max: usize,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => {
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
                    conn::connection(c, tcp, peer).await;
                    drop(permit);
                });
            }
        }
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

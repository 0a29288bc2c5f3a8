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

//!
//! Where things are: [`config`] (what `listen` is told, its limits, the upstream),
//! `server` (bind and the accept loop), `conn` (one connection: TLS, HTTP/2 or HTTP/1.1),
//! `endpoint` and [`proxy`] (the two modes' answers), [`tap`] (what went over the wire),
//! `finish` (completed pairs onto the feed), `drain` (shutdown and [`Stats`]),
//! [`save`] (`--save` pcapng), [`h2`], [`respond`] and [`tls`].

pub mod config;
mod conn;
mod ctx;
mod drain;
mod endpoint;
mod finish;
pub mod h2;
mod h2save;
pub mod proxy;
pub mod respond;
pub mod save;
mod server;
pub mod tap;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};

pub use config::{Config, Limits, Upstream};
pub(crate) use ctx::Ctx;
pub use drain::Stats;
pub use server::{bind, serve, Bound};

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

pub(crate) fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
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

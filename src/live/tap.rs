//! The listener's view of a client connection: a transparent wrapper around the stream that
//! hyper reads and writes, which parses the bytes in both directions with the same HTTP/1.x
//! parser as capture replay (so the request is recorded exactly as received — header case
//! and order, chunk framing, the whole body hashed and the first `body_cap` bytes kept — and
//! the response exactly as sent), pairs requests with responses, and copies every byte to
//! the `--save` writer.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::save::{Dir, SaveMsg, SaveTx};
use crate::capture::httpstream::{Event, HttpStream, Origin};
use crate::engine::Finding;
use crate::http::{Request, Response};

/// A request and its response (None when the connection ended first), as completed.
#[derive(Debug)]
pub struct Completed {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub request: Request,
    pub response: Option<Response>,
    /// When the request was completely received.
    pub end_ts: i128,
    pub notes: Vec<Finding>,
}

#[derive(Debug)]
pub enum TapOut {
    Exchange(Box<Completed>),
    Notice(String),
    /// The listener is stopping: nothing more is read from the channel.
    Stop,
}

struct Awaiting {
    req: Arc<Request>,
    end_ts: i128,
    notes: Vec<Finding>,
}

struct State {
    inbound: HttpStream,
    outbound: HttpStream,
    awaiting: VecDeque<Awaiting>,
    /// Requests kept for the endpoint's service, by arrival ordinal.
    ready: VecDeque<(u64, Arc<Request>)>,
    next_ordinal: u64,
    frames: u64,
    events: Vec<Event>,
    finished: bool,
}

/// State shared by the stream wrapper and the connection's tasks.
pub struct Shared {
    pub conn: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    state: Mutex<State>,
    saver: Option<SaveTx>,
    out: tokio::sync::mpsc::UnboundedSender<TapOut>,
    keep_for_service: bool,
    last_activity: AtomicI64,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic elsewhere must not take the connection's bookkeeping with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        body_cap: usize,
        saver: Option<SaveTx>,
        out: tokio::sync::mpsc::UnboundedSender<TapOut>,
        keep_for_service: bool,
    ) -> Self {
        let now = super::now_nanos();
        if let Some(s) = &saver {
            let _ = s.send(SaveMsg::Open {
                conn,
                client,
                server,
                ts_nanos: now,
            });
        }
        Shared {
            conn,
            client,
            server,
            state: Mutex::new(State {
                inbound: HttpStream::new(body_cap),
                outbound: HttpStream::new(body_cap),
                awaiting: VecDeque::new(),
                ready: VecDeque::new(),
                next_ordinal: 0,
                frames: 0,
                events: Vec::new(),
                finished: false,
            }),
            saver,
            out,
            keep_for_service,
            last_activity: AtomicI64::new(now as i64),
        }
    }

    /// Nanoseconds since a byte last went either way.
    pub fn idle_nanos(&self) -> i128 {
        super::now_nanos() - self.last_activity.load(Ordering::Relaxed) as i128
    }

    fn save(&self, dir: Dir, data: &[u8], ts: i128) {
        if let Some(s) = &self.saver {
            let _ = s.send(SaveMsg::Data {
                conn: self.conn,
                dir,
                bytes: data.to_vec(),
                ts_nanos: ts,
            });
        }
    }

    fn on_read(&self, data: &[u8]) {
        self.on_data(Dir::ClientToServer, data);
    }

    fn on_write(&self, data: &[u8]) {
        self.on_data(Dir::ServerToClient, data);
    }

    /// Bytes seen on the connection: saved, then parsed by the side they belong to.
    fn on_data(&self, dir: Dir, data: &[u8]) {
        let ts = super::now_nanos();
        self.last_activity.store(ts as i64, Ordering::Relaxed);
        self.save(dir, data, ts);
        let mut st = lock(&self.state);
        if st.finished {
            return;
        }
        st.frames += 1;
        let origin = Origin {
            frame: st.frames,
            ts_nanos: ts,
        };
        let mut events = std::mem::take(&mut st.events);
        match dir {
            Dir::ClientToServer => {
                st.inbound.feed(data, origin, &mut events);
                self.inbound_events(&mut st, &mut events);
            }
            Dir::ServerToClient => {
                st.outbound.feed(data, origin, &mut events);
                self.outbound_events(&mut st, &mut events);
            }
        }
        st.events = events;
    }

    fn inbound_events(&self, st: &mut State, events: &mut Vec<Event>) {
        for ev in events.drain(..) {
            match ev {
                Event::RequestHead { method } => st.outbound.awaiting_methods.push_back(method),
                Event::Request {
                    req, end, problems, ..
                } => {
                    let req: Arc<Request> = Arc::from(req);
                    if self.keep_for_service {
                        let k = st.next_ordinal;
                        st.ready.push_back((k, req.clone()));
                        // Bounded: a service that never came for its request (hyper refused it).
                        while st.ready.len() > 8 {
                            st.ready.pop_front();
                        }
                    }
                    st.next_ordinal += 1;
                    st.awaiting.push_back(Awaiting {
                        req,
                        end_ts: end.ts_nanos,
                        notes: problems
                            .into_iter()
                            .map(|p| Finding::new(crate::engine::Code::CaptureIncomplete, p))
                            .collect(),
                    });
                }
                // The tap reads HTTP/1 only (HTTP/2 is recorded from hyper, `h2.rs`).
                Event::Response { .. } | Event::Reset { .. } => {}
                Event::Skipped { bytes, why } => {
                    let _ = self.out.send(TapOut::Notice(format!(
                        "{}: skipped {} from the client: {why}",
                        self.client,
                        crate::words::count_s(bytes, "byte")
                    )));
                }
            }
        }
    }

    fn complete(&self, a: Awaiting, response: Option<Response>, mut extra: Vec<Finding>) {
        let mut notes = a.notes;
        notes.append(&mut extra);
        let request = Arc::try_unwrap(a.req).unwrap_or_else(|r| (*r).clone());
        let _ = self.out.send(TapOut::Exchange(Box::new(Completed {
            client: self.client,
            server: self.server,
            request,
            response,
            end_ts: a.end_ts,
            notes,
        })));
    }

    fn outbound_events(&self, st: &mut State, events: &mut Vec<Event>) {
        for ev in events.drain(..) {
            if let Event::Response { resp, problems, .. } = ev {
                if resp.status / 100 == 1 {
                    continue;
                }
                match st.awaiting.pop_front() {
                    Some(a) => {
                        let notes = problems
                            .into_iter()
                            .map(|p| {
                                Finding::new(
                                    crate::engine::Code::CaptureIncomplete,
                                    format!("response: {p}"),
                                )
                            })
                            .collect();
                        self.complete(a, Some(*resp), notes);
                    }
                    None => {
                        let _ = self.out.send(TapOut::Notice(format!(
                            "{}: answered {} {} to a request that could not be read",
                            self.client,
                            resp.status,
                            crate::escape::escape_str(&resp.reason)
                        )));
                    }
                }
            }
        }
    }

    /// The endpoint's service takes the request it is answering: the `ordinal`-th one read on
    /// this connection. By the time the service has read the body, every byte of it went
    /// through the tap.
    pub fn take_request(&self, ordinal: u64) -> Option<Arc<Request>> {
        let mut st = lock(&self.state);
        while let Some((k, _)) = st.ready.front() {
            if *k < ordinal {
                st.ready.pop_front();
            } else {
                break;
            }
        }
        match st.ready.front() {
            Some((k, _)) if *k == ordinal => st.ready.pop_front().map(|(_, r)| r),
            _ => None,
        }
    }

    /// The connection ended: flush both parsers; requests left without a response are
    /// reported with none.
    pub fn finish(&self) {
        let mut st = lock(&self.state);
        if st.finished {
            return;
        }
        let mut events = std::mem::take(&mut st.events);
        st.inbound.close(&mut events);
        self.inbound_events(&mut st, &mut events);
        st.outbound.close(&mut events);
        self.outbound_events(&mut st, &mut events);
        while let Some(a) = st.awaiting.pop_front() {
            self.complete(a, None, Vec::new());
        }
        st.ready.clear();
        st.finished = true;
        if let Some(s) = &self.saver {
            let _ = s.send(SaveMsg::Close {
                conn: self.conn,
                ts_nanos: super::now_nanos(),
            });
        }
    }
}

/// The stream wrapper.
pub struct Tap<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Tap<S> {
    pub fn new(inner: S, shared: Arc<Shared>) -> Self {
        Tap { inner, shared }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                self.shared.on_read(new);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            if *n > 0 {
                self.shared.on_write(&buf[..*n]);
            }
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = &r {
            let mut left = *n;
            let mut written = Vec::with_capacity(left);
            for b in bufs {
                if left == 0 {
                    break;
                }
                let take = left.min(b.len());
                written.extend_from_slice(&b[..take]);
                left -= take;
            }
            if !written.is_empty() {
                self.shared.on_write(&written);
            }
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

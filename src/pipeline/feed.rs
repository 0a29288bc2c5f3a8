//! The pipeline one exchange at a time: `listen` printing what its feed delivers, in the
//! report's formats, as each exchange completes.

use std::io::Write;

use super::{analyze, render_batch, render_one, CaptureContext, Job};
use crate::engine::diagnose::servers::{Judge, Servers};
use crate::engine::Analysis;
use crate::engine::Verifier;
use crate::feed::{FeedEvent, FeedReceiver};
use crate::http::Headers;
use crate::report::{self, Format};

/// Prints each exchange of the feed to `out` as it arrives (same capture context, analysis and
/// formats as `report`), flushing after each; notices go to `on_notice` as raw text. Returns
/// how many exchanges were invalid or malformed. After a write fails (a closed pipe) the feed
/// is still drained, so that its producer is never blocked, and the error is returned at the
/// end.
///
/// With `auto` (`--dialect auto`) each exchange is judged under the dialect that explains the
/// most of its server's answers so far, this exchange's included (a report over a file counts
/// all of them first); `v`'s dialect where none does.
pub fn print_feed(
    mut rx: FeedReceiver,
    v: &Verifier,
    auto: bool,
    format: Format,
    out: &mut dyn Write,
    on_notice: &mut dyn FnMut(&str),
) -> std::io::Result<usize> {
    print_events(&mut || rx.blocking_recv(), v, auto, format, out, on_notice)
}

/// [`print_feed`] over any source of events (`next` returns `None` at the end): a live
/// capture's printer takes them from its bounded hand-off directly.
pub fn print_events(
    next: &mut dyn FnMut() -> Option<FeedEvent>,
    v: &Verifier,
    auto: bool,
    format: Format,
    out: &mut dyn Write,
    on_notice: &mut dyn FnMut(&str),
) -> std::io::Result<usize> {
    if format == Format::Tsv {
        out.write_all(report::TSV_HEADER.as_bytes())?;
        out.flush()?;
    }
    let mut context = CaptureContext::default();
    let mut bad = 0;
    let mut failed: Option<std::io::Error> = None;
    let mut spare = Vec::new();
    let mut servers = Servers::default();
    while let Some(ev) = next() {
        match ev {
            FeedEvent::Exchange(x) => {
                if failed.is_some() {
                    continue;
                }
                let mut x = x;
                let ctx = context.next_exchange(&mut x);
                let (judged, counted) = match auto && format != Format::Tsv {
                    true => judge_so_far(&mut servers, &x, &ctx, v),
                    false => (v.dialect, None),
                };
                // Judged as the fallback: the analysis that counted it is the one to print.
                if let Some(a) = counted.filter(|_| std::ptr::eq(judged, v.dialect)) {
                    let mut buf = std::mem::take(&mut spare);
                    buf.clear();
                    bad += render_one(&mut buf, &x, &a, Some(format));
                    if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                        failed = Some(e);
                    }
                    spare = buf;
                    continue;
                }
                let job = Job {
                    exchange: *x,
                    context: ctx,
                };
                let (buf, b) = render_batch(
                    std::slice::from_ref(&job),
                    &Verifier {
                        dialect: judged,
                        ..*v
                    },
                    &Judge::Fixed,
                    Some(format),
                    std::mem::take(&mut spare),
                    // The live printer prints exchanges, not the report's summary counts.
                    None,
                );
                bad += b;
                if let Err(e) = out.write_all(&buf).and_then(|_| out.flush()) {
                    failed = Some(e);
                }
                spare = buf;
            }
            FeedEvent::Notice(n) => on_notice(&n),
            FeedEvent::Progress { .. } | FeedEvent::Status(_) => {}
            FeedEvent::Done => break,
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(bad),
    }
}

/// Counts how `x`'s server answered it and returns the dialect that now explains the most of
/// that server's answers (`v`'s own where none does), with the analysis under `v`'s dialect
/// that counted it.
fn judge_so_far(
    servers: &mut Servers,
    x: &crate::exchange::Exchange,
    ctx: &super::ExchangeContext,
    v: &Verifier,
) -> (&'static crate::engine::Dialect, Option<Analysis>) {
    let Some(server) = x.server.as_deref() else {
        return (v.dialect, None);
    };
    let a = analyze(x, ctx.as_context(), v);
    let host = x.request.header_text("host");
    servers.observe(
        server,
        host.as_deref(),
        x.response.as_ref().map(|r| r.status),
        &a,
    );
    let d = crate::engine::diagnose::servers::key(server, host.as_deref(), &a.auth)
        .and_then(|k| servers.choose(&k, v.dialect))
        .unwrap_or(v.dialect);
    (d, Some(a))
}

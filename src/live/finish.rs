//! The feed side of a session: completed request/response pairs become numbered
//! [`Exchange`]s, in completion order.

use std::sync::Arc;

use super::tap::{Completed, TapOut};
use super::{proxy, Ctx};
use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedSender};

/// Turns completed pairs into numbered exchanges on the feed, in completion order.
pub(super) async fn finish_loop(
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
        interface: None,
        request,
        response,
        notes,
        replay: None,
    }
}

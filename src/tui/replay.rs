//! The UI's replay (`r`), re-sign (`R`) and edit (`E`) keys (issue 17): the question that names the
//! destination, and the send itself, run off the UI thread by the loop
//! ([`super::state::Effect::Replay`]); its result comes back as a new exchange whose source
//! names the exchange it replays.

use time::OffsetDateTime;

use crate::engine::resign::{self, Options};
use crate::engine::{Dialect, KeyStore};
use crate::escape::escape_str;
use crate::exchange::{Exchange, ReplayOf};
use crate::http::Request;
use crate::replay::{self, Transport};

/// How the request is prepared, in words: "as captured", "re-signed as keystone-legacy",
/// "edited, not re-signed".
pub fn how(resign: Option<&str>, edited: bool) -> String {
    ReplayOf {
        original: 0,
        edited,
        resigned: resign.map(str::to_string),
    }
    .how()
}

/// Where the exchange's request (or `edited`, the request as edited) would go, for the
/// question (`http://10.0.0.5:9000 (Host s3.example.test)`), or why it cannot be sent.
pub fn destination_label(x: &Exchange, edited: Option<&Request>) -> Result<String, String> {
    let req = edited.unwrap_or(&x.request);
    replay::sendable(req).map_err(|e| e.to_string())?;
    let d = match edited {
        Some(r) => replay::destination(
            &Exchange {
                request: r.clone(),
                ..x.clone()
            },
            None,
        ),
        None => replay::destination(x, None),
    }
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "{d} (Host {})",
        escape_str(&req.host().unwrap_or_default())
    ))
}

/// What a replay sends: the captured request or the one edited with `E`, with its signature
/// or re-signed as a dialect.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub resign: Option<&'static Dialect>,
    /// The request as edited (`E`); `None`: the captured one.
    pub edited: Option<Request>,
}

/// Sends `x`'s request (or the edited one) again, re-signed as `plan.resign` with the secret
/// `keys` hold for its access key, and returns the result as an exchange: the request sent,
/// the answer, the destination as its server, marked as a replay of `x` (its source says so:
/// `replay of #3 re-signed as aws`). Blocking: the loop runs it on a blocking thread.
pub fn replay_exchange(
    x: &Exchange,
    plan: Plan,
    keys: &dyn KeyStore,
    t: &Transport,
) -> Result<Exchange, String> {
    let replay = ReplayOf {
        original: x.index,
        edited: plan.edited.is_some(),
        resigned: plan.resign.map(|d| d.name.to_string()),
    };
    let mut x = x.clone();
    if let Some(r) = plan.edited {
        x.request = r;
    }
    let dest = replay::destination(&x, None).map_err(|e| e.to_string())?;
    let how = replay.how();
    let now = OffsetDateTime::now_utc();
    let request = match plan.resign {
        None => x.request.clone(),
        Some(d) => {
            resign::resign_with(&x.request, keys, |s| Options::new(d, s, now))
                .map_err(|e| match e {
                    resign::ResignError::NoSecret(_) => {
                        format!("cannot re-sign as {}: {e} (K enters one)", d.name)
                    }
                    e => format!("cannot re-sign as {}: {e}", d.name),
                })?
                .request
        }
    };
    let sent = replay::send(&request, &dest, &how, t).map_err(|e| e.to_string())?;
    Ok(Exchange {
        index: x.index,
        source: replay.describe(),
        time: Some(sent.at),
        client: None,
        server: Some(format!("{}:{}", dest.host, dest.port)),
        interface: None,
        request: sent.request,
        response: Some(sent.response),
        notes: Vec::new(),
        replay: Some(replay),
    })
}

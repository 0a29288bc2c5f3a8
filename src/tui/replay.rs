//! The UI's replay (`r`) and re-sign (`R`) keys (issue 17): the question that names the
//! destination, and the send itself, run off the UI thread by the loop
//! ([`super::state::Effect::Replay`]); its result comes back as a new exchange whose source
//! names the exchange it replays.

use time::OffsetDateTime;

use crate::engine::resign::{self, Options};
use crate::engine::{Dialect, KeyStore};
use crate::escape::escape_str;
use crate::exchange::Exchange;
use crate::replay::{self, Transport};

/// How the request is prepared, in words: "as captured", "re-signed as keystone-legacy".
pub fn how(resign: Option<&str>) -> String {
    match resign {
        Some(d) => format!("re-signed as {d}"),
        None => "as captured".into(),
    }
}

/// Where the exchange's request would go, for the question (`http://10.0.0.5:9000 (Host
/// s3.example.test)`), or why it cannot be sent.
pub fn destination_label(x: &Exchange) -> Result<String, String> {
    replay::sendable(&x.request).map_err(|e| e.to_string())?;
    let d = replay::destination(x, None).map_err(|e| e.to_string())?;
    Ok(format!(
        "{d} (Host {})",
        escape_str(&x.request.host().unwrap_or_default())
    ))
}

/// Sends `x`'s request again (re-signed as `resign` with the secret `keys` hold for its
/// access key) and returns the result as an exchange: the request sent, the answer, the
/// destination as its server, and a source naming the original (`replay of #3 re-signed as
/// aws`). Blocking: the loop runs it on a blocking thread.
pub fn replay_exchange(
    x: &Exchange,
    resign: Option<&'static Dialect>,
    keys: &dyn KeyStore,
    t: &Transport,
) -> Result<Exchange, String> {
    let dest = replay::destination(x, None).map_err(|e| e.to_string())?;
    let how = how(resign.map(|d| d.name));
    let now = OffsetDateTime::now_utc();
    let request = match resign {
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
        source: format!("replay of #{} {how}", x.index),
        time: Some(sent.at),
        client: None,
        server: Some(format!("{}:{}", dest.host, dest.port)),
        interface: None,
        request: sent.request,
        response: Some(sent.response),
        notes: Vec::new(),
    })
}

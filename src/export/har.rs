//! HAR 1.2: what browsers' importers and [`crate::ingest::har`] read.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::raw::version;
use super::secrets::masked;
use crate::engine::encode::decode_params;
use crate::engine::Analysis;
use crate::exchange::write_url;
use crate::exchange::Exchange;
use crate::http::{text, Header, Headers, Request};

/// HAR 1.2 of the given exchanges, as sigscope's HAR reader and browsers' importers read it.
/// Bodies that are not UTF-8 are base64 (`encoding`, which sigscope reads for requests too);
/// Basic/Bearer/token secrets are masked, signatures kept. Each entry carries a `_sigscope`
/// object (source; mode, verdict and finding codes when analysed). Exchanges without a capture
/// time get the Unix epoch, as HAR requires a start time.
pub fn har(items: &[(&Exchange, Option<&Analysis>)]) -> String {
    let entries: Vec<Value> = items.iter().map(|(x, a)| har_entry(x, *a)).collect();
    let doc = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "sigscope", "version": env!("CARGO_PKG_VERSION")},
            "entries": entries,
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn har_headers(hs: &[Header]) -> Value {
    Value::Array(
        hs.iter()
            .map(|h| {
                let v = masked(h).unwrap_or_else(|| h.value.clone());
                json!({"name": text(&h.name), "value": text(&v)})
            })
            .collect(),
    )
}

/// `text` when the bytes are UTF-8, else base64 with `encoding`.
fn har_text(obj: &mut Map<String, Value>, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(s) => {
            obj.insert("text".into(), Value::String(s.into()));
        }
        Err(_) => {
            obj.insert(
                "text".into(),
                base64::engine::general_purpose::STANDARD
                    .encode(body)
                    .into(),
            );
            obj.insert("encoding".into(), "base64".into());
        }
    }
}

fn head_size(r: &Request) -> usize {
    r.method.len()
        + 1
        + r.target.len()
        + 1
        + version(&r.version).len()
        + 2
        + r.headers
            .iter()
            .map(|h| h.name.len() + 2 + h.value.len() + 2)
            .sum::<usize>()
        + 2
}

fn har_entry(x: &Exchange, a: Option<&Analysis>) -> Value {
    let r = &x.request;
    let mut url = Vec::new();
    write_url(x, &mut url);
    // A presigned session token is masked in the URL and its query list, as the header is.
    let url = crate::engine::auth::shown_target(&url).into_owned();
    let shown = crate::engine::auth::shown_target(&r.target);
    let query_of = |t: &[u8]| {
        t.iter()
            .position(|&b| b == b'?')
            .map(|i| t[i + 1..].to_vec())
    };
    let query: Vec<Value> = query_of(&shown)
        .map(|q| decode_params(&q))
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| json!({"name": text(k), "value": text(v)}))
        .collect();
    let mut request = json!({
        "method": r.method,
        "url": text(&url),
        "httpVersion": version(&r.version),
        "cookies": [],
        "headers": har_headers(&r.headers),
        "queryString": query,
        "headersSize": head_size(r),
        "bodySize": r.body_len(),
    });
    if !r.body.is_empty() || r.has_header("content-length") {
        let mut post = Map::new();
        post.insert(
            "mimeType".into(),
            r.header("content-type").unwrap_or_default().into(),
        );
        har_text(&mut post, &r.body);
        if !r.body_complete() {
            post.insert(
                "comment".into(),
                format!(
                    "sigscope kept the first {} of {} bytes",
                    r.body.len(),
                    r.body_len()
                )
                .into(),
            );
        }
        request["postData"] = Value::Object(post);
    }
    let response = match &x.response {
        Some(s) => {
            let mut content = Map::new();
            content.insert("size".into(), s.body.len().into());
            content.insert(
                "mimeType".into(),
                s.header("content-type").unwrap_or_default().into(),
            );
            har_text(&mut content, &crate::engine::auth::masked_body(&s.body));
            let head = version(&s.version).len()
                + 5
                + s.reason.len()
                + 2
                + s.headers
                    .iter()
                    .map(|h| h.name.len() + h.value.len() + 4)
                    .sum::<usize>()
                + 2;
            json!({
                "status": s.status,
                "statusText": s.reason,
                "httpVersion": version(&s.version),
                "cookies": [],
                "headers": har_headers(&s.headers),
                "content": Value::Object(content),
                "redirectURL": s.header("location").unwrap_or_default(),
                "headersSize": head,
                "bodySize": s.body.len(),
            })
        }
        // HAR has no "no response"; devtools write status 0, which sigscope reads back as none.
        None => json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": {"size": 0, "mimeType": ""}, "redirectURL": "",
            "headersSize": -1, "bodySize": -1,
        }),
    };
    // Full precision: pcapng timestamps have nanoseconds, and the HAR reads back the same.
    let started = x
        .time
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut ext = json!({"source": x.source});
    if let Some(a) = a {
        ext["mode"] = a.auth.mode.as_str().into();
        ext["verdict"] = a.verdict.as_str().into();
        ext["findings"] = x
            .notes
            .iter()
            .chain(&a.findings)
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
            .into();
    }
    let mut entry = json!({
        "startedDateTime": started,
        "time": 0,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    });
    if let Some((ip, port)) = x.server.as_deref().and_then(|s| s.rsplit_once(':')) {
        entry["serverIPAddress"] = ip.trim_matches(['[', ']']).into();
        entry["connection"] = port.into();
    }
    entry["_sigscope"] = ext;
    entry
}

//! Endpoint mode: sigscope answers each request itself, like the service it imitates.

use std::sync::atomic::Ordering;

use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{full, respond, tap, Body, Ctx};

/// Endpoint mode: read the whole body (the tap keeps and hashes it), verify, answer.
pub(super) async fn endpoint_answer(
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
    let mut ans = respond::answer(&a, &request, &ctx.cfg.policy, now, &rid);
    // S3 Express: a CreateSession that verifies is answered with a session of this endpoint.
    if ans.status == 200
        && a.verdict == crate::engine::Verdict::Valid
        && a.auth.service.as_deref() == Some("s3express")
        && crate::engine::s3express::is_create_session(&request)
    {
        if let Some(body) = ctx.create_session(&request, &a, now) {
            ans.body = body.into_bytes();
        }
    }
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

//! What the criterion benches share (each bench is its own binary and includes this file).

use std::time::Duration;

use criterion::Criterion;
use sigscope::http::{parse_raw, Message, Request};

/// The first request of a raw HTTP fixture, `relative` to the crate root.
pub fn load(relative: &str) -> Request {
    let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let parsed = parse_raw(&data);
    assert!(parsed.errors.is_empty(), "{path}: {:?}", parsed.errors);
    match parsed.messages.into_iter().next() {
        Some(Message::Request(r, _)) => *r,
        _ => panic!("{path}: no request"),
    }
}

/// Criterion as the verify benches run it: 50 samples, 1 s warm-up, 3 s measured per case.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

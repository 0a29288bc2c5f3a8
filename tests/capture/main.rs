//! Capture ingest: parity with tshark on the committed captures of real tools, and synthetic
//! captures for what real tools rarely produce (reordering, loss, every link type). One test
//! binary (see tests/support); the fixtures are in tests/captures.

#[path = "../support/mod.rs"]
mod support;

mod cooked;
mod h2;
mod links;
mod one_thread;
mod parity;
mod server_side;
mod synthetic;
mod tls;
mod tls_synthetic;

//! `sigscope listen`: real clients (botocore, curl) against the endpoint and the proxy, the
//! wire protocol, abuse, and the error bodies it answers with. One test binary (see
//! tests/support); harness.rs drives the listener, botocore_client.py the Python clients.

#[path = "../support/mod.rs"]
mod support;

mod harness;

mod abuse;
mod botocore;
mod capture;
mod capture_tui;
mod h2;
mod keylog;
mod payload_proxy;
mod post_policy;
mod protocol;
mod respond;

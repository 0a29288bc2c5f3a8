//! Replay and re-sign (issue 17): re-signed requests against independent signers (the
//! aws-sigv4 crate; botocore, boto 2 and keystoneclient through `gen/sign.py`), and replays
//! on loopback against real verifiers. One test binary (see tests/support).

#[path = "../support/mod.rs"]
mod support;

mod aws_sigv4;
mod cli;
mod e2e;
mod h2;
mod loopback;
mod reference;
mod rgw;

//! Verification, diagnosis and the report: the engine against published and real-library
//! vectors, every dialect knob and finding code, an independent signer (aws-sigv4) as oracle,
//! and the `sigscope` binary's report contract. One test binary (see tests/support).

#[path = "../support/mod.rs"]
mod support;

mod aws_docs;
mod aws_suite;
mod aws_suite_v4a;
mod cli;
mod conformance;
mod diagnosis;
mod findings;
mod fuzz_regressions;
mod gcs_real;
mod knobs;
mod multipart_real;
mod oracle_aws_sigv4;
mod oracle_checksums;
mod payload_real;
mod post_policy_real;
mod real_vectors;
mod report_json;
mod s3express_real;
mod sigv4a_real;
mod sigv4a_streaming;

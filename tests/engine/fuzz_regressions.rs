//! The fuzz targets' bodies (`fuzz/src/targets.rs`, included as it is) in the normal suite
//! (issue 19): every target over its committed seed corpus (`fuzz/corpus/<target>/`, derived
//! from the fixtures by `fuzz/seed.sh`), and every crash or hang a fuzzing run finds, kept as
//! its input under `tests/fuzz/<target>/` once fixed, so that a regression fails here and
//! not only in a fuzzing run. The targets' own assertions hold on each (no panic, no raw
//! control byte in a text report, JSON that parses…).

#[path = "../../fuzz/src/targets.rs"]
mod targets;

use crate::support::root;

/// The target a directory of `tests/fuzz/` holds inputs for.
fn target(name: &str) -> fn(&[u8]) {
    match name {
        "link_ip_tcp" => targets::link_ip_tcp,
        "tcp_reassembly" => targets::tcp_reassembly,
        "http1" => targets::http1,
        "aws_chunked" => targets::aws_chunked,
        "auth" => targets::auth,
        "har" => targets::har,
        "raw_http" => targets::raw_http,
        "server_error" => targets::server_error,
        "filter" => targets::filter,
        "config" => targets::config,
        "credentials" => targets::credentials,
        "tls" => targets::tls,
        "h2_frames" => targets::h2_frames,
        "hpack" => targets::hpack,
        "postpolicy" => targets::postpolicy,
        "pipeline" => targets::pipeline,
        "sigv4_mutate" => |_| {},
        other => panic!("tests/fuzz/{other}: no fuzz target of that name"),
    }
}

/// Runs every input under `dir/<target>/` through its target; returns how many ran.
fn run_all(dir: &std::path::Path) -> usize {
    let mut ran = 0;
    for t in std::fs::read_dir(dir).unwrap() {
        let t = t.unwrap().path();
        if !t.is_dir() {
            continue;
        }
        let run = target(t.file_name().unwrap().to_str().unwrap());
        for f in std::fs::read_dir(&t).unwrap() {
            let f = f.unwrap().path();
            let data = std::fs::read(&f).unwrap();
            let started = std::time::Instant::now();
            run(&data);
            // A hang the fuzzer found must stay fixed too (debug build: generous bound).
            let took = started.elapsed();
            assert!(took.as_secs() < 20, "{}: {took:?}", f.display());
            ran += 1;
        }
    }
    ran
}

/// Every target over its seeds, and over the findings under `tests/fuzz/` when there are
/// any. `sigv4_mutate` reads `arbitrary`'s encoding, not a parser's input: its inputs are not
/// run here (a finding of it is committed as the request it built, under `pipeline`).
#[test]
fn every_target_runs_clean_on_its_seeds_and_findings() {
    let corpus = root().join("fuzz/corpus");
    let targets = std::fs::read_dir(&corpus).unwrap().count();
    assert!(targets >= 16, "{targets} seed directories");
    let ran = run_all(&corpus);
    assert!(ran > 200, "{ran} seeds");
    let findings = root().join("tests/fuzz");
    if findings.exists() {
        run_all(&findings);
    }
}

//! Helpers shared by the integration-test binaries (tests/engine, tests/capture, tests/tui and
//! tests/live each include this file as their `support` module): where the repository is,
//! fixtures read as sigscope reads them, credentials, a verifier, and the external tools CI
//! turns from optional into required.
#![allow(dead_code)] // each binary uses its own subset

pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;

use sigscope::credentials::Credentials;
use sigscope::engine::{dialect, KeyCache, KeyStore, Verifier};
use sigscope::exchange::Exchange;
use sigscope::http::{parse_raw, Message, Request};

/// The repository (package) root. `cargo test` also runs every test binary from there, which
/// is why fixture paths relative to it work unchanged as plain relative paths.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `sigscope` binary cargo built for this test run.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sigscope")
}

/// Every exchange of a capture or HTTP file, read as `report` and the UI read it; any read
/// error fails the test. The path is taken as given (relative ones from the repository root,
/// where cargo runs the tests): it is the exchanges' source, and the snapshots show it.
pub fn load(path: impl AsRef<Path>) -> Vec<Exchange> {
    let path = path.as_ref();
    let mut v = Vec::new();
    let s = sigscope::ingest::stream_path(path, 0, &Default::default(), &mut |x| v.push(x));
    assert!(s.errors.is_empty(), "{}: {:?}", path.display(), s.errors);
    v
}

/// The first message of HTTP text, which must be a request. Parse errors are not checked
/// here: the tests that care assert them themselves.
pub fn request(text: &str) -> Request {
    match parse_raw(text.as_bytes()).messages.into_iter().next() {
        Some(Message::Request(r, _)) => *r,
        other => panic!("no request: {other:?}"),
    }
}

/// [`request`] of a file, by its path from the repository root.
pub fn request_file(rel: &str) -> Request {
    match parse_raw(&std::fs::read(root().join(rel)).unwrap())
        .messages
        .into_iter()
        .next()
    {
        Some(Message::Request(r, _)) => *r,
        _ => panic!("{rel}: no request"),
    }
}

/// Credentials from a fixture's JSON: its own `access_key`/`secret_key` when `key` is empty,
/// else the `secret` of its `key` case under the documentation's example access key.
pub fn creds_from_json(path: &str, key: &str) -> Credentials {
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (ak, sk) = match key {
        "" => (
            j["access_key"].as_str().unwrap().to_string(),
            j["secret_key"].as_str().unwrap().to_string(),
        ),
        case => (
            "AKIAIOSFODNN7EXAMPLE".to_string(),
            j[case]["secret"].as_str().unwrap().to_string(),
        ),
    };
    Credentials::parse(&format!(
        "[t]\naws_access_key_id={ak}\naws_secret_access_key={sk}\n"
    ))
}

/// A verifier as `report` builds one: the named dialect, derived keys never revealed. The one
/// place the tests spell out `Verifier`'s fields, so a new field is added here only.
pub fn verifier<'a>(
    keys: &'a (dyn KeyStore + Sync),
    dialect_name: &str,
    cache: &'a KeyCache,
) -> Verifier<'a> {
    Verifier {
        keys,
        dialect: dialect::by_name(dialect_name)
            .unwrap_or_else(|| panic!("no dialect named {dialect_name}")),
        cache,
        reveal_keys: false,
    }
}

/// Whether `tool` runs (`tool version_arg` succeeds). When it does not, a test that needs it
/// is skipped, loudly, so a green run without the tool is not mistaken for a checked one;
/// unless `require` (one of the SIGSCOPE_REQUIRE_* variables CI sets) is in the environment,
/// which makes the missing tool a failure.
pub fn have_tool(tool: &str, version_arg: &str, require: &str) -> bool {
    let ok = Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os(require).is_none(),
            "{tool} is required ({require} is set) but not installed"
        );
        eprintln!(
            "\n*** SKIPPED: {tool} is not installed (CI installs it and sets {require}) ***\n"
        );
    }
    ok
}

/// Puts `sig` in place of the signature of `req`'s Authorization header (SigV4's
/// `Signature=…`, or SigV2's part after the last `:`).
pub fn set_signature(req: &mut sigscope::http::Request, sig: &str) {
    for h in &mut req.headers {
        if h.name.eq_ignore_ascii_case(b"authorization") {
            let v = String::from_utf8(h.value.clone()).unwrap();
            let new = match v.find("Signature=") {
                Some(i) => format!("{}Signature={sig}", &v[..i]),
                None => format!("{}:{sig}", v.rsplit_once(':').unwrap().0),
            };
            h.value = new.into_bytes();
        }
    }
}

/// Accepts one connection on `l`, reads one request (head, then Content-Length bytes, or until
/// the client stops), sends `answer` and returns the bytes it read: the recording server of
/// the replay tests.
pub fn serve_once(
    l: std::net::TcpListener,
    answer: &[u8],
    timeout: std::time::Duration,
) -> Vec<u8> {
    use std::io::{Read, Write};
    let (mut s, _) = l.accept().unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap_or(0);
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if got.len() >= end + 4 + len {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    s.write_all(answer).unwrap();
    got
}

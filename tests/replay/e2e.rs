//! End to end in tmux (issue 17): the UI over the demo's seed request, `R` under
//! `--dialect keystone-legacy`, the question naming the destination, `y`, and the 200 of the
//! keystone-legacy server (keystoneclient 0.9.0) on screen, the replay in the list.

use crate::loopback::demo_server;
use crate::support::tmux::Tmux;
use crate::support::{bin, have_tool, root};

#[test]
fn tui_re_signs_the_seed_as_keystone_legacy_and_shows_the_200() {
    if !have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX") {
        return;
    }
    let Some(server) = demo_server() else { return };
    // The demo's seed request (samples/demo.http, first) with its Host naming this server:
    // an HTTP file names no server address, so the Host is where it goes.
    let demo = std::fs::read_to_string(root().join("samples/demo.http")).unwrap();
    let seed_end = demo.find("PUT /examplebucket").unwrap();
    let seed = demo[..seed_end].replace(
        "Host: 127.0.0.1:8003",
        &format!("Host: 127.0.0.1:{}", server.port),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("replay-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("seed.http"), seed).unwrap();
    let cmd = format!(
        "cd {d} && env -u http_proxy -u HTTP_PROXY XDG_CONFIG_HOME={d} HOME={d} AWS_SHARED_CREDENTIALS_FILE=/nonexistent {bin} seed.http --dialect keystone-legacy --credentials {creds} --log {d}/log; sleep 30",
        d = dir.display(),
        bin = bin(),
        creds = root().join("samples/demo.credentials").display(),
    );
    let t = Tmux::start("sigscope-replay-e2e", &cmd, 160, 40).expect("tmux session");
    t.wait_for("1 exchange");
    t.keys(&["enter"]);
    t.wait_for("Overview");
    t.keys(&["R"]);
    // The question wraps in its box: its first line names the destination.
    t.wait_for(&format!(
        "send #0 re-signed as keystone-legacy to http://127.0.0.1:{p} (Host 127.0.0.1:{p})?",
        p = server.port
    ));
    t.keys(&["y"]);
    let s = t.wait_for("replay of #0 re-signed as keystone-legacy: 200");
    assert!(s.contains("2 exchanges"), "{s}");
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(log.contains("replay: sending POST /v1/"), "{log}");
    assert!(
        log.contains("re-signed as keystone-legacy) to http://127.0.0.1:"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

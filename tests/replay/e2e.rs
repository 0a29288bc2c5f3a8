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
    // The dialect picker, on the dialect that judged it; Enter takes it.
    t.wait_for("re-sign as");
    t.keys(&["Enter"]);
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

/// A directory for one e2e test, with the seed request whose Host names `port` and an
/// `EDITOR` script: its first run writes text that is no request, later runs rewrite the
/// User-Agent header. Each run records the terminal's mode (`stty -a`) and the text it was
/// given.
fn edit_fixture(name: &str, port: u16) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(root().join("samples/demo.http")).unwrap();
    let seed_end = demo.find("PUT /examplebucket").unwrap();
    let seed = demo[..seed_end].replace("Host: 127.0.0.1:8003", &format!("Host: 127.0.0.1:{port}"));
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("seed.http"), seed).unwrap();
    let d = dir.display();
    let script = format!(
        "#!/bin/sh\n\
         n=$(cat {d}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/count\n\
         stty -a > {d}/stty.$n 2>&1\n\
         cp \"$1\" {d}/seen.$n\n\
         if [ $n = 1 ]; then printf 'this is not a request' > \"$1\";\n\
         else sed -i 's|^User-Agent: .*|User-Agent: edited-by-the-test|' \"$1\"; fi\n"
    );
    let ed = dir.join("ed.sh");
    std::fs::write(&ed, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ed, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn ui_command(dir: &std::path::Path, creds: bool) -> String {
    format!(
        "cd {d} && env -u http_proxy -u HTTP_PROXY -u VISUAL EDITOR={d}/ed.sh XDG_CONFIG_HOME={d} HOME={d} AWS_SHARED_CREDENTIALS_FILE=/nonexistent {bin} seed.http --dialect keystone-legacy {c} --log {d}/log; sleep 30",
        d = dir.display(),
        bin = bin(),
        c = if creds {
            format!("--credentials {}", root().join("samples/demo.credentials").display())
        } else {
            String::new()
        },
    )
}

/// Accepts one connection, reads one request, answers 200 and returns what it read.
fn record_one(l: std::net::TcpListener) -> String {
    let got = crate::support::serve_once(
        l,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        std::time::Duration::from_secs(60),
    );
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn tui_e_edits_in_the_editor_and_sends_as_edited_not_re_signed() {
    if !have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX") {
        return;
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || record_one(l));
    let dir = edit_fixture("edit", port);
    let t = Tmux::start("sigscope-replay-e2e", &ui_command(&dir, false), 160, 40)
        .expect("tmux session");
    t.wait_for("1 exchange");
    // A first edit that is no request: said so, nothing sent.
    t.keys(&["E"]);
    t.wait_for("the original is kept");
    t.keys(&["E"]);
    t.wait_for("(not re-signed)");
    for _ in 0..20 {
        t.keys(&["Down"]);
    }
    t.keys(&["Enter"]);
    t.wait_for(&format!(
        "send #0 edited, not re-signed to http://127.0.0.1:{port} (Host 127.0.0.1:{port})?"
    ));
    t.keys(&["y"]);
    let s = t.wait_for("replay of #0 edited, not re-signed: 200");
    assert!(s.contains("↻#0 edited, not re-signed"), "{s}");
    let got = server.join().unwrap();
    assert!(
        got.contains("\r\nUser-Agent: edited-by-the-test\r\n"),
        "{got}"
    );
    // The signature was masked in the editor and restored on the way out.
    let sig = "ab2e6158b16919c7a93a8e3e11d3298d4c4d63b50750217a5554600a16f5e3c9";
    assert!(got.contains(&format!("Signature={sig}\r\n")), "{got}");
    let seen = std::fs::read_to_string(dir.join("seen.2")).unwrap();
    assert!(
        !seen.contains(sig) && seen.contains("Signature=ab2e••••"),
        "{seen}"
    );
    // The editor had a cooked terminal (the UI's raw mode given back while it ran).
    for n in ["1", "2"] {
        let stty = std::fs::read_to_string(dir.join(format!("stty.{n}"))).unwrap();
        assert!(
            stty.split_whitespace().any(|w| w == "icanon"),
            "raw mode while the editor ran: {stty}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tui_e_edits_then_re_signs_as_keystone_legacy_and_shows_the_200() {
    if !have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX") {
        return;
    }
    let Some(server) = demo_server() else { return };
    let dir = edit_fixture("edit-resign", server.port);
    // Past the first (bad) edit of the script.
    std::fs::write(dir.join("count"), "1").unwrap();
    let t =
        Tmux::start("sigscope-replay-e2e", &ui_command(&dir, true), 160, 40).expect("tmux session");
    t.wait_for("1 exchange");
    t.keys(&["E"]);
    t.wait_for("(not re-signed)");
    // The picker proposes the dialect that judges it: keystone-legacy. The question wraps in
    // its box: its first line names the destination.
    t.keys(&["Enter"]);
    t.wait_for(&format!(
        "send #0 edited, re-signed as keystone-legacy to http://127.0.0.1:{p} (Host",
        p = server.port
    ));
    t.keys(&["y"]);
    t.wait_for("replay of #0 edited, re-signed as keystone-legacy: 200");
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(
        log.contains("edited, re-signed as keystone-legacy) to http://127.0.0.1:"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `listen --save` on a terminal (issue 17): a request to the listener, `r` and `y` in its
/// UI, quit; the saved session holds the replay, and opened again it is marked as a replay
/// of #0.
#[test]
fn tui_replays_are_saved_with_the_listen_session_and_reopen_marked() {
    if !have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("replay-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = crate::loopback::free_port();
    let d = dir.display();
    let cmd = format!(
        "cd {d} && env -u http_proxy -u HTTP_PROXY XDG_CONFIG_HOME={d} HOME={d} AWS_SHARED_CREDENTIALS_FILE=/nonexistent {bin} listen --port {port} --dialect keystone-legacy --credentials {creds} --save {d}/s.pcapng; sleep 30",
        bin = bin(),
        creds = root().join("samples/demo.credentials").display(),
    );
    let t = Tmux::start("sigscope-replay-e2e", &cmd, 160, 40).expect("tmux session");
    t.wait_for(&format!("listening on 127.0.0.1:{port}"));
    // The demo's seed request, to the listener.
    let demo = std::fs::read_to_string(root().join("samples/demo.http")).unwrap();
    let seed = demo[..demo.find("PUT /examplebucket").unwrap()]
        .trim_end()
        .replace("Host: 127.0.0.1:8003", &format!("Host: 127.0.0.1:{port}"));
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(seed.as_bytes()).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut got = [0u8; 64];
        let n = s.read(&mut got).unwrap();
        assert!(got[..n].starts_with(b"HTTP/1.1 "), "{:?}", &got[..n]);
    }
    t.wait_for("1 exchange");
    t.keys(&["r"]);
    t.wait_for(&format!("send #0 as captured to http://127.0.0.1:{port}"));
    t.keys(&["y"]);
    t.wait_for("(saved with the session)");
    t.keys(&["q"]);
    t.wait_for("stop the listener and quit?");
    t.keys(&["y"]);
    // Opened again: the replay is there, marked, beside the listener's own records.
    let saved = dir.join("s.pcapng");
    let t0 = std::time::Instant::now();
    while std::fs::metadata(&saved).map_or(0, |m| m.len()) == 0
        && t0.elapsed() < std::time::Duration::from_secs(10)
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let cmd = format!(
        "cd {d} && env XDG_CONFIG_HOME={d} HOME={d} {bin} s.pcapng --credentials {creds}; sleep 30",
        bin = bin(),
        creds = root().join("samples/demo.credentials").display(),
    );
    let t2 = Tmux::start("sigscope-replay-e2e", &cmd, 160, 40).expect("tmux session");
    let s = t2.wait_for("↻#0");
    assert!(s.contains("3 exchanges"), "{s}");
    let _ = std::fs::remove_dir_all(dir);
}

//! `sigscope -i lo port N` on a terminal (issue 16): the UI fed by a live capture, in tmux,
//! while curl sends a valid and a refused request to `sigscope listen`; the refused one is
//! explained, the status line counts packets, and quitting keeps what was saved.

use crate::capture::{can_capture, curl};
use crate::harness::{bin, report, root, shared, tempdir, Listener};
use crate::support::have_tool;
use crate::support::tmux::Tmux;

#[test]
fn shorthand_capture_feeds_the_ui_live() {
    let _shared = shared();
    if !can_capture()
        || !have_tool("tmux", "-V", "SIGSCOPE_REQUIRE_TMUX")
        || !have_tool("curl", "--version", "SIGSCOPE_REQUIRE_CURL")
    {
        return;
    }
    let dir = tempdir("capture-tui");
    let creds = root().join("tests/captures/credentials");
    let l = Listener::start(&["--credentials", creds.to_str().unwrap()]);
    let port = l.addr.port();
    let cmd = format!(
        "cd {d} && XDG_CONFIG_HOME={d} HOME={d} {bin} -i lo port {port} --credentials {c} -w {d}/tui.pcapng; echo EXITED $?; sleep 30",
        d = dir.display(),
        bin = bin(),
        c = creds.display()
    );
    let t = Tmux::start("sigscope-capture-e2e", &cmd, 260, 50).expect("tmux session");
    t.wait_for(&format!("lo (port {port})"));
    let url = format!("{}/bucket/sniffed.txt", l.url());
    assert_eq!(
        curl(&url, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &[]),
        "200"
    );
    assert_eq!(curl(&url, "not-the-secret", &[]), "403");
    let s = t.wait_for("2 exchanges");
    let s = if s.contains("✗ INVALID") {
        s
    } else {
        t.wait_for("✗ INVALID")
    };
    assert!(s.contains("✓ VALID"), "{s}");
    assert!(s.contains("/bucket/sniffed.txt"), "{s}");
    // The status line counts what was captured (refreshed every half second).
    t.wait_for("dropped by the kernel, 0 by the interface");
    // The refused one, explained: the endpoint's 403 carries its strings, which agree with
    // ours, so the key is what differs.
    t.keys(&["j"]);
    t.wait_for("strings-agree-key-differs");
    t.keys(&["q"]);
    t.wait_for("quit? y/n");
    t.keys(&["y"]);
    let s = t.wait_for("EXITED 0");
    assert!(s.contains("2 exchanges"), "{s}");
    drop(l);
    let (replayed, _) = report(&dir.join("tui.pcapng"), Some(&creds));
    let verdicts: Vec<_> = replayed
        .iter()
        .map(|x| x["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["valid", "invalid"]);
    let _ = std::fs::remove_dir_all(&dir);
}

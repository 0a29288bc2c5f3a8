//! The real binary in tmux, driven by keys as a person would, for the end-to-end tests of every
//! test binary (tests/tui, tests/live, tests/replay). Each test binary uses a tmux server of
//! its own (`-L NAME`), so that sessions, and the buffer a copy loads, stay out of the user's
//! tmux server and of each other's.

use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux session running a command.
pub struct Tmux {
    server: &'static str,
    name: String,
}

/// tmux on the server `server` (never the user's: `$TMUX` is dropped).
pub fn tmux(server: &str) -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", server]).env_remove("TMUX");
    c
}

impl Tmux {
    /// A detached `w`×`h` session on `server` running `cmd` (named per process and call).
    pub fn start(server: &'static str, cmd: &str, w: u16, h: u16) -> Option<Tmux> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("{server}-{}-{n}", std::process::id());
        let (w, h) = (w.to_string(), h.to_string());
        let ok = tmux(server)
            .args(["new-session", "-d", "-s", &name, "-x", &w, "-y", &h, cmd])
            .status()
            .ok()?
            .success();
        ok.then_some(Tmux { server, name })
    }

    /// tmux on this session's server (`show-buffer` and the like).
    pub fn command(&self) -> Command {
        tmux(self.server)
    }

    /// Keys by tmux's names (`Enter`, `Escape`, `j`), one after another.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let st = tmux(self.server)
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap();
            assert!(st.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Text typed as it is.
    pub fn literal(&self, text: &str) {
        let st = tmux(self.server)
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap();
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn screen(&self) -> String {
        let out = tmux(self.server)
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `what` (30 s at most: the suites run listener and capture
    /// tests beside these, and a loaded machine draws late).
    pub fn wait_for(&self, what: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                Instant::now() < until,
                "the screen never showed {what:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(self.server)
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

//! The TUI's exports: the formats themselves live in [`crate::export`] (re-exported here, so
//! `sigscope::tui::export::…` keeps working); what is the terminal's alone stays here: the
//! OSC 52 escape that puts text on the terminal's clipboard.

use base64::Engine;

pub use crate::export::*;

/// OSC 52 payloads longer than this are refused: xterm, tmux and most terminals cap the
/// sequence near 100 KB and silently drop longer ones.
pub const OSC52_MAX_BASE64: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes of base64 are more than the {max} a terminal clipboard (OSC 52) takes: save to a file instead")]
pub struct Osc52TooLarge {
    pub len: usize,
    pub max: usize,
}

/// The OSC 52 sequence that sets the clipboard (`c`) to `text`: `ESC ] 52 ; c ; BASE64 BEL`.
/// Refused above [`OSC52_MAX_BASE64`] bytes of base64 (about 73 KB of text). Inside tmux the
/// caller must wrap it in tmux's passthrough or enable `set-clipboard`.
pub fn osc52(text: &str) -> Result<String, Osc52TooLarge> {
    let len = text.len().div_ceil(3) * 4;
    if len > OSC52_MAX_BASE64 {
        return Err(Osc52TooLarge {
            len,
            max: OSC52_MAX_BASE64,
        });
    }
    let mut s = String::with_capacity(len + 8);
    s.push_str("\x1b]52;c;");
    base64::engine::general_purpose::STANDARD.encode_string(text, &mut s);
    s.push('\x07');
    Ok(s)
}

/// Whether an export failed because its file is already there (and was left alone).
pub fn file_exists(e: &anyhow::Error) -> bool {
    existing_path(e).is_some()
        || e.chain()
            .filter_map(|c| c.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::AlreadyExists)
}

/// An export that would overwrite this file (the export's own, or the body file beside a curl
/// command) without being asked to.
#[derive(Debug, thiserror::Error)]
#[error("{} exists", .0.display())]
pub struct Exists(pub std::path::PathBuf);

/// The file an export found in its way, when that is why it failed.
pub fn existing_path(e: &anyhow::Error) -> Option<std::path::PathBuf> {
    e.chain()
        .find_map(|c| c.downcast_ref::<Exists>())
        .map(|x| x.0.clone())
}

/// Loads `text` into tmux's paste buffer (`tmux load-buffer -`, the server of `$TMUX`, or of
/// `socket`) and reads tmux's `set-clipboard` option to know whether the OSC 52 sequence sent
/// beside it (`osc52_sent`: not when too long) reached the system clipboard; returns what the
/// status line says (short: it must fit 80 columns). Blocks on tmux: call it off the UI thread.
pub fn tmux_copy(text: &str, osc52_sent: bool, socket: Option<&std::path::Path>) -> String {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let tmux = || {
        let mut c = Command::new("tmux");
        if let Some(s) = socket {
            c.arg("-S").arg(s);
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    };
    let n = crate::words::count_s(text.len() as u64, "byte");
    let loaded = tmux()
        .args(["load-buffer", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(text.as_bytes())?;
            }
            child.wait_with_output()
        });
    let clipboard = tmux()
        .args(["show-options", "-gv", "set-clipboard"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let passes = osc52_sent && matches!(clipboard.as_deref(), Some("on" | "external"));
    match loaded {
        Ok(o) if o.status.success() => {
            if passes {
                format!("copied {n} to the clipboard and the tmux buffer")
            } else {
                format!("copied {n} to the tmux buffer; clipboard: tmux set -g set-clipboard on")
            }
        }
        failed => {
            let why = match failed {
                Ok(o) => crate::tui::text::safe_str(String::from_utf8_lossy(&o.stderr).trim()),
                Err(e) => e.to_string(),
            };
            if passes {
                format!("copied {n} to the clipboard; tmux load-buffer failed: {why}")
            } else {
                format!("not copied: tmux load-buffer failed ({why}); tmux set -g set-clipboard on enables OSC 52")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_round_trips_and_is_capped() {
        let text = "curl 'http://h/' é\n\x1b";
        let s = osc52(text).unwrap();
        let b64 = s
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        assert!(b64
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(back, text.as_bytes());
        // 75,000 bytes are exactly 100,000 of base64: the last size accepted.
        assert!(osc52(&"x".repeat(75_000)).is_ok());
        let e = osc52(&"x".repeat(75_001)).unwrap_err();
        assert_eq!((e.len, e.max), (100_004, OSC52_MAX_BASE64));
        assert_eq!(osc52("").unwrap(), "\x1b]52;c;\x07");
    }
}

//! The filter history kept between sessions: `filter_history` beside the config file, one
//! filter a line, oldest first, at most [`HISTORY_MAX`]. Read once before the UI opens; written
//! off the UI thread (a temporary file renamed over it, readable by its owner only).

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use crate::tui::state::HISTORY_MAX;

pub const FILE_NAME: &str = "filter_history";

/// Longer lines are not kept (a paste gone wrong, not a filter).
const LINE_MAX: usize = 4096;

/// The history file beside a config file.
pub fn path_beside(config: &Path) -> Option<PathBuf> {
    config.parent().map(|d| d.join(FILE_NAME))
}

/// The filters kept; none when the file is missing or unreadable.
pub fn load(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut v: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.len() <= LINE_MAX)
        .map(String::from)
        .collect();
    if v.len() > HISTORY_MAX {
        v.drain(..v.len() - HISTORY_MAX);
    }
    v
}

/// Writes the filters (creating the config folder if need be).
pub fn save(path: &Path, history: &[String]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&tmp)?;
    for h in history
        .iter()
        .filter(|h| !h.contains(['\n', '\r']) && h.len() <= LINE_MAX)
    {
        writeln!(f, "{h}")?;
    }
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_filters_load_back() {
        let dir = std::env::temp_dir().join(format!("sigscope-history-{}", std::process::id()));
        let path = dir.join("sigscope").join(FILE_NAME);
        assert!(load(&path).is_empty(), "missing: empty");
        let h: Vec<String> = ["~v invalid", "~auth sigv2 & !~c 2xx", "bad\nline"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        save(&path, &h).unwrap();
        assert_eq!(load(&path), ["~v invalid", "~auth sigv2 & !~c 2xx"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let many: Vec<String> = (0..HISTORY_MAX + 5).map(|i| format!("~c {i}")).collect();
        save(&path, &many).unwrap();
        let back = load(&path);
        assert_eq!(back.len(), HISTORY_MAX);
        assert_eq!(back[0], "~c 5");
        assert_eq!(
            path_beside(Path::new("/x/sigscope/config.toml")),
            Some(PathBuf::from("/x/sigscope/filter_history"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! The config file (TOML): theme, keymap, body cap, default dialect. A bad key is reported on
//! the status line and ignored while the others apply (a file that is not TOML at all leaves
//! the defaults); it never stops the UI from starting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub dialect: Option<String>,
    /// e.g. "8M"; bodies from captures beyond it keep their head, length and SHA-256.
    pub body_cap: Option<String>,
    pub mask_access_keys: Option<bool>,
    #[serde(default)]
    pub theme: ThemeFile,
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeFile {
    pub accent: Option<String>,
    pub valid: Option<String>,
    pub invalid: Option<String>,
    pub unverified: Option<String>,
    pub anonymous: Option<String>,
    pub malformed: Option<String>,
    pub dim: Option<String>,
    pub highlight: Option<String>,
}

/// Where the config lives: `--config`, else `$XDG_CONFIG_HOME/sigscope/config.toml`, else
/// `~/.config/sigscope/config.toml`.
pub fn default_path(get: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(x) = get("XDG_CONFIG_HOME").filter(|s| !s.is_empty()) {
        return Some(Path::new(&x).join("sigscope/config.toml"));
    }
    get("HOME")
        .filter(|s| !s.is_empty())
        .map(|h| Path::new(&h).join(".config/sigscope/config.toml"))
}

/// Reads the file; a missing default file is no problem, anything else wrong is a message.
pub fn load(path: &Path, explicit: bool) -> (ConfigFile, Vec<String>) {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Default::default(),
        Err(e) => (
            ConfigFile::default(),
            vec![format!("config {}: {e}", path.display())],
        ),
    }
}

pub fn parse(text: &str, name: &str) -> (ConfigFile, Vec<String>) {
    match toml::from_str::<ConfigFile>(text) {
        Ok(c) => (c, Vec::new()),
        // Valid TOML with a bad key or value: the good keys still apply, each bad one is said.
        Err(whole) => match toml::from_str::<toml::Table>(text) {
            Ok(table) => key_by_key(table, name),
            Err(_) => (
                ConfigFile::default(),
                vec![format!(
                    "config {name}: {} — using the defaults",
                    whole.message()
                )],
            ),
        },
    }
}

/// A config read one key at a time: what deserialises is kept, each key that does not is a
/// problem naming it.
fn key_by_key(table: toml::Table, name: &str) -> (ConfigFile, Vec<String>) {
    let mut c = ConfigFile::default();
    let mut problems = Vec::new();
    for (key, value) in table {
        let mut bad = |what: String| {
            problems.push(format!("config {name}: `{key}` {what} — ignored"));
        };
        match key.as_str() {
            "dialect" => match value.try_into::<String>() {
                Ok(v) => c.dialect = Some(v),
                Err(_) => bad("is not a string".into()),
            },
            "body_cap" => match value.try_into::<String>() {
                Ok(v) => c.body_cap = Some(v),
                Err(_) => bad("is not a size such as \"8M\"".into()),
            },
            "mask_access_keys" => match value.try_into::<bool>() {
                Ok(v) => c.mask_access_keys = Some(v),
                Err(_) => bad("is not on or off (a TOML boolean)".into()),
            },
            "theme" => match value.try_into::<ThemeFile>() {
                Ok(t) => c.theme = t,
                Err(e) => bad(format!("has a problem: {}", e.message())),
            },
            "keys" => match value.try_into::<BTreeMap<String, Vec<String>>>() {
                Ok(k) => c.keys = k,
                Err(e) => bad(format!("has a problem: {}", e.message())),
            },
            _ => bad("is not a setting sigscope knows".into()),
        }
    }
    (c, problems)
}

/// Styles for everything the UI marks. Every mark also has a non-colour form (symbol, bold,
/// reverse, underline), so `NO_COLOR` loses nothing.
#[derive(Clone, Debug)]
pub struct Theme {
    pub color: bool,
    pub accent: Color,
    pub valid: Color,
    pub invalid: Color,
    pub unverified: Color,
    pub anonymous: Color,
    pub malformed: Color,
    pub dim: Color,
    pub highlight: Color,
}

impl Theme {
    pub fn new(file: &ThemeFile, color: bool, problems: &mut Vec<String>) -> Theme {
        let mut t = Theme {
            color,
            accent: Color::Cyan,
            valid: Color::Green,
            invalid: Color::Red,
            unverified: Color::Yellow,
            anonymous: Color::Blue,
            malformed: Color::Magenta,
            dim: Color::DarkGray,
            highlight: Color::Yellow,
        };
        let fields: [(&Option<String>, &mut Color, &str); 8] = [
            (&file.accent, &mut t.accent, "accent"),
            (&file.valid, &mut t.valid, "valid"),
            (&file.invalid, &mut t.invalid, "invalid"),
            (&file.unverified, &mut t.unverified, "unverified"),
            (&file.anonymous, &mut t.anonymous, "anonymous"),
            (&file.malformed, &mut t.malformed, "malformed"),
            (&file.dim, &mut t.dim, "dim"),
            (&file.highlight, &mut t.highlight, "highlight"),
        ];
        for (v, slot, name) in fields {
            if let Some(s) = v {
                match s.parse::<Color>() {
                    Ok(c) => *slot = c,
                    Err(_) => problems.push(format!("[theme] {name}: `{s}` is not a colour")),
                }
            }
        }
        t
    }

    pub fn plain() -> Theme {
        Theme::new(&ThemeFile::default(), false, &mut Vec::new())
    }

    pub fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn accent(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(self.dim)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    /// The selected row, the divergent line: reverse works on every terminal.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// Differing bytes: reverse + underline, coloured when colour is on.
    pub fn changed(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED);
        if self.color {
            s.fg(self.invalid)
        } else {
            s
        }
    }

    pub fn search_hit(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
        if self.color {
            s.fg(self.highlight)
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests;

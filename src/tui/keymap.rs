//! Actions and the keys bound to them. The help screen is generated from the live map, so a
//! rebinding in the config file shows up there too. A few keys are fixed, outside the map
//! (the help lists them too): digits select a tab by its number (`Tab::number`), Up/Down in
//! the filter prompt recall the filter history, y/n answer a question (quitting a running
//! listener, overwriting an export), ctrl-z suspends. `search_next`/`search_prev` (n/N) jump
//! between failing exchanges in the list and between search matches in the detail.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Quit,
    Back,
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    NextTab,
    PrevTab,
    Filter,
    SearchNext,
    SearchPrev,
    PickDialect,
    EnterSecret,
    Copy,
    Export,
    Help,
    Zoom,
    SideBySide,
    Whitespace,
    Hex,
    ShowAll,
    BodyMode,
    MaskKeys,
    CompareNext,
    ComparePrev,
    Replay,
    Resign,
    Edit,
}

impl Action {
    /// Name in the config file's `[keys]` table, and what the help screen says.
    pub const ALL: &'static [(Action, &'static str, &'static str)] = &[
        (Action::Down, "down", "next exchange / scroll down"),
        (Action::Up, "up", "previous exchange / scroll up"),
        (Action::Top, "top", "first exchange / top of the pane"),
        (Action::Bottom, "bottom", "last exchange / end of the pane"),
        (Action::PageDown, "page_down", "one page down"),
        (Action::PageUp, "page_up", "one page up"),
        (Action::Open, "open", "open the selected exchange's detail"),
        (Action::NextTab, "next_tab", "next detail tab"),
        (Action::PrevTab, "prev_tab", "previous detail tab"),
        (
            Action::Filter,
            "filter",
            "filter the list (in the detail pane: search)",
        ),
        (
            Action::SearchNext,
            "search_next",
            "list: next failing exchange; detail: next search match",
        ),
        (
            Action::SearchPrev,
            "search_prev",
            "list: previous failing exchange; detail: previous match",
        ),
        (
            Action::PickDialect,
            "pick_dialect",
            "choose the verifier dialect",
        ),
        (
            Action::EnterSecret,
            "enter_secret",
            "enter the secret for the selected access key",
        ),
        (
            Action::Copy,
            "copy",
            "copy canonical request, string to sign, curl (OSC 52; tmux buffer)",
        ),
        (
            Action::Export,
            "export",
            "export to a file (curl, raw HTTP, HAR, JSON, markdown)",
        ),
        (Action::Zoom, "zoom", "maximise the focused pane / restore"),
        (
            Action::SideBySide,
            "side_by_side",
            "Diff: side by side / inline",
        ),
        (
            Action::Whitespace,
            "whitespace",
            "Diff: show whitespace and invisible characters",
        ),
        (Action::Hex, "hex", "Diff, Body: hex view"),
        (
            Action::ShowAll,
            "show_all",
            "Body, Response: show the whole body",
        ),
        (
            Action::BodyMode,
            "body_mode",
            "Body: text / pretty (JSON, XML, form)",
        ),
        (
            Action::CompareNext,
            "compare_next",
            "Diff: compare with the next dialect / the server",
        ),
        (
            Action::ComparePrev,
            "compare_prev",
            "Diff: compare with the previous one",
        ),
        (
            Action::Replay,
            "replay",
            "send the request again, as captured (asks first, naming where)",
        ),
        (
            Action::Resign,
            "resign",
            "re-sign as a dialect (picked; Diff tab: the server's) and send",
        ),
        (
            Action::Edit,
            "edit",
            "edit the request in $EDITOR, then re-sign it (or not) and send",
        ),
        (
            Action::MaskKeys,
            "mask_keys",
            "mask access keys in the list",
        ),
        (Action::Help, "help", "this help"),
        (
            Action::Back,
            "back",
            "back: close the detail, the popup, the filter (never quits)",
        ),
        (
            Action::Quit,
            "quit",
            "quit (asks first while a listener runs)",
        ),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("?")
    }

    pub fn by_name(name: &str) -> Option<Action> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
    }
}

/// A key as bound: the code and the modifiers that matter (Shift is part of the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
    alt: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(u8),
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("shift-tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

impl Key {
    pub fn from_event(e: &KeyEvent) -> Option<Key> {
        let code = match e.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().position(|(_, k)| *k == other)? as u8),
        };
        Some(Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// `j`, `G`, `ctrl-c`, `alt-x`, `enter`, `shift-tab`, `pgdn`, `f1`, `space`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s.trim();
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest
                .strip_prefix("ctrl-")
                .or_else(|| rest.strip_prefix("Ctrl-"))
            {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest
                .strip_prefix("alt-")
                .or_else(|| rest.strip_prefix("Alt-"))
            {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        // Names are case-insensitive (`Enter`, `F1`); a single character is taken as is (`G`).
        let lower = rest.to_ascii_lowercase();
        let code = if lower == "space" {
            KeyCodeOrd::Char(' ')
        } else if let Some(i) = NAMED.iter().position(|(n, _)| *n == lower) {
            KeyCodeOrd::Named(i as u8)
        } else if let Some(n) = lower
            .strip_prefix('f')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=24).contains(n))
        {
            KeyCodeOrd::F(n)
        } else {
            let mut cs = rest.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => KeyCodeOrd::Char(c),
                _ => {
                    return Err(format!(
                        "`{s}` is not a key (e.g. j, G, ctrl-c, enter, pgdn, f1)"
                    ))
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "space".to_string(),
            // A control character bound in the config is shown escaped, never raw.
            KeyCodeOrd::Char(c) => crate::tui::text::safe_str(&c.to_string()),
            KeyCodeOrd::F(n) => format!("F{n}"),
            KeyCodeOrd::Named(i) => match NAMED[i as usize].0 {
                "up" => "↑".into(),
                "down" => "↓".into(),
                "left" => "←".into(),
                "right" => "→".into(),
                n => n.to_string(),
            },
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("ctrl-{base}"),
            (_, true) => format!("alt-{base}"),
            _ => base,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Keymap {
    map: BTreeMap<Key, Action>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        let defaults: &[(&str, Action)] = &[
            ("j", Down),
            ("down", Down),
            ("k", Up),
            ("up", Up),
            ("g", Top),
            ("home", Top),
            ("G", Bottom),
            ("end", Bottom),
            ("pgdn", PageDown),
            ("ctrl-d", PageDown),
            ("space", PageDown),
            ("pgup", PageUp),
            ("ctrl-u", PageUp),
            ("enter", Open),
            ("tab", NextTab),
            ("l", NextTab),
            ("right", NextTab),
            ("shift-tab", PrevTab),
            ("h", PrevTab),
            ("left", PrevTab),
            ("/", Filter),
            ("n", SearchNext),
            ("N", SearchPrev),
            ("d", PickDialect),
            ("K", EnterSecret),
            ("y", Copy),
            ("e", Export),
            ("?", Help),
            ("z", Zoom),
            ("s", SideBySide),
            ("w", Whitespace),
            ("x", Hex),
            ("a", ShowAll),
            ("b", BodyMode),
            ("m", MaskKeys),
            ("]", CompareNext),
            ("[", ComparePrev),
            ("r", Replay),
            ("R", Resign),
            ("E", Edit),
            ("esc", Back),
            ("q", Quit),
            ("ctrl-c", Quit),
        ];
        let map = defaults
            .iter()
            .map(|(k, a)| (Key::parse(k).expect("default key"), *a))
            .collect();
        Keymap { map }
    }
}

impl Keymap {
    /// The defaults with the config's `[keys]` table applied: each action named there gets
    /// exactly the keys listed (its default keys are dropped). Problems are returned, not fatal.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut km = Keymap::default();
        let mut problems = Vec::new();
        for (name, keys) in overrides {
            let Some(action) = Action::by_name(name) else {
                problems.push(format!("[keys]: unknown action `{name}`"));
                continue;
            };
            let parsed: Vec<Key> = keys
                .iter()
                .filter_map(|k| match Key::parse(k) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        problems.push(format!("[keys] {name}: {e}"));
                        None
                    }
                })
                .collect();
            if parsed.is_empty() {
                continue;
            }
            km.map.retain(|_, a| *a != action);
            for k in parsed {
                if let Some(prev) = km.map.insert(k, action) {
                    if prev != action && prev == Action::Quit {
                        problems.push(format!("[keys] {name}: {} was quit", k.label()));
                    }
                }
            }
        }
        // Never leave the user without a way out.
        if !km.map.values().any(|a| *a == Action::Quit) {
            km.map
                .insert(Key::parse("ctrl-c").expect("key"), Action::Quit);
        }
        (km, problems)
    }

    pub fn action(&self, e: &KeyEvent) -> Option<Action> {
        self.map.get(&Key::from_event(e)?).copied()
    }

    /// The keys bound to an action, as the help and the status bar show them.
    pub fn keys_for(&self, a: Action) -> Vec<String> {
        self.map
            .iter()
            .filter(|(_, b)| **b == a)
            .map(|(k, _)| k.label())
            .collect()
    }

    /// The key to name in a hint: a plain one (`q`) before a chord (`ctrl-c`).
    pub fn hint_key(&self, a: Action) -> String {
        let keys = self.keys_for(a);
        keys.iter()
            .find(|k| k.chars().count() == 1)
            .cloned()
            .unwrap_or_else(|| self.first_key(a))
    }

    pub fn first_key(&self, a: Action) -> String {
        self.keys_for(a)
            .into_iter()
            .next()
            .unwrap_or_else(|| "—".into())
    }

    /// Every action with its keys and meaning, in help order.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .map(|(a, _, what)| (self.keys_for(*a).join(" "), *what))
            .collect()
    }
}

#[cfg(test)]
mod tests;

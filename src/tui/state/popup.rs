//! The popups: help, the menus (verifier dialect, copy, export, re-sign: one generic [`Menu`]
//! whose items are data), the export path and the secret prompt.

use crossterm::event::KeyEvent;

use super::{App, Effect};
use crate::engine::dialect;
use crate::tui::input::{Edit, TextInput};
use crate::tui::keymap::Action;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Markdown,
    Curl,
    RawHttp,
    Har,
    Json,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Markdown,
        ExportKind::Curl,
        ExportKind::RawHttp,
        ExportKind::Har,
        ExportKind::Json,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Markdown => "markdown bug report (this exchange)",
            ExportKind::Curl => "curl command (this exchange; curl --aws-sigv4 re-signs)",
            ExportKind::RawHttp => "raw HTTP (this exchange, request and response)",
            ExportKind::Har => "HAR 1.2 (the exchanges shown)",
            ExportKind::Json => "JSON lines, the report contract (the exchanges shown)",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportKind::Markdown => "md",
            ExportKind::Curl => "curl.sh",
            ExportKind::RawHttp => "http",
            ExportKind::Har => "har",
            ExportKind::Json => "jsonl",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyKind {
    CanonicalRequest,
    StringToSign,
    Curl,
    Signature,
}

impl CopyKind {
    pub const ALL: [CopyKind; 4] = [
        CopyKind::CanonicalRequest,
        CopyKind::StringToSign,
        CopyKind::Curl,
        CopyKind::Signature,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CopyKind::CanonicalRequest => "canonical request (verifier dialect)",
            CopyKind::StringToSign => "string to sign (verifier dialect)",
            CopyKind::Curl => "curl command",
            CopyKind::Signature => "computed signature",
        }
    }
}

/// Which list a [`Menu`] picks from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuKind {
    /// The verifier dialect ([`dialect::ALL`]).
    Dialect,
    /// What to copy to the clipboard ([`CopyKind::ALL`]).
    Copy,
    /// What to export ([`ExportKind::ALL`]).
    Export,
    /// The dialect to re-sign as (`R`, `E`; [`dialect::ALL`]), and for an edited request
    /// "send as edited, not re-signed" after them.
    Resign { edited: bool },
}

impl MenuKind {
    /// How many items the menu lists.
    pub fn count(self) -> usize {
        match self {
            // Every dialect, then `auto`.
            MenuKind::Dialect => dialect::ALL.len() + 1,
            MenuKind::Copy => CopyKind::ALL.len(),
            MenuKind::Export => ExportKind::ALL.len(),
            MenuKind::Resign { edited } => dialect::ALL.len() + usize::from(edited),
        }
    }
}

/// A popup that picks one item of a list: which list, and the item under the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Menu {
    pub kind: MenuKind,
    pub selected: usize,
}

/// A question asked before doing something that cannot be undone (y or the key that asked
/// again does it; n or esc does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Quitting while a listener or a live capture runs stops it (`capture`: the latter).
    Quit { capture: bool },
    /// An export over a file that exists: `existing` is that file (the export's own path, or
    /// the body file beside a curl command).
    Overwrite {
        kind: ExportKind,
        path: std::path::PathBuf,
        ids: Vec<usize>,
        existing: std::path::PathBuf,
    },
    /// Sending exchange `id` again (re-signed as `resign`) to `dest` (issue 17).
    Replay {
        id: usize,
        index: usize,
        /// The dialect's name.
        resign: Option<&'static str>,
        /// The request as edited with `E` (`App::edit`).
        edited: bool,
        dest: String,
    },
}

impl Confirm {
    /// The question, with the keys that answer it.
    pub fn question(&self) -> String {
        match self {
            Confirm::Quit { capture: false } => "stop the listener and quit? y/n".into(),
            Confirm::Quit { capture: true } => "stop the capture and quit? y/n".into(),
            Confirm::Overwrite { existing, .. } => format!(
                "{} exists: overwrite it? y/n",
                crate::tui::text::safe_str(&existing.display().to_string())
            ),
            Confirm::Replay {
                index,
                resign,
                edited,
                dest,
                ..
            } => format!(
                "send #{index} {} to {}? y/n",
                crate::tui::replay::how(*resign, *edited),
                crate::tui::text::safe_str(dest)
            ),
        }
    }
}

/// What is open over the list and the detail; it takes the keys while open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    /// The verifier dialect, copy or export menu.
    Menu(Menu),
    ExportPath {
        kind: ExportKind,
        input: TextInput,
    },
    Secret {
        access_key: String,
        input: TextInput,
    },
    Confirm(Confirm),
}

impl App {
    pub(super) fn on_popup_key(&mut self, k: KeyEvent) {
        use crossterm::event::KeyCode;
        let action = self.chrome.keymap.action(&k);
        let Some(p) = self.overlay.popup.clone() else {
            return;
        };
        let nav = |sel: usize, n: usize| -> Option<usize> {
            match (k.code, action) {
                (KeyCode::Down, _) | (_, Some(Action::Down)) => Some((sel + 1).min(n - 1)),
                (KeyCode::Up, _) | (_, Some(Action::Up)) => Some(sel.saturating_sub(1)),
                _ => None,
            }
        };
        let close = matches!(k.code, KeyCode::Esc)
            || matches!(action, Some(Action::Back) | Some(Action::Quit));
        match p {
            Popup::Help { scroll } => {
                if close || action == Some(Action::Help) {
                    self.overlay.popup = None;
                } else if let Some(s) = match action {
                    Some(Action::Down) => Some(scroll + 1),
                    Some(Action::Up) => Some(scroll.saturating_sub(1)),
                    Some(Action::PageDown) => Some(scroll + 10),
                    Some(Action::PageUp) => Some(scroll.saturating_sub(10)),
                    Some(Action::Top) => Some(0),
                    Some(Action::Bottom) => Some(u16::MAX),
                    _ => None,
                } {
                    self.overlay.popup = Some(Popup::Help { scroll: s });
                }
            }
            Popup::Menu(m) => {
                if k.code == KeyCode::Enter {
                    self.overlay.popup = None;
                    self.choose(m);
                } else if close {
                    self.overlay.popup = None;
                    if matches!(m.kind, MenuKind::Resign { .. }) {
                        self.overlay.status = Some("cancelled: nothing sent".into());
                    }
                } else if let Some(selected) = nav(m.selected, m.kind.count()) {
                    self.overlay.popup = Some(Popup::Menu(Menu { selected, ..m }));
                }
            }
            Popup::ExportPath { kind, mut input } => match input.handle(&k) {
                Edit::Submit => {
                    self.overlay.popup = None;
                    let ids = match kind {
                        ExportKind::Har | ExportKind::Json => {
                            (0..self.shown()).filter_map(|p| self.id_at(p)).collect()
                        }
                        _ => self.selected_id().into_iter().collect(),
                    };
                    let path = std::path::PathBuf::from(input.text.trim());
                    self.export(kind, path, ids, false);
                }
                Edit::Cancel => self.overlay.popup = None,
                _ => self.overlay.popup = Some(Popup::ExportPath { kind, input }),
            },
            Popup::Confirm(c) => {
                let yes = matches!(k.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter)
                    || action == Some(Action::Quit) && matches!(c, Confirm::Quit { .. })
                    || k.code == KeyCode::Char('c')
                        && k.modifiers
                            .contains(crossterm::event::KeyModifiers::CONTROL)
                        && matches!(c, Confirm::Quit { .. });
                let no = matches!(k.code, KeyCode::Char('n' | 'N') | KeyCode::Esc)
                    || action == Some(Action::Back);
                if yes {
                    self.overlay.popup = None;
                    self.confirmed(c);
                } else if no {
                    self.overlay.popup = None;
                    self.overlay.status = Some("cancelled".into());
                }
            }
            Popup::Secret {
                access_key,
                mut input,
            } => match input.handle(&k) {
                Edit::Submit => {
                    self.overlay.popup = None;
                    if !input.text.is_empty() {
                        self.add_secret(&access_key, &input.text);
                    }
                }
                Edit::Cancel => self.overlay.popup = None,
                _ => self.overlay.popup = Some(Popup::Secret { access_key, input }),
            },
        }
    }

    /// Quits, after asking when quitting would stop a running listener.
    pub(super) fn request_quit(&mut self) {
        if self.listening() {
            // A live capture's status line starts "capturing on IFACE" (sniff/mod.rs).
            let capture = (self.verify.loading.live.as_deref())
                .is_some_and(|l| l.starts_with("capturing on"));
            self.overlay.popup = Some(Popup::Confirm(Confirm::Quit { capture }));
        } else {
            self.quit = true;
        }
    }

    /// A question answered yes.
    fn confirmed(&mut self, c: Confirm) {
        match c {
            Confirm::Quit { .. } => self.quit = true,
            Confirm::Overwrite {
                kind, path, ids, ..
            } => self.export(kind, path, ids, true),
            Confirm::Replay {
                id, resign, edited, ..
            } => self.send_confirmed(id, resign, edited),
        }
    }

    /// Asks before writing over a file: the loop found it there when it went to export.
    pub fn ask(&mut self, c: Confirm) {
        self.overlay.status = None;
        self.overlay.popup = Some(Popup::Confirm(c));
    }

    /// Queues an export; over an existing file only when `overwrite` (else the loop asks).
    fn export(
        &mut self,
        kind: ExportKind,
        path: std::path::PathBuf,
        ids: Vec<usize>,
        overwrite: bool,
    ) {
        self.effects.push(Effect::Export {
            kind,
            path,
            ids,
            settings: self.verify.settings.clone(),
            overwrite,
        });
        self.overlay.status = Some("exporting…".into());
    }

    /// Enter on a menu item.
    fn choose(&mut self, m: Menu) {
        match m.kind {
            MenuKind::Dialect => {
                let name = dialect::ALL
                    .get(m.selected)
                    .map_or(dialect::Choice::AUTO, |d| d.name);
                self.set_dialect(name);
            }
            MenuKind::Copy => self.copy(CopyKind::ALL[m.selected]),
            MenuKind::Export => {
                let kind = ExportKind::ALL[m.selected];
                let name = self.export_name(kind);
                self.overlay.popup = Some(Popup::ExportPath {
                    kind,
                    input: TextInput::new(&name),
                });
            }
            MenuKind::Resign { edited } => self.resign_chosen(m.selected, edited),
        }
    }

    /// The file name an export proposes: the capture's name, the exchange's number for one
    /// exchange (`demo-3.curl.sh`), the capture's alone for the exchanges shown (`demo.har`).
    fn export_name(&self, kind: ExportKind) -> String {
        let x = self
            .selected_id()
            .and_then(|id| self.store.get(id))
            .map(|it| (capture_stem(&it.x.source), it.x.index));
        let (stem, index) = x.unwrap_or_else(|| ("sigscope".into(), 0));
        match kind {
            ExportKind::Har | ExportKind::Json => {
                let stem = match self.verify.loading.inputs.len() {
                    0 | 1 => stem,
                    _ => "sigscope".into(),
                };
                format!("{stem}.{}", kind.extension())
            }
            _ => format!("{stem}-{index}.{}", kind.extension()),
        }
    }

    fn copy(&mut self, what: CopyKind) {
        let Some(d) = &self.detail.model else { return };
        let a = &d.analysis;
        let v = a.dialect(a.verifier);
        let text = match what {
            CopyKind::CanonicalRequest => v
                .and_then(|v| v.canonical_request.clone())
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            CopyKind::StringToSign => {
                v.map(|v| String::from_utf8_lossy(&v.string_to_sign).into_owned())
            }
            CopyKind::Curl => Some(crate::tui::export::curl(&d.item.x, Some(a))),
            CopyKind::Signature => v.and_then(|v| v.signature.clone()),
        };
        let Some(t) = text else {
            self.overlay.status = Some(format!("nothing to copy: no {}", what.label()));
            return;
        };
        let n = t.len();
        let osc = crate::tui::export::osc52(&t);
        if let Ok(seq) = &osc {
            self.effects.push(Effect::Clipboard(seq.clone()));
        }
        // tmux drops OSC 52 unless its set-clipboard option lets it through: its own buffer
        // gets the text too, and the loop says which of the two worked.
        if self.chrome.tmux {
            self.effects.push(Effect::TmuxBuffer {
                text: t,
                osc52_sent: osc.is_ok(),
            });
            self.overlay.status = Some(format!("copying {} ({n} bytes)…", what.label()));
            return;
        }
        self.overlay.status = Some(match osc {
            Ok(_) => format!(
                "copied {} ({n} bytes) to the clipboard via OSC 52",
                what.label()
            ),
            Err(_) => format!("{n} bytes is too large for the clipboard: use e to export"),
        });
    }
}

/// The capture's name in an exchange's source (`samples/demo.pcap:4`, `demo.pcap (built in):4`,
/// `listen:127.0.0.1:8080#2`): the file's stem, kept to characters safe in a file name.
pub fn capture_stem(source: &str) -> String {
    if source.starts_with("listen:") {
        return "listen".into();
    }
    let file = source.rsplit_once(':').map_or(source, |(f, _)| f);
    let file = file.rsplit('/').next().unwrap_or(file);
    let file = file.split(' ').next().unwrap_or(file);
    let stem = match file.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => file,
    };
    let clean: String = stem
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    match clean.trim_start_matches('.') {
        "" => "sigscope".into(),
        c => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::capture_stem;

    #[test]
    fn the_capture_name_in_a_source() {
        assert_eq!(capture_stem("samples/demo.pcap:4"), "demo");
        assert_eq!(capture_stem("demo.pcap (built in):4"), "demo");
        assert_eq!(capture_stem("listen:127.0.0.1:8080#2"), "listen");
        assert_eq!(capture_stem("dir/x.har:entry 3"), "x");
        assert_eq!(capture_stem("/tmp/a b;rm.http:0"), "a");
        assert_eq!(capture_stem("/tmp/$(x).pcapng:9"), "__x_");
        assert_eq!(capture_stem(":1"), "sigscope");
        assert_eq!(capture_stem("../..:1"), "sigscope");
    }
}

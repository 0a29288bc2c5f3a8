//! The application state and everything that changes it: keys, mouse, exchanges arriving,
//! verification results. No drawing here, and no IO: side effects the loop must perform (build
//! a detail off-thread, write to the clipboard, write an export file) are queued as [`Effect`]s.
//!
//! This file holds the state and what arrives from outside (exchanges, verification results,
//! a new verifier setting); the list's filter is in `filtering`, the detail and the search in
//! it in `detail`, keys and the mouse in `keys`, the popups in `popup`.

mod detail;
mod filtering;
mod keys;
mod popup;
mod replay;

use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;

use crate::credentials::Secret;
use crate::engine::diagnose::servers::Servers;
use crate::engine::dialect::Choice;
use crate::engine::{Mark, Verdict};
use crate::exchange::Exchange;
use crate::tui::analysis::{Pool, RowsDone, Settings, Store, TuiKeys};
use crate::tui::config::Theme;
use crate::tui::detail::{DetailModel, Tab, ViewOpts};
use crate::tui::filter::{self, Filter};
use crate::tui::input::TextInput;
use crate::tui::keymap::Keymap;
use crate::tui::row::RowInfo;

pub use filtering::HISTORY_MAX;
pub use popup::{Confirm, CopyKind, ExportKind, Menu, MenuKind, Popup};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    Filter(TextInput),
    Search(TextInput),
}

/// Work the event loop does on the app's behalf.
pub enum Effect {
    /// Build the detail of exchange `id` off the UI thread.
    BuildDetail {
        id: usize,
        settings: Arc<Settings>,
    },
    /// Write this OSC 52 sequence (the clipboard) to the terminal.
    Clipboard(String),
    /// Under tmux: load the text into tmux's paste buffer (off the UI thread) and say where
    /// the copy went ([`crate::tui::export::tmux_copy`]).
    TmuxBuffer {
        text: String,
        osc52_sent: bool,
    },
    /// Write an export; over an existing file only when `overwrite` (else the app is asked
    /// to confirm, [`App::ask`]).
    Export {
        kind: ExportKind,
        path: std::path::PathBuf,
        ids: Vec<usize>,
        settings: Arc<Settings>,
        overwrite: bool,
    },
    Suspend,
    /// Send exchange `id` again, re-signed as `resign` with the keys of `settings` (off the
    /// UI thread); the result is a new exchange ([`crate::tui::replay::replay_exchange`]).
    Replay {
        id: usize,
        /// The dialect's name.
        resign: Option<&'static str>,
        /// The request as edited with `E`, sent in place of the captured one.
        edited: Option<Box<crate::http::Request>>,
        settings: Arc<Settings>,
    },
    /// `E`: give the terminal to the editor over exchange `id`'s request, then take it back
    /// and hand the edited request to [`App::edited`].
    Edit {
        id: usize,
    },
    /// Keep the filter history in its file (off the UI thread).
    SaveHistory {
        path: std::path::PathBuf,
        history: Vec<String>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct Loading {
    pub inputs: Vec<String>,
    pub current: String,
    pub read: u64,
    pub size: u64,
    pub done: bool,
    /// A live listener: "listening on …" instead of a progress bar.
    pub live: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Slot {
    gen: u64,
    info: Option<RowInfo>,
}

/// Where things were drawn last, for the mouse and for page sizes.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub list: Rect,
    pub list_first_row: u16,
    pub tabs: Vec<(Rect, Tab)>,
    pub detail: Rect,
    pub detail_height: u16,
}

/// Verification results: one slot per exchange, under the settings generation it was verified
/// with, and the tallies of the current generation's verdicts.
#[derive(Clone, Debug, Default)]
struct Rows {
    slots: Vec<Slot>,
    counts: [usize; 5],
    /// Rows valid under the verifier that the server refused.
    refused: usize,
    /// Rows valid under the verifier whose body does not match its signed hash or MD5.
    body_mismatch: usize,
    analysed: usize,
    /// Each server's answers among this generation's rows.
    servers: Servers,
}

/// Where the list is: the selected position (in the list as filtered) and the first row drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListPos {
    pub selected: usize,
    pub offset: usize,
}

/// The filter in force, the error of the last one typed, and, while a new one is applied a
/// slice at a time, how far it got.
#[derive(Clone, Debug, Default)]
pub struct FilterRun {
    compiled: Option<Filter>,
    /// Positions shown, when a filter is in force.
    shown: Option<Vec<usize>>,
    src: String,
    /// While a new filter is applied a slice at a time: positions below this are evaluated.
    next: Option<usize>,
    /// The exchange selected before the filter, to come back to.
    keep: Option<usize>,
    /// Why the filter last typed did not compile (the one in force stays).
    pub error: Option<filter::FilterError>,
    /// Filters applied this session, oldest first, each once; Up/Down in the prompt recall
    /// them.
    pub history: Vec<String>,
    /// While recalling: the entry shown, and what was typed before the first Up.
    recall: Option<(usize, String)>,
}

/// How things are shown: the options that change the detail's content, and layout toggles.
#[derive(Clone, Debug, Default)]
pub struct ViewPrefs {
    pub opts: ViewOpts,
    pub zoomed: bool,
    /// Diff: inline even when there is room for two columns.
    pub inline: bool,
    pub mask_keys: bool,
}

/// What stays put around the panes: key bindings, colours, where the last frame drew things,
/// the messages the help screen lists besides the bindings, and when the UI started.
pub struct Chrome {
    pub keymap: Keymap,
    pub theme: Theme,
    pub layout: Layout,
    /// Reading, config and credentials messages (at most 200).
    pub notices: Vec<String>,
    pub started: Instant,
    /// Running inside tmux (`$TMUX` set): copies also go to tmux's buffer.
    pub tmux: bool,
    /// Where the filter history is kept between sessions (`None`: not kept).
    pub history_file: Option<std::path::PathBuf>,
}

/// The detail pane: the tab shown, its scroll, the model built for the selected exchange, and
/// the search in it.
pub struct DetailPane {
    pub tab: Tab,
    pub scroll: usize,
    pub model: Option<DetailModel>,
    /// The detail asked for: exchange and settings generation (a detail built for anything
    /// else arrives late and is dropped).
    wanted: Option<(usize, u64)>,
    pub search: Option<String>,
    /// Lines of the current tab that contain the search term, found when the term, the tab or
    /// the detail changes (not per frame).
    pub hits: Vec<usize>,
}

/// What draws over the panes or in the status line: a popup, the prompt being typed, the
/// last status message.
#[derive(Default)]
pub struct Overlay {
    pub popup: Option<Popup>,
    pub prompt: Option<Prompt>,
    pub status: Option<String>,
    /// The "verifying…" message last shown, replaced by what came of it when every exchange
    /// is verified (unless another message took its place meanwhile).
    verifying: Option<String>,
}

/// Reading and verifying: the verifier settings in force, the worker pool, how far reading
/// the inputs got, and the verdict of each exchange.
pub struct Verify {
    pub settings: Arc<Settings>,
    pub pool: Option<Pool>,
    pub loading: Loading,
    rows: Rows,
}

/// The state, grouped by what it is about; `effects` is what the event loop must do next.
pub struct App {
    pub store: Arc<Store>,
    pub list: ListPos,
    pub filter: FilterRun,
    pub focus: Focus,
    pub detail: DetailPane,
    pub view: ViewPrefs,
    pub verify: Verify,
    pub overlay: Overlay,
    pub chrome: Chrome,
    pub quit: bool,
    pub effects: Vec<Effect>,
    /// The request `E` brought back from the editor, until it is sent: the exchange it
    /// edits and the request as edited.
    pub edit: Option<(usize, crate::http::Request)>,
}

/// Exchanges a filter is evaluated over between two frames (a few milliseconds' work).
pub const FILTER_SLICE: usize = 16_384;

fn verdict_slot(v: Verdict) -> usize {
    match v {
        Verdict::Valid => 0,
        Verdict::Invalid => 1,
        Verdict::Unverified => 2,
        Verdict::Anonymous => 3,
        Verdict::Malformed => 4,
    }
}

impl App {
    pub fn new(settings: Settings, keymap: Keymap, theme: Theme) -> App {
        App {
            store: Arc::new(Store::default()),
            list: ListPos::default(),
            filter: FilterRun::default(),
            focus: Focus::List,
            detail: DetailPane {
                tab: Tab::Overview,
                scroll: 0,
                model: None,
                wanted: None,
                search: None,
                hits: Vec::new(),
            },
            view: ViewPrefs::default(),
            verify: Verify {
                settings: Arc::new(settings),
                pool: None,
                loading: Loading::default(),
                rows: Rows::default(),
            },
            overlay: Overlay::default(),
            chrome: Chrome {
                keymap,
                theme,
                layout: Layout::default(),
                notices: Vec::new(),
                started: Instant::now(),
                tmux: false,
                history_file: None,
            },
            quit: false,
            effects: Vec::new(),
            edit: None,
        }
    }

    // ---------------------------------------------------------------- the list

    pub fn total(&self) -> usize {
        self.verify.rows.slots.len()
    }

    pub fn shown(&self) -> usize {
        self.filter
            .shown
            .as_ref()
            .map(|f| f.len())
            .unwrap_or(self.verify.rows.slots.len())
    }

    /// The exchange at a list position.
    pub fn id_at(&self, pos: usize) -> Option<usize> {
        match &self.filter.shown {
            Some(f) => f.get(pos).copied(),
            None => (pos < self.verify.rows.slots.len()).then_some(pos),
        }
    }

    pub fn selected_id(&self) -> Option<usize> {
        self.id_at(self.list.selected)
    }

    /// The row of an exchange when it has been verified (maybe under an earlier setting:
    /// `stale` then).
    pub fn row(&self, id: usize) -> Option<(&RowInfo, bool)> {
        let s = self.verify.rows.slots.get(id)?;
        s.info
            .as_ref()
            .map(|i| (i, s.gen != self.verify.settings.gen))
    }

    pub fn count(&self, v: Verdict) -> usize {
        self.verify.rows.counts[verdict_slot(v)]
    }

    /// Exchanges valid under the verifier that the server refused for their signature.
    pub fn refused(&self) -> usize {
        self.verify.rows.refused
    }

    /// Exchanges valid under the verifier whose body does not match what its headers say.
    pub fn body_mismatch(&self) -> usize {
        self.verify.rows.body_mismatch
    }

    pub fn analysed(&self) -> usize {
        self.verify.rows.analysed
    }

    /// Each server's answers among the rows verified so far, and the dialects they point to.
    pub fn servers(&self) -> &Servers {
        &self.verify.rows.servers
    }

    /// New exchanges, in order.
    pub fn ingest(&mut self, xs: Vec<Exchange>) {
        if xs.is_empty() {
            return;
        }
        let was_empty = self.verify.rows.slots.is_empty();
        let range = self.store.extend(xs);
        self.verify.rows.slots.resize(range.end, Slot::default());
        if let (Some(f), Some(list), None) = (
            &self.filter.compiled,
            &mut self.filter.shown,
            self.filter.next,
        ) {
            // `index` is the capture's numbering; positions are the store's.
            let start = range.start;
            let added: Vec<usize> = self
                .store
                .range(range.clone())
                .iter()
                .enumerate()
                .filter(|(_, it)| f.matches(&it.x, None))
                .map(|(k, _)| start + k)
                .collect();
            list.extend(added);
        }
        if let Some(p) = &self.verify.pool {
            p.submit(&self.verify.settings, range);
        }
        if was_empty {
            self.selection_changed();
        }
    }

    /// Verification results of the workers.
    pub fn rows_done(&mut self, d: RowsDone) {
        if d.gen != self.verify.settings.gen {
            return;
        }
        let end = (d.start + d.rows.len()).min(self.verify.rows.slots.len());
        let gen = self.verify.settings.gen;
        for (k, info) in d.rows.into_iter().enumerate() {
            let rows = &mut self.verify.rows;
            let Some(slot) = rows.slots.get_mut(d.start + k) else {
                break;
            };
            if slot.gen == gen {
                if let Some(old) = &slot.info {
                    rows.counts[verdict_slot(old.verdict)] -= 1;
                    rows.refused -= usize::from(old.mark == Mark::Refused);
                    rows.body_mismatch -= usize::from(old.mark == Mark::BodyMismatch);
                    rows.analysed -= 1;
                    if let Some((k, mask)) = &old.answer {
                        rows.servers.uncount(k, *mask);
                    }
                }
            }
            rows.counts[verdict_slot(info.verdict)] += 1;
            rows.refused += usize::from(info.mark == Mark::Refused);
            rows.body_mismatch += usize::from(info.mark == Mark::BodyMismatch);
            rows.analysed += 1;
            if let Some((k, mask)) = &info.answer {
                rows.servers.count(k.to_string(), *mask);
            }
            *slot = Slot {
                gen,
                info: Some(info),
            };
        }
        self.refilter_range(d.start..end);
        self.rejudge_if_servers_changed();
        self.verification_finished();
    }

    /// Under auto, once every row of this generation is verified: when the servers' answers,
    /// now all counted, pick another dialect for some server than the counts this generation
    /// started with, verifies everything again under the new picks. The counts do not depend
    /// on the dialect that judged, so the next generation counts the same and this settles.
    fn rejudge_if_servers_changed(&mut self) {
        let s = &self.verify.settings;
        let Some(started) = s.servers() else { return };
        if self.verify.rows.analysed < self.total()
            || self.verify.rows.servers.same_choices(started, s.dialect)
        {
            return;
        }
        let next = s.judged_by(self.verify.rows.servers.clone());
        self.restart_verification(next);
        self.say_verifying(
            "auto: each server's answers point to its dialect; verifying again…".into(),
        );
    }

    /// Says that verification is over in place of its "verifying…" message.
    fn verification_finished(&mut self) {
        if self.analysed() < self.total() || self.overlay.verifying.is_none() {
            return;
        }
        if self.overlay.status == self.overlay.verifying.take() {
            let mut msg = format!(
                "verified {} as {}",
                crate::words::count_s(self.total() as u64, "exchange"),
                match self.verify.settings.choice {
                    Choice::Auto => "each server's dialect (auto)",
                    Choice::Dialect(d) => d.name,
                }
            );
            let (bad, refused) = (self.count(Verdict::Invalid), self.refused());
            if bad > 0 {
                msg.push_str(&format!(": {bad} invalid"));
            }
            if refused > 0 {
                msg.push_str(&format!(
                    "{}{refused} valid but refused",
                    if bad > 0 { ", " } else { ": " }
                ));
            }
            self.overlay.status = Some(msg);
        }
    }

    /// Shows a message that lasts while every exchange is verified again.
    fn say_verifying(&mut self, msg: String) {
        self.overlay.verifying = Some(msg.clone());
        self.overlay.status = Some(msg);
        // Nothing to verify: over at once.
        self.verification_finished();
    }

    /// Verifies everything now, on this thread (tests, and tiny inputs).
    pub fn analyse_all_now(&mut self) {
        let items = self.store.range(0..self.store.len());
        let rows = self.verify.settings.rows(&items);
        self.rows_done(RowsDone {
            gen: self.verify.settings.gen,
            start: 0,
            rows,
        });
    }

    // ---------------------------------------------------------------- verifier settings

    fn restart_verification(&mut self, settings: Settings) {
        self.verify.settings = Arc::new(settings);
        self.verify.rows.counts = [0; 5];
        self.verify.rows.refused = 0;
        self.verify.rows.body_mismatch = 0;
        self.verify.rows.analysed = 0;
        self.verify.rows.servers = Servers::default();
        let first = self.id_at(self.list.offset).unwrap_or(0);
        let visible = first..first + 200;
        if let Some(p) = &self.verify.pool {
            p.restart(&self.verify.settings, self.store.len(), visible);
        }
        self.request_detail();
    }

    /// Verifies everything as the dialect `name`, or (`auto`) as each server's.
    pub fn set_dialect(&mut self, name: &str) -> bool {
        let Some(choice) = Choice::parse(name) else {
            return false;
        };
        let s = self
            .verify
            .settings
            .next(choice, self.verify.settings.keys.clone());
        self.restart_verification(s);
        self.say_verifying(match choice {
            Choice::Auto => {
                "verifying every exchange as the dialect its server's answers point to (aws where they point nowhere)…".into()
            }
            Choice::Dialect(d) => format!("verifying every exchange as {}…", d.name),
        });
        true
    }

    pub fn add_secret(&mut self, access_key: &str, secret: &str) {
        let mut keys = TuiKeys {
            file: self.verify.settings.keys.file.clone(),
            entered: self.verify.settings.keys.entered.clone(),
        };
        keys.entered
            .insert(access_key.to_string(), Secret::new(secret));
        let s = self
            .verify
            .settings
            .next(self.verify.settings.choice, Arc::new(keys));
        self.restart_verification(s);
        self.say_verifying(format!(
            "secret for {} kept in memory; verifying again…",
            crate::tui::text::safe_str(access_key)
        ));
    }

    /// A live listener feeds the UI and has not stopped: quitting stops it.
    pub fn listening(&self) -> bool {
        self.verify.loading.live.is_some() && !self.verify.loading.done
    }

    pub fn notice(&mut self, n: String) {
        let n = crate::tui::text::safe_str(&n);
        self.overlay.status = Some(if self.chrome.notices.is_empty() {
            n.clone()
        } else {
            format!(
                "{n}  (? lists all {} messages)",
                self.chrome.notices.len() + 1
            )
        });
        if self.chrome.notices.len() < 200 {
            self.chrome.notices.push(n);
        }
    }
}

//! The application state and everything that changes it: keys, mouse, exchanges arriving,
//! verification results. No drawing here, and no IO: side effects the loop must perform (build
//! a detail off-thread, write to the clipboard, write an export file) are queued as [`Effect`]s.

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use crate::credentials::Secret;
use crate::engine::{dialect, Verdict};
use crate::exchange::Exchange;
use crate::tui::analysis::{Pool, RowsDone, Settings, Store, TuiKeys};
use crate::tui::config::Theme;
use crate::tui::detail::{DetailModel, Tab, ViewOpts};
use crate::tui::filter::{self, Filter};
use crate::tui::input::{Edit, TextInput};
use crate::tui::keymap::{Action, Keymap};
use crate::tui::row::RowInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

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
            ExportKind::Curl => "sh",
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    Dialect {
        selected: usize,
    },
    Export {
        selected: usize,
    },
    ExportPath {
        kind: ExportKind,
        input: TextInput,
    },
    Copy {
        selected: usize,
    },
    Secret {
        access_key: String,
        input: TextInput,
    },
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
    Clipboard(String),
    Export {
        kind: ExportKind,
        path: std::path::PathBuf,
        ids: Vec<usize>,
        settings: Arc<Settings>,
    },
    Suspend,
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

pub struct App {
    pub store: Arc<Store>,
    slots: Vec<Slot>,
    /// Positions shown, when a filter is in force.
    filtered: Option<Vec<usize>>,
    pub filter_src: String,
    filter: Option<Filter>,
    pub filter_error: Option<filter::FilterError>,
    /// While a new filter is applied a slice at a time: positions below this are evaluated.
    filter_next: Option<usize>,
    /// The exchange selected before the filter, to come back to.
    filter_keep: Option<usize>,
    pub selected: usize,
    pub list_offset: usize,
    pub focus: Focus,
    pub zoomed: bool,
    pub tab: Tab,
    pub detail_scroll: usize,
    pub detail: Option<DetailModel>,
    wanted_detail: Option<(usize, u64)>,
    pub opts: ViewOpts,
    pub settings: Arc<Settings>,
    pub pool: Option<Pool>,
    pub loading: Loading,
    pub notices: Vec<String>,
    pub status: Option<String>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub mask_keys: bool,
    pub popup: Option<Popup>,
    pub prompt: Option<Prompt>,
    pub search: Option<String>,
    /// Lines of the current tab that contain the search term, found when the term, the tab or
    /// the detail changes (not per frame).
    pub hits: Vec<usize>,
    pub layout: Layout,
    pub quit: bool,
    pub effects: Vec<Effect>,
    counts: [usize; 5],
    analysed: usize,
    pub started: Instant,
    /// Diff: inline even when there is room for two columns.
    pub layout_inline: bool,
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
            slots: Vec::new(),
            filtered: None,
            filter_src: String::new(),
            filter: None,
            filter_error: None,
            filter_next: None,
            filter_keep: None,
            selected: 0,
            list_offset: 0,
            focus: Focus::List,
            zoomed: false,
            tab: Tab::Overview,
            detail_scroll: 0,
            detail: None,
            wanted_detail: None,
            opts: ViewOpts::default(),
            settings: Arc::new(settings),
            pool: None,
            loading: Loading::default(),
            notices: Vec::new(),
            status: None,
            keymap,
            theme,
            mask_keys: false,
            popup: None,
            prompt: None,
            search: None,
            hits: Vec::new(),
            layout: Layout::default(),
            quit: false,
            effects: Vec::new(),
            counts: [0; 5],
            analysed: 0,
            started: Instant::now(),
            layout_inline: false,
        }
    }

    // ---------------------------------------------------------------- the list

    pub fn total(&self) -> usize {
        self.slots.len()
    }

    pub fn shown(&self) -> usize {
        self.filtered
            .as_ref()
            .map(|f| f.len())
            .unwrap_or(self.slots.len())
    }

    /// The exchange at a list position.
    pub fn id_at(&self, pos: usize) -> Option<usize> {
        match &self.filtered {
            Some(f) => f.get(pos).copied(),
            None => (pos < self.slots.len()).then_some(pos),
        }
    }

    pub fn selected_id(&self) -> Option<usize> {
        self.id_at(self.selected)
    }

    /// The row of an exchange when it has been verified (maybe under an earlier setting:
    /// `stale` then).
    pub fn row(&self, id: usize) -> Option<(&RowInfo, bool)> {
        let s = self.slots.get(id)?;
        s.info.as_ref().map(|i| (i, s.gen != self.settings.gen))
    }

    pub fn count(&self, v: Verdict) -> usize {
        self.counts[verdict_slot(v)]
    }

    pub fn analysed(&self) -> usize {
        self.analysed
    }

    /// New exchanges, in order.
    pub fn ingest(&mut self, xs: Vec<Exchange>) {
        if xs.is_empty() {
            return;
        }
        let was_empty = self.slots.is_empty();
        let range = self.store.extend(xs);
        self.slots.resize(range.end, Slot::default());
        if let (Some(f), Some(list), None) = (&self.filter, &mut self.filtered, self.filter_next) {
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
        if let Some(p) = &self.pool {
            p.submit(&self.settings, range);
        }
        if was_empty {
            self.selection_changed();
        }
    }

    /// Verification results of the workers.
    pub fn rows_done(&mut self, d: RowsDone) {
        if d.gen != self.settings.gen {
            return;
        }
        let end = (d.start + d.rows.len()).min(self.slots.len());
        let gen = self.settings.gen;
        for (k, info) in d.rows.into_iter().enumerate() {
            let Some(slot) = self.slots.get_mut(d.start + k) else {
                break;
            };
            if slot.gen == gen {
                if let Some(old) = &slot.info {
                    self.counts[verdict_slot(old.verdict)] -= 1;
                    self.analysed -= 1;
                }
            }
            self.counts[verdict_slot(info.verdict)] += 1;
            self.analysed += 1;
            *slot = Slot {
                gen,
                info: Some(info),
            };
        }
        self.refilter_range(d.start..end);
    }

    /// Verifies everything now, on this thread (tests, and tiny inputs).
    pub fn analyse_all_now(&mut self) {
        let items = self.store.range(0..self.store.len());
        let rows = items
            .iter()
            .map(|it| RowInfo::from_analysis(&it.x, &self.settings.analyze(it)))
            .collect();
        self.rows_done(RowsDone {
            gen: self.settings.gen,
            start: 0,
            rows,
        });
    }

    /// Re-evaluates the filter over positions `r` of the store, keeping the selection on the
    /// same exchange when it stays shown.
    fn refilter_range(&mut self, r: Range<usize>) {
        // What a filter being applied has not reached yet, it will see then.
        let r = r.start..r.end.min(self.filter_next.unwrap_or(usize::MAX));
        if r.is_empty() {
            return;
        }
        let Some(f) = &self.filter else { return };
        let keep = self.selected_id();
        let items = self.store.range(r.clone());
        let Some(list) = &mut self.filtered else {
            return;
        };
        let a = list.partition_point(|&i| i < r.start);
        let b = list.partition_point(|&i| i < r.end);
        let now: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(k, it)| {
                let id = r.start + k;
                let row = self.slots[id]
                    .info
                    .as_ref()
                    .filter(|_| self.slots[id].gen == self.settings.gen);
                f.matches(&it.x, row)
            })
            .map(|(k, _)| r.start + k)
            .collect();
        if list[a..b] == now[..] {
            return;
        }
        list.splice(a..b, now);
        self.reselect(keep);
    }

    fn reselect(&mut self, keep: Option<usize>) {
        let pos = match (&self.filtered, keep) {
            (Some(f), Some(id)) => f.partition_point(|&i| i < id),
            (None, Some(id)) => id,
            _ => 0,
        };
        self.selected = pos.min(self.shown().saturating_sub(1));
        if self.selected_id() != keep {
            self.selection_changed();
        }
    }

    /// Applies a filter expression. Over a large list it is applied a slice at a time (the loop
    /// calls [`App::advance_filter`] between frames), so no key press waits for it.
    pub fn set_filter(&mut self, src: &str) -> Result<(), filter::FilterError> {
        let keep = self.selected_id();
        if src.trim().is_empty() {
            self.filter = None;
            self.filtered = None;
            self.filter_next = None;
            self.filter_src.clear();
            self.reselect(keep);
            return Ok(());
        }
        let f = filter::parse(src)?;
        self.filter = Some(f);
        self.filtered = Some(Vec::new());
        self.filter_src = src.to_string();
        self.filter_next = Some(0);
        self.filter_keep = keep;
        self.advance_filter(FILTER_SLICE);
        Ok(())
    }

    pub fn filter_pending(&self) -> bool {
        self.filter_next.is_some()
    }

    /// How far a filter being applied has got, 0.0 to 1.0.
    pub fn filter_progress(&self) -> Option<f64> {
        self.filter_next
            .map(|n| n as f64 / self.slots.len().max(1) as f64)
    }

    /// Evaluates the filter over the next `budget` exchanges.
    pub fn advance_filter(&mut self, budget: usize) {
        let (Some(next), Some(f)) = (self.filter_next, &self.filter) else {
            return;
        };
        let end = (next + budget).min(self.store.len());
        let gen = self.settings.gen;
        let items = self.store.range(next..end);
        let matched: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(k, it)| {
                let s = &self.slots[next + k];
                f.matches(&it.x, s.info.as_ref().filter(|_| s.gen == gen))
            })
            .map(|(k, _)| next + k)
            .collect();
        if let Some(list) = &mut self.filtered {
            list.extend(matched);
        }
        let done = end >= self.store.len();
        self.filter_next = (!done).then_some(end);
        let keep = self.filter_keep;
        // What the detail shows now: the selection before this slice.
        let before = self.wanted_detail.map(|w| w.0);
        let pos = match (&self.filtered, keep) {
            (Some(l), Some(id)) => {
                let p = l.partition_point(|&i| i < id);
                if l.get(p) == Some(&id) || done {
                    p
                } else {
                    0
                }
            }
            _ => 0,
        };
        self.selected = pos.min(self.shown().saturating_sub(1));
        if self.selected_id() != before {
            self.selection_changed();
        }
        if done {
            self.status = Some(format!("{} of {} shown", self.shown(), self.total()));
        }
    }

    // ---------------------------------------------------------------- verifier settings

    fn restart_verification(&mut self, settings: Settings) {
        self.settings = Arc::new(settings);
        self.counts = [0; 5];
        self.analysed = 0;
        let first = self.id_at(self.list_offset).unwrap_or(0);
        let visible = first..first + 200;
        if let Some(p) = &self.pool {
            p.restart(&self.settings, self.store.len(), visible);
        }
        self.request_detail();
    }

    pub fn set_dialect(&mut self, name: &str) -> bool {
        let Some(d) = dialect::by_name(name) else {
            return false;
        };
        let s = self.settings.next(d, self.settings.keys.clone());
        self.restart_verification(s);
        self.status = Some(format!("verifying every exchange as {}…", d.name));
        true
    }

    pub fn add_secret(&mut self, access_key: &str, secret: &str) {
        let mut keys = TuiKeys {
            file: self.settings.keys.file.clone(),
            entered: self.settings.keys.entered.clone(),
        };
        keys.entered
            .insert(access_key.to_string(), Secret::new(secret));
        let s = self.settings.next(self.settings.dialect, Arc::new(keys));
        self.restart_verification(s);
        self.status = Some(format!(
            "secret for {} kept in memory; verifying again…",
            crate::tui::text::safe_str(access_key)
        ));
    }

    // ---------------------------------------------------------------- the detail

    fn selection_changed(&mut self) {
        self.detail_scroll = 0;
        self.opts.against = None;
        self.request_detail();
    }

    fn request_detail(&mut self) {
        match self.selected_id() {
            Some(id) => {
                self.wanted_detail = Some((id, self.settings.gen));
                self.effects.push(Effect::BuildDetail {
                    id,
                    settings: self.settings.clone(),
                });
            }
            None => {
                self.wanted_detail = None;
                self.detail = None;
            }
        }
    }

    /// A detail built off-thread; dropped unless it is still the one wanted.
    pub fn detail_done(&mut self, mut d: DetailModel) {
        if self.wanted_detail != Some((d.id, d.gen)) {
            return;
        }
        if d.opts != self.opts {
            d.opts = self.opts.clone();
            d.rebuild(&self.theme);
        }
        let same = self.detail.as_ref().is_some_and(|old| old.id == d.id);
        if !d.tabs.contains(&self.tab) {
            self.tab = Tab::Overview;
        }
        self.detail = Some(d);
        self.refresh_hits();
        if !same && self.tab == Tab::Diff {
            self.scroll_to_divergence();
        }
    }

    /// Builds the wanted detail on this thread (tests; the loop does it off-thread).
    pub fn build_detail_now(&mut self) {
        let pending: Vec<Effect> = std::mem::take(&mut self.effects);
        for e in pending {
            match e {
                Effect::BuildDetail { id, settings } => {
                    if let Some(item) = self.store.get(id) {
                        let d =
                            DetailModel::build(id, item, &settings, self.opts.clone(), &self.theme);
                        self.detail_done(d);
                    }
                }
                other => self.effects.push(other),
            }
        }
    }

    fn set_opts(&mut self, f: impl FnOnce(&mut ViewOpts)) {
        f(&mut self.opts);
        if let Some(d) = &mut self.detail {
            d.opts = self.opts.clone();
            d.rebuild(&self.theme);
        }
        self.refresh_hits();
    }

    /// Scrolls the Diff tab so that its first divergent row is in view (only when it would
    /// not be: the notes above the rows say what is compared).
    fn scroll_to_divergence(&mut self) {
        let h = match self.layout.detail_height {
            0 => 20,
            h => h as usize,
        };
        if let Some(d) = &self.detail {
            if let Some(first) = d.diff.first {
                let at = d.diff_header_lines + first;
                if at + 2 >= self.detail_scroll + h {
                    self.detail_scroll = at.saturating_sub(3);
                }
            }
        }
    }

    pub fn detail_len(&self) -> usize {
        let Some(d) = &self.detail else { return 0 };
        let head = d.doc(self.tab).map(|l| l.len()).unwrap_or(0);
        if self.tab == Tab::Diff {
            head + d.diff.rows.len()
        } else {
            head
        }
    }

    fn tabs(&self) -> Vec<Tab> {
        self.detail
            .as_ref()
            .map(|d| d.tabs.clone())
            .unwrap_or_else(|| vec![Tab::Overview])
    }

    fn switch_tab(&mut self, delta: isize) {
        let tabs = self.tabs();
        let i = tabs.iter().position(|t| *t == self.tab).unwrap_or(0) as isize;
        let n = tabs.len() as isize;
        self.tab = tabs[((i + delta).rem_euclid(n)) as usize];
        self.detail_scroll = 0;
        if self.tab == Tab::Diff {
            self.scroll_to_divergence();
        }
        self.refresh_hits();
    }

    pub fn select_tab(&mut self, t: Tab) {
        if self.tabs().contains(&t) {
            self.tab = t;
            self.detail_scroll = 0;
            if t == Tab::Diff {
                self.scroll_to_divergence();
            }
            self.refresh_hits();
        }
    }

    // ---------------------------------------------------------------- search in the detail

    fn plain_lines(&self) -> Vec<String> {
        let Some(d) = &self.detail else { return vec![] };
        let mut out: Vec<String> = d
            .doc(self.tab)
            .map(|ls| {
                ls.iter()
                    .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                    .collect()
            })
            .unwrap_or_default();
        if self.tab == Tab::Diff {
            for r in &d.diff.rows {
                let side = |s: &Option<(usize, Vec<crate::tui::text::Unit>)>| {
                    let mut t = String::new();
                    if let Some((_, u)) = s {
                        for x in u {
                            crate::tui::text::show_unit(*x, false, &mut t);
                        }
                    }
                    t
                };
                out.push(format!("{} {}", side(&r.left), side(&r.right)));
            }
        }
        out
    }

    /// Finds the lines of the current tab that contain the search term.
    fn refresh_hits(&mut self) {
        self.hits = match self.search.as_ref().filter(|t| !t.is_empty()) {
            None => Vec::new(),
            Some(term) => {
                let term = term.to_lowercase();
                self.plain_lines()
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.to_lowercase().contains(&term))
                    .map(|(i, _)| i)
                    .collect()
            }
        };
    }

    fn jump_search(&mut self, forward: bool) {
        let hits = self.hits.clone();
        if hits.is_empty() {
            if let Some(t) = &self.search {
                self.status = Some(format!("not found: {}", crate::tui::text::safe_str(t)));
            }
            return;
        }
        let cur = self.detail_scroll;
        let next = if forward {
            hits.iter().find(|&&h| h > cur).or(hits.first())
        } else {
            hits.iter().rev().find(|&&h| h < cur).or(hits.last())
        };
        if let Some(&h) = next {
            self.detail_scroll = h;
            let k = hits.iter().position(|&x| x == h).unwrap_or(0);
            self.status = Some(format!("match {} of {}", k + 1, hits.len()));
        }
    }

    // ---------------------------------------------------------------- input

    fn move_selection(&mut self, delta: isize) {
        let n = self.shown();
        if n == 0 {
            return;
        }
        let to = (self.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        if to != self.selected {
            self.selected = to;
            self.selection_changed();
        }
    }

    fn scroll_detail(&mut self, delta: isize) {
        let max = self.detail_len().saturating_sub(1);
        self.detail_scroll = (self.detail_scroll as isize + delta).clamp(0, max as isize) as usize;
    }

    fn page(&self) -> isize {
        let h = match self.focus {
            Focus::List => self.layout.list.height.saturating_sub(2),
            Focus::Detail => self.layout.detail_height,
        };
        (h.max(2) - 1) as isize
    }

    pub fn on_key(&mut self, k: KeyEvent) {
        if k.kind == crossterm::event::KeyEventKind::Release {
            return;
        }
        use crossterm::event::{KeyCode, KeyModifiers};
        if k.code == KeyCode::Char('z') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.effects.push(Effect::Suspend);
            return;
        }
        if k.code == KeyCode::Char('c')
            && k.modifiers.contains(KeyModifiers::CONTROL)
            && self.prompt.is_none()
            && self.popup.is_none()
        {
            self.quit = true;
            return;
        }
        if self.prompt.is_some() {
            return self.on_prompt_key(k);
        }
        if self.popup.is_some() {
            return self.on_popup_key(k);
        }
        self.status = None;
        // Digits jump to a tab.
        if let KeyCode::Char(c @ '1'..='9') = k.code {
            let tabs = self.tabs();
            if let Some(t) = tabs.get(c as usize - '1' as usize) {
                self.select_tab(*t);
                self.focus = Focus::Detail;
            }
            return;
        }
        let Some(action) = self.keymap.action(&k) else {
            return;
        };
        self.on_action(action);
    }

    pub fn on_action(&mut self, action: Action) {
        use Action::*;
        let list = self.focus == Focus::List;
        match action {
            Quit => self.quit = true,
            Back => {
                if self.zoomed {
                    self.zoomed = false;
                } else if self.focus == Focus::Detail {
                    self.focus = Focus::List;
                } else {
                    self.quit = true;
                }
            }
            Down if list => self.move_selection(1),
            Up if list => self.move_selection(-1),
            PageDown if list => self.move_selection(self.page()),
            PageUp if list => self.move_selection(-self.page()),
            Top if list => self.move_selection(-(self.selected as isize)),
            Bottom if list => self.move_selection(self.shown() as isize),
            Down => self.scroll_detail(1),
            Up => self.scroll_detail(-1),
            PageDown => self.scroll_detail(self.page()),
            PageUp => self.scroll_detail(-self.page()),
            Top => self.detail_scroll = 0,
            Bottom => self.detail_scroll = self.detail_len().saturating_sub(1),
            Open => {
                if self.selected_id().is_some() {
                    self.focus = Focus::Detail;
                }
            }
            NextTab => self.switch_tab(1),
            PrevTab => self.switch_tab(-1),
            Filter if list => {
                self.prompt = Some(Prompt::Filter(TextInput::new(&self.filter_src)));
                self.filter_error = None;
            }
            Filter => {
                self.prompt = Some(Prompt::Search(TextInput::new(
                    self.search.as_deref().unwrap_or(""),
                )))
            }
            SearchNext => self.jump_search(true),
            SearchPrev => self.jump_search(false),
            PickDialect => {
                let selected = dialect::ALL
                    .iter()
                    .position(|d| d.name == self.settings.dialect.name)
                    .unwrap_or(0);
                self.popup = Some(Popup::Dialect { selected });
            }
            EnterSecret => {
                let ak = self
                    .detail
                    .as_ref()
                    .and_then(|d| d.analysis.auth.access_key.clone());
                match ak {
                    Some(access_key) => {
                        self.popup = Some(Popup::Secret {
                            access_key,
                            input: TextInput::default(),
                        })
                    }
                    None => self.status = Some("this exchange names no access key".into()),
                }
            }
            Copy => {
                if self.detail.is_some() {
                    self.popup = Some(Popup::Copy { selected: 0 });
                }
            }
            Export => {
                if self.detail.is_some() {
                    self.popup = Some(Popup::Export { selected: 0 });
                }
            }
            Help => self.popup = Some(Popup::Help { scroll: 0 }),
            Zoom => self.zoomed = !self.zoomed,
            SideBySide => {
                // Side by side when there is room is the default; this forces inline.
                self.layout_inline = !self.layout_inline;
            }
            Whitespace => self.set_opts(|o| o.whitespace = !o.whitespace),
            Hex => self.set_opts(|o| o.hex = !o.hex),
            ShowAll => self.set_opts(|o| o.show_all = !o.show_all),
            BodyMode => self.set_opts(|o| o.pretty = !o.pretty),
            MaskKeys => self.mask_keys = !self.mask_keys,
            CompareNext | ComparePrev => self.cycle_compare(action == CompareNext),
        }
    }

    fn cycle_compare(&mut self, forward: bool) {
        let Some(d) = &self.detail else { return };
        let choices = d.diff.choices.clone();
        if choices.is_empty() {
            return;
        }
        let cur = choices.iter().position(|c| *c == d.diff.against);
        let n = choices.len() as isize;
        let next = match cur {
            Some(i) => (i as isize + if forward { 1 } else { -1 }).rem_euclid(n) as usize,
            None => 0,
        };
        let pick = choices[next].clone();
        self.set_opts(|o| o.against = Some(pick));
        self.tab = Tab::Diff;
        self.detail_scroll = 0;
        self.scroll_to_divergence();
    }

    fn on_prompt_key(&mut self, k: KeyEvent) {
        let Some(p) = &mut self.prompt else { return };
        match p {
            Prompt::Filter(inp) => match inp.handle(&k) {
                Edit::Changed => {
                    self.filter_error = filter::parse(&inp.text).err();
                }
                Edit::Submit => {
                    let src = inp.text.clone();
                    match self.set_filter(&src) {
                        Ok(()) => {
                            self.prompt = None;
                            self.filter_error = None;
                            self.status =
                                Some(format!("{} of {} shown", self.shown(), self.total()));
                        }
                        Err(e) => self.filter_error = Some(e),
                    }
                }
                Edit::Cancel => {
                    self.prompt = None;
                    self.filter_error = None;
                }
                Edit::Unchanged => {}
            },
            Prompt::Search(inp) => match inp.handle(&k) {
                Edit::Submit => {
                    self.search = Some(inp.text.clone()).filter(|s| !s.is_empty());
                    self.refresh_hits();
                    self.prompt = None;
                    self.detail_scroll = self.detail_scroll.saturating_sub(1);
                    self.jump_search(true);
                }
                Edit::Cancel => self.prompt = None,
                _ => {}
            },
        }
    }

    fn on_popup_key(&mut self, k: KeyEvent) {
        use crossterm::event::KeyCode;
        let action = self.keymap.action(&k);
        let Some(p) = self.popup.clone() else { return };
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
                    self.popup = None;
                } else if let Some(s) = match action {
                    Some(Action::Down) => Some(scroll + 1),
                    Some(Action::Up) => Some(scroll.saturating_sub(1)),
                    Some(Action::PageDown) => Some(scroll + 10),
                    Some(Action::PageUp) => Some(scroll.saturating_sub(10)),
                    Some(Action::Top) => Some(0),
                    Some(Action::Bottom) => Some(u16::MAX),
                    _ => None,
                } {
                    self.popup = Some(Popup::Help { scroll: s });
                }
            }
            Popup::Dialect { selected } => {
                if k.code == KeyCode::Enter {
                    self.popup = None;
                    let name = dialect::ALL[selected].name;
                    self.set_dialect(name);
                } else if close {
                    self.popup = None;
                } else if let Some(s) = nav(selected, dialect::ALL.len()) {
                    self.popup = Some(Popup::Dialect { selected: s });
                }
            }
            Popup::Copy { selected } => {
                if k.code == KeyCode::Enter {
                    self.popup = None;
                    self.copy(CopyKind::ALL[selected]);
                } else if close {
                    self.popup = None;
                } else if let Some(s) = nav(selected, CopyKind::ALL.len()) {
                    self.popup = Some(Popup::Copy { selected: s });
                }
            }
            Popup::Export { selected } => {
                if k.code == KeyCode::Enter {
                    let kind = ExportKind::ALL[selected];
                    let id = self.selected_id().unwrap_or(0);
                    let name = match kind {
                        ExportKind::Har | ExportKind::Json => {
                            format!("sigscope-export.{}", kind.extension())
                        }
                        _ => format!("sigscope-{id}.{}", kind.extension()),
                    };
                    self.popup = Some(Popup::ExportPath {
                        kind,
                        input: TextInput::new(&name),
                    });
                } else if close {
                    self.popup = None;
                } else if let Some(s) = nav(selected, ExportKind::ALL.len()) {
                    self.popup = Some(Popup::Export { selected: s });
                }
            }
            Popup::ExportPath { kind, mut input } => match input.handle(&k) {
                Edit::Submit => {
                    self.popup = None;
                    let ids = match kind {
                        ExportKind::Har | ExportKind::Json => {
                            (0..self.shown()).filter_map(|p| self.id_at(p)).collect()
                        }
                        _ => self.selected_id().into_iter().collect(),
                    };
                    self.effects.push(Effect::Export {
                        kind,
                        path: std::path::PathBuf::from(input.text.trim()),
                        ids,
                        settings: self.settings.clone(),
                    });
                    self.status = Some("exporting…".into());
                }
                Edit::Cancel => self.popup = None,
                _ => self.popup = Some(Popup::ExportPath { kind, input }),
            },
            Popup::Secret {
                access_key,
                mut input,
            } => match input.handle(&k) {
                Edit::Submit => {
                    self.popup = None;
                    if !input.text.is_empty() {
                        self.add_secret(&access_key, &input.text);
                    }
                }
                Edit::Cancel => self.popup = None,
                _ => self.popup = Some(Popup::Secret { access_key, input }),
            },
        }
    }

    fn copy(&mut self, what: CopyKind) {
        let Some(d) = &self.detail else { return };
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
        match text {
            Some(t) => {
                let n = t.len();
                match crate::tui::export::osc52(&t) {
                    Ok(seq) => {
                        self.effects.push(Effect::Clipboard(seq));
                        self.status = Some(format!(
                            "copied {} ({n} bytes) to the clipboard via OSC 52",
                            what.label()
                        ));
                    }
                    Err(_) => {
                        self.status = Some(format!(
                            "{n} bytes is too large for the clipboard: use e to export"
                        ))
                    }
                }
            }
            None => self.status = Some(format!("nothing to copy: no {}", what.label())),
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        if self.popup.is_some() || self.prompt.is_some() {
            return;
        }
        let inside = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((_, t)) = self.layout.tabs.iter().find(|(r, _)| inside(*r)) {
                    let t = *t;
                    self.select_tab(t);
                    self.focus = Focus::Detail;
                } else if inside(self.layout.list) {
                    self.focus = Focus::List;
                    if m.row >= self.layout.list_first_row {
                        let pos = self.list_offset + (m.row - self.layout.list_first_row) as usize;
                        if pos < self.shown() && pos != self.selected {
                            self.selected = pos;
                            self.selection_changed();
                        }
                    }
                } else if inside(self.layout.detail) {
                    self.focus = Focus::Detail;
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                if inside(self.layout.list) {
                    self.move_selection(d);
                } else if inside(self.layout.detail) {
                    self.scroll_detail(d);
                }
            }
            _ => {}
        }
    }

    pub fn notice(&mut self, n: String) {
        let n = crate::tui::text::safe_str(&n);
        self.status = Some(if self.notices.is_empty() {
            n.clone()
        } else {
            format!("{n}  (? lists all {} messages)", self.notices.len() + 1)
        });
        if self.notices.len() < 200 {
            self.notices.push(n);
        }
    }
}

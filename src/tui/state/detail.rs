//! The detail of the selected exchange: asking for it (built off the UI thread), taking it when
//! it arrives, its tabs and scrolling, and the search in it.

use super::{App, Effect};
use crate::tui::detail::{DetailModel, Tab, ViewOpts};

impl App {
    pub(super) fn selection_changed(&mut self) {
        self.detail.scroll = 0;
        self.view.opts.against = None;
        self.request_detail();
    }

    pub(super) fn request_detail(&mut self) {
        match self.selected_id() {
            Some(id) => {
                self.detail.wanted = Some((id, self.verify.settings.gen));
                self.effects.push(Effect::BuildDetail {
                    id,
                    settings: self.verify.settings.clone(),
                });
            }
            None => {
                self.detail.wanted = None;
                self.detail.model = None;
            }
        }
    }

    /// A detail built off-thread; dropped unless it is still the one wanted.
    pub fn detail_done(&mut self, mut d: DetailModel) {
        if self.detail.wanted != Some((d.id, d.gen)) {
            return;
        }
        if d.opts != self.view.opts {
            d.opts = self.view.opts.clone();
            d.rebuild(&self.chrome.theme);
        }
        let same = self.detail.model.as_ref().is_some_and(|old| old.id == d.id);
        if !d.tabs.contains(&self.detail.tab) {
            self.detail.tab = Tab::Overview;
        }
        self.detail.model = Some(d);
        self.refresh_hits();
        if !same && self.detail.tab == Tab::Diff {
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
                        let d = DetailModel::build(
                            id,
                            item,
                            &settings,
                            self.view.opts.clone(),
                            &self.chrome.theme,
                        );
                        self.detail_done(d);
                    }
                }
                other => self.effects.push(other),
            }
        }
    }

    pub(super) fn set_opts(&mut self, f: impl FnOnce(&mut ViewOpts)) {
        f(&mut self.view.opts);
        if let Some(d) = &mut self.detail.model {
            d.opts = self.view.opts.clone();
            d.rebuild(&self.chrome.theme);
        }
        self.refresh_hits();
    }

    /// Scrolls the Diff tab so that its first divergent row is in view (only when it would
    /// not be: the notes above the rows say what is compared).
    pub(super) fn scroll_to_divergence(&mut self) {
        let h = match self.chrome.layout.detail_height {
            0 => 20,
            h => h as usize,
        };
        if let Some(d) = &self.detail.model {
            if let Some(first) = d.diff.first {
                let at = d.diff_header_lines + first;
                if at + 2 >= self.detail.scroll + h {
                    self.detail.scroll = at.saturating_sub(3);
                }
            }
        }
    }

    pub fn detail_len(&self) -> usize {
        let Some(d) = &self.detail.model else {
            return 0;
        };
        let head = d.doc(self.detail.tab).map(|l| l.len()).unwrap_or(0);
        if self.detail.tab == Tab::Diff {
            head + d.diff.rows.len()
        } else {
            head
        }
    }

    pub(super) fn tabs(&self) -> Vec<Tab> {
        self.detail
            .model
            .as_ref()
            .map(|d| d.tabs.clone())
            .unwrap_or_else(|| vec![Tab::Overview])
    }

    pub(super) fn switch_tab(&mut self, delta: isize) {
        let tabs = self.tabs();
        let i = tabs.iter().position(|t| *t == self.detail.tab).unwrap_or(0) as isize;
        let n = tabs.len() as isize;
        self.detail.tab = tabs[((i + delta).rem_euclid(n)) as usize];
        self.detail.scroll = 0;
        if self.detail.tab == Tab::Diff {
            self.scroll_to_divergence();
        }
        self.refresh_hits();
    }

    pub fn select_tab(&mut self, t: Tab) {
        if self.tabs().contains(&t) {
            self.detail.tab = t;
            self.detail.scroll = 0;
            if t == Tab::Diff {
                self.scroll_to_divergence();
            }
            self.refresh_hits();
        }
    }

    // ---------------------------------------------------------------- search in the detail

    pub(super) fn plain_lines(&self) -> Vec<String> {
        let Some(d) = &self.detail.model else {
            return vec![];
        };
        let mut out: Vec<String> = d
            .doc(self.detail.tab)
            .map(|ls| {
                ls.iter()
                    .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                    .collect()
            })
            .unwrap_or_default();
        if self.detail.tab == Tab::Diff {
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
    pub(super) fn refresh_hits(&mut self) {
        self.detail.hits = match self.detail.search.as_ref().filter(|t| !t.is_empty()) {
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

    pub(super) fn jump_search(&mut self, forward: bool) {
        let hits = self.detail.hits.clone();
        if hits.is_empty() {
            if let Some(t) = &self.detail.search {
                self.overlay.status = Some(format!("not found: {}", crate::tui::text::safe_str(t)));
            }
            return;
        }
        let cur = self.detail.scroll;
        let next = if forward {
            hits.iter().find(|&&h| h > cur).or(hits.first())
        } else {
            hits.iter().rev().find(|&&h| h < cur).or(hits.last())
        };
        if let Some(&h) = next {
            self.detail.scroll = h;
            let k = hits.iter().position(|&x| x == h).unwrap_or(0);
            self.overlay.status = Some(format!("match {} of {}", k + 1, hits.len()));
        }
    }
}

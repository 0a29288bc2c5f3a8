//! The list's filter: applied at once over a small list, a slice at a time between frames over
//! a large one, and re-evaluated where verification results arrive.

use std::ops::Range;

use super::{App, FILTER_SLICE};
use crate::tui::filter;

/// Filters the history keeps.
pub const HISTORY_MAX: usize = 100;

impl App {
    /// Keeps a filter just applied in the history (moved to the end if it was there).
    pub(super) fn remember_filter(&mut self, src: &str) {
        let src = src.trim();
        if src.is_empty() {
            return;
        }
        let h = &mut self.filter.history;
        h.retain(|s| s != src);
        h.push(src.to_string());
        if h.len() > HISTORY_MAX {
            h.drain(..h.len() - HISTORY_MAX);
        }
        if let Some(path) = &self.chrome.history_file {
            self.effects.push(super::Effect::SaveHistory {
                path: path.clone(),
                history: self.filter.history.clone(),
            });
        }
    }

    /// Up (`back`) or Down in the filter prompt: the previous or next filter of the history;
    /// Down past the newest gives back what was typed. `None` when there is nothing to show.
    pub(super) fn recall_filter(&mut self, typed: &str, back: bool) -> Option<String> {
        let n = self.filter.history.len();
        let (next, draft) = match (self.filter.recall.take(), back) {
            (None, true) if n > 0 => (Some(n - 1), typed.to_string()),
            (None, _) => return None,
            (Some((i, d)), true) => (Some(i.saturating_sub(1)), d),
            (Some((i, d)), false) if i + 1 < n => (Some(i + 1), d),
            (Some((_, d)), false) => (None, d),
        };
        match next {
            Some(i) => {
                self.filter.recall = Some((i, draft));
                Some(self.filter.history[i].clone())
            }
            None => Some(draft),
        }
    }

    /// Re-evaluates the filter over positions `r` of the store, keeping the selection on the
    /// same exchange when it stays shown.
    pub(super) fn refilter_range(&mut self, r: Range<usize>) {
        // What a filter being applied has not reached yet, it will see then.
        let r = r.start..r.end.min(self.filter.next.unwrap_or(usize::MAX));
        if r.is_empty() {
            return;
        }
        let Some(f) = &self.filter.compiled else {
            return;
        };
        let keep = self.selected_id();
        let items = self.store.range(r.clone());
        let Some(list) = &mut self.filter.shown else {
            return;
        };
        let a = list.partition_point(|&i| i < r.start);
        let b = list.partition_point(|&i| i < r.end);
        let now: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(k, it)| {
                let id = r.start + k;
                let row = self.verify.rows.slots[id]
                    .info
                    .as_ref()
                    .filter(|_| self.verify.rows.slots[id].gen == self.verify.settings.gen);
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

    pub(super) fn reselect(&mut self, keep: Option<usize>) {
        let pos = match (&self.filter.shown, keep) {
            (Some(f), Some(id)) => f.partition_point(|&i| i < id),
            (None, Some(id)) => id,
            _ => 0,
        };
        self.list.selected = pos.min(self.shown().saturating_sub(1));
        if self.selected_id() != keep {
            self.selection_changed();
        }
    }

    /// Applies a filter expression. Over a large list it is applied a slice at a time (the loop
    /// calls [`App::advance_filter`] between frames), so no key press waits for it.
    pub fn set_filter(&mut self, src: &str) -> Result<(), filter::FilterError> {
        let keep = self.selected_id();
        if src.trim().is_empty() {
            self.filter.compiled = None;
            self.filter.shown = None;
            self.filter.next = None;
            self.filter.src.clear();
            self.reselect(keep);
            return Ok(());
        }
        let f = filter::parse(src)?;
        self.filter.compiled = Some(f);
        self.filter.shown = Some(Vec::new());
        self.filter.src = src.to_string();
        self.filter.next = Some(0);
        self.filter.keep = keep;
        self.advance_filter(FILTER_SLICE);
        Ok(())
    }

    pub fn filter_pending(&self) -> bool {
        self.filter.next.is_some()
    }

    /// How far a filter being applied has got, 0.0 to 1.0.
    pub fn filter_progress(&self) -> Option<f64> {
        self.filter
            .next
            .map(|n| n as f64 / self.verify.rows.slots.len().max(1) as f64)
    }

    /// Evaluates the filter over the next `budget` exchanges.
    pub fn advance_filter(&mut self, budget: usize) {
        let (Some(next), Some(f)) = (self.filter.next, &self.filter.compiled) else {
            return;
        };
        let end = (next + budget).min(self.store.len());
        let gen = self.verify.settings.gen;
        let items = self.store.range(next..end);
        let matched: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(k, it)| {
                let s = &self.verify.rows.slots[next + k];
                f.matches(&it.x, s.info.as_ref().filter(|_| s.gen == gen))
            })
            .map(|(k, _)| next + k)
            .collect();
        if let Some(list) = &mut self.filter.shown {
            list.extend(matched);
        }
        let done = end >= self.store.len();
        self.filter.next = (!done).then_some(end);
        let keep = self.filter.keep;
        // What the detail shows now: the selection before this slice.
        let before = self.detail.wanted.map(|w| w.0);
        let pos = match (&self.filter.shown, keep) {
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
        self.list.selected = pos.min(self.shown().saturating_sub(1));
        if self.selected_id() != before {
            self.selection_changed();
        }
        if done {
            self.overlay.status = Some(format!("{} of {} shown", self.shown(), self.total()));
        }
    }

    /// The filter expression in force, as typed.
    pub fn filter_src(&self) -> &str {
        &self.filter.src
    }
}

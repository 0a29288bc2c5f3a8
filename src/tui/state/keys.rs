//! Keys and the mouse: what each action does to the state. Popups' keys are in `popup`.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::{App, Effect, Focus, Menu, MenuKind, Popup, Prompt};
use crate::engine::{dialect, Verdict};
use crate::tui::detail::Tab;
use crate::tui::filter;
use crate::tui::input::{Edit, TextInput};
use crate::tui::keymap::Action;

impl App {
    pub(super) fn move_selection(&mut self, delta: isize) {
        let n = self.shown();
        if n == 0 {
            return;
        }
        let to = (self.list.selected as isize + delta).clamp(0, n as isize - 1) as usize;
        if to != self.list.selected {
            self.list.selected = to;
            self.selection_changed();
        }
    }

    pub(super) fn scroll_detail(&mut self, delta: isize) {
        let max = self.detail_len().saturating_sub(1);
        self.detail.scroll = (self.detail.scroll as isize + delta).clamp(0, max as isize) as usize;
    }

    pub(super) fn page(&self) -> isize {
        let h = match self.focus {
            Focus::List => self.chrome.layout.list.height.saturating_sub(2),
            Focus::Detail => self.chrome.layout.detail_height,
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
            && self.overlay.prompt.is_none()
            && self.overlay.popup.is_none()
        {
            self.request_quit();
            return;
        }
        if self.overlay.prompt.is_some() {
            return self.on_prompt_key(k);
        }
        if self.overlay.popup.is_some() {
            return self.on_popup_key(k);
        }
        self.overlay.status = None;
        // Digits jump to a tab: each tab has one number in every auth mode.
        if let KeyCode::Char(c @ '1'..='9') = k.code {
            let Some(t) = Tab::by_number(c as usize - '0' as usize) else {
                return;
            };
            if self.tabs().contains(&t) {
                self.select_tab(t);
                self.focus = Focus::Detail;
            } else if let Some(d) = &self.detail.model {
                self.overlay.status = Some(format!(
                    "{c} {}: not for {} ({})",
                    t.title(),
                    d.analysis.auth.mode.as_str(),
                    crate::tui::detail::why_no_tab(d.analysis.auth.mode, t)
                ));
            }
            return;
        }
        let Some(action) = self.chrome.keymap.action(&k) else {
            return;
        };
        self.on_action(action);
    }

    pub fn on_action(&mut self, action: Action) {
        use Action::*;
        let list = self.focus == Focus::List;
        match action {
            Quit => self.request_quit(),
            Back => {
                if self.view.zoomed {
                    self.view.zoomed = false;
                } else if self.focus == Focus::Detail {
                    self.focus = Focus::List;
                } else {
                    // Nothing to back out of: say how to quit rather than quit (and stop a
                    // running listener) on a key that elsewhere only closes things.
                    let q = self.chrome.keymap.hint_key(Quit);
                    self.overlay.status = Some(format!("press {q} to quit"));
                }
            }
            Down if list => self.move_selection(1),
            Up if list => self.move_selection(-1),
            PageDown if list => self.move_selection(self.page()),
            PageUp if list => self.move_selection(-self.page()),
            Top if list => self.move_selection(-(self.list.selected as isize)),
            Bottom if list => self.move_selection(self.shown() as isize),
            Down => self.scroll_detail(1),
            Up => self.scroll_detail(-1),
            PageDown => self.scroll_detail(self.page()),
            PageUp => self.scroll_detail(-self.page()),
            Top => self.detail.scroll = 0,
            Bottom => self.detail.scroll = self.detail_len().saturating_sub(1),
            Open => {
                if self.selected_id().is_some() {
                    self.focus = Focus::Detail;
                }
            }
            NextTab => self.switch_tab(1),
            PrevTab => self.switch_tab(-1),
            Filter if list => {
                self.overlay.prompt = Some(Prompt::Filter(TextInput::new(&self.filter.src)));
                self.filter.error = None;
            }
            Filter => {
                self.overlay.prompt = Some(Prompt::Search(TextInput::new(
                    self.detail.search.as_deref().unwrap_or(""),
                )))
            }
            SearchNext if list => self.jump_failing(true),
            SearchPrev if list => self.jump_failing(false),
            SearchNext => self.jump_search(true),
            SearchPrev => self.jump_search(false),
            PickDialect => {
                let s = &self.verify.settings;
                let selected = match s.choice {
                    dialect::Choice::Auto => dialect::ALL.len(),
                    dialect::Choice::Dialect(d) => dialect::ALL
                        .iter()
                        .position(|x| x.name == d.name)
                        .unwrap_or(0),
                };
                self.overlay.popup = Some(Popup::Menu(Menu {
                    kind: MenuKind::Dialect,
                    selected,
                }));
            }
            EnterSecret => {
                let ak = self
                    .detail
                    .model
                    .as_ref()
                    .and_then(|d| d.analysis.auth.access_key.clone());
                match ak {
                    Some(access_key) => {
                        self.overlay.popup = Some(Popup::Secret {
                            access_key,
                            input: TextInput::default(),
                        })
                    }
                    None => self.overlay.status = Some("this exchange names no access key".into()),
                }
            }
            Copy => {
                if self.detail.model.is_some() {
                    self.overlay.popup = Some(Popup::Menu(Menu {
                        kind: MenuKind::Copy,
                        selected: 0,
                    }));
                }
            }
            Export => {
                if self.detail.model.is_some() {
                    self.overlay.popup = Some(Popup::Menu(Menu {
                        kind: MenuKind::Export,
                        selected: 0,
                    }));
                }
            }
            Help => self.overlay.popup = Some(Popup::Help { scroll: 0 }),
            Zoom => self.view.zoomed = !self.view.zoomed,
            SideBySide => {
                // Side by side when there is room is the default; this forces inline.
                self.view.inline = !self.view.inline;
            }
            Whitespace => self.set_opts(|o| o.whitespace = !o.whitespace),
            Hex => self.set_opts(|o| o.hex = !o.hex),
            ShowAll => self.set_opts(|o| o.show_all = !o.show_all),
            BodyMode => self.set_opts(|o| o.pretty = !o.pretty),
            MaskKeys => self.view.mask_keys = !self.view.mask_keys,
            CompareNext | ComparePrev => self.cycle_compare(action == CompareNext),
            Replay => self.ask_replay(),
            Resign => self.pick_resign(),
            Edit => self.ask_edit(),
        }
    }

    /// Why an exchange failed, in a word, when it did: invalid or malformed under the
    /// verifier, valid but refused by the server, valid with a body that does not match, or
    /// refused (401, 403) by the server.
    fn failing(&self, id: usize) -> Option<&'static str> {
        let (row, _) = self.row(id)?;
        match row.verdict {
            Verdict::Invalid => return Some("invalid"),
            Verdict::Malformed => return Some("malformed"),
            _ => {}
        }
        match row.mark {
            crate::engine::Mark::Refused => return Some("valid but refused"),
            crate::engine::Mark::BodyMismatch => return Some("body does not match"),
            crate::engine::Mark::Plain => {}
        }
        let status = self.store.get(id)?.x.response.as_ref()?.status;
        matches!(status, 401 | 403).then_some("refused by the server")
    }

    /// Selects the next (or previous) failing exchange in the list, wrapping at its ends.
    pub(super) fn jump_failing(&mut self, forward: bool) {
        let n = self.shown();
        let from = self.list.selected;
        let found = (1..=n)
            .map(|k| match forward {
                true => (from + k) % n,
                false => (from + n - k % n) % n,
            })
            .find_map(|pos| Some((pos, self.failing(self.id_at(pos)?)?)));
        let Some((pos, why)) = found else {
            self.overlay.status = Some(match self.analysed() < self.total() {
                true => "no failing exchange in the list yet (still verifying)".into(),
                false => "no failing exchange in the list (invalid, malformed or refused)".into(),
            });
            return;
        };
        let wrapped = if forward { pos <= from } else { pos >= from };
        if pos != from {
            self.list.selected = pos;
            self.selection_changed();
        }
        let index = self
            .id_at(pos)
            .and_then(|id| self.store.get(id))
            .map_or(0, |it| it.x.index);
        self.overlay.status = Some(match (pos == from, wrapped) {
            (true, _) => format!("#{index}: {why}, the only failing exchange"),
            (false, true) => format!(
                "#{index}: {why} (wrapped to the {})",
                if forward { "top" } else { "bottom" }
            ),
            (false, false) => format!("#{index}: {why}"),
        });
    }

    pub(super) fn cycle_compare(&mut self, forward: bool) {
        let Some(d) = &self.detail.model else { return };
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
        self.detail.tab = Tab::Diff;
        self.detail.scroll = 0;
        self.scroll_to_divergence();
    }

    pub(super) fn on_prompt_key(&mut self, k: KeyEvent) {
        let Some(p) = &mut self.overlay.prompt else {
            return;
        };
        use crossterm::event::KeyCode;
        if let (Prompt::Filter(inp), KeyCode::Up | KeyCode::Down) = (&*p, k.code) {
            let typed = inp.text.clone();
            if let Some(text) = self.recall_filter(&typed, k.code == KeyCode::Up) {
                self.filter.error = filter::parse(&text).err();
                self.overlay.prompt = Some(Prompt::Filter(TextInput::new(&text)));
            }
            return;
        }
        match p {
            Prompt::Filter(inp) => match inp.handle(&k) {
                Edit::Changed => {
                    self.filter.error = filter::parse(&inp.text).err();
                    self.filter.recall = None;
                }
                Edit::Submit => {
                    let src = inp.text.clone();
                    match self.set_filter(&src) {
                        Ok(()) => {
                            self.remember_filter(&src);
                            self.filter.recall = None;
                            self.overlay.prompt = None;
                            self.filter.error = None;
                            self.overlay.status =
                                Some(format!("{} of {} shown", self.shown(), self.total()));
                        }
                        Err(e) => self.filter.error = Some(e),
                    }
                }
                Edit::Cancel => {
                    self.overlay.prompt = None;
                    self.filter.error = None;
                    self.filter.recall = None;
                }
                Edit::Unchanged => {}
            },
            Prompt::Search(inp) => match inp.handle(&k) {
                Edit::Submit => {
                    self.detail.search = Some(inp.text.clone()).filter(|s| !s.is_empty());
                    self.refresh_hits();
                    self.overlay.prompt = None;
                    self.detail.scroll = self.detail.scroll.saturating_sub(1);
                    self.jump_search(true);
                }
                Edit::Cancel => self.overlay.prompt = None,
                _ => {}
            },
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        if self.overlay.popup.is_some() || self.overlay.prompt.is_some() {
            return;
        }
        let inside = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((_, t)) = self.chrome.layout.tabs.iter().find(|(r, _)| inside(*r)) {
                    let t = *t;
                    self.select_tab(t);
                    self.focus = Focus::Detail;
                } else if inside(self.chrome.layout.list) {
                    self.focus = Focus::List;
                    if m.row >= self.chrome.layout.list_first_row {
                        let pos =
                            self.list.offset + (m.row - self.chrome.layout.list_first_row) as usize;
                        if pos < self.shown() && pos != self.list.selected {
                            self.list.selected = pos;
                            self.selection_changed();
                        }
                    }
                } else if inside(self.chrome.layout.detail) {
                    self.focus = Focus::Detail;
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                if inside(self.chrome.layout.list) {
                    self.move_selection(d);
                } else if inside(self.chrome.layout.detail) {
                    self.scroll_detail(d);
                }
            }
            _ => {}
        }
    }
}

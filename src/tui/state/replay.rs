//! `r`, `R` and `E` (issue 17): the dialect picker of `R` and `E`, the edit of `E`, and the
//! question naming where the request would go. Nothing is sent before it is answered yes
//! ([`super::popup::Confirm::Replay`]).

use super::{App, Confirm, Effect, Focus, Menu, MenuKind, Popup};
use crate::engine::diagnose::servers;
use crate::engine::{dialect, Dialect};
use crate::http::{Headers as _, Request};
use crate::tui::detail::Tab;

impl App {
    /// `r`: asks whether to send the selected exchange again as captured.
    pub(super) fn ask_replay(&mut self) {
        if let Some(id) = self.selected_id() {
            self.ask_send(id, None, false);
        }
    }

    /// `R`: the dialect picker, on the dialect the server's answers point to. On the Diff tab
    /// `R` is "re-sign as the server's dialect": straight to the question.
    pub(super) fn pick_resign(&mut self) {
        let Some(id) = self.selected_id() else {
            return;
        };
        let d = self.server_dialect(id);
        if self.focus == Focus::Detail && self.detail.tab == Tab::Diff {
            return self.ask_send(id, Some(d.name), false);
        }
        self.open_resign_menu(d, false);
    }

    fn open_resign_menu(&mut self, d: &'static Dialect, edited: bool) {
        let selected = dialect::ALL
            .iter()
            .position(|x| x.name == d.name)
            .unwrap_or(0);
        self.overlay.popup = Some(Popup::Menu(Menu {
            kind: MenuKind::Resign { edited },
            selected,
        }));
    }

    /// Enter on the picker's item `i`: a dialect, or (after them, for an edited request) "send
    /// as edited, not re-signed".
    pub(super) fn resign_chosen(&mut self, i: usize, edited: bool) {
        let resign = dialect::ALL.get(i).map(|d| d.name);
        let id = match (&self.edit, edited) {
            (Some((id, _)), true) => Some(*id),
            _ => self.selected_id(),
        };
        if let Some(id) = id {
            self.ask_send(id, resign, edited);
        }
    }

    /// Asks whether to send exchange `id` (as edited with `E` when `edited`), re-signed as
    /// `resign` or not, naming where it would go.
    fn ask_send(&mut self, id: usize, resign: Option<&'static str>, edited: bool) {
        let Some(item) = self.store.get(id) else {
            return;
        };
        let req = match (&self.edit, edited) {
            (Some((eid, r)), true) if *eid == id => Some(r),
            (_, true) => {
                self.overlay.status = Some("the edited request is gone: press E again".into());
                return;
            }
            _ => None,
        };
        match crate::tui::replay::destination_label(&item.x, req) {
            Ok(dest) => {
                self.overlay.popup = Some(Popup::Confirm(Confirm::Replay {
                    id,
                    index: item.x.index,
                    resign,
                    edited,
                    dest,
                }))
            }
            Err(why) => self.overlay.status = Some(format!("cannot send it again: {why}")),
        }
    }

    /// The question answered yes: the send, off the UI thread.
    pub(super) fn send_confirmed(&mut self, id: usize, resign: Option<&'static str>, edited: bool) {
        let edited = match edited {
            true => match self.edit.take() {
                Some((eid, r)) if eid == id => Some(Box::new(r)),
                _ => return,
            },
            false => None,
        };
        self.overlay.status = Some("sending…".into());
        self.effects.push(Effect::Replay {
            id,
            resign,
            edited,
            settings: self.verify.settings.clone(),
        });
    }

    /// The dialect `R` proposes for exchange `id`: the one its server's answers point to,
    /// else the one that judged it, else the verifier's.
    pub fn server_dialect(&self, id: usize) -> &'static Dialect {
        let judged = (self.detail.model.as_ref())
            .filter(|d| d.id == id)
            .and_then(|d| dialect::by_name(d.analysis.verifier));
        let fallback = judged.unwrap_or(self.verify.settings.dialect);
        let Some(item) = self.store.get(id) else {
            return fallback;
        };
        let x = &item.x;
        let Some(server) = x.server.as_deref() else {
            return fallback;
        };
        let auth = crate::engine::auth::detect(&x.request).info;
        let host = x.request.header_text("host");
        servers::key(server, host.as_deref(), &auth)
            .and_then(|k| self.servers().choose(&k, fallback))
            .unwrap_or(fallback)
    }

    /// `E`: the selected request goes to the editor (the loop suspends the UI for it).
    pub(super) fn ask_edit(&mut self) {
        let Some(id) = self.selected_id() else {
            return;
        };
        let Some(item) = self.store.get(id) else {
            return;
        };
        if let Err(why) = crate::tui::replay::destination_label(&item.x, None) {
            self.overlay.status = Some(format!("cannot send it again: {why}"));
            return;
        }
        self.edit = None;
        self.effects.push(Effect::Edit { id });
    }

    /// What came back from the editor: the request as edited (then the picker: re-sign as a
    /// dialect, or send as edited), or why it could not be read (the original is kept).
    pub fn edited(&mut self, id: usize, r: Result<Request, String>) {
        match r {
            Ok(req) => {
                self.edit = Some((id, req));
                let d = self.server_dialect(id);
                self.open_resign_menu(d, true);
            }
            Err(why) => {
                self.overlay.status = Some(format!("{why}: nothing sent, the original is kept"))
            }
        }
    }
}

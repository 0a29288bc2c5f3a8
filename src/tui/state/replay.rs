//! `r` and `R` (issue 17): the question naming where the selected request would go. Nothing
//! is sent before it is answered yes ([`super::popup::Confirm::Replay`]).

use super::{App, Confirm, Popup};
use crate::engine::dialect;

impl App {
    /// Asks whether to send the selected exchange again, as captured or (`resign`) re-signed
    /// as the dialect that judged it (under `--dialect auto`, its server's).
    pub(super) fn ask_replay(&mut self, resign: bool) {
        let Some(id) = self.selected_id() else {
            return;
        };
        let Some(item) = self.store.get(id) else {
            return;
        };
        let resign = if resign {
            let judged = self
                .detail
                .model
                .as_ref()
                .filter(|d| d.id == id)
                .map(|d| d.analysis.verifier);
            match judged.and_then(dialect::by_name) {
                Some(d) => Some(d.name),
                None => {
                    self.overlay.status = Some("open the exchange's detail first".into());
                    return;
                }
            }
        } else {
            None
        };
        match crate::tui::replay::destination_label(&item.x) {
            Ok(dest) => {
                self.overlay.popup = Some(Popup::Confirm(Confirm::Replay {
                    id,
                    index: item.x.index,
                    resign,
                    dest,
                }))
            }
            Err(why) => self.overlay.status = Some(format!("cannot send it again: {why}")),
        }
    }
}

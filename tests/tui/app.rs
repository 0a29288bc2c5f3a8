//! The UI's state over fixtures, analysed and with its detail built, as the snapshot and state
//! tests start from.

use std::sync::Arc;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::exchange::Exchange;
use sigscope::tui::analysis::{Settings, TuiKeys};
use sigscope::tui::config::Theme;
use sigscope::tui::keymap::Keymap;
use sigscope::tui::state::App;

pub fn app_for(xs: Vec<Exchange>, creds: Credentials, dialect_name: &str) -> App {
    let keys = Arc::new(TuiKeys {
        file: creds,
        entered: Default::default(),
    });
    let s = Settings::new(0, dialect::by_name(dialect_name).unwrap(), keys, false);
    let mut app = App::new(s, Keymap::default(), Theme::plain());
    app.verify.loading.inputs = vec!["fixture".into()];
    app.verify.loading.done = true;
    app.ingest(xs);
    app.analyse_all_now();
    app.build_detail_now();
    app
}

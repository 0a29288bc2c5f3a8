//! The UI's state over fixtures, analysed and with its detail built, as the snapshot and state
//! tests start from.

use std::path::Path;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::UnboundedReceiver;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::exchange::Exchange;
use sigscope::tui::analysis::{Pool, RowsDone, Settings, TuiKeys};
use sigscope::tui::config::Theme;
use sigscope::tui::keymap::Keymap;
use sigscope::tui::state::App;
use sigscope::tui::views;

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

pub fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

pub fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// The screen as text, one line per row.
pub fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    let b = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

/// The demo capture with its keys, verified by a pool of worker threads (as the UI runs), as
/// `dialect_name`; its results arrive on the receiver.
pub fn pooled_demo(dialect_name: &str) -> (App, UnboundedReceiver<RowsDone>) {
    let keys = Arc::new(TuiKeys {
        file: Credentials::load_file(Path::new("samples/demo.credentials")).unwrap(),
        entered: Default::default(),
    });
    let s = Settings::new(0, dialect::by_name(dialect_name).unwrap(), keys, false);
    let mut app = App::new(s, Keymap::default(), Theme::plain());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    app.verify.pool = Some(Pool::new(2, app.store.clone(), tx));
    (app, rx)
}

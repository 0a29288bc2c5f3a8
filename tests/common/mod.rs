//! Helpers shared by the UI tests: fixtures loaded as the UI loads them, and an app over them.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::exchange::Exchange;
use sigscope::tui::analysis::{Settings, TuiKeys};
use sigscope::tui::config::Theme;
use sigscope::tui::keymap::Keymap;
use sigscope::tui::state::App;

pub fn load(path: &str) -> Vec<Exchange> {
    let mut v = Vec::new();
    let s =
        sigscope::input::stream_path(Path::new(path), 0, &Default::default(), &mut |x| v.push(x));
    assert!(s.errors.is_empty(), "{path}: {:?}", s.errors);
    v
}

pub fn creds_from_json(path: &str, key: &str) -> Credentials {
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (ak, sk) = match key {
        "" => (
            j["access_key"].as_str().unwrap().to_string(),
            j["secret_key"].as_str().unwrap().to_string(),
        ),
        case => (
            "AKIAIOSFODNN7EXAMPLE".to_string(),
            j[case]["secret"].as_str().unwrap().to_string(),
        ),
    };
    Credentials::parse(&format!(
        "[t]\naws_access_key_id={ak}\naws_secret_access_key={sk}\n"
    ))
}

pub fn app_for(xs: Vec<Exchange>, creds: Credentials, dialect_name: &str) -> App {
    let keys = Arc::new(TuiKeys {
        file: creds,
        entered: Default::default(),
    });
    let s = Settings::new(0, dialect::by_name(dialect_name).unwrap(), keys, false);
    let mut app = App::new(s, Keymap::default(), Theme::plain());
    app.loading.inputs = vec!["fixture".into()];
    app.loading.done = true;
    app.ingest(xs);
    app.analyse_all_now();
    app.build_detail_now();
    app
}

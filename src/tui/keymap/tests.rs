use super::*;

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn defaults_resolve() {
    let km = Keymap::default();
    assert_eq!(
        km.action(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
        Some(Action::Down)
    );
    // crossterm reports `G` with Shift; the character already says it.
    assert_eq!(
        km.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        km.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Quit)
    );
    assert_eq!(
        km.action(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Action::PrevTab)
    );
    assert_eq!(km.action(&ev(KeyCode::Char('c'), KeyModifiers::NONE)), None);
}

#[test]
fn overrides_replace_an_actions_keys_and_report_problems() {
    let mut o = BTreeMap::new();
    o.insert(
        "down".to_string(),
        vec!["ctrl-n".to_string(), "??x".to_string()],
    );
    o.insert("fly".to_string(), vec!["f".to_string()]);
    o.insert("quit".to_string(), vec!["Q".to_string()]);
    let (km, problems) = Keymap::with_overrides(&o);
    assert_eq!(
        km.action(&ev(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        Some(Action::Down)
    );
    assert_eq!(km.action(&ev(KeyCode::Char('j'), KeyModifiers::NONE)), None);
    assert_eq!(
        km.action(&ev(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
        Some(Action::Quit)
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(km
        .help()
        .iter()
        .any(|(k, w)| k == "ctrl-n" && w.starts_with("next exchange")));
}

#[test]
fn every_action_has_a_default_key_and_a_name() {
    let km = Keymap::default();
    for (a, name, _) in Action::ALL {
        assert!(!km.keys_for(*a).is_empty(), "{name} has no key");
        assert_eq!(Action::by_name(name), Some(*a));
    }
}

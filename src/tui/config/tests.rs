use super::*;

#[test]
fn parses_a_full_config() {
    let (c, p) = parse(
        "dialect = \"keystone-legacy\"\nbody_cap = \"1M\"\n[theme]\naccent = \"magenta\"\n[keys]\nquit = [\"Q\"]\n",
        "t",
    );
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(c.dialect.as_deref(), Some("keystone-legacy"));
    assert_eq!(c.keys["quit"], vec!["Q"]);
    let mut probs = Vec::new();
    let t = Theme::new(&c.theme, true, &mut probs);
    assert_eq!(t.accent, Color::Magenta);
    assert!(probs.is_empty());
}

#[test]
fn a_bad_config_is_a_message_not_a_failure() {
    let (c, p) = parse("dialect = [1, 2\n", "bad.toml");
    assert!(c.dialect.is_none());
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("bad.toml"), "{p:?}");
    let (_, p) = parse("colour = 1\n", "x");
    assert!(p[0].contains("colour"), "{p:?}");
    let mut probs = Vec::new();
    Theme::new(
        &ThemeFile {
            accent: Some("chartreuse-ish".into()),
            ..Default::default()
        },
        true,
        &mut probs,
    );
    assert_eq!(probs.len(), 1);
}

#[test]
fn xdg_path_first() {
    let env = |k: &str| match k {
        "XDG_CONFIG_HOME" => Some("/x".to_string()),
        "HOME" => Some("/h".to_string()),
        _ => None,
    };
    assert_eq!(
        default_path(env).unwrap(),
        Path::new("/x/sigscope/config.toml")
    );
    let env = |k: &str| (k == "HOME").then(|| "/h".to_string());
    assert_eq!(
        default_path(env).unwrap(),
        Path::new("/h/.config/sigscope/config.toml")
    );
}

/// One bad key no longer discards the file: the good keys apply, the bad one is named.
#[test]
fn a_bad_key_leaves_the_good_ones_applied() {
    let (c, p) = parse(
        "dialect = \"keystone-legacy\"\nmask_access_keys = \"sometimes\"\nbody_cap = \"4M\"\nno_such = 1\n",
        "test.toml",
    );
    assert_eq!(c.dialect.as_deref(), Some("keystone-legacy"));
    assert_eq!(c.body_cap.as_deref(), Some("4M"));
    assert_eq!(c.mask_access_keys, None);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p.iter().any(|m| m.contains("`mask_access_keys`")), "{p:?}");
    assert!(
        p.iter()
            .any(|m| m.contains("`no_such`") && m.contains("ignored")),
        "{p:?}"
    );
    // A file that is not TOML at all still falls back to the defaults, with one message.
    let (c, p) = parse("dialect = ", "broken.toml");
    assert!(c.dialect.is_none());
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("using the defaults"), "{p:?}");
}

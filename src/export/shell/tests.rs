use super::*;
use std::process::Command;

fn have_bash() -> bool {
    let ok = Command::new("bash").arg("-c").arg("true").status().is_ok();
    if !ok {
        eprintln!("SKIPPED: bash is not installed; shell quoting is not checked against it");
    }
    ok
}

/// What bash makes of a command line: the words are checked by bash itself, not by a
/// re-implementation of its rules.
fn bash_stdout(script: &str) -> Vec<u8> {
    let o = Command::new("bash").arg("-c").arg(script).output().unwrap();
    assert!(
        o.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

#[test]
fn shell_words_are_what_bash_reads() {
    if !have_bash() {
        return;
    }
    let all: Vec<u8> = (1..=255).collect();
    let cases: Vec<&[u8]> = vec![
        b"",
        b"plain",
        b"it's",
        b"'",
        b"''\\'",
        b"a\nb\r\tc",
        b"\x1b[31mred\x1b]52;c;AAAA\x07",
        b"$(touch pwned) `id` ${HOME} $HOME \\ \" ! * ? [a] ~ # ;|&<>",
        "é \u{202e}rtl".as_bytes(),
        b"\x01a\x1fb\x7f\x80\xff",
        &all,
    ];
    for c in cases {
        let w = shell_quote(c);
        assert!(printable(&w), "{w}");
        assert_eq!(bash_stdout(&format!("printf %s {w}")), c, "{w}");
    }
}

#[test]
fn printf_words_carry_nul_bytes() {
    if !have_bash() {
        return;
    }
    let all: Vec<u8> = (0..=255).chain([b'\\', b'c', 0, b'%', b's']).collect();
    for c in [&all[..], b"\\c stop?", b"%s%d%%", b"\x00", b"'$(touch x)'"] {
        let w = printf_word(c);
        assert!(printable(&w), "{w}");
        assert_eq!(bash_stdout(&format!("printf %b {w}")), c, "{w}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn random_bytes_survive_quoting(b in proptest::collection::vec(1u8..=255, 0..48)) {
        if have_bash() {
            let w = shell_quote(&b);
            proptest::prop_assert!(printable(&w));
            proptest::prop_assert_eq!(bash_stdout(&format!("printf %s {w}")), b);
        }
    }
}

#[test]
fn comments_cannot_end_early() {
    let c = comment(b"/a\nrm -rf ~\r\x1b[2J\xc3\xa9");
    assert!(printable(&c) && !c.contains('\n'), "{c}");
    assert!(c.contains("\\n") && c.contains("\\x1b") && c.contains("\\xc3\\xa9"));
}

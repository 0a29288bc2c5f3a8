use super::*;

fn text(spans: &[Span]) -> String {
    spans.iter().map(|s| s.content.as_ref()).collect()
}

#[test]
fn hostile_bytes_never_pass_raw() {
    let s = safe(b"a\x1b[2Jb\x07\xff\xc2\x9b\xe2\x80\xaec");
    assert_eq!(s, "a\\x1b[2Jb\\x07\\xff\\u{9b}\\u{202e}c");
    assert!(!s.chars().any(|c| c.is_control()));
}

#[test]
fn whitespace_made_visible() {
    let u = units(b"x-amz-date: a\tb \r");
    let sp = line_spans(&u, true, true, None, Style::default(), Style::default());
    assert_eq!(text(&sp), "x-amz-date:·a→b·␍⏎");
    let sp = line_spans(&u, false, false, None, Style::default(), Style::default());
    assert_eq!(text(&sp), "x-amz-date: a    b \\x0d");
}

#[test]
fn marks_the_changed_middle() {
    let (a, b) = (units(b"host:127.0.0.1:9000"), units(b"host:127.0.0.1"));
    let (ra, rb) = changed_ranges(&a, &b);
    assert_eq!(ra, 14..19);
    assert_eq!(rb, 14..15);
    let hit = Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
    let sp = line_spans(&b, false, false, Some(rb), Style::default(), hit);
    assert_eq!(sp.last().unwrap().content, "⏎");
    assert_eq!(sp.last().unwrap().style, hit);
}

#[test]
fn truncation_and_masking() {
    assert_eq!(
        middle_truncate("/bucket/a/very/long/key.txt", 12),
        "/bucket….txt"
    );
    assert_eq!(middle_truncate("/short", 12), "/short");
    assert_eq!(mask_key("AKIDEXAMPLE"), "AKID…LE");
    assert_eq!(
        hex_spans(&units(b"A\xff"), None, Style::default(), Style::default())
            .iter()
            .map(|s| s.content.to_string())
            .collect::<String>(),
        "41 ff "
    );
}

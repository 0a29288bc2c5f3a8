//! `sigscope dialects`: every knob against every dialect, in words (issue #12 §2). A knob on
//! which the dialects part lists each value once with the dialects that hold it; knobs on
//! which they all agree come after, one line each; then where each dialect's rules were read.

use std::fmt::Write;

use super::{knobs, Dialect, ALL};

/// The whole table, as `sigscope dialects` prints it.
pub fn table() -> String {
    let mut parts = String::new();
    let mut agreed = String::new();
    section(&mut parts, &mut agreed, "SigV4", knobs::SIGV4, |d| {
        Some(&d.sigv4)
    });
    section(&mut parts, &mut agreed, "S3 SigV2", knobs::SIGV2, |d| {
        d.sigv2.as_ref()
    });
    section(&mut parts, &mut agreed, "EC2/Query", knobs::QUERY, |d| {
        d.query.as_ref()
    });
    let names: Vec<&str> = ALL.iter().map(|d| d.name).collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Where the dialects part ({}); `sigscope dialects NAME` shows one dialect's rules, --format json all of them as data.",
        names.join(", ")
    );
    s.push_str(&parts);
    let _ = writeln!(s, "\nWhere they all agree:");
    s.push_str(&agreed);
    let _ = writeln!(s, "\nWhere each dialect's rules were read:");
    for d in ALL {
        let _ = writeln!(s, "  {} — {}", d.name, d.summary);
        for src in d.sources {
            let _ = writeln!(s, "      {src}");
        }
    }
    s
}

/// One scheme's knobs: those the dialects part on into `parts` (each value with the dialects
/// that hold it), the others into `agreed`.
fn section<R: 'static>(
    parts: &mut String,
    agreed: &mut String,
    title: &str,
    table: &[knobs::Knob<R>],
    rules: impl Fn(&'static Dialect) -> Option<&'static R>,
) {
    let with: Vec<(&str, &R)> = ALL
        .iter()
        .filter_map(|d| rules(d).map(|r| (d.name, r)))
        .collect();
    let without: Vec<&str> = ALL
        .iter()
        .filter(|d| rules(d).is_none())
        .map(|d| d.name)
        .collect();
    let _ = writeln!(parts, "\n{title}");
    if !without.is_empty() {
        let _ = writeln!(parts, "  no verifier: {}", without.join(", "));
    }
    for k in table {
        // Each value in words, in the order of the first dialect that holds it.
        let mut values: Vec<(String, Vec<&str>)> = Vec::new();
        for (name, r) in &with {
            let v = (k.say)(r);
            match values.iter_mut().find(|(w, _)| *w == v) {
                Some((_, names)) => names.push(name),
                None => values.push((v, vec![name])),
            }
        }
        if let [(only, _)] = values.as_slice() {
            let _ = writeln!(agreed, "  {title}: {}: {only}  [{}]", k.label, k.id);
            continue;
        }
        let _ = writeln!(parts, "  {}  [{}]", k.label, k.id);
        let lists: Vec<String> = values.iter().map(|(_, n)| n.join(", ")).collect();
        let w = lists.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for ((v, _), names) in values.iter().zip(lists) {
            let _ = writeln!(parts, "    {names:<w$}  {v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each knob appears once, under the dialects that part on it or among those that agree;
    /// the form POST knob is the seed case's, where keystone-legacy alone parts.
    #[test]
    fn every_knob_is_said_once_and_the_parting_dialects_are_named() {
        let t = table();
        for id in knobs::ids() {
            let n = t.matches(&format!("[{id}]")).count();
            assert_eq!(n, 1, "{id} appears {n} times");
        }
        let form = t
            .lines()
            .skip_while(|l| !l.contains("[sigv4.form_post_query]"))
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            form.lines()
                .any(|l| l.trim_start().starts_with("keystone-legacy ")),
            "keystone-legacy alone holds its value: {form}"
        );
        for d in ALL {
            assert!(t.contains(&format!("  {} — ", d.name)), "{}", d.name);
        }
        assert!(
            !t.contains("true") && !t.contains("false") && !t.contains('{'),
            "{t}"
        );
    }
}

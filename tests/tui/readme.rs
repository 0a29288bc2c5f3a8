//! README.md documents the UI's keys and filter terms; they are generated from the live keymap
//! and the filter parser, so the README must say the same.

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[test]
fn readme_key_reference_matches_the_keymap() {
    let r = readme();
    let km = sigscope::tui::keymap::Keymap::default();
    let mut missing = Vec::new();
    for (keys, what) in km.help() {
        let keys: Vec<String> = keys.split(' ').map(|k| format!("`{}`", cell(k))).collect();
        let row = format!("| {} | {} |", keys.join(" "), cell(what));
        if !r.contains(&row) {
            missing.push(row);
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks these key rows:\n{}",
        missing.join("\n")
    );
}

#[test]
fn readme_filter_reference_matches_the_parser() {
    let r = readme();
    let mut missing = Vec::new();
    for (term, what) in sigscope::tui::filter::describe_terms() {
        let row = format!("| `{}` | {} |", cell(term), cell(what));
        if !r.contains(&row) {
            missing.push(row);
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks these filter rows:\n{}",
        missing.join("\n")
    );
}

/// README lists the finding codes by kind; the list must be the one `Code::ALL` holds.
#[test]
fn readme_lists_every_finding_code_under_its_kind() {
    let text = readme();
    let start = text.find("- Finding codes").expect("the finding-code list");
    let list = &text[start..start + text[start..].find("\n\n").unwrap()];
    let (facts, rest) = list.split_once("Diagnoses:").unwrap();
    let (diagnoses, hints) = rest.split_once("Hints").unwrap();
    for c in sigscope::engine::Code::ALL {
        let part = match c.kind() {
            sigscope::engine::Kind::Fact => facts,
            sigscope::engine::Kind::Diagnosis => diagnoses,
            sigscope::engine::Kind::Hint => hints,
        };
        assert!(
            part.contains(&format!("`{}`", c.as_str())),
            "README lists `{}` not among the {}s",
            c.as_str(),
            c.kind().as_str()
        );
    }
}

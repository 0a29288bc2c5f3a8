//! `report --format markdown`: one section per exchange, each a bug report to paste as it is:
//! a title that says what happened, sigscope's version, the findings, the request head (secrets
//! masked), the comparison the Diff tab shows for a failed request, and the dialect table.

use std::fmt::Write;

use crate::engine::diagnose::{Divergence, Step};
use crate::engine::diff::{self, Comparison, RowKind};
use crate::engine::{Analysis, BodyMismatch, Mark, Verdict};
use crate::escape::{escape_bytes, escape_multiline, escape_str};
use crate::exchange::Exchange;
use crate::http::Request;

/// Header values longer than this (in characters) are cut in the middle.
const VALUE_MAX: usize = 320;
/// What a cut value keeps of its start and of its end (a SigV4 Authorization ends with the
/// signature).
const VALUE_HEAD: usize = 200;
const VALUE_TAIL: usize = 80;
/// Paths longer than this are cut in the middle in the title.
const TITLE_PATH_MAX: usize = 80;

/// One cell of a markdown table: escaped, pipes and backticks neutralised, spaces visible.
fn cell(line: &str) -> String {
    let e = escape_str(line).replace('|', "\\|").replace('`', "'");
    if e.is_empty() {
        "*(empty)*".into()
    } else {
        format!("`{e}`")
    }
}

/// A fenced block around `text`: the fence is longer than any run of backticks inside.
fn fenced(s: &mut String, info: &str, text: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(s, "\n{fence}{info}\n{text}\n{fence}");
}

/// `s` cut in the middle to `max` characters (`head`, `…`, `tail`), with how much was cut.
fn cut_middle(s: &str, max: usize, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}…({} characters cut)…{t}", n - head - tail)
}

/// The verdict for the title: under which dialect, and the mark beside it.
fn verdict_words(x: &Exchange, a: &Analysis) -> String {
    let v = match a.verdict {
        Verdict::Valid | Verdict::Invalid => format!("{} under {}", a.verdict.as_str(), a.verifier),
        _ => a.verdict.as_str().to_string(),
    };
    match Mark::of(x.response.as_ref().map(|r| r.status), a) {
        Mark::Refused => format!("{v}, refused by the server"),
        Mark::BodyMismatch => format!(
            "{v}, but the body does not match {}",
            body_words(&a.body_mismatch)
        ),
        Mark::Plain => v,
    }
}

/// "its signed payload hash", "its signed payload hash and its Content-MD5".
fn body_words(m: &[BodyMismatch]) -> String {
    m.iter()
        .map(|m| m.describe())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `# sigscope: #0 `POST /v1/` → 403, valid under aws, refused by the server`: the path
/// without its query (the request head has it all).
fn title(s: &mut String, x: &Exchange, a: &Analysis) {
    let r = &x.request;
    let mut path = escape_bytes(r.path());
    if r.query().is_some() {
        path.push_str("?…");
    }
    let path = cut_middle(&path, TITLE_PATH_MAX, 50, 29).replace('`', "'");
    let status = x
        .response
        .as_ref()
        .map(|p| format!(" → {}", p.status))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "# sigscope: #{} `{} {path}`{status}, {}\n",
        x.index,
        escape_str(&r.method).replace('`', "'"),
        verdict_words(x, a)
    );
}

/// The table of what, where, when and by which version.
fn fields(s: &mut String, x: &Exchange, a: &Analysis) {
    let _ = writeln!(s, "| field | value |\n|---|---|");
    let _ = writeln!(s, "| sigscope | {} |", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(s, "| source | {} |", cell(&x.source));
    if let Some(t) = x.time {
        let _ = writeln!(s, "| time | {} |", crate::engine::time::format_rfc3339(t));
    }
    if let (Some(c), Some(sv)) = (&x.client, &x.server) {
        let _ = writeln!(s, "| client → server | {} → {} |", cell(c), cell(sv));
    }
    let _ = writeln!(s, "| auth mode | {} |", a.auth.mode.as_str());
    if let Some(ak) = &a.auth.access_key {
        let _ = writeln!(s, "| access key | {} |", cell(ak));
    }
    let _ = writeln!(s, "| verifier | {} |", a.verifier);
    let _ = writeln!(
        s,
        "| client dialects | {} |",
        if a.client_dialects.is_empty() {
            "—".to_string()
        } else {
            a.client_dialects.join(", ")
        }
    );
    if let Some(p) = &x.response {
        let reason = escape_str(&p.reason).replace('|', "\\|");
        let _ = writeln!(s, "| response | {} {reason} |", p.status);
    }
}

/// The request as sent: request line and every header, credentials masked as everywhere
/// else, long values cut in the middle; then the body's length and hash.
fn request_head(s: &mut String, r: &Request, body_sha256: &str) {
    let _ = writeln!(s, "\n### Request");
    let mut head = format!(
        "{} {} {}",
        escape_str(&r.method),
        escape_bytes(&crate::engine::auth::shown_target(&r.target)),
        escape_str(&r.version)
    );
    for h in &r.headers {
        // The masked form keeps the scheme and a value's first characters: escaped too (a
        // fuzzed Authorization of one NUL reached the report raw; tests/fuzz/pipeline).
        let value = match crate::engine::auth::masked_header(&h.name, &h.value) {
            Some(m) => escape_str(&m),
            None => escape_bytes(&h.value),
        };
        let _ = write!(
            head,
            "\n{}: {}",
            escape_bytes(&h.name),
            cut_middle(&value, VALUE_MAX, VALUE_HEAD, VALUE_TAIL)
        );
    }
    fenced(s, "http", &head);
    let n = r.body_len();
    if n > 0 {
        let _ = writeln!(
            s,
            "\nBody: {n} byte{}, SHA-256 `{body_sha256}`.",
            if n == 1 { "" } else { "s" }
        );
    }
}

/// Both sides of the comparison, lined up, the first differing row marked `→` and the others
/// `≠`; then the client's string to sign when the canonical requests were compared.
fn comparison_table(s: &mut String, a: &Analysis, c: &Comparison) {
    if c.first.is_none() {
        let _ = writeln!(
            s,
            "\nIdentical: the {} is the same on both sides:\n\n- {}\n- {}",
            c.step.name(),
            escape_str(&c.left_label()),
            escape_str(&c.right_label())
        );
    } else {
        let _ = writeln!(
            s,
            "\n| | line | {} | line | {} |\n|---|---|---|---|---|",
            escape_str(&c.left_label()).replace('|', "\\|"),
            escape_str(&c.right_label()).replace('|', "\\|")
        );
        let (l, r) = (c.left_lines(), c.right_lines());
        for (i, row) in c.rows.iter().enumerate() {
            let mark = match row.kind {
                _ if c.first == Some(i) => "**→**",
                RowKind::Same => "",
                _ => "≠",
            };
            let side = |n: Option<usize>, lines: &[&[u8]]| match n {
                Some(n) => (
                    (n + 1).to_string(),
                    cell(&String::from_utf8_lossy(lines[n])),
                ),
                None => (String::new(), String::new()),
            };
            let ((ln, lt), (rn, rt)) = (side(row.left, &l), side(row.right, &r));
            let _ = writeln!(s, "| {mark} | {ln} | {lt} | {rn} | {rt} |");
        }
    }
    if c.step == Step::CanonicalRequest {
        if let Some(d) = a.client_dialects.first().and_then(|n| a.dialect(n)) {
            let _ = writeln!(s, "\n**String to sign ({})**", d.name);
            fenced(s, "", &escape_multiline(&d.string_to_sign));
        }
    }
}

/// Where the client's signing and the verifier's (or the server's) part, in words.
fn divergence_words(s: &mut String, d: &Divergence) {
    let _ = writeln!(
        s,
        "\nThe {} differs at **line {}, column {}** (against `{}`).",
        d.step.name(),
        d.line,
        d.column,
        escape_str(&d.against)
    );
    if let Some(k) = &d.knob {
        let _ = writeln!(s, "\nResponsible knob: {}", escape_str(k));
    }
}

/// For a failed request (the server refused it, or the verifier finds it invalid), the
/// comparison the Diff tab opens on. `true` when it was written (else the caller writes the
/// verifier's canonical strings).
fn comparison(s: &mut String, x: &Exchange, a: &Analysis) -> bool {
    let status = x.response.as_ref().map(|r| r.status);
    let failed = a.divergence.is_some()
        || a.verdict == Verdict::Invalid
        || matches!(status, Some(401 | 403));
    // A side compared with itself (no dialect reproduces the signature, nothing else to
    // compare with) says nothing: the canonical strings are shown instead.
    let Some(c) = diff::compare(a, status, None)
        .filter(|c| failed && (c.against != c.left_name || c.reconstructed))
    else {
        return false;
    };
    match &a.divergence {
        Some(d) => {
            let _ = writeln!(s, "\n### Where it diverges");
            if d.against == c.against {
                divergence_words(s, d);
            }
        }
        None => {
            if c.against == "server" {
                let _ = writeln!(s, "\n### Against the server's own strings");
            } else {
                let _ = writeln!(s, "\n### Against {}", escape_str(&c.against));
            }
            if c.against_refusing_dialect(a) {
                let _ = writeln!(
                    s,
                    "\nThe server refused a request that {} accepts; {} is a dialect that would refuse it.",
                    a.verifier,
                    escape_str(&c.against)
                );
            }
        }
    }
    comparison_table(s, a, &c);
    true
}

/// The verifier dialect's canonical request and string to sign.
fn canonical_strings(s: &mut String, a: &Analysis) {
    if let Some(d) = a.dialect(a.verifier).filter(|d| !d.unsupported) {
        if let Some(cr) = &d.canonical_request {
            let _ = writeln!(s, "\n**Canonical request ({})**", d.name);
            fenced(s, "", &escape_multiline(cr));
        }
        let _ = writeln!(s, "\n**String to sign ({})**", d.name);
        fenced(s, "", &escape_multiline(&d.string_to_sign));
        if let Some(k) = &a.public_key {
            let verifies = if d.matches == Some(true) {
                "verifies"
            } else {
                "does not verify"
            };
            let _ = writeln!(
                s,
                "\n**Public key (SigV4A, derived from the access key and secret)**: x `{}`, y `{}`; the signature {verifies} with it ({}).",
                k.x, k.y, d.name
            );
        }
    }
}

pub fn to_markdown(x: &Exchange, a: &Analysis) -> String {
    let mut s = String::new();
    title(&mut s, x, a);
    fields(&mut s, x, a);
    if !a.findings.is_empty() || !x.notes.is_empty() {
        let _ = writeln!(s, "\n**Findings**\n");
        for f in x.notes.iter().chain(&a.findings) {
            let _ = writeln!(s, "- `{}`: {}", f.code, escape_str(&f.message));
        }
    }
    request_head(&mut s, &x.request, &a.body_sha256);
    if !comparison(&mut s, x, a) {
        canonical_strings(&mut s, a);
    }
    if let Some(se) = &a.server_expected {
        let _ = writeln!(
            s,
            "\n**The server answered** `{}`{}",
            escape_str(&se.code).replace('`', "'"),
            se.message
                .as_deref()
                .map(|m| format!(": {}", escape_str(m)))
                .unwrap_or_default()
        );
    }
    dialect_table(&mut s, a);
    s.push('\n');
    s
}

/// Every dialect: whether its signature matches, and the rule that rejects the request.
fn dialect_table(s: &mut String, a: &Analysis) {
    if a.dialects.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\n| dialect | signature matches | rejects |\n|---|---|---|"
    );
    for d in &a.dialects {
        let m = match (d.unsupported, d.matches) {
            (true, _) => "n/a",
            (_, Some(true)) => "yes",
            (_, Some(false)) => "no",
            (_, None) => "not checked",
        };
        let _ = writeln!(
            s,
            "| {} | {m} | {} |",
            d.name,
            d.rejects
                .as_ref()
                .map(|r| escape_str(&r.to_string()).replace('|', "\\|"))
                .unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_the_middle_and_say_how_much() {
        let v = format!("{}{}", "a".repeat(300), "SIG".repeat(10));
        let c = cut_middle(&v, 320, 200, 80);
        assert!(c.starts_with(&"a".repeat(200)), "{c}");
        assert!(c.ends_with(&"SIG".repeat(10)), "{c}");
        assert!(c.contains("…(50 characters cut)…"), "{c}");
        assert_eq!(cut_middle("short", 320, 200, 80), "short");
    }

    #[test]
    fn a_fence_outlasts_the_backticks_inside() {
        let mut s = String::new();
        fenced(&mut s, "http", "GET /```x```` HTTP/1.1");
        assert!(s.starts_with("\n`````http\n"), "{s}");
        assert!(s.ends_with("\n`````\n"), "{s}");
        let mut s = String::new();
        fenced(&mut s, "", "plain");
        assert_eq!(s, "\n```\nplain\n```\n");
    }
}

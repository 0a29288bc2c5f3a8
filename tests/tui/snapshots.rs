//! Snapshot tests of the terminal UI (ratatui `TestBackend` + insta): every tab of every auth
//! mode, at 80×24 and 200×50, driven from real fixtures (captures of real clients, real-library
//! vectors, AWS documentation examples). Colour is off, so the snapshots also show that every
//! mark survives without colour; the divergent line's highlight is checked on the cell styles.

use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;

use sigscope::credentials::Credentials;
use sigscope::tui::detail::Tab;
use sigscope::tui::state::{App, Focus};
use sigscope::tui::views;

use crate::app::app_for;
use crate::support::{creds_from_json, load};

fn select(app: &mut App, pos: usize) {
    app.focus = Focus::List;
    for _ in 0..pos {
        app.on_action(sigscope::tui::keymap::Action::Down);
    }
    app.build_detail_now();
}

fn render(app: &mut App, w: u16, h: u16) -> (String, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        s.push_str(line.trim_end());
        s.push('\n');
    }
    (s, buf)
}

struct Case {
    name: &'static str,
    file: &'static str,
    pos: usize,
    creds: fn() -> Credentials,
    dialect: &'static str,
}

fn demo_creds() -> Credentials {
    Credentials::load_file(Path::new("samples/demo.credentials")).unwrap()
}

fn diag_creds() -> Credentials {
    Credentials::load_file(Path::new("tests/diagnosis/credentials")).unwrap()
}

fn post_creds() -> Credentials {
    Credentials::load_file(Path::new("tests/vectors/postpolicy/credentials")).unwrap()
}

fn no_creds() -> Credentials {
    Credentials::default()
}

/// The IAM key pair of the S3 Express capture (its session secrets are learned from it).
fn s3x_creds() -> Credentials {
    Credentials::load_file(Path::new("tests/vectors/s3express/credentials")).unwrap()
}

const CASES: &[Case] = &[
    // The seed case: heat's keystoneclient 0.9.0 answered 403 to a valid boto 2 form POST.
    Case {
        name: "seed-sigv4-header",
        file: "samples/demo.pcap",
        pos: 0,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "seed-keystone-legacy",
        file: "samples/demo.pcap",
        pos: 0,
        creds: demo_creds,
        dialect: "keystone-legacy",
    },
    Case {
        name: "sigv4-header-put",
        file: "samples/demo.pcap",
        pos: 1,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "sigv2-header",
        file: "samples/demo.pcap",
        pos: 2,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "sigv4-query",
        file: "samples/demo.pcap",
        pos: 3,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "query-v2",
        file: "samples/demo.pcap",
        pos: 4,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "anonymous",
        file: "samples/demo.pcap",
        pos: 5,
        creds: demo_creds,
        dialect: "aws",
    },
    Case {
        name: "sigv4-streaming",
        file: "tests/vectors/aws-docs/s3-sigv4-chunked.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/aws-docs/expected.json", "s3-sigv4-chunked"),
        dialect: "aws",
    },
    Case {
        name: "sigv2-query",
        file: "tests/vectors/real/botocore/s3-sigv2-presigned.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/real/botocore/s3-sigv2-presigned.json", ""),
        dialect: "aws",
    },
    Case {
        name: "query-v1",
        file: "tests/vectors/real/boto2/query-v1.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/real/boto2/query-v1.json", ""),
        dialect: "aws",
    },
    // A proxy rewrote Host after botocore signed (both legs captured): position 4 is the leg
    // the server saw.
    Case {
        name: "sigv4-host-rewritten",
        file: "tests/diagnosis/scenarios.pcap",
        pos: 4,
        creds: diag_creds,
        dialect: "aws",
    },
    Case {
        name: "sigv4-wrong-secret",
        file: "tests/diagnosis/scenarios.pcap",
        pos: 2,
        creds: diag_creds,
        dialect: "aws",
    },
    Case {
        name: "sigv4-no-secret",
        file: "samples/demo.pcap",
        pos: 1,
        creds: no_creds,
        dialect: "aws",
    },
    // SigV4A (issue 15): real botocore + awscrt requests; the Signing tab shows the derived
    // public key and the verification instead of the HMAC chain.
    Case {
        name: "sigv4a-header",
        file: "tests/vectors/sigv4a/service-region-list.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/sigv4a/service-region-list.json", ""),
        dialect: "aws",
    },
    Case {
        name: "sigv4a-query",
        file: "tests/vectors/sigv4a/s3-presigned-get.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/sigv4a/s3-presigned-get.json", ""),
        dialect: "aws",
    },
    Case {
        name: "sigv4a-path-encoded-twice",
        file: "tests/vectors/sigv4a/s3-get-object.http",
        pos: 0,
        creds: || creds_from_json("tests/vectors/sigv4a/s3-get-object.json", ""),
        dialect: "aws",
    },
    Case {
        name: "sigv4a-no-secret",
        file: "tests/vectors/sigv4a/s3-presigned-get.http",
        pos: 0,
        creds: no_creds,
        dialect: "aws",
    },
    // Browser uploads (issue 15): real botocore (SigV4) and boto 2 (SigV2) forms; the Policy
    // tab shows each condition's verdict, the Body tab the file part.
    Case {
        name: "post-policy-v4-wrong-key",
        file: "tests/vectors/postpolicy/forms.pcapng",
        pos: 1,
        creds: post_creds,
        dialect: "aws",
    },
    Case {
        name: "post-policy-v2",
        file: "tests/vectors/postpolicy/forms.pcapng",
        pos: 11,
        creds: post_creds,
        dialect: "aws",
    },
    // S3 Express (issue 15): botocore's CreateSession (its answer's secret masked in the
    // Response tab) and a PutObject verified with the session secret learned from it.
    Case {
        name: "s3express-create-session",
        file: "tests/vectors/s3express/session.pcap",
        pos: 0,
        creds: s3x_creds,
        dialect: "aws",
    },
    Case {
        name: "s3express",
        file: "tests/vectors/s3express/session.pcap",
        pos: 1,
        creds: s3x_creds,
        dialect: "aws",
    },
    // GCS (issue 15): curl's GOOG4 PUT refused by `listen --dialect gcs --respond gcs`,
    // diagnosed without the secret from GCS's CanonicalRequest (`,gzip(gfe)`).
    Case {
        name: "goog4-gfe-no-secret",
        file: "tests/vectors/gcs/listen.pcapng",
        pos: 1,
        creds: no_creds,
        dialect: "aws",
    },
    Case {
        name: "basic",
        file: "tests/tui/tokens.http",
        pos: 0,
        creds: no_creds,
        dialect: "aws",
    },
    Case {
        name: "bearer",
        file: "tests/tui/tokens.http",
        pos: 1,
        creds: no_creds,
        dialect: "aws",
    },
    Case {
        name: "x-auth-token",
        file: "tests/tui/tokens.http",
        pos: 2,
        creds: no_creds,
        dialect: "aws",
    },
];

fn slug(t: Tab) -> String {
    t.title().to_lowercase().replace(' ', "-")
}

#[test]
fn every_tab_of_every_mode_at_two_sizes() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let _guard = settings.bind_to_scope();
    for c in CASES {
        let mut app = app_for(load(c.file), (c.creds)(), c.dialect);
        select(&mut app, c.pos);
        let d = app
            .detail
            .model
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no detail", c.name));
        let tabs = d.tabs.clone();
        app.focus = Focus::Detail;
        for tab in tabs {
            app.select_tab(tab);
            for (w, h) in [(80u16, 24u16), (200, 50)] {
                let (text, _) = render(&mut app, w, h);
                insta::assert_snapshot!(format!("{}__{}__{w}x{h}", c.name, slug(tab)), text);
            }
        }
    }
}

/// The seed case under keystone-legacy: the Diff tab marks the canonical query string, the
/// line where the real keystoneclient 0.9.0 put the form parameters.
#[test]
fn seed_diff_marks_the_divergent_line_and_bytes() {
    let mut app = app_for(load("samples/demo.pcap"), demo_creds(), "keystone-legacy");
    app.focus = Focus::Detail;
    app.select_tab(Tab::Diff);
    let d = app.detail.model.as_ref().unwrap();
    assert_eq!(d.diff.step, "canonical request");
    assert_eq!(d.diff.against, "keystone-legacy");
    let first = d.diff.first.expect("a divergent row");
    let row = &d.diff.rows[first];
    // Line 3 is the canonical query string: empty for the client, the form body for the verifier.
    assert_eq!(row.left.as_ref().unwrap().0, 3);
    assert!(row.left.as_ref().unwrap().1.is_empty());
    let (text, buf) = render(&mut app, 200, 50);
    let y = text
        .lines()
        .position(|l| l.contains('▶'))
        .unwrap_or_else(|| panic!("no ▶ marker:\n{text}"));
    let line = text.lines().nth(y).unwrap();
    assert!(
        line.contains("Action=") || line.contains("AWSAccessKeyId"),
        "{line}"
    );
    // The differing bytes are reversed (visible without colour).
    let reversed = (0..200u16)
        .filter(|&x| buf[(x, y as u16)].modifier.contains(Modifier::REVERSED))
        .count();
    assert!(
        reversed > 20,
        "only {reversed} reversed cells on the divergent line"
    );
}

/// Scenario g of tests/diagnosis (a real botocore PUT whose body was changed after signing,
/// answered 400 XAmzContentSHA256Mismatch): the signature verifies, so the verdict stays
/// valid, but the row is marked `VALID·body≠` in the failure style (bold without colour) and
/// the header counts it.
#[test]
fn a_body_that_does_not_match_marks_its_row() {
    let mut app = app_for(load("tests/diagnosis/scenarios.pcap"), diag_creds(), "aws");
    select(&mut app, 12);
    let (text, buf) = render(&mut app, 100, 30);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("list-body-mismatch__100x30", text));
    let y = text
        .lines()
        .position(|l| l.contains("g-payload") || l.contains("ayload.txt"))
        .unwrap_or_else(|| panic!("no row for scenario g:\n{text}"));
    let line = text.lines().nth(y).unwrap();
    assert!(
        line.contains("✓ VALID·body≠") && line.contains("400"),
        "{line}"
    );
    let x = line.chars().position(|c| c == '✓').unwrap() as u16;
    for dx in 0.."✓ VALID·body≠".chars().count() as u16 {
        assert!(
            buf[(x + dx, y as u16)].modifier.contains(Modifier::BOLD),
            "cell {dx} of the mark is not bold"
        );
    }
    assert!(
        text.lines().next().unwrap().contains("✗ 1 body mismatch"),
        "{text}"
    );
}

#[test]
fn too_small_a_terminal_says_so() {
    let mut app = app_for(load("samples/demo.pcap"), demo_creds(), "aws");
    let (text, _) = render(&mut app, 40, 10);
    assert!(text.contains("terminal too small"), "{text}");
    assert!(text.contains("40×10"), "{text}");
}

#[test]
fn hostile_bytes_never_reach_the_screen_raw() {
    let raw = b"GET /\x1b[2J\x1b]52;c;ZXZpbA==\x07evil HTTP/1.1\r\nHost: h\x1b[31m\r\nX-Amz-Meta-A: \xff\xfe\xe2\x80\xae\r\n\r\n";
    let xs = sigscope::ingest::from_raw(raw, "hostile", 0).exchanges;
    let mut app = app_for(xs, no_creds(), "aws");
    for tab in [Tab::Overview, Tab::Headers] {
        app.focus = Focus::Detail;
        app.select_tab(tab);
        let (_, buf) = render(&mut app, 120, 30);
        for cell in buf.content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || c == '\u{202e}'),
                "a control character reached a cell: {:?}",
                cell.symbol()
            );
        }
    }
}

/// The popups over the seed case: the dialect picker marks what each dialect makes of it.
#[test]
fn popups() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let _guard = settings.bind_to_scope();
    let mut app = app_for(load("samples/demo.pcap"), demo_creds(), "aws");
    for (key, name) in [
        ('d', "dialect"),
        ('?', "help"),
        ('e', "export"),
        ('y', "copy"),
        ('K', "secret"),
    ] {
        app.on_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(key),
            crossterm::event::KeyModifiers::NONE,
        ));
        for (w, h) in [(80u16, 24u16), (200, 50)] {
            let (text, _) = render(&mut app, w, h);
            insta::assert_snapshot!(format!("popup-{name}__{w}x{h}"), text);
        }
        app.on_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Esc,
            crossterm::event::KeyModifiers::NONE,
        ));
        assert!(app.overlay.popup.is_none(), "esc closes the {name} popup");
    }
}

/// The help ends with every finding code, its kind and its title: scrolled to the bottom, the
/// last codes of the list are on the screen in plain words.
#[test]
fn help_lists_the_finding_codes() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app_for(load("samples/demo.pcap"), demo_creds(), "aws");
    app.on_key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    // Tall enough for the heading and every code (issue 14 added six, issue 15 eight,
    // then six for browser uploads).
    let (text, _) = render(&mut app, 120, 76);
    assert!(text.contains("Finding codes"), "{text}");
    let last = sigscope::engine::Code::ALL.last().unwrap();
    assert!(text.contains(last.as_str()), "{text}");
    assert!(
        text.contains(&format!("{}: {}", last.kind().as_str(), last.title())),
        "{text}"
    );
}

/// A real botocore unsigned-trailer upload (tests/vectors/payload, issue 14): the Signing tab
/// lists its chunks (no signatures: where each starts) and the trailer; the Body tab shows the
/// decoded payload, and the framing as sent in the other body mode.
#[test]
fn aws_chunked_trailer_upload_lists_chunks_and_decodes_the_body() {
    use sigscope::tui::keymap::Action;
    let creds = Credentials::load_file(Path::new(
        "tests/vectors/payload/botocore-trailers.credentials",
    ))
    .unwrap();
    let mut app = app_for(
        load("tests/vectors/payload/botocore-trailers.pcapng"),
        creds,
        "aws",
    );
    select(&mut app, 0);
    app.focus = Focus::Detail;
    app.select_tab(Tab::Signing);
    let (text, _) = render(&mut app, 200, 50);
    for want in [
        "aws-chunked body (STREAMING-UNSIGNED-PAYLOAD-TRAILER): 4 chunks, 2500 bytes decoded",
        "chunk   0      1000 bytes  at byte 0",
        "chunk   1      1000 bytes  at byte 1007",
        "chunk   2       500 bytes  at byte 2014",
        "chunk   3         0 bytes  at byte 2521",
        "trailer    x-amz-checksum-crc32: lbv4hQ==  at byte 2524",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    app.select_tab(Tab::Body);
    let (text, _) = render(&mut app, 200, 50);
    assert!(text.contains("Request payload: 2500 bytes"), "{text}");
    // The SHA-256 of the body botocore was given (the generator's manifest).
    assert!(
        text.contains("SHA-256 db57918036006718a0a3a8cb986d382f3c2603a553c1895f4204c191d8499b0e"),
        "{text}"
    );
    assert!(!text.contains("3e8"), "{text}");
    app.on_action(Action::BodyMode);
    let (text, _) = render(&mut app, 200, 50);
    assert!(text.contains("Request body: 2557 bytes"), "{text}");
    assert!(text.contains("3e8"), "{text}");
}

/// A browser upload's Policy tab: each condition with its verdict, the uncovered fields, the
/// form's fields and the file; the Body tab shows the file part (issue 15).
#[test]
fn post_policy_tab_says_which_condition_fails() {
    let cases = [
        (
            1,
            "✗ FAILED    [\"starts-with\", \"$key\", \"uploads/\"]",
            "key is `other/hello.txt`, which does not start with `uploads/`",
        ),
        (
            2,
            "✗ FAILED    [\"content-length-range\", 1, 1024]",
            "the file is 2000 bytes, above the range 1 to 1024",
        ),
        (
            4,
            "✗ fields named by no condition (S3 refuses them): x-amz-meta-extra",
            "✓ met       [\"eq\", \"$x-amz-meta-owner\", \"alice\"]",
        ),
        (
            7,
            "EXPIRED when the upload came",
            "✓ met       [\"eq\", \"$bucket\", \"bucket\"]",
        ),
    ];
    for (pos, a, b) in cases {
        let mut app = app_for(
            load("tests/vectors/postpolicy/forms.pcapng"),
            post_creds(),
            "aws",
        );
        select(&mut app, pos);
        app.focus = Focus::Detail;
        app.select_tab(Tab::Policy);
        let (text, _) = render(&mut app, 200, 60);
        assert!(text.contains(a), "#{pos} {a}:\n{text}");
        assert!(text.contains(b), "#{pos} {b}:\n{text}");
        app.select_tab(Tab::Body);
        let (text, _) = render(&mut app, 200, 60);
        assert!(text.contains("File part of the upload form"), "{text}");
        assert!(
            !text.contains("x-amz-signature"),
            "the form fields are not the body: {text}"
        );
    }
}

/// The Response tab of a CreateSession masks the session secret and token it carries.
#[test]
fn the_create_session_answer_is_masked_in_the_response_tab() {
    let mut app = app_for(
        load("tests/vectors/s3express/session.pcap"),
        s3x_creds(),
        "aws",
    );
    select(&mut app, 0);
    app.focus = Focus::Detail;
    app.select_tab(Tab::Response);
    let (text, _) = render(&mut app, 200, 50);
    assert!(text.contains("SecretAccessKey"), "{text}");
    // The session keys of tests/vectors/s3express/gen/s3x_server.py.
    assert!(
        !text.contains("s3xSessionSecret/EXAMPLE+k7MDENG0bPxRfiCY"),
        "{text}"
    );
    assert!(
        !text.contains("S3XSessionTokenEXAMPLE0123456789abcdefABCDEF"),
        "{text}"
    );
}

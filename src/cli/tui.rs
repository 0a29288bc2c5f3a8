//! `sigscope [INPUT...]` on a terminal: the terminal UI over the inputs (or the built-in demo),
//! and the settings it shares with `listen` on a terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use sigscope::capture;
use sigscope::credentials::Credentials;
use sigscope::engine::dialect::Choice;
use sigscope::ingest;
use sigscope::tui;

use super::options::{aws, load_credentials, parse_size, ReportOpts, DEFAULT_BODY_CAP};

/// The demo capture, built in so that `sigscope` alone shows the product.
const DEMO_PCAP: &[u8] = include_bytes!("../../samples/demo.pcap");
const DEMO_CREDENTIALS: &str = include_str!("../../samples/demo.credentials");

/// The UI's settings from the command line and the config file; config problems become
/// notices on the status line, not failures.
pub struct TuiSetup {
    file: tui::config::ConfigFile,
    /// The config file's path (given or default), beside which the filter history is kept.
    config_path: Option<std::path::PathBuf>,
    pub notices: Vec<String>,
    verifier: Choice,
    pub body_cap: usize,
}

impl TuiSetup {
    pub fn new(opts: &ReportOpts) -> TuiSetup {
        let env = |k: &str| std::env::var(k).ok();
        let config_path = opts
            .config
            .clone()
            .or_else(|| tui::config::default_path(env));
        let (file, mut notices) = match &config_path {
            Some(p) => tui::config::load(p, opts.config.is_some()),
            None => Default::default(),
        };
        // `--dialect` is checked by clap; the config file's dialect only here.
        let verifier = match (opts.dialect, &file.dialect) {
            (Some(d), _) => d,
            (None, Some(name)) => Choice::parse(name).unwrap_or_else(|| {
                notices.push(format!("config: unknown dialect `{name}`; using aws"));
                Choice::Dialect(aws())
            }),
            (None, None) => Choice::Dialect(aws()),
        };
        let body_cap = match (opts.body_cap, &file.body_cap) {
            (Some(c), _) => c,
            (None, Some(s)) => parse_size(s).unwrap_or_else(|e| {
                notices.push(format!("config body_cap: {e}"));
                DEFAULT_BODY_CAP
            }),
            (None, None) => DEFAULT_BODY_CAP,
        };
        TuiSetup {
            file,
            config_path,
            notices,
            verifier,
            body_cap,
        }
    }

    pub fn options(mut self, opts: &ReportOpts, creds: Credentials) -> tui::Options {
        self.notices
            .extend(creds.warnings.iter().map(|w| format!("credentials: {w}")));
        let color = !opts.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let theme = tui::config::Theme::new(&self.file.theme, color, &mut self.notices);
        let (keymap, problems) = tui::keymap::Keymap::with_overrides(&self.file.keys);
        self.notices.extend(problems);
        let history_file = self
            .config_path
            .as_deref()
            .and_then(tui::history::path_beside);
        tui::Options {
            dialect: self.verifier,
            keys: tui::analysis::TuiKeys {
                file: creds,
                entered: Default::default(),
            },
            reveal_keys: opts.reveal_derived_keys,
            theme,
            keymap,
            mask_keys: self.file.mask_access_keys.unwrap_or(false),
            notices: self.notices,
            timings: opts.timings.clone(),
            history: history_file
                .as_deref()
                .map(tui::history::load)
                .unwrap_or_default(),
            history_file,
            save_replay: None,
        }
    }
}

pub fn run(inputs: &[PathBuf], opts: &ReportOpts) -> Result<ExitCode> {
    // A missing, unreadable or unrecognised input is said before the UI takes the terminal;
    // the UI opens on the others, or not at all when none is left.
    let mut unreadable = Vec::new();
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .filter(|p| match ingest::probe(p) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("sigscope: {}", sigscope::escape::escape_str(&e));
                unreadable.push(format!("{e} (skipped)"));
                false
            }
        })
        .cloned()
        .collect();
    if inputs.is_empty() && !unreadable.is_empty() {
        return Ok(ExitCode::from(2));
    }
    let inputs = &inputs[..];
    let mut setup = TuiSetup::new(opts);
    setup.notices.extend(unreadable);
    let body_cap = setup.body_cap;
    let mut creds = load_credentials(inputs, opts, true)?;
    let sources: Vec<tui::Source> = if inputs.is_empty() {
        creds.merge(Credentials::parse(DEMO_CREDENTIALS));
        setup.notices.push(
            "no input given: showing the built-in demo capture (samples/demo.pcap) with its test keys"
                .into(),
        );
        vec![tui::Source::Embedded {
            name: "demo.pcap (built in)".into(),
            data: DEMO_PCAP,
        }]
    } else {
        inputs.iter().cloned().map(tui::Source::Path).collect()
    };
    let labels = sources.iter().map(|s| s.name()).collect();
    let topts = setup.options(opts, creds);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (tx, rx) = sigscope::feed::channel();
    let copts = capture::Options {
        body_cap,
        keylog: opts.keylog()?,
        ..Default::default()
    };
    let _loader = tui::spawn_loader(sources, copts, tx);
    rt.block_on(tui::run(topts, labels, None, rx))?;
    // The reader may still be going through a huge file; the process ends here all the same.
    rt.shutdown_background();
    Ok(ExitCode::SUCCESS)
}

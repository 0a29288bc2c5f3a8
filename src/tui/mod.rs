//! The interactive terminal UI: an event loop (this file) around an app state (`state`), views
//! that draw it (`views`), key bindings (`keymap`) and the config file (`config`). Reading
//! inputs, verifying and building the detail run on other threads and reach the loop through
//! channels; the loop never blocks on them.

pub mod analysis;
pub mod config;
pub mod detail;
pub mod export;
pub mod filter;
pub mod input;
pub mod keymap;
pub mod row;
pub mod state;
pub mod text;
pub mod views;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use crossterm::event::{Event, EventStream};
use crossterm::{cursor, execute, terminal};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::exchange::Exchange;
use crate::feed::{FeedEvent, FeedReceiver, FeedSender};
use analysis::{Pool, Settings, TuiKeys};
use detail::DetailModel;
use state::{App, Effect, ExportKind};

/// Where exchanges come from when the UI reads files.
#[derive(Clone, Debug)]
pub enum Source {
    Path(PathBuf),
    /// Bytes built into the binary (the demo capture), with the name shown.
    Embedded {
        name: String,
        data: &'static [u8],
    },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Embedded { name, .. } => name.clone(),
        }
    }
}

pub struct Options {
    pub dialect: &'static crate::engine::Dialect,
    pub keys: TuiKeys,
    pub reveal_keys: bool,
    pub theme: config::Theme,
    pub keymap: keymap::Keymap,
    pub mask_keys: bool,
    /// Problems with the config file, shown on the status line.
    pub notices: Vec<String>,
    /// Write key-to-frame timings here as JSON when the UI exits (benchmarks).
    pub timings: Option<PathBuf>,
}

/// Background threads yield to the UI thread: on a busy machine a key press is served first.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    // SAFETY: setpriority on the calling thread (who = 0 is the caller's thread id on Linux);
    // failure only leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Reads the inputs on a thread of its own, sending each exchange as soon as it is complete.
pub fn spawn_loader(
    sources: Vec<Source>,
    copts: crate::capture::Options,
    tx: FeedSender,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("sigscope-read".into())
        .spawn(move || {
            lower_thread_priority();
            let mut total = 0usize;
            for src in sources {
                let name = src.name();
                let ptx = tx.clone();
                let pname = name.clone();
                let mut opts = copts.clone();
                opts.progress = Some(Arc::new(move |read, size| {
                    let _ = ptx.send(FeedEvent::Progress {
                        input: pname.clone(),
                        read,
                        size,
                    });
                }));
                let _ = tx.send(FeedEvent::Progress {
                    input: name.clone(),
                    read: 0,
                    size: 0,
                });
                let mut sink = |x: Exchange| {
                    let _ = tx.send(FeedEvent::Exchange(Box::new(x)));
                };
                let summary = match &src {
                    Source::Path(p) => crate::input::stream_path(p, total, &opts, &mut sink),
                    Source::Embedded { data, .. } => {
                        crate::input::stream_bytes(data, &name, total, &opts, &mut sink)
                    }
                };
                total += summary.exchanges;
                if let Some(stats) = &summary.capture {
                    let _ = tx.send(FeedEvent::Notice(format!("{name}: {}", stats.summary())));
                }
                let errors = !summary.errors.is_empty();
                for e in summary.errors {
                    let _ = tx.send(FeedEvent::Notice(e));
                }
                if summary.exchanges == 0 && summary.capture.is_none() && !errors {
                    let _ = tx.send(FeedEvent::Notice(format!("{name}: no HTTP requests found")));
                }
            }
            let _ = tx.send(FeedEvent::Done);
        })
        .expect("spawn the reader thread")
}

/// Puts the terminal back: on exit, on panic, before suspending.
fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

fn enter_terminal() -> Result<()> {
    terminal::enable_raw_mode().context("the terminal refused raw mode")?;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        crossterm::event::EnableMouseCapture,
        cursor::Hide
    )?;
    Ok(())
}

/// Runs the UI over a feed (files being read, or a live listener) until the user quits.
pub async fn run(
    opts: Options,
    sources_label: Vec<String>,
    live: Option<String>,
    mut feed: FeedReceiver,
) -> Result<()> {
    let started = Instant::now();
    let settings = Settings::new(0, opts.dialect, Arc::new(opts.keys), opts.reveal_keys);
    let mut app = App::new(settings, opts.keymap, opts.theme);
    app.started = started;
    app.mask_keys = opts.mask_keys;
    app.loading.inputs = sources_label;
    app.loading.live = live;
    for n in opts.notices {
        app.notice(n);
    }
    let (rows_tx, mut rows_rx) = tokio::sync::mpsc::unbounded_channel();
    // One core stays with the UI and the reader.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .clamp(1, 8);
    app.pool = Some(Pool::new(workers, app.store.clone(), rows_tx));
    let (detail_tx, mut detail_rx) = tokio::sync::mpsc::unbounded_channel::<DetailModel>();
    let (status_tx, mut status_rx) = tokio::sync::mpsc::unbounded_channel::<String>();

    // The UI runs on this thread: a panic here restores the terminal before the message is
    // printed. A panic on a worker (one exchange's analysis, a detail being built) is contained
    // there and logged; printing it would scribble over the UI.
    let ui_thread = std::thread::current().id();
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore_terminal();
            prev_hook(info);
        } else {
            tracing::error!(panic = %crate::escape::escape_str(&info.to_string()), "worker panicked");
        }
    }));
    enter_terminal()?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut dirty = true;
    let mut timings = Timings::default();
    let mut key_at: Option<Instant> = None;
    let mut feed_open = true;
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Stopped from outside (kill -STOP, a job-control stop) and continued: the shell may have
    // reset the terminal meanwhile, so take it again and redraw everything.
    #[cfg(unix)]
    let mut sigcont =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGCONT))?;
    let result: Result<()> = loop {
        if dirty {
            if let Err(e) = term.draw(|f| views::draw(f, &mut app)) {
                break Err(e.into());
            }
            dirty = false;
            if timings.first_frame.is_none() {
                timings.first_frame = Some(started.elapsed());
                tracing::info!(ms = started.elapsed().as_secs_f64() * 1e3, "first frame");
            }
            if let Some(k) = key_at.take() {
                let loading = !(app.loading.done && app.analysed() >= app.total());
                timings.keys.push((k.elapsed(), loading));
            }
        }
        for e in std::mem::take(&mut app.effects) {
            match e {
                Effect::BuildDetail { id, settings } => {
                    if let Some(item) = app.store.get(id) {
                        let (tx, o, th) = (detail_tx.clone(), app.opts.clone(), app.theme.clone());
                        let stx = status_tx.clone();
                        tokio::task::spawn_blocking(move || {
                            let built =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    DetailModel::build(id, item, &settings, o, &th)
                                }));
                            match built {
                                Ok(d) => {
                                    let _ = tx.send(d);
                                }
                                Err(_) => {
                                    let _ = stx.send(format!(
                                        "internal error while analysing exchange {id} (see --log); please report it"
                                    ));
                                }
                            }
                        });
                    }
                }
                Effect::Clipboard(seq) => {
                    let w = term.backend_mut();
                    let _ = w.write_all(seq.as_bytes()).and_then(|_| w.flush());
                }
                Effect::Export {
                    kind,
                    path,
                    ids,
                    settings,
                } => {
                    let (store, tx) = (app.store.clone(), status_tx.clone());
                    tokio::task::spawn_blocking(move || {
                        let msg = match export_to_file(kind, &path, &ids, &store, &settings) {
                            Ok(n) => format!("wrote {n} bytes to {}", path.display()),
                            Err(e) => format!("export failed: {e:#}"),
                        };
                        let _ = tx.send(msg);
                    });
                }
                Effect::Suspend => {
                    restore_terminal();
                    #[cfg(unix)]
                    #[allow(unsafe_code)]
                    // SAFETY: raising a signal on our own process; execution resumes on SIGCONT.
                    unsafe {
                        libc::raise(libc::SIGTSTP);
                    }
                    if let Err(e) = enter_terminal() {
                        app.quit = true;
                        app.status = Some(format!("{e:#}"));
                    }
                    let _ = term.clear();
                    dirty = true;
                }
            }
        }
        if app.quit {
            break Ok(());
        }
        if app.filter_pending() {
            app.advance_filter(state::FILTER_SLICE);
            dirty = true;
        }
        #[cfg(unix)]
        let (term_signal, cont_signal) = (sigterm.recv(), sigcont.recv());
        #[cfg(not(unix))]
        let (term_signal, cont_signal) = (
            std::future::pending::<Option<()>>(),
            std::future::pending::<Option<()>>(),
        );
        tokio::select! {
            biased;
            ev = events.next() => {
                match ev {
                    Some(Ok(Event::Key(k))) => { key_at.get_or_insert_with(Instant::now); app.on_key(k); }
                    Some(Ok(Event::Mouse(m))) => app.on_mouse(m),
                    Some(Ok(Event::Resize(..))) => {}
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break Err(e.into()),
                    None => break Ok(()),
                }
                dirty = true;
            }
            _ = term_signal => { break Ok(()); }
            _ = cont_signal => {
                if enter_terminal().is_ok() {
                    let _ = term.clear();
                }
                dirty = true;
            }
            Some(d) = detail_rx.recv() => { app.detail_done(d); dirty = true; }
            Some(s) = status_rx.recv() => { app.status = Some(s); dirty = true; }
            ev = feed.recv(), if feed_open => {
                let Some(ev) = ev else { feed_open = false; app.loading.done = true; dirty = true; continue; };
                // Take what is already queued, for at most a few milliseconds, then draw.
                let until = Instant::now() + Duration::from_millis(2);
                let mut batch = Vec::new();
                let mut next = Some(ev);
                while let Some(ev) = next.take() {
                    match ev {
                        FeedEvent::Exchange(x) => batch.push(*x),
                        FeedEvent::Progress { input, read, size } => {
                            app.loading.current = input;
                            app.loading.read = read;
                            app.loading.size = size;
                        }
                        FeedEvent::Notice(n) => { tracing::info!(notice = %crate::escape::escape_str(&n)); app.notice(n) }
                        FeedEvent::Done => { app.loading.done = true; }
                    }
                    // Bounded, so a key press never waits behind a long ingest.
                    if batch.len() < 1024 && Instant::now() < until {
                        next = feed.try_recv().ok();
                    }
                }
                app.ingest(batch);
                dirty = true;
            }
            Some(d) = rows_rx.recv() => {
                app.rows_done(d);
                let until = Instant::now() + Duration::from_millis(2);
                while Instant::now() < until {
                    match rows_rx.try_recv() { Ok(d) => app.rows_done(d), Err(_) => break }
                }
                dirty = true;
            }
            _ = std::future::ready(()), if app.filter_pending() => {}
            _ = tick.tick() => {}
        }
    };
    restore_terminal();
    let _ = std::panic::take_hook();
    drop(app);
    timings.report(opts.timings.as_deref());
    result
}

#[derive(Default)]
struct Timings {
    first_frame: Option<Duration>,
    /// Key press to the frame that shows its effect, and whether input was still being read or
    /// verified then.
    keys: Vec<(Duration, bool)>,
}

fn quantiles(mut v: Vec<Duration>) -> serde_json::Value {
    v.sort();
    let q = |p: f64| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
    };
    serde_json::json!({"n": v.len(), "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1.0)})
}

impl Timings {
    fn report(self, path: Option<&std::path::Path>) {
        let busy = self.keys.iter().filter(|k| k.1).map(|k| k.0).collect();
        let idle = self.keys.iter().filter(|k| !k.1).map(|k| k.0).collect();
        let json = serde_json::json!({
            "first_frame_ms": self.first_frame.map(|d| d.as_secs_f64() * 1e3),
            "key_to_frame_while_loading": quantiles(busy),
            "key_to_frame_after": quantiles(idle),
        });
        tracing::info!(%json, "timings");
        if let Some(p) = path {
            let _ = std::fs::write(p, format!("{json}\n"));
        }
    }
}

/// Writes an export; returns the bytes written. Secrets are never part of it.
pub fn export_to_file(
    kind: ExportKind,
    path: &std::path::Path,
    ids: &[usize],
    store: &analysis::Store,
    settings: &Settings,
) -> Result<usize> {
    let items: Vec<_> = ids.iter().filter_map(|&i| store.get(i)).collect();
    anyhow::ensure!(!items.is_empty(), "nothing to export");
    let data: Vec<u8> = match kind {
        ExportKind::Markdown => {
            let it = &items[0];
            export::markdown(&it.x, &settings.analyze(it)).into_bytes()
        }
        ExportKind::Curl => {
            let it = &items[0];
            // A body too large to inline goes beside the command, which reads it by name.
            if let Some(body) = export::body_file(&it.x) {
                let side = path.with_file_name(export::BODY_FILE);
                std::fs::write(&side, body)
                    .with_context(|| format!("writing {}", side.display()))?;
            }
            let mut s = export::curl(&it.x, Some(&settings.analyze(it)));
            s.push('\n');
            s.into_bytes()
        }
        ExportKind::RawHttp => export::raw_http(&items[0].x),
        ExportKind::Har => {
            let analyses: Vec<_> = items.iter().map(|it| settings.analyze(it)).collect();
            let pairs: Vec<_> = items
                .iter()
                .zip(&analyses)
                .map(|(it, a)| (&it.x, Some(a)))
                .collect();
            export::har(&pairs).into_bytes()
        }
        ExportKind::Json => {
            let mut out = String::new();
            for it in &items {
                out.push_str(&export::json(&it.x, &settings.analyze(it)));
                out.push('\n');
            }
            out.into_bytes()
        }
    };
    std::fs::write(path, &data).with_context(|| format!("writing {}", path.display()))?;
    Ok(data.len())
}

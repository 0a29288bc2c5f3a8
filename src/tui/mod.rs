//! The interactive terminal UI: an event loop (this file) around an app state (`state`), views
//! that draw it (`views`), key bindings (`keymap`) and the config file (`config`). Reading
//! inputs, verifying and building the detail run on other threads and reach the loop through
//! channels; the loop never blocks on them. The terminal is taken and given back by a guard
//! (`terminal`); the inputs are read by `loader`.

pub mod analysis;
pub mod config;
pub mod detail;
pub mod edit;
pub mod export;
pub mod filter;
pub mod history;
pub mod input;
pub mod keymap;
mod loader;
pub mod replay;
pub mod row;
pub mod state;
mod terminal;
pub mod text;
mod timings;
pub mod views;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::feed::{FeedEvent, FeedReceiver};
use analysis::{Pool, RowsDone, Settings, TuiKeys};
use detail::DetailModel;
use state::{App, Effect, ExportKind};
use terminal::TerminalGuard;
use timings::Timings;

pub use loader::{lower_thread_priority, spawn_loader, Source};

pub struct Options {
    pub dialect: crate::engine::dialect::Choice,
    pub keys: TuiKeys,
    pub reveal_keys: bool,
    pub theme: config::Theme,
    pub keymap: keymap::Keymap,
    pub mask_keys: bool,
    /// Problems with the config file, shown on the status line.
    pub notices: Vec<String>,
    /// Write key-to-frame timings here as JSON when the UI exits (benchmarks).
    pub timings: Option<PathBuf>,
    /// The filter history read at start, and where it is kept (`None`: this session only).
    pub history: Vec<String>,
    pub history_file: Option<PathBuf>,
    /// Keeps each replay with the session (`listen --save`; issue 17); whether it did.
    pub save_replay: Option<SaveReplay>,
}

/// What keeps a replay with the session ([`Options::save_replay`]).
pub type SaveReplay = Box<dyn Fn(&crate::exchange::Exchange) -> bool + Send>;

/// Runs the UI over a feed (files being read, or a live listener) until the user quits.
pub async fn run(
    opts: Options,
    sources_label: Vec<String>,
    live: Option<String>,
    feed: FeedReceiver,
) -> Result<()> {
    let started = Instant::now();
    let timings_path = opts.timings.clone();
    let mut opts = opts;
    let save_replay = opts.save_replay.take();
    let (mut app, rows_rx) = new_app(opts, sources_label, live, started);
    let mut timings = Timings::default();
    let mut term = TerminalGuard::enter()?;
    let inputs = Inputs {
        feed,
        rows: rows_rx,
        save_replay,
    };
    let result = event_loop(&mut app, &mut term, inputs, &mut timings, started).await;
    drop(term);
    drop(app);
    timings.report(timings_path.as_deref());
    result
}

/// The app, with its verification workers started.
fn new_app(
    opts: Options,
    sources_label: Vec<String>,
    live: Option<String>,
    started: Instant,
) -> (App, UnboundedReceiver<RowsDone>) {
    let settings = Settings::new(0, opts.dialect, Arc::new(opts.keys), opts.reveal_keys);
    let mut app = App::new(settings, opts.keymap, opts.theme);
    app.chrome.started = started;
    app.chrome.tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    app.view.mask_keys = opts.mask_keys;
    app.filter.history = opts.history;
    app.chrome.history_file = opts.history_file;
    app.verify.loading.inputs = sources_label;
    app.verify.loading.live = live;
    for n in opts.notices {
        app.notice(n);
    }
    let (rows_tx, rows_rx) = tokio::sync::mpsc::unbounded_channel();
    // One core stays with the UI and the reader.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .saturating_sub(1)
        .clamp(1, 8);
    app.verify.pool = Some(Pool::new(workers, app.store.clone(), rows_tx));
    (app, rows_rx)
}

/// What the loop reads besides the terminal: the feed, the verification results, and where
/// replays are kept.
struct Inputs {
    feed: FeedReceiver,
    rows: UnboundedReceiver<RowsDone>,
    save_replay: Option<SaveReplay>,
}

/// Where work done off the UI thread reports back to the loop.
struct Replies {
    detail: UnboundedSender<DetailModel>,
    status: UnboundedSender<String>,
    /// Questions for the user (an export found its file there).
    ask: UnboundedSender<state::Confirm>,
    /// Replays' results (issue 17), added to the list as new exchanges.
    replayed: UnboundedSender<crate::exchange::Exchange>,
}

/// Draws when something changed, performs the app's effects, then waits for the next key,
/// exchange, verification result, built detail or signal.
async fn event_loop(
    app: &mut App,
    term: &mut TerminalGuard,
    inputs: Inputs,
    timings: &mut Timings,
    started: Instant,
) -> Result<()> {
    let Inputs {
        mut feed,
        rows: mut rows_rx,
        save_replay,
    } = inputs;
    let (detail_tx, mut detail_rx) = tokio::sync::mpsc::unbounded_channel::<DetailModel>();
    let (status_tx, mut status_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (ask_tx, mut ask_rx) = tokio::sync::mpsc::unbounded_channel::<state::Confirm>();
    let (replayed_tx, mut replayed_rx) =
        tokio::sync::mpsc::unbounded_channel::<crate::exchange::Exchange>();
    let replies = Replies {
        detail: detail_tx,
        status: status_tx,
        ask: ask_tx,
        replayed: replayed_tx,
    };
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut dirty = true;
    let mut key_at: Option<Instant> = None;
    let mut feed_open = true;
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Stopped from outside (kill -STOP, a job-control stop) and continued: the shell may have
    // reset the terminal meanwhile, so take it again and redraw everything.
    #[cfg(unix)]
    let mut sigcont =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGCONT))?;
    loop {
        if dirty {
            term.term.draw(|f| views::draw(f, app))?;
            dirty = false;
            timings.frame_drawn(app, started, &mut key_at);
        }
        for e in std::mem::take(&mut app.effects) {
            if let Effect::Edit { id } = e {
                // The editor reads the terminal: the event stream's reader thread must not
                // (dropping the stream stops it), and a new one takes over afterwards.
                drop(events);
                let edited = edit_in_editor(app, term, id);
                events = EventStream::new();
                app.edited(id, edited);
                dirty = true;
                continue;
            }
            dirty |= perform(e, app, term, &replies);
        }
        if app.quit {
            return Ok(());
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
                    Some(Err(e)) => return Err(e.into()),
                    None => return Ok(()),
                }
                dirty = true;
            }
            _ = term_signal => { return Ok(()); }
            _ = cont_signal => { term.retake(); dirty = true; }
            Some(d) = detail_rx.recv() => { app.detail_done(d); dirty = true; }
            Some(s) = status_rx.recv() => { app.overlay.status = Some(s); dirty = true; }
            Some(c) = ask_rx.recv() => { app.ask(c); dirty = true; }
            Some(mut x) = replayed_rx.recv() => {
                // Numbered after everything listed so far; its source names the original.
                x.index = app.store.len();
                let saved = save_replay.as_ref().is_some_and(|save| save(&x));
                app.overlay.status = Some(format!("{}: {}{}", crate::escape::escape_str(&x.source), x.response.as_ref().map_or(0, |r| r.status), if saved { " (saved with the session)" } else { "" }));
                app.ingest(vec![x]);
                dirty = true;
            }
            ev = feed.recv(), if feed_open => {
                match ev {
                    Some(ev) => take_feed(app, ev, &mut feed),
                    None => { feed_open = false; app.verify.loading.done = true; }
                }
                dirty = true;
            }
            Some(d) = rows_rx.recv() => { take_rows(app, d, &mut rows_rx); dirty = true; }
            _ = std::future::ready(()), if app.filter_pending() => {}
            _ = tick.tick() => {}
        }
    }
}

/// Does what the app queued for the loop; whether the screen must be drawn again.
fn perform(e: Effect, app: &mut App, term: &mut TerminalGuard, replies: &Replies) -> bool {
    match e {
        Effect::BuildDetail { id, settings } => {
            if let Some(item) = app.store.get(id) {
                let (tx, o, th) = (
                    replies.detail.clone(),
                    app.view.opts.clone(),
                    app.chrome.theme.clone(),
                );
                let stx = replies.status.clone();
                tokio::task::spawn_blocking(move || {
                    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
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
            let w = term.term.backend_mut();
            let _ = w.write_all(seq.as_bytes()).and_then(|_| w.flush());
        }
        Effect::SaveHistory { path, history } => {
            let tx = replies.status.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = history::save(&path, &history) {
                    let _ = tx.send(format!(
                        "filter history not saved to {}: {e}",
                        path.display()
                    ));
                }
            });
        }
        Effect::TmuxBuffer { text, osc52_sent } => {
            let tx = replies.status.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(export::tmux_copy(&text, osc52_sent, None));
            });
        }
        Effect::Export {
            kind,
            path,
            ids,
            settings,
            overwrite,
        } => {
            let (store, tx) = (app.store.clone(), replies.status.clone());
            let ask = replies.ask.clone();
            tokio::task::spawn_blocking(move || {
                let msg = match export_to_file(kind, &path, &ids, &store, &settings, overwrite) {
                    Ok(n) => format!("wrote {n} bytes to {}", path.display()),
                    Err(e) if export::file_exists(&e) => {
                        let existing = export::existing_path(&e).unwrap_or_else(|| path.clone());
                        let _ = ask.send(state::Confirm::Overwrite {
                            kind,
                            path,
                            ids,
                            existing,
                        });
                        return;
                    }
                    Err(e) => format!("export failed: {e:#}"),
                };
                let _ = tx.send(msg);
            });
        }
        Effect::Replay {
            id,
            resign,
            edited,
            settings,
        } => {
            if let Some(item) = app.store.get(id) {
                let (tx, stx) = (replies.replayed.clone(), replies.status.clone());
                tokio::task::spawn_blocking(move || {
                    let t = crate::replay::Transport::default();
                    let plan = replay::Plan {
                        resign: resign.and_then(crate::engine::dialect::by_name),
                        edited: edited.map(|r| *r),
                    };
                    match replay::replay_exchange(&item.x, plan, settings.keys.as_ref(), &t) {
                        Ok(x) => {
                            let _ = tx.send(x);
                        }
                        Err(e) => {
                            let _ = stx.send(format!("replay of #{}: {e}", item.x.index));
                        }
                    }
                });
            }
        }
        // Run by the loop itself, which owns the event stream.
        Effect::Edit { .. } => {}
        Effect::Suspend => {
            if let Err(e) = term.suspend() {
                app.quit = true;
                app.overlay.status = Some(format!("{e:#}"));
            }
            return true;
        }
    }
    false
}

/// `E`: exchange `id`'s request, its secrets masked, in the user's editor with the terminal
/// given back meanwhile (as Ctrl-Z does); the request read back with the masks left alone
/// restored ([`edit::restore`]), or why it could not be.
fn edit_in_editor(
    app: &App,
    term: &mut TerminalGuard,
    id: usize,
) -> Result<crate::http::Request, String> {
    let item = app.store.get(id).ok_or("the exchange is gone")?;
    let masked = edit::masked(&item.x.request);
    let mut file = tempfile::Builder::new()
        .prefix("sigscope-edit-")
        .suffix(".http")
        .tempfile()
        .map_err(|e| format!("could not write the request for the editor ({e})"))?;
    file.write_all(&masked.text)
        .and_then(|()| file.flush())
        .map_err(|e| format!("could not write the request for the editor ({e})"))?;
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let run = || edit::run_editor(file.path());
    let ran = term.outside(|| {
        if multi {
            tokio::task::block_in_place(run)
        } else {
            run()
        }
    });
    ran?;
    let text = std::fs::read(file.path())
        .map_err(|e| format!("could not read the edited request back ({e})"))?;
    edit::restore(&text, &masked, &item.x.request).map_err(|e| e.to_string())
}

/// An event of the feed, and what is already queued behind it: taken for at most a few
/// milliseconds and 1024 exchanges, so a key press never waits behind a long ingest.
fn take_feed(app: &mut App, ev: FeedEvent, feed: &mut FeedReceiver) {
    let until = Instant::now() + Duration::from_millis(2);
    let mut batch = Vec::new();
    let mut next = Some(ev);
    while let Some(ev) = next.take() {
        match ev {
            FeedEvent::Exchange(x) => batch.push(*x),
            FeedEvent::Progress { input, read, size } => {
                app.verify.loading.current = input;
                app.verify.loading.read = read;
                app.verify.loading.size = size;
            }
            FeedEvent::Notice(n) => {
                tracing::info!(notice = %crate::escape::escape_str(&n));
                app.notice(n)
            }
            FeedEvent::Status(s) => app.verify.loading.live = Some(s),
            FeedEvent::Done => {
                app.verify.loading.done = true;
            }
        }
        if batch.len() < 1024 && Instant::now() < until {
            next = feed.try_recv().ok();
        }
    }
    app.ingest(batch);
}

/// Verification results, and those already queued behind them for at most a few milliseconds.
fn take_rows(app: &mut App, d: RowsDone, rows: &mut UnboundedReceiver<RowsDone>) {
    app.rows_done(d);
    let until = Instant::now() + Duration::from_millis(2);
    while Instant::now() < until {
        match rows.try_recv() {
            Ok(d) => app.rows_done(d),
            Err(_) => break,
        }
    }
}

/// Writes an export; returns the bytes written. Secrets are never part of it. Unless
/// `overwrite`, a file already at `path` is left alone and the error says so
/// ([`export::file_exists`]).
pub fn export_to_file(
    kind: ExportKind,
    path: &std::path::Path,
    ids: &[usize],
    store: &analysis::Store,
    settings: &Settings,
    overwrite: bool,
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
            // A body too large to inline goes beside the command, which reads it by name; a
            // body file already there is not overwritten without asking either.
            if let Some(body) = export::body_file(&it.x) {
                let side = path.with_file_name(export::BODY_FILE);
                if !overwrite && side.exists() {
                    return Err(export::Exists(side).into());
                }
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
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .create_new(!overwrite)
        .truncate(true)
        .open(path)
    {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(export::Exists(path.to_path_buf()).into())
        }
        r => r.with_context(|| format!("writing {}", path.display()))?,
    };
    file.write_all(&data)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(data.len())
}

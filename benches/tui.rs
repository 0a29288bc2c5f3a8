//! The terminal UI with 1,000,000 exchanges: what one key press costs on the UI thread (the
//! state update plus drawing the frame it causes, at 200×50), what a first frame costs, what
//! applying a filter over everything costs, and how much memory an exchange takes.
//!
//!     cargo bench --bench tui
//!
//! The exchanges are the six of samples/demo.pcap (real clients), repeated with their own
//! indices; their rows are verified once per distinct request and copied, as identical
//! requests verify identically. `bench/tui/run.sh` measures the real binary on a generated
//! 1M-request capture (first frame, key to frame while loading and after, peak memory).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use sigscope::credentials::Credentials;
use sigscope::engine::dialect;
use sigscope::exchange::Exchange;
use sigscope::tui::analysis::{RowsDone, Settings, TuiKeys};
use sigscope::tui::config::Theme;
use sigscope::tui::keymap::Keymap;
use sigscope::tui::row::RowInfo;
use sigscope::tui::state::App;
use sigscope::tui::views;

const N: usize = 1_000_000;

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn demo() -> Vec<Exchange> {
    let mut v = Vec::new();
    sigscope::ingest::stream_path(
        Path::new("samples/demo.pcap"),
        0,
        &Default::default(),
        &mut |x| v.push(x),
    );
    v
}

fn settings() -> Settings {
    let keys = Arc::new(TuiKeys {
        file: Credentials::load_file(Path::new("samples/demo.credentials")).unwrap(),
        entered: Default::default(),
    });
    Settings::new(0, dialect::by_name("aws").unwrap(), keys, false)
}

fn big_app() -> App {
    let base = demo();
    let s = settings();
    let rows: Vec<RowInfo> = base
        .iter()
        .map(|x| {
            let item = sigscope::tui::analysis::Item {
                x: x.clone(),
                earlier: None,
                hosts: Default::default(),
                multipart: None,
                sessions: Default::default(),
            };
            RowInfo::from_analysis(x, &s.analyze(&item))
        })
        .collect();
    let mut app = App::new(
        s,
        Keymap::default(),
        Theme::new(&Default::default(), true, &mut Vec::new()),
    );
    let before = rss_bytes();
    let mut i = 0;
    while i < N {
        let batch: Vec<Exchange> = (i..(i + 2048).min(N))
            .map(|k| {
                let mut x = base[k % base.len()].clone();
                x.index = k;
                x
            })
            .collect();
        let n = batch.len();
        app.ingest(batch);
        app.rows_done(RowsDone {
            gen: 0,
            start: i,
            rows: (i..i + n).map(|k| rows[k % rows.len()].clone()).collect(),
        });
        i += n;
    }
    let after = rss_bytes();
    eprintln!(
        "memory: {} exchanges held, {:.0} bytes each (RSS {} MiB → {} MiB)",
        N,
        (after - before) as f64 / N as f64,
        before >> 20,
        after >> 20
    );
    app.effects.clear();
    app.verify.loading.done = true;
    app
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn bench(c: &mut Criterion) {
    let mut app = big_app();
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    term.draw(|f| views::draw(f, &mut app)).unwrap();
    let mut g = c.benchmark_group("tui-1M");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("first frame (1M exchanges held), 200x50", |b| {
        b.iter(|| {
            term.clear().unwrap();
            term.draw(|f| views::draw(f, &mut app)).unwrap();
        })
    });
    g.bench_function("key j + frame, 200x50", |b| {
        b.iter(|| {
            app.on_key(key('j'));
            app.effects.clear();
            term.draw(|f| views::draw(f, &mut app)).unwrap();
        })
    });
    g.bench_function("key G then g + frames, 200x50", |b| {
        b.iter(|| {
            app.on_key(key('G'));
            term.draw(|f| views::draw(f, &mut app)).unwrap();
            app.on_key(key('g'));
            app.effects.clear();
            term.draw(|f| views::draw(f, &mut app)).unwrap();
        })
    });
    // The detail a key press asks for is built off the UI thread; this is how long it takes
    // to appear.
    let item = app.store.get(0).unwrap();
    let s = settings();
    g.bench_function("detail of the seed case (off the UI thread)", |b| {
        b.iter(|| {
            sigscope::tui::detail::DetailModel::build(
                0,
                item.clone(),
                &s,
                Default::default(),
                &app.chrome.theme,
            )
        })
    });
    g.sample_size(10);
    // A filter is applied a slice at a time between frames: the key press waits for the
    // first slice only; the whole list follows over the next frames.
    g.bench_function(
        "filter `~v valid & ~m GET`: Enter + frame (first slice)",
        |b| {
            b.iter(|| {
                app.set_filter("~v valid & ~m GET").unwrap();
                term.draw(|f| views::draw(f, &mut app)).unwrap();
            })
        },
    );
    g.bench_function("filter `~v valid & ~m GET`: all 1M slices", |b| {
        b.iter(|| {
            app.set_filter("~v valid & ~m GET").unwrap();
            while app.filter_pending() {
                app.advance_filter(sigscope::tui::state::FILTER_SLICE);
            }
            assert_eq!(app.shown(), N / 2);
        })
    });
    g.bench_function("ingest 2048 exchanges (UI thread share)", |b| {
        let base = demo();
        b.iter_batched(
            || {
                let a = App::new(settings(), Keymap::default(), Theme::plain());
                let batch: Vec<Exchange> =
                    (0..2048).map(|k| base[k % base.len()].clone()).collect();
                (a, batch)
            },
            |(mut a, batch)| {
                a.ingest(batch);
                a
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Key-to-frame timings, written as JSON when the UI exits (benchmarks: `--timings`).

use std::time::{Duration, Instant};

use crate::tui::state::App;

#[derive(Default)]
pub(super) struct Timings {
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
    /// A frame was drawn: the first one's time, and how long the key it shows waited.
    pub(super) fn frame_drawn(
        &mut self,
        app: &App,
        started: Instant,
        key_at: &mut Option<Instant>,
    ) {
        if self.first_frame.is_none() {
            self.first_frame = Some(started.elapsed());
            tracing::info!(ms = started.elapsed().as_secs_f64() * 1e3, "first frame");
        }
        if let Some(k) = key_at.take() {
            let loading = !(app.verify.loading.done && app.analysed() >= app.total());
            self.keys.push((k.elapsed(), loading));
        }
    }

    pub(super) fn report(self, path: Option<&std::path::Path>) {
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

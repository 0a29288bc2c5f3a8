//! `capture::replay_on_this_thread` (the fuzz targets' seam, issue 19) reads every committed
//! capture exactly as `capture::replay`, the tool's two-thread reader, does: the same
//! exchanges in the same order, the same statistics.

use crate::support::root;
use sigscope::capture::{self, Options};

fn both(path: &std::path::Path) -> (String, String) {
    let data = std::fs::read(path).unwrap();
    let keys = std::path::PathBuf::from(format!("{}.keys", path.display()));
    let opts = || {
        let mut o = Options::default();
        if let Ok(k) = std::fs::read(&keys) {
            let mut log = capture::tls::KeyLog::default();
            log.add_bytes(&k);
            o.keylog = std::sync::Arc::new(log);
        }
        o
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let sa = capture::replay(&data[..], "x", 0, opts(), &mut |x| a.push(format!("{x:?}")));
    let sb = sigscope::fuzz_api::replay_on_this_thread(&data, "x", 0, opts(), &mut |x| {
        b.push(format!("{x:?}"))
    });
    (
        format!("{sa:?}\n{}", a.join("\n")),
        format!("{sb:?}\n{}", b.join("\n")),
    )
}

#[test]
fn one_thread_reads_every_capture_as_replay_does() {
    let mut n = 0;
    let mut exchanges = 0;
    for dir in [
        "tests/captures",
        "tests/captures/tls",
        "tests/captures/h2",
        "samples",
    ] {
        for f in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = f.unwrap().path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "pcap" && ext != "pcapng" {
                continue;
            }
            let (want, got) = both(&p);
            assert_eq!(got, want, "{}", p.display());
            exchanges += want.lines().count() - 1;
            n += 1;
        }
    }
    assert!(
        n > 40 && exchanges > 100,
        "{n} captures, {exchanges} exchanges"
    );
}

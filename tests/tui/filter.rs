//! Filters on a real capture, and the claim the TUI relies on when it filters a million
//! exchanges: once warm, matching does not allocate. Allocations are counted by the tui test
//! binary's global allocator, per thread: the other tests of the binary run on other threads
//! meanwhile, and matching runs on the test's own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sigscope::credentials::Credentials;
use sigscope::engine::{self, KeyCache};
use sigscope::exchange::Exchange;
use sigscope::tui::filter;
use sigscope::tui::row::RowInfo;

use crate::support::{root, verifier};

struct Counting;

thread_local! {
    // `const` and without a destructor: reading it never allocates, nor fails in teardown.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCS.with(|n| n.set(n.get() + 1));
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// const thread-local `Cell`, which neither allocates nor can fail.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn demo() -> Vec<(Exchange, RowInfo)> {
    let root = root();
    let mut xs = Vec::new();
    sigscope::ingest::stream_path(
        &root.join("samples/demo.pcap"),
        0,
        &Default::default(),
        &mut |x| xs.push(x),
    );
    let creds = Credentials::load_file(&root.join("samples/demo.credentials")).unwrap();
    let cache = KeyCache::default();
    let v = verifier(&creds, "aws", &cache);
    xs.into_iter()
        .map(|x| {
            let o = engine::diagnose::Observed {
                request: &x.request,
                response: x.response.as_ref(),
                time: x.time,
                context: Default::default(),
            };
            let a = engine::analyze_observed(&o, &v);
            let row = RowInfo::from_analysis(&x, &a);
            (x, row)
        })
        .collect()
}

#[test]
fn demo_capture_filters_and_matching_does_not_allocate() {
    let xs = demo();
    // Which of the six demo exchanges each filter keeps (README: #0 boto2 POST 403, #1 PUT,
    // #2 SigV2 GET 206, #3 presigned GET, #4 Query v2 GET, #5 anonymous GET).
    let cases: &[(&str, &[usize])] = &[
        ("~c 403", &[0]),
        ("~c 2xx", &[1, 2, 3, 4, 5]),
        ("~auth sigv4", &[0, 1, 3]),
        ("~auth sigv4-query | ~auth sigv2", &[2, 3]),
        ("~auth query", &[4]),
        ("~v anon", &[5]),
        ("~v valid", &[0, 1, 2, 3, 4]),
        ("!~a", &[5]),
        ("~a & ~m GET", &[2, 3, 4]),
        ("~u X-Amz-Signature=", &[3]),
        ("~u ^http://127\\.0\\.0\\.1/v1/", &[4]),
        ("~d ^127\\.0\\.0\\.1$", &[0, 1, 2, 3, 4, 5]),
        ("~hq '^user-agent: boto'", &[0, 1, 2]),
        ("~hs '^content-range:'", &[2]),
        // SigV2 has no service: `!~svc s3` keeps it.
        ("~ak ^AKIDEXAMPLE$ !~svc s3", &[0, 2]),
        ("~region us-east-1 ~bq S3", &[1]),
        ("~f server-likely-dialect", &[0]),
        ("public-bucket", &[5]),
    ];
    let compiled: Vec<_> = cases
        .iter()
        .map(|(s, _)| filter::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect();
    for ((src, want), f) in cases.iter().zip(&compiled) {
        let got: Vec<usize> = xs
            .iter()
            .filter(|(x, r)| f.matches(x, Some(r)))
            .map(|(x, _)| x.index)
            .collect();
        assert_eq!(&got, want, "{src}");
    }
    // Warm (per-thread scratch buffer, regex caches), then count.
    let before = allocs();
    let mut hits = 0usize;
    for _ in 0..2_000 {
        for f in &compiled {
            for (x, r) in &xs {
                hits += usize::from(f.matches(x, Some(r)));
                hits += usize::from(f.matches(x, None));
            }
        }
    }
    let allocs = allocs() - before;
    assert!(hits > 0);
    assert_eq!(allocs, 0, "matching allocated {allocs} times");
}

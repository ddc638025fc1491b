//! The memory estimate of `run` against an independent count: a global allocator that tracks the
//! live and the peak heap bytes measures what `run` (generating, training, solving, printing)
//! really allocates, and `budget::run_need` must bound it from above without overstating it by
//! more than 60 %; the same for parsing a `--data` file (`budget::json_parse_need`). One test only,
//! so that no other test allocates in parallel.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dln_report::budget::{RunWork, json_parse_need, json_values_bound, run_need};
use dln_report::cli::run::{RunArgs, execute, parse_data};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::SeqCst) + bytes;
    PEAK.fetch_max(live, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the new block allocated before the old one is freed (the worst case).
            grew(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes above the level at the start of `f`.
fn measured_peak(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst) - base
}

#[test]
fn estimates_bound_the_measured_peak_within_60_percent() {
    // (n, d, --json): the solver's Hessians dominate in the first two, the JSON text in the last two.
    let cases = [(300, 1200, false), (200, 2500, false), (100, 2000, true), (40, 5000, true)];
    for (n, d, json) in cases {
        let args = RunArgs { n, d, s: 5, steps: 300, json, ..RunArgs::default() };
        let peak = measured_peak(|| {
            let report = execute(&args).expect("the run succeeds");
            let text = report.render(&args);
            assert!(!text.is_empty());
        }) as u64;
        let need = run_need(n, d, RunWork { solve: true, json }).unwrap().total;
        assert!(peak <= need, "n = {n}, d = {d}, json = {json}: measured {peak} B > estimated {need} B");
        assert!(10 * need <= 16 * peak, "n = {n}, d = {d}, json = {json}: estimated {need} B ≫ measured {peak} B");
    }

    // Parsing `--data`: the text (already read) plus what parsing it into X allocates.
    let (n, d) = (100, 3000);
    let row = |i: usize| (0..d).map(|j| format!("{:?}", ((i * d + j) as f64).sin())).collect::<Vec<_>>().join(", ");
    let rows: Vec<String> = (0..n).map(|i| format!("[{}]", row(i))).collect();
    let y: Vec<String> = (0..n).map(|i| format!("{i}.5")).collect();
    let text = format!("{{\"x\": [{}], \"y\": [{}]}}", rows.join(", "), y.join(", "));
    let peak = text.len() as u64
        + measured_peak(|| {
            let problem = parse_data(&text, "--data test.json", 0.0).expect("valid data");
            assert_eq!(problem.x.dim(), (n, d));
        }) as u64;
    let need = json_parse_need(text.len() as u64, json_values_bound(&text)).unwrap();
    assert!(peak <= need, "parsing: measured {peak} B > estimated {need} B");
    assert!(10 * need <= 16 * peak, "parsing: estimated {need} B ≫ measured {peak} B");
}

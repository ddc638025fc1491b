//! Benchmarks of the engine, lockstep runs and the interpolator solver.
//!
//! `cargo bench -p dln` runs the divan benchmarks (each engine bench is a whole run of a fixed number
//! of steps with `tol = 0`, so its throughput in items/s is steps/s; a lockstep bench counts run-steps),
//! then prints a summary table with the per-step cost (from the difference of two run lengths, so the
//! run's set-up and read-out cancel; best of many short runs, since this machine is shared) against
//! the targets (`DLN_BENCH_NO_SUMMARY=1` skips it):
//!
//! | what | target |
//! |---|---|
//! | SGD b = 1 step, (n, d) = (20, 30) | ≤ 25 ns |
//! | GD step, (20, 30) | ≤ 150 ns |
//! | GD step, (1000, 10000) | ≤ 2 × the time to stream X from memory twice |
//! | 64 SGD b = 1 runs in lockstep vs one by one, (20, 30) | throughput ratio (target 3×) |
//! | 64 GD runs in lockstep vs one by one, (20, 30) | throughput ratio (target 3×) |
//! | Bregman solve (Theorem 1), (20, 30) | < 1 ms |
//! | Bregman solve (Theorem 1), (1000, 10000) | < 2 s |
//!
//! The memory-bandwidth bound is measured here too: a streaming sum over X (80 MB at (1000, 10000),
//! far beyond the caches) with eight independent accumulators. The comparison with NumPy, whole
//! process against the NumPy loop of the same step, is `scripts/bench_numpy.py`.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

use divan::Bencher;
use divan::counter::ItemsCount;
use dln::{BregmanSolver, DataConfig, Lockstep, Problem, Schedule, Sgd, uniform_alpha};
use ndarray::Array1;

fn main() {
    divan::main();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: only then print the summary.
    if std::env::args().any(|a| a == "--bench") && std::env::var_os("DLN_BENCH_NO_SUMMARY").is_none() {
        summary();
    }
}

struct Setup {
    problem: Problem,
    alpha: Array1<f64>,
    gamma: f64,
}

fn setup(n: usize, d: usize, s: usize) -> Setup {
    let problem = DataConfig { n, d, s, seed: 1, ..DataConfig::default() }.generate().expect("valid config");
    let alpha = uniform_alpha(0.1, d);
    let gamma = 0.5 / problem.lambda_max();
    Setup { problem, alpha, gamma }
}

fn small() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| setup(20, 30, 3))
}

fn large() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| setup(1000, 10_000, 100))
}

/// Exactly `steps` steps: `tol = 0` never stops early and `check_every = u64::MAX` computes the full
/// loss only at k = 0 and at the end (GD gets its loss for free from the residuals every step anyway).
fn fixed_steps(gamma: f64, batch: usize, steps: u64) -> Sgd {
    Sgd {
        stepsize: Schedule::Constant(gamma),
        batch,
        max_steps: steps,
        tol: 0.0,
        check_every: Some(u64::MAX),
        ..Sgd::default()
    }
}

fn run_steps(s: &Setup, batch: usize, steps: u64, check_every: Option<u64>) -> f64 {
    run_steps_with(s, batch, steps, check_every, false)
}

/// [`run_steps`], with the second-order sums tracked (`Sgd::track_second_order`) if `track`.
fn run_steps_with(s: &Setup, batch: usize, steps: u64, check_every: Option<u64>, track: bool) -> f64 {
    let sgd = Sgd { check_every, track_second_order: track, ..fixed_steps(s.gamma, batch, steps) };
    let run = sgd.run(black_box(&s.problem), s.alpha.view()).expect("valid run");
    assert_eq!(run.steps, steps, "the benchmark run stopped early ({})", run.status);
    run.train_loss
}

const SMALL_STEPS: u64 = 20_000;
const LARGE_STEPS: u64 = 4;

/// A run of [`SMALL_STEPS`] steps at (20, 30) with batch size `batch`, as a divan bench.
fn bench_small(b: Bencher, batch: usize, check_every: Option<u64>) {
    let s = small();
    b.counter(ItemsCount::new(SMALL_STEPS)).bench(|| run_steps(s, batch, SMALL_STEPS, check_every));
}

#[divan::bench(name = "sgd_b1_20x30 (20k steps, loss check only at the ends)")]
fn sgd_b1_small(b: Bencher) {
    bench_small(b, 1, Some(u64::MAX));
}

#[divan::bench(name = "sgd_b1_20x30 (20k steps, default loss check every n/b steps)")]
fn sgd_b1_small_checked(b: Bencher) {
    bench_small(b, 1, None);
}

#[divan::bench(name = "sgd_b1_20x30 (20k steps, portable kernels only, no AVX copy)")]
fn sgd_b1_small_portable(b: Bencher) {
    small(); // the data are drawn (once) with the default kernels
    dln::linalg::set_wide_kernels(false);
    bench_small(b, 1, Some(u64::MAX));
    dln::linalg::set_wide_kernels(true);
}

#[divan::bench(name = "sgd_b1_20x30 (20k steps, default loss check, second-order sums tracked)")]
fn sgd_b1_small_tracked(b: Bencher) {
    let s = small();
    b.counter(ItemsCount::new(SMALL_STEPS)).bench(|| run_steps_with(s, 1, SMALL_STEPS, None, true));
}

#[divan::bench(name = "gd_20x30 (20k steps, second-order sums tracked)")]
fn gd_small_tracked(b: Bencher) {
    let s = small();
    b.counter(ItemsCount::new(SMALL_STEPS)).bench(|| run_steps_with(s, 20, SMALL_STEPS, None, true));
}

#[divan::bench(name = "sgd_b5_20x30 (20k steps)")]
fn sgd_b5_small(b: Bencher) {
    bench_small(b, 5, Some(u64::MAX));
}

#[divan::bench(name = "gd_20x30 (20k steps)")]
fn gd_small(b: Bencher) {
    bench_small(b, 20, None);
}

#[divan::bench(name = "gd_1000x10000 (4 steps)", sample_count = 5, sample_size = 1)]
fn gd_large(b: Bencher) {
    let s = large();
    b.counter(ItemsCount::new(LARGE_STEPS)).bench(|| run_steps(s, 1000, LARGE_STEPS, None));
}

/// Runs in a lockstep grid.
const GRID: usize = 64;
/// Steps per run of a lockstep bench.
const GRID_STEPS: u64 = 500;

/// 64 runs at (20, 30) of exactly `steps` steps: SGD b = 1 over stepsizes (one sampler, rows shared)
/// or over seeds (each its own sampler: `Lockstep` runs them one by one), or GD over stepsizes (all
/// below γ_max).
fn grid(s: &Setup, what: &str, steps: u64) -> Lockstep {
    let gammas = |scale: f64| (0..GRID).map(|i| scale * (0.2 + 0.01 * i as f64)).collect::<Vec<f64>>();
    match what {
        "sgd_stepsizes" => Lockstep::stepsizes(&fixed_steps(0.0, 1, steps), &gammas(0.03)),
        "sgd_seeds" => Lockstep::seeds(&fixed_steps(0.01, 1, steps), &(0..GRID as u64).collect::<Vec<_>>()),
        _ => Lockstep::stepsizes(&fixed_steps(0.0, s.problem.n(), steps), &gammas(s.gamma)),
    }
}

fn run_grid(s: &Setup, lockstep: &Lockstep, together: bool) {
    if together {
        for run in lockstep.run(black_box(&s.problem), s.alpha.view()) {
            black_box(run.expect("valid run"));
        }
    } else {
        for sgd in lockstep.runs() {
            black_box(sgd.run(black_box(&s.problem), s.alpha.view()).expect("valid run"));
        }
    }
}

#[divan::bench(args = ["sgd_stepsizes", "sgd_seeds", "gd_stepsizes"])]
fn lockstep_64_runs_20x30(b: Bencher, what: &str) {
    let (s, lockstep) = (small(), grid(small(), what, GRID_STEPS));
    b.counter(ItemsCount::new(GRID as u64 * GRID_STEPS)).bench(|| run_grid(s, &lockstep, true));
}

#[divan::bench(args = ["sgd_stepsizes", "sgd_seeds", "gd_stepsizes"])]
fn one_by_one_64_runs_20x30(b: Bencher, what: &str) {
    let (s, lockstep) = (small(), grid(small(), what, GRID_STEPS));
    b.counter(ItemsCount::new(GRID as u64 * GRID_STEPS)).bench(|| run_grid(s, &lockstep, false));
}

/// Σ of all entries of X with eight independent accumulators: one streaming read of X.
fn stream_sum(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f64>() + chunks.remainder().iter().sum::<f64>()
}

#[divan::bench(
    name = "stream_read_X_1000x10000 (bandwidth probe, one read of 80 MB)",
    sample_count = 20,
    sample_size = 1
)]
fn stream_large(b: Bencher) {
    let xs = large().problem.x.as_slice().expect("standard layout");
    b.counter(divan::counter::BytesCount::of_slice(xs)).bench(|| stream_sum(black_box(xs)));
}

#[divan::bench(name = "solve_theorem1_20x30")]
fn solve_small(b: Bencher) {
    let s = small();
    let solver = BregmanSolver::default();
    b.bench(|| solver.theorem1(s.problem.x.view(), s.problem.y.view(), black_box(s.alpha.view())).expect("solves"));
}

#[divan::bench(name = "solve_theorem2_20x30 (after a GD run)")]
fn solve_small_t2(b: Bencher) {
    let s = small();
    let run = Sgd::gd(s.gamma, 20).with_budget(1_000_000, 1e-24).run(&s.problem, s.alpha.view()).expect("runs");
    let solver = BregmanSolver::default();
    b.bench(|| solver.theorem2(s.problem.x.view(), s.problem.y.view(), black_box(&run.effective)).expect("solves"));
}

#[divan::bench(name = "solve_theorem1_1000x10000", sample_count = 3, sample_size = 1)]
fn solve_large(b: Bencher) {
    let s = large();
    let solver = BregmanSolver::default();
    b.bench(|| solver.theorem1(s.problem.x.view(), s.problem.y.view(), black_box(s.alpha.view())).expect("solves"));
}

/// Best (minimum) of `reps` timings of `f`, in seconds: on a shared machine the minimum is the
/// uncontended cost; everything else measures the neighbours.
fn best_time(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Per-step cost in seconds: (T(k2) − T(k1)) / (k2 − k1), best of `reps` runs each.
fn per_step(s: &Setup, batch: usize, k1: u64, k2: u64, reps: usize, check_every: Option<u64>) -> f64 {
    let t1 = best_time(reps, || {
        black_box(run_steps(s, batch, k1, check_every));
    });
    let t2 = best_time(reps, || {
        black_box(run_steps(s, batch, k2, check_every));
    });
    (t2 - t1) / (k2 - k1) as f64
}

/// Per run-step cost of a 64-run grid (together, one by one), from two run lengths as above.
fn grid_per_step(s: &Setup, what: &str, reps: usize) -> (f64, f64) {
    // Short runs (a few ms): on a shared machine the best of many short runs is the uncontended cost.
    let (k1, k2) = if what.starts_with("gd") { (50, 300) } else { (200, 1_200) };
    let (g1, g2) = (grid(s, what, k1), grid(s, what, k2));
    let cost = |together: bool| {
        let t1 = best_time(reps, || run_grid(s, &g1, together));
        let t2 = best_time(reps, || run_grid(s, &g2, together));
        (t2 - t1) / (GRID as u64 * (k2 - k1)) as f64
    };
    (cost(true), cost(false))
}

fn summary() {
    let (sm, lg) = (small(), large());
    let sgd = per_step(sm, 1, 1_000, 21_000, 101, Some(u64::MAX));
    let sgd_checked = per_step(sm, 1, 1_000, 21_000, 101, None);
    dln::linalg::set_wide_kernels(false);
    let sgd_portable = per_step(sm, 1, 1_000, 21_000, 101, Some(u64::MAX));
    let gd_portable = per_step(sm, 20, 500, 5_500, 101, None);
    dln::linalg::set_wide_kernels(true);
    let gd = per_step(sm, 20, 500, 5_500, 101, None);
    let grids: Vec<(&str, (f64, f64))> =
        ["sgd_stepsizes", "sgd_seeds", "gd_stepsizes"].into_iter().map(|w| (w, grid_per_step(sm, w, 31))).collect();
    let gd_large = per_step(lg, 1000, 2, 12, 5, None);
    let xs = lg.problem.x.as_slice().expect("standard layout");
    let read = best_time(30, || {
        black_box(stream_sum(black_box(xs)));
    });
    let bytes = std::mem::size_of_val(xs) as f64;
    let solver = BregmanSolver::default();
    let solve_small = best_time(51, || {
        black_box(solver.theorem1(sm.problem.x.view(), sm.problem.y.view(), sm.alpha.view()).expect("solves"));
    });
    let mut iters = 0;
    let solve_large = best_time(3, || {
        let sol = solver.theorem1(lg.problem.x.view(), lg.problem.y.view(), lg.alpha.view()).expect("solves");
        iters = sol.iterations;
    });
    let ok = |b: bool| if b { "ok" } else { "MISSED" };
    println!();
    println!("summary (per-step costs from the difference of two run lengths; best of many runs)");
    println!("| what | measured | target | |");
    println!("|---|---|---|---|");
    println!("| SGD b=1 step (20,30) | {:.1} ns | ≤ 25 ns | {} |", sgd * 1e9, ok(sgd <= 25e-9));
    println!("| SGD b=1 step (20,30), default loss check every n/b | {:.1} ns | — | |", sgd_checked * 1e9);
    println!("| SGD b=1 step (20,30), portable kernels only (no AVX) | {:.1} ns | — | |", sgd_portable * 1e9);
    println!("| GD step (20,30) | {:.1} ns | ≤ 150 ns | {} |", gd * 1e9, ok(gd <= 150e-9));
    println!("| GD step (20,30), portable kernels only (no AVX) | {:.1} ns | — | |", gd_portable * 1e9);
    for (what, (together, alone)) in &grids {
        println!(
            "| 64 runs {what} (20,30): lockstep {:.1} ns, one by one {:.1} ns per run-step | {:.2}× | ≥ 3× | {} |",
            together * 1e9,
            alone * 1e9,
            alone / together,
            ok(alone / together >= 3.0)
        );
    }
    println!(
        "| GD step (1000,10000) | {:.2} ms | ≤ 2 × 2 × {:.2} ms (read X: {:.1} GB/s) | {} ({:.2}× the bound) |",
        gd_large * 1e3,
        read * 1e3,
        bytes / read / 1e9,
        ok(gd_large <= 4.0 * read),
        gd_large / (2.0 * read)
    );
    println!("| Theorem-1 solve (20,30) | {:.1} µs | < 1 ms | {} |", solve_small * 1e6, ok(solve_small < 1e-3));
    println!(
        "| Theorem-1 solve (1000,10000), {iters} Newton iterations | {:.2} s | < 2 s | {} |",
        solve_large,
        ok(solve_large < 2.0)
    );
    println!("NumPy side by side (whole `dln-report run` process vs the NumPy loop): scripts/bench_numpy.py");
}

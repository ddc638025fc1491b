//! "No allocation in the step loop": a counting global allocator shows that a run's number of heap
//! allocations does not depend on its number of steps (GD, SGD with both sampling schemes, with the
//! periodic full-loss check; lockstep grids too). Its own test binary, so the allocator sees nothing
//! else.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dln::{DataConfig, Lockstep, Sampling, Schedule, Sgd, Status, uniform_alpha};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: thread-local storage may already be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_step_loop_does_not_allocate() {
    let problem = DataConfig { n: 20, d: 30, s: 3, seed: 0, ..DataConfig::default() }.generate().unwrap();
    let alpha = uniform_alpha(0.1, 30);
    let gamma = 0.3 / problem.lambda_max();
    let cases = [
        ("GD", Sgd::gd(gamma, 20)),
        ("SGD b=1 iid", Sgd::sgd(0.01, 1)),
        ("SGD b=3 iid", Sgd::sgd(0.01, 3)),
        ("SGD b=6 shuffle", Sgd { sampling: Sampling::Shuffle, ..Sgd::sgd(0.01, 6) }),
        ("SGD b=1, loss check every step", Sgd { check_every: Some(1), ..Sgd::sgd(0.01, 1) }),
        (
            "GD, step decay",
            Sgd { stepsize: Schedule::StepDecay { gamma, factor: 0.99, every: 100 }, ..Sgd::gd(gamma, 20) },
        ),
    ];
    for (what, sgd) in cases {
        let count = |steps: u64| {
            allocations(|| {
                let run = sgd.clone().with_budget(steps, 0.0).run(&problem, alpha.view()).unwrap();
                assert_eq!((run.status, run.steps), (Status::MaxSteps, steps));
            })
        };
        let (short, long) = (count(10), count(20_000));
        assert_eq!(short, long, "{what}: {short} allocations for 10 steps, {long} for 20 000");
    }
}

#[test]
fn the_lockstep_loop_does_not_allocate() {
    let problem = DataConfig { n: 20, d: 30, s: 3, seed: 0, ..DataConfig::default() }.generate().unwrap();
    let alpha = uniform_alpha(0.1, 30);
    let gamma = 0.3 / problem.lambda_max();
    let gammas: Vec<f64> = (1..=9).map(|i| 0.1 * i as f64 * gamma).collect();
    let grids = [
        ("GD stepsizes", Lockstep::stepsizes(&Sgd::gd(gamma, 20), &gammas)),
        ("SGD b=1 stepsizes", Lockstep::stepsizes(&Sgd::sgd(0.01, 1), &gammas)),
        ("SGD b=1 repeated seeds", Lockstep::seeds(&Sgd::sgd(0.01, 1), &[1, 2, 1, 2, 3, 3])),
    ];
    for (what, grid) in grids {
        let count = |steps: u64| {
            let runs: Vec<Sgd> = grid.runs().iter().map(|s| s.clone().with_budget(steps, 0.0)).collect();
            let grid = Lockstep::new(runs);
            allocations(|| {
                for run in grid.run(&problem, alpha.view()) {
                    assert_eq!(run.unwrap().steps, steps);
                }
            })
        };
        let (short, long) = (count(10), count(20_000));
        assert_eq!(short, long, "{what}: {short} allocations for 10 steps, {long} for 20 000");
    }
}

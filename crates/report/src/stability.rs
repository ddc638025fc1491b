//! γ_max: the largest constant stepsize at which (S)GD converges, found by bisection.

use anyhow::{Result, bail};
use dln::{Problem, Run, Schedule, Sgd, Status};
use ndarray::ArrayView1;

/// Runs `template` at the constant stepsize γ (its schedule replaced).
pub fn run_at(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, gamma: f64) -> Result<Run> {
    let sgd = Sgd { stepsize: Schedule::Constant(gamma), ..template.clone() };
    Ok(sgd.run(problem, alpha)?)
}

/// Whether `template` with constant stepsize `gamma` converges (loss ≤ tol within its step budget).
pub fn converges(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, gamma: f64) -> Result<bool> {
    Ok(run_at(problem, alpha, template, gamma)?.status == Status::Converged)
}

// ANCHOR: gamma_max
/// The largest convergent constant stepsize γ_max for `template` (its schedule is replaced by
/// constants), to relative precision `rel_tol`: doubling from `start` until a run fails to converge
/// within `template.max_steps`, then bisection on a log scale. Returns the largest stepsize seen to
/// converge. Runs are deterministic (the template's seed), so γ_max is too.
pub fn gamma_max(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, start: f64, rel_tol: f64) -> Result<f64> {
    if !(start.is_finite() && start > 0.0) {
        bail!("gamma_max: start must be finite and > 0, got {start}");
    }
    let (mut lo, mut hi) = (start, start);
    if converges(problem, alpha, template, start)? {
        for _ in 0..60 {
            hi *= 2.0;
            if !converges(problem, alpha, template, hi)? {
                break;
            }
            lo = hi;
        }
        if lo == hi {
            bail!("gamma_max: every stepsize up to {hi:.3e} converged");
        }
    } else {
        for _ in 0..60 {
            lo /= 2.0;
            if converges(problem, alpha, template, lo)? {
                break;
            }
            hi = lo;
        }
        if lo == hi {
            bail!("gamma_max: no stepsize down to {lo:.3e} converged");
        }
    }
    while hi / lo > 1.0 + rel_tol {
        let mid = (lo * hi).sqrt();
        if converges(problem, alpha, template, mid)? { lo = mid } else { hi = mid }
    }
    Ok(lo)
}
// ANCHOR_END: gamma_max

/// A starting stepsize for the γ_max bisection, b / mean_i ‖x_i‖² = b·n / Σ_i ‖x_i‖² (b = the
/// template's batch size: the classical scale of mini-batch SGD; for GD it starts near 1/λ_max rather
/// than at a stepsize too small to converge within a tight budget), computed with a fixed summation
/// order so it is the same on every machine (unlike an eigenvalue from a BLAS-backed product).
pub fn bisection_start(problem: &Problem, batch: usize) -> f64 {
    let sq: f64 = problem.x.iter().map(|v| v * v).sum();
    batch as f64 * problem.n() as f64 / sq
}

/// γ_max of `template` (largest constant stepsize converging within its budget, to relative
/// precision `rel_tol`), bisected by [`gamma_max`] from [`bisection_start`]: the one starting rule of
/// every experiment.
pub fn gamma_max_of(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Result<f64> {
    gamma_max(problem, alpha, template, bisection_start(problem, template.batch), rel_tol)
}

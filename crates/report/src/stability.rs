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

//! γ_max in the report: the one bisection of [`dln::stability`], with its one starting rule.
//!
//! The mathematics (the bisection, its start b / mean‖x_i‖², runs at a constant stepsize) lives in
//! `dln`; these names are what the experiments call. Book: chapter "Why macroscopic stepsizes?".

use anyhow::Result;
use dln::{Problem, Sgd};
use ndarray::ArrayView1;

pub use dln::stability::{bisection_start, converges, run_at};

/// γ_max of `template`: the largest constant stepsize converging within its step budget, to relative
/// precision `rel_tol`, bisected from [`bisection_start`] ([`dln::stability::gamma_max`]).
pub fn gamma_max_of(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Result<f64> {
    Ok(dln::stability::gamma_max(problem, alpha, template, rel_tol)?)
}

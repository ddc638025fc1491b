//! The claims of chapter "The phase diagram", from the runs.
//!
//! Regimes are read off α: α < 1 is the rich side (the paper's α = 0.1 and below), α > 1 the kernel
//! side, α = 1 the crossover. A cell's statistic is its median over datasets; cells without a
//! value (no kept or no converged run) are left out of the extremes.

use super::summary::{Cell, over, part};
use super::{Decomposition, Extra, Output};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};
use crate::experiments::fraction_runs::{self, CONVERGED, Row};

/// α above which the initialisation is on the kernel side, below which on the rich side.
pub const KERNEL_ALPHA: f64 = 1.0;
/// α from which the runs reach the tolerance within the budget (below, the last phase contracts at
/// a rate ∝ α²).
pub const CONVERGENT_ALPHA: f64 = 0.03;
/// γ/γ_max from which a stepsize counts as large.
pub const LARGE: f64 = 0.5;
/// γ/γ_max from which a stepsize is near the edge of stability.
pub const EDGE: f64 = 0.8;

/// The cells (batch, α index, fraction) of `batches` whose α and fraction pass the filters.
fn cells(out: &Output, batches: &[usize], alpha: impl Fn(f64) -> bool, fraction: impl Fn(f64) -> bool) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &b in batches {
        for (a, _) in out.alphas.iter().enumerate().filter(|(_, x)| alpha(**x)) {
            cells.extend(out.fractions.iter().filter(|f| fraction(**f)).map(|&f| (b, a, f)));
        }
    }
    cells
}

/// The median of `f` over each cell, those with a value.
fn medians(out: &Output, cells: Vec<Cell>, f: impl Fn(&Row, &Extra) -> Option<f64> + Copy) -> Vec<f64> {
    cells.into_iter().map(|c| over(out, c, f).median).filter(|m| m.is_finite()).collect()
}

/// The share `f` of a converged run's decomposition.
fn share(f: fn(&Decomposition) -> f64) -> impl Fn(&Row, &Extra) -> Option<f64> + Copy {
    move |_, e| part(e, f)
}

// ANCHOR: claims
/// The claims, computed from the runs.
pub fn claims(out: &Output) -> Vec<Claim> {
    let [_, exact] = fraction_runs::standard_claims(&out.measured.runs);
    let (gd, sgd): (Vec<usize>, Vec<usize>) = out.batches.iter().partition(|b| **b >= out.n);
    let all = out.batches.clone();
    let (first, last) =
        (out.fractions.first().copied().unwrap_or(f64::NAN), out.fractions.last().copied().unwrap_or(f64::NAN));
    let rows = &out.measured.runs.rows;
    let share_converged = |keep: &dyn Fn(f64) -> bool| {
        let sel: Vec<&Row> = rows.iter().filter(|r| keep(out.alphas[r.cell])).collect();
        sel.iter().filter(|r| r.converged()).count() as f64 / sel.len() as f64
    };
    let converged = share_converged(&|a| a >= CONVERGENT_ALPHA);
    let small = share_converged(&|a| a < CONVERGENT_ALPHA);
    let risk = |r: &Row, _: &Extra| Some(r.risk_ratio());
    let l1 = |_: &Row, e: &Extra| e.l1_ratio;
    let helps = largest(medians(out, cells(out, &sgd, |a| a < KERNEL_ALPHA, move |f| f == last), risk));
    let hurts = smallest(medians(out, cells(out, &all, |a| a > KERNEL_ALPHA, move |f| f == last), risk));
    let l1_growth = smallest(
        cells(out, &all, |a| a > KERNEL_ALPHA, move |f| f == last)
            .into_iter()
            .map(|(b, a, f)| over(out, (b, a, f), l1).median / over(out, (b, a, first), l1).median),
    );
    let rich = |a: f64| a < KERNEL_ALPHA;
    let scale =
        smallest(medians(out, cells(out, &sgd[..sgd.len().min(1)], rich, |f| f >= LARGE), share(|x| x.share_scale)));
    let shape = smallest(medians(out, cells(out, &gd, rich, |f| f >= LARGE), share(|x| x.share_shape)));
    let tilde =
        smallest(medians(out, cells(out, &all, |a| a > KERNEL_ALPHA, |f| f >= EDGE), share(|x| x.share_beta_tilde0)));
    vec![
        Claim::at_least("runs_converge", "converged_fraction", converged, CONVERGED)
            .with("converged_fraction_small_alpha", small)
            .says(format!(
                "At α ≥ {CONVERGENT_ALPHA}, {} of the runs reach the training-loss tolerance within the budget (at least {}). Below, only {} do: the last phase contracts at a rate ∝ α², so those cells are drawn from the runs that did not diverge, and only converged runs are decomposed.",
                fmt3(converged),
                fmt3(CONVERGED),
                fmt3(small)
            )),
        exact,
        Claim::at_most("sgd_helps_when_rich", "largest_median_risk_ratio", helps, 0.5).says(format!(
            "On the rich side (α < {KERNEL_ALPHA}), SGD at {last} γ_max ends with at most {}× gradient flow's test risk at every α and batch size b < n (at most 0.5).",
            fmt3(helps)
        )),
        Claim::at_least("large_steps_hurt_in_the_kernel_regime", "smallest_median_risk_ratio", hurts, 2.0).says(format!(
            "On the kernel side (α > {KERNEL_ALPHA}), every method at {last} γ_max ends with at least {}× gradient flow's test risk (at least 2).",
            fmt3(hurts)
        )),
        Claim::at_least("no_escape_from_the_kernel_regime", "smallest_l1_growth", l1_growth, 1.0).says(format!(
            "A large stepsize does not pull a kernel-regime start into the sparse regime: at α > {KERNEL_ALPHA}, ‖β∞‖₁/‖β*‖₁ at {last} γ_max is at least {}× its value at {first} γ_max, for every method.",
            fmt3(l1_growth)
        )),
        Claim::at_least("the_scale_explains_sgd", "smallest_median_share", scale, 0.75).says(format!(
            "For SGD with b = {} on the rich side (α < {KERNEL_ALPHA}) at γ ≥ {LARGE} γ_max, the gain's scale alone accounts for at least {} of the change from gradient flow (median per cell, at least 0.75): SGD acts as a smaller uniform initialisation.",
            sgd.first().copied().unwrap_or(0),
            fmt3(scale)
        )),
        Claim::at_least("the_shape_explains_gd", "smallest_median_share", shape, 1.0).says(format!(
            "For GD on the rich side at γ ≥ {LARGE} γ_max, the gain's shape alone accounts for at least {} of the change (at least 1: its scale pushes the other way).",
            fmt3(shape)
        )),
        Claim::at_least("beta_tilde0_takes_over_in_the_kernel_regime", "smallest_median_share", tilde, 0.5).says(format!(
            "On the kernel side at γ ≥ {EDGE} γ_max, β̃₀ accounts for at least {} of the change for every method (at least 0.5): there, dropping β̃₀ is not an approximation.",
            fmt3(tilde)
        )),
    ]
}
// ANCHOR_END: claims

//! The claims of chapter "Theorem 2", from the runs of the grid.

use super::summary::{RATE_POINTS, datasets, gf_points, small_gamma_rate};
use super::{Method, Row, series};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};
use dln::Status;

/// The exactness threshold on ‖β∞ − β_pred‖₂ (every converged run).
pub const EXACT: f64 = 1e-8;
/// The share of the grid's runs that must converge (runs near γ_max may still be moving when the
/// step budget runs out: the sweep's γ_max is the largest stepsize that converges to the sweep's
/// looser tolerance).
pub const CONVERGED: f64 = 0.95;
/// Stepsizes γ ≤ this fraction of γ_max are "small" for β̃₀'s share.
pub const SMALL_FRACTION: f64 = 0.1;
/// The bound on β̃₀'s share at small stepsizes.
pub const SMALL_SHARE: f64 = 0.25;
/// Stepsizes γ ≥ this fraction of γ_max are "near γ_max" for β̃₀'s share.
pub const LARGE_FRACTION: f64 = 0.6;
/// The bound on |median slope − 1| of the first-order fits.
pub const SLOPE_TOLERANCE: f64 = 0.05;

/// The runs that stopped on the step budget, in words.
fn budget_note(rows: &[Row]) -> String {
    let stopped: Vec<String> = (rows.iter().filter(|r| r.status == Status::MaxSteps))
        .map(|r| format!("{} at {} γ_max on dataset {}", r.series(), fmt3(r.fraction), r.dataset))
        .collect();
    if stopped.is_empty() {
        "No run stops on the budget.".into()
    } else {
        format!("Still moving when the budget ran out (left out of the other claims): {}.", stopped.join("; "))
    }
}

/// ‖β∞ − argmin ψ_{α∞}‖ / ‖β∞ − β*_α‖: the error of dropping β̃₀, against the whole distance from
/// gradient flow (`None` unless both are known).
pub fn tilde_share(r: &Row) -> Option<f64> {
    Some(r.err.without_tilde? / r.err.gf?)
}

/// Per (batch size, dataset), the least-squares slope of ln‖β∞ − β*_α‖₂ in ln γ over its
/// `RATE_POINTS` (3) smallest converged stepsizes.
pub fn gf_slopes(rows: &[Row]) -> Vec<f64> {
    (series(rows).iter())
        .flat_map(|(_, members)| datasets(members).into_iter().map(|k| small_gamma_rate(&gf_points(members, k))))
        .collect()
}

// ANCHOR: claims
/// The claims, computed from the rows.
pub fn claims(rows: &[Row]) -> Vec<Claim> {
    let slopes = gf_slopes(rows);
    let converged: Vec<&Row> = rows.iter().filter(|r| r.status == Status::Converged).collect();
    let worst = largest(converged.iter().map(|r| r.err.theorem2.unwrap_or(f64::INFINITY)));
    let gain = smallest(converged.iter().filter_map(|r| Some(r.err.without_tilde? / r.err.theorem2?)));
    let small = largest(converged.iter().filter(|r| r.fraction <= SMALL_FRACTION).filter_map(|r| tilde_share(r)));
    let gd_large = largest(
        (converged.iter())
            .filter(|r| r.method == Method::Gd && r.fraction >= LARGE_FRACTION)
            .filter_map(|r| tilde_share(r)),
    );
    let median_slope = dln::metrics::quantile(&slopes, 0.5);
    vec![
        Claim::at_least("runs_converge", "converged_fraction", converged.len() as f64 / rows.len() as f64, CONVERGED)
            .with("diverged", rows.iter().filter(|r| r.status == Status::Diverged).count() as f64)
            .says(format!(
                "{} of {} runs reach the training-loss tolerance within the step budget (at least {}); none diverges. {}",
                converged.len(),
                rows.len(),
                fmt3(CONVERGED),
                budget_note(rows)
            )),
        Claim::at_most("theorem2_is_exact", "largest_error", worst, EXACT).says(format!(
            "On every converged run ({} runs), the limit is Theorem 2's prediction to {} (at most {EXACT:.0e}): the theorem is an identity.",
            converged.len(),
            fmt3(worst)
        )),
        Claim::at_least("tilde_beta0_is_needed", "smallest_error_ratio", gain, 1e3).says(format!(
            "Dropping β̃₀ moves the prediction at least {}× further from the limit than Theorem 2's own error, on every converged run.",
            fmt3(gain)
        )),
        Claim::at_most("gf_distance_is_first_order", "median_slope_minus_one", (median_slope - 1.0).abs(), SLOPE_TOLERANCE)
            .with("slopes_min", smallest(slopes.iter().copied()))
            .with("slopes_median", median_slope)
            .with("slopes_max", largest(slopes.iter().copied()))
            .says(format!(
                "As γ → 0 the distance to gradient flow's limit vanishes at first order in γ: the log–log slope on the {RATE_POINTS} smallest stepsizes is {} at the median over {} (dataset, method) fits (within {SLOPE_TOLERANCE} of 1), {}–{} in all.",
                fmt3(median_slope),
                slopes.len(),
                fmt3(smallest(slopes.iter().copied())),
                fmt3(largest(slopes.iter().copied()))
            )),
        Claim::at_most("tilde_beta0_negligible_at_small_gamma", "largest_share", small, SMALL_SHARE).says(format!(
            "For γ ≤ {SMALL_FRACTION} γ_max, dropping β̃₀ errs by at most {} of the distance to gradient flow (bound {SMALL_SHARE}): there β̃₀ is a small correction.",
            fmt3(small)
        )),
        Claim::at_least("tilde_beta0_not_negligible_near_gamma_max", "largest_gd_share", gd_large, 1.0).says(format!(
            "For GD at γ ≥ {LARGE_FRACTION} γ_max, dropping β̃₀ errs by up to {}× the distance to gradient flow itself: near γ_max β̃₀ cannot be ignored.",
            fmt3(gd_large)
        )),
    ]
}
// ANCHOR_END: claims

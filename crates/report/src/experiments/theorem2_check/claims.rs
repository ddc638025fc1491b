//! The claims of chapter "Theorem 2", from the runs of the grid.

use super::{Method, Row};
use crate::claims::{Claim, fmt3};
use dln::Status;

/// The exactness threshold on ‖β∞ − β_pred‖₂ (every converged run).
pub const EXACT: f64 = 1e-8;
/// Stepsizes γ ≤ this fraction of γ_max are "small" for β̃₀'s share.
pub const SMALL_FRACTION: f64 = 0.1;
/// Stepsizes γ ≥ this fraction of γ_max are "near γ_max" for β̃₀'s share.
pub const LARGE_FRACTION: f64 = 0.6;

fn largest(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::NAN, f64::max)
}

fn smallest(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::NAN, f64::min)
}

/// ‖β∞ − argmin ψ_{α∞}‖ / ‖β∞ − β*_α‖: the error of dropping β̃₀, against the whole distance from
/// gradient flow (`None` unless both are known).
pub fn tilde_share(r: &Row) -> Option<f64> {
    Some(r.err.without_tilde? / r.err.gf?)
}

/// Per batch size, the least-squares slope of ln‖β∞ − β*_α‖₂ in ln γ over its `points` smallest
/// converged stepsizes.
pub fn gf_slopes(rows: &[Row], points: usize) -> Vec<f64> {
    let mut batches: Vec<usize> = rows.iter().map(|r| r.batch).collect();
    batches.dedup();
    batches
        .into_iter()
        .filter_map(|b| {
            let mut gf: Vec<(f64, f64)> = (rows.iter().filter(|r| r.batch == b && r.status == Status::Converged))
                .filter_map(|r| Some((r.gamma, r.err.gf?)))
                .collect();
            gf.sort_by(|a, b| a.0.total_cmp(&b.0));
            gf.truncate(points);
            let (x, y): (Vec<f64>, Vec<f64>) = gf.into_iter().unzip();
            dln::metrics::log_log_slope(&x, &y).ok()
        })
        .collect()
}

// ANCHOR: claims
/// The claims, computed from the rows (`slope_points`: how many of each batch size's smallest
/// converged stepsizes the first-order slope is fitted on).
pub fn claims(rows: &[Row], slope_points: usize) -> Vec<Claim> {
    let slopes = gf_slopes(rows, slope_points);
    let converged: Vec<&Row> = rows.iter().filter(|r| r.status == Status::Converged).collect();
    let worst = largest(converged.iter().map(|r| r.err.theorem2.unwrap_or(f64::INFINITY)));
    let every = converged.len() as f64 / rows.len() as f64;
    let gain = smallest(converged.iter().filter_map(|r| Some(r.err.without_tilde? / r.err.theorem2?)));
    let slope_off = largest(slopes.iter().map(|s| (s - 1.0).abs()));
    let small = largest(rows.iter().filter(|r| r.fraction <= SMALL_FRACTION).filter_map(tilde_share));
    let gd_large =
        largest(rows.iter().filter(|r| r.method == Method::Gd && r.fraction >= LARGE_FRACTION).filter_map(tilde_share));
    vec![
        Claim::at_least("every_run_converges", "converged_fraction", every, 1.0).says(format!(
            "Every run of the grid ({} of {}) reaches the training-loss tolerance.",
            converged.len(),
            rows.len()
        )),
        Claim::at_most("theorem2_is_exact", "largest_error", worst, EXACT).says(format!(
            "On every converged run, the limit is Theorem 2's prediction to {} (at most {EXACT:.0e}): the theorem is an identity.",
            fmt3(worst)
        )),
        Claim::at_least("tilde_beta0_is_needed", "smallest_error_ratio", gain, 1e3).says(format!(
            "Dropping β̃₀ moves the prediction at least {}× further from the limit than Theorem 2's own error, on every converged run.",
            fmt3(gain)
        )),
        Claim::at_most("gf_distance_is_first_order", "largest_slope_minus_one", slope_off, 0.05)
            .with("slopes_min", smallest(slopes.iter().copied()))
            .with("slopes_max", largest(slopes.iter().copied()))
            .says(format!(
                "As γ → 0 the distance to gradient flow's limit vanishes at first order in γ: fitted log–log slopes {}–{}.",
                fmt3(smallest(slopes.iter().copied())),
                fmt3(largest(slopes.iter().copied()))
            )),
        Claim::at_most("tilde_beta0_negligible_at_small_gamma", "largest_share", small, 0.2).says(format!(
            "For γ ≤ {SMALL_FRACTION} γ_max, dropping β̃₀ errs by at most {} of the distance to gradient flow: there β̃₀ can be ignored.",
            fmt3(small)
        )),
        Claim::at_least("tilde_beta0_not_negligible_near_gamma_max", "largest_gd_share", gd_large, 1.0).says(format!(
            "For GD at γ ≥ {LARGE_FRACTION} γ_max, dropping β̃₀ errs by up to {}× the distance to gradient flow itself: near γ_max β̃₀ cannot be ignored.",
            fmt3(gd_large)
        )),
    ]
}
// ANCHOR_END: claims

//! The claims of section "Each batch size at its own γ_max", from the runs.

use super::Output;
use super::summary::{fit, over_datasets};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::smallest;
use crate::experiments::fraction_runs::{self, Row};

/// The bound on the law's largest relative error at the smallest fraction.
pub const LAW_TOLERANCE: f64 = 0.25;

/// Per consecutive pair of batch sizes, the ratio of `f`'s medians (larger b over smaller) at
/// `fraction`.
pub fn consecutive_ratios(out: &Output, fraction: f64, f: fn(&Row) -> f64) -> Vec<f64> {
    let medians: Vec<f64> = out.batches.iter().map(|&b| over_datasets(out, b, fraction, f).median).collect();
    medians.windows(2).map(|w| w[1] / w[0]).collect()
}

// ANCHOR: claims
/// The claims, computed from the runs.
pub fn claims(out: &Output) -> Vec<Claim> {
    let [converge, exact] = fraction_runs::standard_claims(&out.runs);
    let small = out.fractions.first().copied().unwrap_or(f64::NAN);
    let top = out.fractions.last().copied().unwrap_or(f64::NAN);
    let growth = smallest(consecutive_ratios(out, small, |r| r.gamma_max));
    let (a, b, worst) = fit(out, small);
    let (_, _, worst_top) = fit(out, top);
    let risk = consecutive_ratios(out, top, Row::risk_ratio);
    vec![
        converge,
        exact,
        Claim::at_least("gamma_max_grows_with_batch", "smallest_growth", growth, 1.0).says(format!(
            "γ_max grows with the batch size: each larger b has a median γ_max at least {}× the previous one's.",
            fmt3(growth)
        )),
        Claim::at_most("gain_follows_noise_factor", "largest_relative_error", worst, LAW_TOLERANCE)
            .with("a", a)
            .with("b", b)
            .with("largest_relative_error_at_largest_fraction", worst_top)
            .says(format!(
                "At {} γ_max(b), ‖Gain‖₁/γ = A + B·(n − b)/(b(n − 1)) with GD's A = {} and B = {} fitted: every batch size's median is within {} of the law (bound {LAW_TOLERANCE}); at {} γ_max(b) within {}.",
                fmt3(small),
                fmt3(a),
                fmt3(b),
                fmt3(worst),
                fmt3(top),
                fmt3(worst_top)
            )),
        Claim::at_least("smaller_batches_end_closer_to_sparse", "smallest_risk_growth", smallest(risk.iter().copied()), 1.0)
            .says(format!(
                "At {} γ_max(b), the median test risk relative to gradient flow's grows with b from the smallest batch to GD: each step up in b multiplies it by {} at least.",
                fmt3(top),
                fmt3(smallest(risk.iter().copied()))
            )),
    ]
}
// ANCHOR_END: claims

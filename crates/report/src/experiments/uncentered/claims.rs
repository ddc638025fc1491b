//! The claims of section "Uncentred data", from the medians over datasets.

use super::{MethodSummary, PerMethod};
use crate::claims::{Claim, fmt3};

/// GD's median risk ratio at the largest fraction over that at the smallest.
fn gd_change(s: &PerMethod<MethodSummary>) -> f64 {
    s.gd.median_risk_ratio_largest_gamma / s.gd.median_risk_ratio_smallest_gamma
}

/// The sentence on the datasets where GD has no convergent stepsize (empty when there is none).
fn without_note(count: usize) -> String {
    match count {
        0 => String::new(),
        k => format!(
            " On {k} uncentered dataset{} no constant stepsize converges within GD's step budget: there GD has no runs, and the medians leave it out.",
            if k == 1 { "" } else { "s" }
        ),
    }
}

// ANCHOR: claims
/// The claims, computed from each case's per-method medians (μ: the uncentered mean).
pub fn claims(centered: &PerMethod<MethodSummary>, uncentered: &PerMethod<MethodSummary>, mean: f64) -> Vec<Claim> {
    let (hurts, helps) = (gd_change(centered), gd_change(uncentered));
    let cv = uncentered.gd.median_gain_cv_largest_gamma / centered.gd.median_gain_cv_largest_gamma;
    let drop = centered.gd.median_gamma_max / uncentered.gd.median_gamma_max;
    vec![
        Claim::at_least("large_gamma_hurts_gd_centered", "risk_change", hurts, 2.0).says(format!(
            "On centered data, GD's median test risk (relative to gradient flow's) is {}× larger at the largest stepsize than at the smallest.",
            fmt3(hurts)
        )),
        Claim::at_most("large_gamma_helps_gd_uncentered", "risk_change", helps, 0.8).says(format!(
            "With a mean μ = {} it is {}× the smallest-stepsize value: large stepsizes now help GD.",
            fmt3(mean),
            fmt3(helps)
        )),
        Claim::at_most("gd_gain_homogeneous_uncentered", "cv_ratio", cv, 0.5).says(format!(
            "GD's gain is flatter across coordinates: its median coefficient of variation at the largest stepsize is {}× the centered one.",
            fmt3(cv)
        )),
        Claim::at_least("gd_gamma_max_drops", "gamma_max_ratio", drop, 5.0)
            .with("uncentered_gd_datasets_without_gamma_max", uncentered.gd.datasets_without_gamma_max as f64)
            .says(format!(
                "The mean also shrinks GD's γ_max, {}× (the top eigenvalue of XᵀX/n grows like 1 + μ²d).{}",
                fmt3(drop),
                without_note(uncentered.gd.datasets_without_gamma_max)
            )),
    ]
}
// ANCHOR_END: claims

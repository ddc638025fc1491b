//! The claims of chapter "Estimated parameters", from the three estimates.

use super::{Estimate, Output};
use crate::claims::{Claim, fmt3};

/// Σ_{j: β*_j = 0} |β_j| (infinite if a coordinate is unknown).
fn off_support_l1(e: &Estimate, beta_star: &[f64]) -> f64 {
    (e.beta.iter().zip(beta_star).filter(|(_, s)| **s == 0.0)).map(|(b, _)| b.map_or(f64::INFINITY, f64::abs)).sum()
}

/// ‖β − β*‖₁ (infinite if a coordinate is unknown).
fn l1_error(e: &Estimate, beta_star: &[f64]) -> f64 {
    e.beta.iter().zip(beta_star).map(|(b, s)| b.map_or(f64::INFINITY, |b| (b - s).abs())).sum()
}

// ANCHOR: claims
/// The claims, computed from the estimates (gradient flow, GD and SGD, in this order).
pub fn claims(out: &Output) -> Vec<Claim> {
    let star = &out.beta_star;
    let by = |m: &str| out.estimates.iter().find(|e| e.method == m);
    let (Some(gf), Some(gd), Some(sgd)) = (by("GF"), by("GD"), by("SGD")) else { return Vec::new() };
    let risk = |e: &Estimate| e.test_risk.unwrap_or(f64::INFINITY);
    let norm1: f64 = star.iter().map(|b| b.abs()).sum();
    let fraction = gd.fraction.map_or_else(|| "n/a".into(), fmt3);
    let sgd_rel = l1_error(sgd, star) / norm1;
    let gd_off = off_support_l1(gd, star) / off_support_l1(gf, star);
    vec![
        Claim::at_most("sgd_beats_gradient_flow", "risk_ratio", risk(sgd) / risk(gf), 0.01)
            .says(format!("At {fraction} γ_max, SGD's test risk is {}× gradient flow's.", fmt3(risk(sgd) / risk(gf)))),
        Claim::at_least("gd_worse_than_gradient_flow", "risk_ratio", risk(gd) / risk(gf), 10.0)
            .says(format!("At {fraction} γ_max, GD's test risk is {}× gradient flow's.", fmt3(risk(gd) / risk(gf)))),
        Claim::at_most("sgd_recovers_beta_star", "relative_l1_error", sgd_rel, 0.01)
            .says(format!("SGD's estimate is within {} of β* in ℓ1, relative to ‖β*‖₁.", fmt3(sgd_rel))),
        Claim::at_least("gd_spreads_off_support", "off_support_ratio", gd_off, 2.0)
            .says(format!("GD puts {}× as much ℓ1 mass off the support of β* as gradient flow does.", fmt3(gd_off))),
    ]
}
// ANCHOR_END: claims

//! The claims of chapter "Estimated parameters", from the three estimates on every dataset.

use super::{DatasetFit, Estimate, Output};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};

/// Σ_{j: β*_j = 0} |β_j| (infinite if a coordinate is unknown).
fn off_support_l1(e: &Estimate, beta_star: &[f64]) -> f64 {
    (e.beta.iter().zip(beta_star).filter(|(_, s)| **s == 0.0)).map(|(b, _)| b.map_or(f64::INFINITY, f64::abs)).sum()
}

/// ‖β − β*‖₁ (infinite if a coordinate is unknown).
fn l1_error(e: &Estimate, beta_star: &[f64]) -> f64 {
    e.beta.iter().zip(beta_star).map(|(b, s)| b.map_or(f64::INFINITY, |b| (b - s).abs())).sum()
}

/// The claims' ratios on one dataset (a diverged run's risk and errors are infinite).
#[derive(Debug, Clone, Copy)]
pub struct Ratios {
    /// risk(SGD) / risk(GF).
    pub sgd_over_gf_risk: f64,
    /// risk(GD) / risk(GF).
    pub gd_over_gf_risk: f64,
    /// ‖β_SGD − β*‖₁ / ‖β*‖₁.
    pub sgd_relative_l1_error: f64,
    /// ‖β_GD,Sᶜ‖₁ / ‖β_GF,Sᶜ‖₁.
    pub gd_over_gf_off_support: f64,
}

impl Ratios {
    /// The ratios of `fit` (`None` if an estimate is missing).
    pub fn of(fit: &DatasetFit) -> Option<Self> {
        let star = &fit.beta_star;
        let (gf, gd, sgd) = (fit.get("GF")?, fit.get("GD")?, fit.get("SGD")?);
        let risk = |e: &Estimate| e.test_risk.unwrap_or(f64::INFINITY);
        let norm1: f64 = star.iter().map(|b| b.abs()).sum();
        Some(Ratios {
            sgd_over_gf_risk: risk(sgd) / risk(gf),
            gd_over_gf_risk: risk(gd) / risk(gf),
            sgd_relative_l1_error: l1_error(sgd, star) / norm1,
            gd_over_gf_off_support: off_support_l1(gd, star) / off_support_l1(gf, star),
        })
    }
}

// ANCHOR: claims
/// The claims, computed from the estimates on every dataset (gradient flow, GD and SGD).
pub fn claims(out: &Output) -> Vec<Claim> {
    let all: Vec<Ratios> = out.datasets.iter().filter_map(Ratios::of).collect();
    if all.len() != out.datasets.len() || all.is_empty() {
        return Vec::new();
    }
    let fraction = (out.datasets[0].get("GD").and_then(|e| e.fraction)).map_or_else(|| "n/a".into(), fmt3);
    let n = all.len();
    let values = |f: fn(&Ratios) -> f64| all.iter().map(f).collect::<Vec<f64>>();
    let (sgd_gf, gd_gf) = (values(|r| r.sgd_over_gf_risk), values(|r| r.gd_over_gf_risk));
    let (sgd_rel, gd_off) = (values(|r| r.sgd_relative_l1_error), values(|r| r.gd_over_gf_off_support));
    let median = |v: &[f64]| dln::metrics::quantile(v, 0.5);
    let (sgd_gf_median, gd_gf_median) = (median(&sgd_gf), median(&gd_gf));
    let (sgd_rel_median, gd_off_median) = (median(&sgd_rel), median(&gd_off));
    let (sgd_gf_worst, gd_gf_least) = (largest(sgd_gf.iter().copied()), smallest(gd_gf.iter().copied()));
    let (sgd_rel_worst, gd_off_least) = (largest(sgd_rel.iter().copied()), smallest(gd_off.iter().copied()));
    let sgd_below = sgd_gf.iter().filter(|r| **r < 1.0).count();
    vec![
        Claim::at_most("sgd_beats_gradient_flow", "median_risk_ratio", sgd_gf_median, 0.1)
            .with("datasets_below_gradient_flow", sgd_below as f64)
            .with("largest_risk_ratio", sgd_gf_worst)
            .says(format!(
                "At {fraction} γ_max, SGD's test risk is {}× gradient flow's at the median over {n} datasets, and below it on {sgd_below} of them; on the worst it is {}×: large-step SGD does not help on every dataset.",
                fmt3(sgd_gf_median),
                fmt3(sgd_gf_worst)
            )),
        Claim::at_least("gd_worse_than_gradient_flow", "smallest_risk_ratio", gd_gf_least, 1.0)
            .with("median_risk_ratio", gd_gf_median)
            .says(format!(
                "At {fraction} γ_max, GD's test risk is above gradient flow's on all {n} datasets: {}× at the median, {}× at the least.",
                fmt3(gd_gf_median),
                fmt3(gd_gf_least)
            )),
        Claim::at_most("sgd_recovers_beta_star", "median_relative_l1_error", sgd_rel_median, 0.05)
            .with("largest_relative_l1_error", sgd_rel_worst)
            .says(format!(
                "SGD's estimate is within {} of β* in ℓ1, relative to ‖β*‖₁, at the median over the datasets (at most 5 %); on the worst dataset it is {} off.",
                fmt3(sgd_rel_median),
                fmt3(sgd_rel_worst)
            )),
        Claim::at_least("gd_spreads_off_support", "smallest_off_support_ratio", gd_off_least, 1.0)
            .with("median_off_support_ratio", gd_off_median)
            .says(format!(
                "GD puts more ℓ1 mass off the support of β* than gradient flow does on all {n} datasets: {}× at the median, {}× at the least.",
                fmt3(gd_off_median),
                fmt3(gd_off_least)
            )),
    ]
}
// ANCHOR_END: claims

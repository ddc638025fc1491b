//! The explorer's headline numbers: dataset 0's runs (the slider's) and, per method and fraction,
//! the runs over every dataset.

use serde::Serialize;

use super::{Output, claims, gradient_flow, runs};
use crate::claims::Claim;
use crate::experiments::common::{coefficient_of_variation, finite, quartiles};
use crate::experiments::estimated_parameters::{DatasetFit, Estimate};
use crate::experiments::stepsize_sweep::r4;

/// The gain of a run, if every coordinate is known (not for gradient flow or a diverged run).
pub fn gain(e: &Estimate) -> Option<Vec<f64>> {
    e.gain.iter().copied().collect()
}

/// ‖Gain_γ‖₁ of a run (NaN if unknown).
pub fn gain_l1(e: &Estimate) -> f64 {
    gain(e).map_or(f64::NAN, |g| g.iter().map(|x| x.abs()).sum())
}

/// Coefficient of variation of Gain_γ across coordinates (NaN if unknown).
pub fn gain_cv(e: &Estimate) -> f64 {
    gain(e).map_or(f64::NAN, |g| coefficient_of_variation(&g))
}

/// A run's test risk over gradient flow's on its dataset (NaN if either is unknown).
pub fn risk_ratio(fit: &DatasetFit, e: &Estimate) -> f64 {
    match (e.test_risk, gradient_flow(fit).and_then(|g| g.test_risk)) {
        (Some(r), Some(gf)) => r / gf,
        _ => f64::NAN,
    }
}

/// Headline numbers of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// "GD" | "SGD".
    pub method: &'static str,
    /// γ / γ_max.
    pub fraction: Option<f64>,
    /// How the run ended.
    pub status: String,
    /// Population risk of β (None if diverged).
    pub test_risk: Option<f64>,
    /// ‖Gain_γ‖₁ (None if diverged).
    pub gain_l1: Option<f64>,
    /// Coefficient of variation of Gain_γ across coordinates (None if diverged).
    pub gain_cv: Option<f64>,
}

/// One method at one fraction, over every dataset: medians (and quartiles of the risk) over the
/// runs that did not diverge.
#[derive(Debug, Clone, Serialize)]
pub struct FractionStat {
    /// "GD" | "SGD".
    pub method: &'static str,
    /// γ / γ_max.
    pub fraction: f64,
    /// Converged runs (of `datasets`).
    pub converged: usize,
    /// Datasets.
    pub datasets: usize,
    /// Median test risk over gradient flow's on the same dataset.
    pub risk_ratio: Option<f64>,
    /// Its first quartile.
    pub risk_ratio_q25: Option<f64>,
    /// Its third quartile.
    pub risk_ratio_q75: Option<f64>,
    /// Median ‖Gain_γ‖₁.
    pub gain_l1: Option<f64>,
    /// Median coefficient of variation of Gain_γ across coordinates.
    pub gain_cv: Option<f64>,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Population risk of gradient flow's limit on dataset 0.
    pub gf_test_risk: Option<f64>,
    /// Every run on dataset 0 (the slider's), in slider order (GD then SGD at each fraction).
    pub runs: Vec<RunSummary>,
    /// Per method and fraction, over every dataset.
    pub over_datasets: Vec<FractionStat>,
    /// The section's claims (on every dataset).
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`, whose runs are at `fractions`.
    pub fn of(out: &Output, fractions: &[f64]) -> Self {
        let shown = out.shown();
        let row = |e: &&Estimate| RunSummary {
            method: e.method,
            fraction: e.fraction,
            status: e.status.clone(),
            test_risk: e.test_risk,
            gain_l1: finite(gain_l1(e)),
            gain_cv: finite(gain_cv(e)),
        };
        let over_datasets = fractions.iter().flat_map(|&f| ["GD", "SGD"].map(|method| over(out, method, f))).collect();
        Summary {
            gf_test_risk: gradient_flow(shown).and_then(|e| e.test_risk),
            runs: runs(shown).iter().map(row).collect(),
            over_datasets,
            claims: claims::claims(&out.datasets),
        }
    }
}

/// `method` at `fraction` over every dataset of `out`.
fn over(out: &Output, method: &'static str, fraction: f64) -> FractionStat {
    let here: Vec<(&DatasetFit, &Estimate)> = (out.datasets.iter())
        .flat_map(|fit| fit.estimates.iter().map(move |e| (fit, e)))
        .filter(|(_, e)| e.method == method && e.fraction == Some(fraction))
        .collect();
    let kept = || here.iter().filter(|(_, e)| e.test_risk.is_some());
    let risk = quartiles(&kept().map(|(fit, e)| risk_ratio(fit, e)).collect::<Vec<_>>());
    let median = |f: fn(&Estimate) -> f64| r4(quartiles(&kept().map(|(_, e)| f(e)).collect::<Vec<_>>()).median);
    FractionStat {
        method,
        fraction,
        converged: here.iter().filter(|(_, e)| e.status == "converged").count(),
        datasets: here.len(),
        risk_ratio: r4(risk.median),
        risk_ratio_q25: r4(risk.q25),
        risk_ratio_q75: r4(risk.q75),
        gain_l1: median(gain_l1),
        gain_cv: median(gain_cv),
    }
}

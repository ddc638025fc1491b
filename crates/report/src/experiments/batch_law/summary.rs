//! batch_law's headline numbers: per (b, fraction), medians over datasets of γ_max, ‖Gain‖₁/γ and
//! the test risk relative to gradient flow's; per fraction, the fitted law ‖Gain‖₁/γ = A + B·noise(b).

use serde::Serialize;

use super::{Output, claims};
use crate::claims::Claim;
use crate::experiments::common::Quartiles;
use crate::experiments::fraction_runs::{Count, Row, Totals, quartiles_over};
use crate::experiments::gain_scale::batch_noise_factor;
use crate::experiments::stepsize_sweep::r4;

/// Quartiles of `f` over the runs of batch size `b` at `fraction` that did not diverge.
pub fn over_datasets(out: &Output, b: usize, fraction: f64, f: impl Fn(&Row) -> f64) -> Quartiles {
    quartiles_over(out.runs.rows.iter().filter(|r| r.batch == b && r.fraction == fraction), f)
}

/// ‖Gain‖₁/γ of a run.
pub fn gain_per_gamma(r: &Row) -> f64 {
    r.gain_l1() / r.gamma
}

/// The law ‖Gain‖₁/γ = A + B·(n − b)/(b(n − 1)) at one fraction: A is GD's median (b = n, noise
/// factor 0), B the least-squares slope through it over the SGD batch sizes' medians.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Law {
    /// γ/γ_max.
    pub fraction: f64,
    /// A (GD's median ‖Gain‖₁/γ).
    pub a: Option<f64>,
    /// B.
    pub b: Option<f64>,
    /// Largest |median / law − 1| over the SGD batch sizes.
    pub largest_relative_error: Option<f64>,
}

/// The law at `fraction` as (A, B, largest relative error), unrounded.
pub fn fit(out: &Output, fraction: f64) -> (f64, f64, f64) {
    let median = |b: usize| over_datasets(out, b, fraction, gain_per_gamma).median;
    let a = median(out.n);
    let points: Vec<(f64, f64)> =
        (out.batches.iter()).filter(|&&b| b < out.n).map(|&b| (batch_noise_factor(out.n, b), median(b) - a)).collect();
    let slope = points.iter().map(|(x, y)| x * y).sum::<f64>() / points.iter().map(|(x, _)| x * x).sum::<f64>();
    let worst = (out.batches.iter())
        .filter(|&&b| b < out.n)
        .map(|&b| (median(b) / (a + slope * batch_noise_factor(out.n, b)) - 1.0).abs())
        .fold(f64::NEG_INFINITY, f64::max);
    (a, slope, worst)
}

/// One (b, fraction).
#[derive(Debug, Clone, Serialize)]
pub struct BatchStat {
    /// Batch size b (n: GD).
    pub batch: usize,
    /// The noise factor (n − b)/(b(n − 1)).
    pub noise_factor: Option<f64>,
    /// γ/γ_max.
    pub fraction: f64,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// Median γ_max(b).
    pub gamma_max: Option<f64>,
    /// Median ‖Gain‖₁.
    pub gain_l1: Option<f64>,
    /// Median ‖Gain‖₁/γ.
    pub gain_l1_over_gamma: Option<f64>,
    /// Median test risk over gradient flow's.
    pub risk_ratio: Option<f64>,
    /// Its first quartile.
    pub risk_ratio_q25: Option<f64>,
    /// Its third quartile.
    pub risk_ratio_q75: Option<f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per (b, fraction).
    pub table: Vec<BatchStat>,
    /// The law at each fraction.
    pub laws: Vec<Law>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`.
    pub fn of(out: &Output) -> Self {
        let rows = &out.runs.rows;
        let mut table = Vec::new();
        for &b in &out.batches {
            for &fraction in &out.fractions {
                let count = Count::of(rows.iter().filter(|r| r.batch == b && r.fraction == fraction));
                let risk = over_datasets(out, b, fraction, Row::risk_ratio);
                table.push(BatchStat {
                    batch: b,
                    noise_factor: r4(batch_noise_factor(out.n, b)),
                    fraction,
                    count,
                    gamma_max: r4(over_datasets(out, b, fraction, |r| r.gamma_max).median),
                    gain_l1: r4(over_datasets(out, b, fraction, Row::gain_l1).median),
                    gain_l1_over_gamma: r4(over_datasets(out, b, fraction, gain_per_gamma).median),
                    risk_ratio: r4(risk.median),
                    risk_ratio_q25: r4(risk.q25),
                    risk_ratio_q75: r4(risk.q75),
                });
            }
        }
        let laws = (out.fractions.iter())
            .map(|&fraction| {
                let (a, b, worst) = fit(out, fraction);
                Law { fraction, a: r4(a), b: r4(b), largest_relative_error: r4(worst) }
            })
            .collect();
        Summary { totals: Totals::of(&out.runs), table, laws, claims: claims::claims(out) }
    }
}

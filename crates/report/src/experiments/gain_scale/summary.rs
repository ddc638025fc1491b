//! gain_scale's headline numbers and claims: ‖Gain‖₁ per γ/γ_max and per batch size, its growth and
//! log–log slope in γ, and the without-replacement batch law.

use serde::Serialize;

use super::{Config, Output};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{Method, PerMethod, Quartiles, largest, quartiles, smallest};
use crate::experiments::stepsize_sweep::{self, GridStat, RunCounts, SweepRun, grid_stats, grouped, r4};

/// Quartiles over datasets of ‖Gain‖₁ per batch size (converged runs only), in batch order.
pub(super) fn batch_stats(batch: &[SweepRun]) -> Vec<(usize, Quartiles)> {
    grouped(batch, |r| r.batch, SweepRun::gain_l1).into_iter().map(|(r, q)| (r.batch, q)).collect()
}

/// ‖Gain‖₁ at one batch size.
#[derive(Debug, Clone, Serialize)]
pub struct BatchStat {
    /// b.
    pub batch: usize,
    /// Median over datasets.
    pub median: Option<f64>,
    /// First quartile.
    pub q25: Option<f64>,
    /// Third quartile.
    pub q75: Option<f64>,
    /// Converged runs summarised.
    pub converged: usize,
}

/// The batch sweep's part of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    /// Its stepsize / SGD's γ_max.
    pub gamma_over_sgd_gamma_max: f64,
    /// ‖Gain‖₁ per batch size.
    pub table: Vec<BatchStat>,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// ‖Gain‖₁ per γ/γ_max.
    pub gain_l1_vs_stepsize: PerMethod<Vec<GridStat>>,
    /// ‖Gain‖₁ per batch size.
    pub gain_l1_vs_batch: BatchSummary,
    /// Runs of the stepsize sweep per status.
    pub runs: PerMethod<RunCounts>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of gain_scale's runs.
    pub fn of(out: &Output, cfg: &Config) -> Self {
        let table = batch_stats(&out.batch)
            .into_iter()
            .map(|(b, q)| BatchStat {
                batch: b,
                median: r4(q.median),
                q25: r4(q.q25),
                q75: r4(q.q75),
                converged: q.count,
            })
            .collect();
        Summary {
            gain_l1_vs_stepsize: PerMethod::new(|m| {
                grid_stats(&stepsize_sweep::stats(&out.stepsize, m, SweepRun::gain_l1))
            }),
            gain_l1_vs_batch: BatchSummary { gamma_over_sgd_gamma_max: cfg.batch_gamma_fraction, table },
            runs: PerMethod::new(|m| RunCounts::of(&out.stepsize, m)),
            claims: [
                growth_claims(&out.stepsize),
                slope_claims(&out.stepsize),
                batch_claims(&out.batch, cfg.sweep.setting.n),
            ]
            .concat(),
        }
    }
}

/// Upper end of the macroscopic range of γ/γ_max over which the slope of ‖Gain‖₁ is fitted: below
/// the edge-of-stability jump, which comes at ≥ 0.8 γ_max (chapter 1).
pub const MACROSCOPIC_UP_TO: f64 = 0.75;

/// Up to this γ/γ_max every run converges, and ‖Gain‖₁ is claimed to rise at each grid step.
pub const MONOTONE_UP_TO: f64 = 0.8;

/// Relative tolerance of the batch law ‖Gain‖₁(b) ≈ ‖Gain‖₁(GD) + c·(n − b)/(b(n − 1)).
pub const BATCH_LAW_TOLERANCE: f64 = 0.15;

/// Median ‖Gain‖₁ of `method`'s converged runs per γ/γ_max (grid points with a converged run).
fn gain_curve(runs: &[SweepRun], method: Method) -> Vec<(f64, f64)> {
    let stats = stepsize_sweep::stats(runs, method, SweepRun::gain_l1);
    stats.into_iter().filter(|(_, q)| q.count > 0).map(|(r, q)| (r, q.median)).collect()
}

/// Log–log slope of the points (x, y) ([`dln::metrics::log_log_slope`]; NaN if undefined).
fn slope(points: &[(f64, f64)]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    dln::metrics::log_log_slope(&x, &y).unwrap_or(f64::NAN)
}

/// Points of `curve` with γ/γ_max ≤ `up_to`.
fn up_to(curve: &[(f64, f64)], up_to: f64) -> Vec<(f64, f64)> {
    curve.iter().copied().filter(|p| p.0 <= up_to + 1e-12).collect()
}

/// `v` per method as a statement cites it: "x (GD) and y (SGD)", to 3 significant digits.
fn both(v: &PerMethod<f64>) -> String {
    format!("{} (GD) and {} (SGD)", fmt3(v.gd), fmt3(v.sgd))
}

/// `claim` with `v`'s two values among its values, named `gd` and `sgd`.
fn citing(claim: Claim, [gd, sgd]: [&'static str; 2], v: &PerMethod<f64>) -> Claim {
    claim.with(gd, v.gd).with(sgd, v.sgd)
}

/// The claims on the growth of ‖Gain‖₁ with γ (chapter 5), from the median curves over datasets.
fn growth_claims(runs: &[SweepRun]) -> Vec<Claim> {
    let curve = PerMethod::new(|m| gain_curve(runs, m));
    let rise = PerMethod::new(|m| smallest(up_to(curve.get(m), MONOTONE_UP_TO).windows(2).map(|w| w[1].1 / w[0].1)));
    let edge = PerMethod::new(|m| {
        let c = curve.get(m);
        c.last().zip(c.first()).map_or(f64::NAN, |(last, first)| last.1 / first.1)
    });
    let steps = PerMethod::new(|m| {
        let s: Vec<(f64, f64)> = stepsize_sweep::stats(runs, m, |r| r.steps as f64 * r.at.gamma)
            .into_iter()
            .map(|p| (p.0, p.1.median))
            .collect();
        let first = s.first().map_or(f64::NAN, |p| p.1);
        up_to(&s, MACROSCOPIC_UP_TO).into_iter().map(|p| p.1 / first).collect::<Vec<f64>>()
    });
    let gd_steps = largest(steps.gd.iter().map(|v| (v - 1.0).abs()));
    let sgd_steps = steps.sgd.last().copied().unwrap_or(f64::NAN);
    let grows = Claim::at_least("gain_grows_with_stepsize", "smallest_rise", smallest([rise.gd, rise.sgd]), 1.0);
    let dwarfs = Claim::at_least(
        "edge_gain_dwarfs_small_stepsizes",
        "largest_over_smallest",
        smallest([edge.gd, edge.sgd]),
        100.0,
    );
    vec![
        citing(grows, ["gd_smallest_rise", "sgd_smallest_rise"], &rise).says(format!(
            "Up to {MONOTONE_UP_TO} γ_max every step of the grid multiplies the median ‖Gain‖₁ by at least {} (≥ 1): \
             the gain grows with the stepsize.",
            both(&rise)
        )),
        citing(dwarfs, ["gd", "sgd"], &edge).says(format!(
            "The median ‖Gain‖₁ at γ_max is {} times that at the smallest stepsize (≥ 100).",
            both(&edge)
        )),
        Claim::at_most("gd_steps_scale_as_inverse_gamma", "largest_deviation", gd_steps, 0.05)
            .with("sgd_steps_times_gamma_ratio", sgd_steps)
            .says(format!(
                "Up to {MACROSCOPIC_UP_TO} γ_max, GD's median γ·(steps to converge) stays within {} of its value at the \
                 smallest stepsize (≤ 0.05): GD takes ∝ 1/γ steps. SGD's grows {} times: its noise slows convergence.",
                fmt3(gd_steps),
                fmt3(sgd_steps)
            )),
    ]
}

/// The claims on the log–log slope of ‖Gain‖₁ in γ (chapter 5), fitted to the median curves.
fn slope_claims(runs: &[SweepRun]) -> Vec<Claim> {
    let curve = PerMethod::new(|m| gain_curve(runs, m));
    let small = PerMethod::new(|m| slope(curve.get(m).get(..2).unwrap_or(&[])));
    let fitted = PerMethod::new(|m| slope(&up_to(curve.get(m), MACROSCOPIC_UP_TO)));
    let off_linear = largest([small.gd, small.sgd].map(|s| (s - 1.0).abs()));
    let slopes = ["gd_slope", "sgd_slope"];
    let linear = Claim::at_most("gain_linear_as_gamma_vanishes", "slope_minus_one", off_linear, 0.1);
    let superlinear = Claim::at_least(
        "gain_superlinear_at_macroscopic_stepsizes",
        "smallest_slope",
        smallest([fitted.gd, fitted.sgd]),
        1.0,
    );
    let below = Claim::at_most("gain_slope_below_three_halves", "largest_slope", largest([fitted.gd, fitted.sgd]), 1.5);
    vec![
        citing(linear, slopes, &small).says(format!(
            "Between the two smallest stepsizes the log–log slope of the median ‖Gain‖₁ in γ is {}, within 0.1 of 1 \
             (≤ 0.1): linear, as Gain ≈ γ² Σ_k g_k² over ∝ 1/γ steps predicts.",
            both(&small)
        )),
        citing(superlinear, slopes, &fitted).says(format!(
            "Fitted from the smallest stepsize up to {MACROSCOPIC_UP_TO} γ_max, the log–log slope of the median \
             ‖Gain‖₁ in γ is {}: at least 1 (≥ 1), faster than linear.",
            both(&fitted)
        )),
        citing(below, slopes, &fitted).says(format!(
            "The same slopes, {}, are at most 1.5 (≤ 1.5): nearer linear than quadratic in γ.",
            both(&fitted)
        )),
    ]
}

/// The variance factor (n − b)/(b(n − 1)) of a mini-batch of b of n samples drawn without
/// replacement: Var of its mean gradient = factor × Var of one sample's (0 for GD, b = n).
pub fn batch_noise_factor(n: usize, b: usize) -> f64 {
    (n as f64 - b as f64) / (b as f64 * (n as f64 - 1.0))
}

// ANCHOR: batch_claims
/// The claims on ‖Gain‖₁ against the batch size (chapter 5), from the medians over datasets: it
/// falls with b, and the law ‖Gain‖₁(b) = ‖Gain‖₁(GD) + c·(n − b)/(b(n − 1)), with c fitted (least
/// squares in log) to 2 ≤ b < n, reproduces those sizes but not b = 1.
fn batch_claims(batch: &[SweepRun], n: usize) -> Vec<Claim> {
    let stats = batch_stats(batch);
    let median = |b: usize| stats.iter().find(|s| s.0 == b).map_or(f64::NAN, |s| s.1.median);
    let falls = largest(stats.windows(2).map(|w| w[1].1.median / w[0].1.median));
    let gd = median(n);
    let fitted: Vec<(usize, f64)> = stats.iter().filter(|s| s.0 >= 2 && s.0 < n).map(|s| (s.0, s.1.median)).collect();
    let log_c: Vec<f64> = fitted.iter().map(|(b, g)| ((g - gd) / batch_noise_factor(n, *b)).ln()).collect();
    let c = (log_c.iter().sum::<f64>() / log_c.len() as f64).exp();
    let law = |b: usize| gd + c * batch_noise_factor(n, b);
    let deviation = largest(fitted.iter().map(|(b, g)| (law(*b) / g - 1.0).abs()));
    let b1 = median(1) / law(1);
    let steps = |b: usize| {
        let v: Vec<f64> = batch.iter().filter(|r| r.batch == b && r.converged()).map(|r| r.steps as f64).collect();
        quartiles(&v).median
    };
    let sizes = fitted.iter().map(|f| f.0.to_string()).collect::<Vec<_>>().join(", ");
    vec![
        Claim::at_most("gain_falls_with_batch", "largest_ratio", falls, 1.0).with("b1_over_gd", median(1) / gd).says(
            format!(
                "Each larger batch size lowers the median ‖Gain‖₁: the largest ratio of consecutive sizes' gains is {} \
             (≤ 1); from b = 1 to GD it falls {} times.",
                fmt3(falls),
                fmt3(median(1) / gd)
            ),
        ),
        Claim::at_most("batch_noise_law_fits_b2_to_n", "largest_relative_deviation", deviation, BATCH_LAW_TOLERANCE)
            .with("c", c)
            .with("gd_gain", gd)
            .says(format!(
                "‖Gain‖₁(b) = ‖Gain‖₁(GD) + c·(n − b)/(b(n − 1)), with GD's {} and c = {} fitted to b = {sizes}, \
                 reproduces the medians at those sizes within {} (≤ {BATCH_LAW_TOLERANCE}).",
                fmt3(gd),
                fmt3(c),
                fmt3(deviation)
            )),
        Claim::at_least("batch_noise_law_misses_b1", "measured_over_law", b1, 1.0 + BATCH_LAW_TOLERANCE)
            .with("steps_b1_over_gd", steps(1) / steps(n))
            .says(format!(
                "At b = 1 the measured median ‖Gain‖₁ is {} times the law's prediction (≥ {}: outside its tolerance). \
                 The law holds the trajectory fixed, but single-sample SGD also takes {} times GD's steps at this \
                 stepsize.",
                fmt3(b1),
                1.0 + BATCH_LAW_TOLERANCE,
                fmt3(steps(1) / steps(n))
            )),
    ]
}
// ANCHOR_END: batch_claims

#[cfg(test)]
mod tests {
    use super::*;

    /// Variance of the mean of every b-subset of `values` (enumerated), over the population
    /// variance (1/n normalisation) of one value.
    fn enumerated_factor(values: &[f64], b: usize) -> f64 {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let subsets: Vec<u32> = (0u32..1 << n).filter(|m| m.count_ones() as usize == b).collect();
        let means: Vec<f64> = subsets
            .iter()
            .map(|m| (0..n).filter(|i| m & (1 << i) != 0).map(|i| values[i]).sum::<f64>() / b as f64)
            .collect();
        means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / means.len() as f64 / var
    }

    #[test]
    fn the_batch_noise_factor_is_the_variance_of_a_batch_mean_without_replacement() {
        let values = [0.3, -1.2, 2.5, 0.0, 4.1, -0.7, 1.9];
        for b in 1..=values.len() {
            let exact = enumerated_factor(&values, b);
            assert!((batch_noise_factor(values.len(), b) - exact).abs() < 1e-12, "b = {b}: {exact}");
        }
        assert_eq!(batch_noise_factor(20, 1), 1.0);
        assert_eq!(batch_noise_factor(20, 20), 0.0);
    }
}

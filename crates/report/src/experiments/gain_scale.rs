//! The scale of the gain: ‖Gain_γ‖₁ vs stepsize (GD and SGD) and vs batch size.
//!
//! Gain_γ = ln(α²/α∞²) = Σ_k q(γ g_k) per coordinate, q(x) = −½ ln((1 − x²)²) (Theorem 2), read off
//! the weights exactly by the engine. Left panel: ‖Gain_γ‖₁ against γ/γ_max for the very runs of
//! `generalization` ([`super::stepsize_sweep::sweep`], computed once: same datasets, same γ_max bisection). Right
//! panel: ‖Gain_γ‖₁ against the batch size b ∈ `batches` at one stepsize per dataset,
//! γ = `batch_gamma_fraction` · γ_max(SGD, b = `sweep.batch`) of that dataset (b = n is GD). Expected
//! (slides, "Scale"): the larger the stepsize, the larger the gain; the larger the batch, the smaller
//! the gain. The claims ([`Summary::claims`]) quantify both: the log–log slope of ‖Gain‖₁ in γ (1 as
//! γ → 0, where Gain ≈ γ²Σ_k g_k² over ∝ 1/γ steps; above 1 at macroscopic stepsizes), and the batch
//! law ‖Gain‖₁(b) ≈ ‖Gain‖₁(GD) + c·(n − b)/(b(n − 1)) — the variance factor of a mini-batch drawn
//! without replacement — fitted to b ≥ 2 and tested at b = 1. Book: chapter "The gain's scale"
//! (`book/src/05-gain-scale.md`).

use anyhow::{Result, bail};
use plotly::Plot;
use plotly::layout::{Axis, AxisType};
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

use super::common::{Method, Quartiles, band_traces, quartiles, vline, vline_label};
use super::stepsize_sweep::{
    self, GridStat, PerMethod, RunAt, RunCounts, SweepConfig, SweepRun, grid_stats, method_bands, r4,
};
use super::{Experiment, Validate};
use crate::claims::{Claim, fmt3};
use crate::style;
use crate::sweep::par_map;

/// The experiment.
pub struct GainScale;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `sweep` | `generalization`'s default | the stepsize sweep (datasets, grid, budgets, …) | |
/// | `batches` | [1, 2, 5, 10, 20] | batch sizes of the batch sweep | 1 ≤ b ≤ n |
/// | `batch_gamma_fraction` | 0.5 | its stepsize, as a fraction of SGD's γ_max (b = `sweep.batch`) per dataset | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same runs as the `generalization` experiment).
    pub sweep: SweepConfig,
    /// Batch sizes of the batch sweep.
    pub batches: Vec<usize>,
    /// Stepsize of the batch sweep / SGD's γ_max on each dataset.
    pub batch_gamma_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { sweep: SweepConfig::default(), batches: vec![1, 2, 5, 10, 20], batch_gamma_fraction: 0.5 }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.sweep.validate().map_err(|e| anyhow::anyhow!("sweep: {e:#}"))?;
        if self.batches.is_empty() {
            bail!("batches must not be empty");
        }
        let n = self.sweep.setting.n;
        if let Some(b) = self.batches.iter().find(|&&b| b == 0 || b > n) {
            bail!("batches: batch sizes must satisfy 1 ≤ b ≤ n = {n} (got {b})");
        }
        if !(self.batch_gamma_fraction.is_finite() && self.batch_gamma_fraction > 0.0) {
            bail!("batch_gamma_fraction must be finite and > 0 (got {})", self.batch_gamma_fraction);
        }
        Ok(())
    }
}

// ANCHOR: batch_sweep
/// The batch sweep at γ = fraction · γ_max(SGD) of each dataset (γ_max read off the stepsize
/// sweep): one [`SweepRun`] per (dataset, batch size), `grid_index` = the batch's index in
/// `batches`, `gamma_max` = SGD's γ_max (b = n runs GD).
fn batch_sweep(cfg: &Config, sweep: &[SweepRun]) -> Result<Vec<SweepRun>> {
    let s = &cfg.sweep;
    let problems = s.setting.problems(s.datasets)?;
    let alpha = s.setting.alpha_vec();
    let sgd_gamma_max = stepsize_sweep::gamma_max_per_dataset(sweep, Method::Sgd);
    if sgd_gamma_max.len() != s.datasets {
        bail!("the stepsize sweep has SGD runs on {} of {} datasets", sgd_gamma_max.len(), s.datasets);
    }
    let tasks: Vec<(usize, usize)> =
        (0..s.datasets).flat_map(|i| (0..cfg.batches.len()).map(move |j| (i, j))).collect();
    par_map(&tasks, |&(i, j)| {
        let b = cfg.batches[j];
        let method = if b == s.setting.n { Method::Gd } else { Method::Sgd };
        let template = dln::Sgd { batch: b, ..s.template(method, i) };
        let at = RunAt {
            method,
            dataset: i,
            data_seed: s.setting.data_seed(i),
            grid_index: j,
            ratio: cfg.batch_gamma_fraction,
            gamma: cfg.batch_gamma_fraction * sgd_gamma_max[i],
            gamma_max: sgd_gamma_max[i],
        };
        SweepRun::new(&problems[i], &alpha, &template, at)
    })
    .into_iter()
    .collect()
}
// ANCHOR_END: batch_sweep

/// The stepsize sweep and the batch sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The runs of the stepsize sweep (shared with `generalization`).
    pub stepsize: Vec<SweepRun>,
    /// The runs of the batch sweep (`grid_index` = index of b in `batches`).
    pub batch: Vec<SweepRun>,
}

/// Quartiles over datasets of ‖Gain‖₁ per batch size (converged runs only), in batch order.
fn batch_stats(batch: &[SweepRun]) -> Vec<(usize, Quartiles)> {
    let mut groups: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    for r in batch {
        let entry = groups.entry(r.batch).or_default();
        if r.converged() {
            entry.extend(super::common::finite(r.gain_l1()));
        }
    }
    groups.into_iter().map(|(b, v)| (b, quartiles(&v))).collect()
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

/// The largest of `values` (NaN if there is none or one is NaN: a claim on it then fails).
fn largest(values: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() || v.iter().any(|x| x.is_nan()) {
        f64::NAN
    } else {
        v.into_iter().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// The smallest of `values` (NaN if there is none or one is NaN).
fn smallest(values: impl IntoIterator<Item = f64>) -> f64 {
    -largest(values.into_iter().map(|v| -v))
}

/// Points of `curve` with γ/γ_max ≤ `up_to`.
fn up_to(curve: &[(f64, f64)], up_to: f64) -> Vec<(f64, f64)> {
    curve.iter().copied().filter(|p| p.0 <= up_to + 1e-12).collect()
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
        let s: Vec<(f64, f64)> = stepsize_sweep::stats(runs, m, |r| r.steps as f64 * r.gamma)
            .into_iter()
            .map(|p| (p.0, p.1.median))
            .collect();
        let first = s.first().map_or(f64::NAN, |p| p.1);
        up_to(&s, MACROSCOPIC_UP_TO).into_iter().map(|p| p.1 / first).collect::<Vec<f64>>()
    });
    let gd_steps = largest(steps.gd.iter().map(|v| (v - 1.0).abs()));
    let sgd_steps = steps.sgd.last().copied().unwrap_or(f64::NAN);
    vec![
        Claim::at_least("gain_grows_with_stepsize", "smallest_rise", smallest([rise.gd, rise.sgd]), 1.0)
            .with("gd_smallest_rise", rise.gd)
            .with("sgd_smallest_rise", rise.sgd)
            .says(format!(
                "Up to {MONOTONE_UP_TO} γ_max every step of the grid multiplies the median ‖Gain‖₁ by at least {} (GD) \
                 and {} (SGD) (≥ 1): the gain grows with the stepsize.",
                fmt3(rise.gd),
                fmt3(rise.sgd)
            )),
        Claim::at_least("edge_gain_dwarfs_small_stepsizes", "largest_over_smallest", smallest([edge.gd, edge.sgd]), 100.0)
            .with("gd", edge.gd)
            .with("sgd", edge.sgd)
            .says(format!(
                "The median ‖Gain‖₁ at γ_max is {} (GD) and {} (SGD) times that at the smallest stepsize (≥ 100).",
                fmt3(edge.gd),
                fmt3(edge.sgd)
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
    vec![
        Claim::at_most("gain_linear_as_gamma_vanishes", "slope_minus_one", off_linear, 0.1)
            .with("gd_slope", small.gd)
            .with("sgd_slope", small.sgd)
            .says(format!(
                "Between the two smallest stepsizes the log–log slope of the median ‖Gain‖₁ in γ is {} (GD) and {} \
                 (SGD), within 0.1 of 1 (≤ 0.1): linear, as Gain ≈ γ² Σ_k g_k² over ∝ 1/γ steps predicts.",
                fmt3(small.gd),
                fmt3(small.sgd)
            )),
        Claim::at_least(
            "gain_superlinear_at_macroscopic_stepsizes",
            "smallest_slope",
            smallest([fitted.gd, fitted.sgd]),
            1.0,
        )
        .with("gd_slope", fitted.gd)
        .with("sgd_slope", fitted.sgd)
        .says(format!(
            "Fitted from the smallest stepsize up to {MACROSCOPIC_UP_TO} γ_max, the log–log slope of the median \
                 ‖Gain‖₁ in γ is {} (GD) and {} (SGD): at least 1 (≥ 1), faster than linear.",
            fmt3(fitted.gd),
            fmt3(fitted.sgd)
        )),
        Claim::at_most("gain_slope_below_three_halves", "largest_slope", largest([fitted.gd, fitted.sgd]), 1.5)
            .with("gd_slope", fitted.gd)
            .with("sgd_slope", fitted.sgd)
            .says(format!(
                "The same slopes, {} (GD) and {} (SGD), are at most 1.5 (≤ 1.5): nearer linear than quadratic in γ.",
                fmt3(fitted.gd),
                fmt3(fitted.sgd)
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

impl Experiment for GainScale {
    const NAME: &'static str = "gain_scale";
    const ABOUT: &'static str =
        "‖Gain_γ‖₁ grows with the stepsize γ and falls with the batch size b (GD and SGD, same runs as generalization)";
    type Config = Config;
    type Output = Output;
    type Summary = Summary;

    fn quick() -> Config {
        Config { sweep: SweepConfig::quick(), ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let stepsize = stepsize_sweep::sweep(&cfg.sweep)?.to_vec();
        let batch = batch_sweep(cfg, &stepsize)?;
        Ok(Output { stepsize, batch })
    }

    /// Tidy frame, one row per run: the columns of `generalization`'s frame plus `sweep`
    /// ("stepsize" | "batch"). In the batch sweep `grid_index` is the index of b in `batches` and
    /// `gamma_max`, `gamma_over_gamma_max` refer to SGD's γ_max (b = `sweep.batch`).
    fn frame(out: &Output) -> Result<DataFrame> {
        let mut frame = stepsize_sweep::frame(&out.stepsize)?;
        frame.with_column(Column::new("sweep".into(), vec!["stepsize"; out.stepsize.len()]))?;
        let mut batch_frame = stepsize_sweep::frame(&out.batch)?;
        batch_frame.with_column(Column::new("sweep".into(), vec!["batch"; out.batch.len()]))?;
        frame.vstack_mut(&batch_frame)?;
        Ok(frame)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let mut plot = Plot::new();
        let hover = "γ/γ<sub>max</sub> = %{x:.3g}<br>median ‖Gain‖₁ %{y:.3g}";
        plot.add_traces(method_bands(&out.stepsize, SweepRun::gain_l1, cfg.sweep.batch, hover));
        let (x, q): (Vec<f64>, Vec<Quartiles>) =
            batch_stats(&out.batch).into_iter().map(|(b, q)| (b as f64, q)).unzip();
        let name = "batch sweep (b = n is GD)";
        plot.add_traces(band_traces(name, style::EOS, &x, &q, "x2", "y2", true, "b = %{x}<br>median ‖Gain‖₁ %{y:.3g}"));
        let ticks: Vec<f64> = cfg.batches.iter().map(|b| *b as f64).collect();
        let layout = style::layout(&format!(
            "Scale of the gain ‖Gain<sub>γ</sub>‖₁ = ‖ln(α²/α<sub>∞</sub>²)‖₁ — {} datasets, median and IQR",
            cfg.sweep.datasets
        ))
        .grid(plotly::layout::LayoutGrid::new().rows(1).columns(2).pattern(plotly::layout::GridPattern::Independent))
        .x_axis(style::log_axis("stepsize γ / γ<sub>max</sub>").domain(&[0.0, 0.46]))
        .y_axis(style::log_axis("‖Gain<sub>γ</sub>‖₁"))
        .x_axis2(
            Axis::new()
                .title(format!(
                    "batch size b  (γ = {} · γ<sub>max</sub> of SGD b = {})",
                    cfg.batch_gamma_fraction, cfg.sweep.batch
                ))
                .type_(AxisType::Log)
                .tick_values(ticks)
                .domain(&[0.56, 1.0])
                .anchor("y2"),
        )
        .y_axis2(style::log_axis("‖Gain<sub>γ</sub>‖₁").anchor("x2"))
        .shapes(vec![vline(1.0, "x", "y", style::FLOW)])
        .annotations(vec![
            vline_label(0.0, "x", "y", "γ<sub>max</sub>", style::FLOW).x_anchor(plotly::common::Anchor::Right),
        ]);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
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
        Ok(Summary {
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
        })
    }
}

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

    #[test]
    fn extremes_propagate_nan() {
        assert_eq!(largest([1.0, 3.0, 2.0]), 3.0);
        assert_eq!(smallest([1.0, 3.0, 2.0]), 1.0);
        assert!(largest([1.0, f64::NAN]).is_nan());
        assert!(smallest(std::iter::empty()).is_nan());
    }
}

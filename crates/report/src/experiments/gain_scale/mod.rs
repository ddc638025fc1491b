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

use super::common::{Method, Quartiles};
use super::plotting::{band_traces, vline, vline_label};
use super::stepsize_sweep::{self, GammaMax, SweepConfig, SweepRun, method_bands};
use super::{Experiment, Validate};
use crate::style;
use crate::sweep::par_map;

mod summary;

use summary::batch_stats;
pub use summary::{
    BATCH_LAW_TOLERANCE, BatchStat, BatchSummary, MACROSCOPIC_UP_TO, MONOTONE_UP_TO, Summary, batch_noise_factor,
};

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
        let at =
            GammaMax { method, dataset: i, gamma_max: sgd_gamma_max[i] }.at(&s.setting, j, cfg.batch_gamma_fraction);
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

impl Experiment for GainScale {
    experiment_items!(
        "gain_scale",
        "‖Gain_γ‖₁ grows with the stepsize γ and falls with the batch size b (GD and SGD, same runs as generalization)"
    );

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
        Ok(Summary::of(out, cfg))
    }
}

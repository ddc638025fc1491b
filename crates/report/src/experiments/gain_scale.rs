//! The scale of the gain: ‖Gain_γ‖₁ vs stepsize (GD and SGD) and vs batch size.
//!
//! Gain_γ = ln(α²/α∞²) = Σ_k q(γ g_k) per coordinate, q(x) = −½ ln((1 − x²)²) (Theorem 2), read off
//! the weights exactly by the engine. Left panel: ‖Gain_γ‖₁ against γ/γ_max for the very runs of
//! `generalization` ([`super::generalization::sweep`], same datasets, same γ_max bisection). Right
//! panel: ‖Gain_γ‖₁ against the batch size b ∈ `batches` at one stepsize per dataset,
//! γ = `batch_gamma_fraction` · γ_max(SGD, b = `sweep.batch`) of that dataset (b = n is GD). Expected
//! (slides, "Scale"): the larger the stepsize, the larger the gain; the larger the batch, the smaller
//! the gain (≈ linear in γ, ≈ 1/b). Book: chapter "The gain's scale" (`book/src/05-gain-scale.md`).

use anyhow::{Result, bail};
use dln::{Problem, Sgd, uniform_alpha};
use plotly::Plot;
use plotly::layout::{Axis, AxisType};
use polars::prelude::{ChunkCompareEq, Column, DataFrame};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Experiment;
use super::common::{self, Method, Quartiles, band_traces, finite, group_by, quartiles, vline, vline_label};
use super::generalization::{self, SweepRows, SweepRun, r4, stats_json};
use crate::stability::run_at;
use crate::style;
use crate::sweep::par_map;

/// The experiment.
pub struct GainScale;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `sweep` | `generalization`'s default | the stepsize sweep (datasets, grid, budgets, …) |
/// | `batches` | [1, 2, 5, 10, 20] | batch sizes of the batch sweep (1 ≤ b ≤ n) |
/// | `batch_gamma_fraction` | 0.5 | its stepsize, as a fraction of SGD's γ_max (b = `sweep.batch`) per dataset |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same runs as the `generalization` experiment).
    pub sweep: generalization::Config,
    /// Batch sizes of the batch sweep.
    pub batches: Vec<usize>,
    /// Stepsize of the batch sweep / SGD's γ_max on each dataset.
    pub batch_gamma_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { sweep: generalization::Config::default(), batches: vec![1, 2, 5, 10, 20], batch_gamma_fraction: 0.5 }
    }
}

impl Config {
    fn validate(&self) -> Result<()> {
        self.sweep.validate()?;
        if self.batches.is_empty() {
            bail!("batches must not be empty");
        }
        if let Some(b) = self.batches.iter().find(|&&b| b == 0 || b > self.sweep.n) {
            bail!("batch sizes must satisfy 1 ≤ b ≤ n = {} (got {b})", self.sweep.n);
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
    let problems: Vec<Problem> = (0..s.datasets).map(|i| s.problem(i)).collect::<Result<_>>()?;
    let alpha = uniform_alpha(s.alpha, s.d);
    let sgd_gamma_max: Vec<f64> = (0..s.datasets)
        .map(|i| {
            sweep
                .iter()
                .find(|r| r.dataset == i && r.method == Method::Sgd)
                .map(|r| r.gamma_max)
                .ok_or_else(|| anyhow::anyhow!("no SGD run for dataset {i}"))
        })
        .collect::<Result<_>>()?;
    let tasks: Vec<(usize, usize)> =
        (0..s.datasets).flat_map(|i| (0..cfg.batches.len()).map(move |j| (i, j))).collect();
    par_map(&tasks, |&(i, j)| {
        let b = cfg.batches[j];
        let gamma = cfg.batch_gamma_fraction * sgd_gamma_max[i];
        let method = if b == s.n { Method::Gd } else { Method::Sgd };
        let template = Sgd { batch: b, ..s.template(method, i) };
        let run = run_at(&problems[i], alpha.view(), &template, gamma)?;
        Ok(SweepRun {
            method,
            batch: b,
            dataset: i,
            data_seed: s.data_seed(i),
            grid_index: j,
            ratio: cfg.batch_gamma_fraction,
            gamma,
            gamma_max: sgd_gamma_max[i],
            status: run.status,
            steps: run.steps,
            train_loss: run.train_loss,
            test_risk: problems[i].test_risk(run.beta.view()),
            gain: run.gain().to_vec(),
            support: problems[i].beta_star.iter().map(|b| *b != 0.0).collect(),
        })
    })
    .into_iter()
    .collect()
}
// ANCHOR_END: batch_sweep

/// Quartiles over datasets of ‖Gain‖₁ per batch size (converged runs only), in batch order.
fn batch_stats(df: &DataFrame) -> Result<Vec<(u64, Quartiles)>> {
    let sweep = common::str_col(df, "sweep")?;
    let batch = common::u64_col(df, "batch")?;
    let status = common::str_col(df, "status")?;
    let gain = common::f64_col(df, "gain_l1")?;
    let keys: Vec<u64> = batch.iter().zip(&sweep).filter(|(_, s)| *s == "batch").map(|(b, _)| *b).collect();
    let values: Vec<Option<f64>> = gain
        .iter()
        .zip(&status)
        .zip(&sweep)
        .filter(|(_, s)| *s == "batch")
        .map(|((g, st), _)| if st == "converged" { *g } else { None })
        .collect();
    Ok(group_by(&keys, &values).into_iter().map(|(b, v)| (b, quartiles(&v))).collect())
}

/// Rows of the stepsize sweep only.
fn stepsize_part(df: &DataFrame) -> Result<DataFrame> {
    let mask = df.column("sweep")?.str()?.equal("stepsize");
    Ok(df.filter(&mask)?)
}

impl Experiment for GainScale {
    const NAME: &'static str = "gain_scale";
    const ABOUT: &'static str =
        "‖Gain_γ‖₁ grows with the stepsize γ and falls with the batch size b (GD and SGD, same runs as generalization)";
    type Config = Config;

    fn quick() -> Config {
        Config { sweep: generalization::Config::quick(), ..Config::default() }
    }

    /// Tidy frame, one row per run: the columns of `generalization`'s frame plus `sweep`
    /// ("stepsize" | "batch"). In the batch sweep `grid_index` is the index of b in `batches` and
    /// `gamma_max`, `gamma_over_gamma_max` refer to SGD's γ_max (b = `sweep.batch`).
    fn run(cfg: &Config) -> Result<DataFrame> {
        cfg.validate()?;
        let sweep = generalization::sweep(&cfg.sweep)?;
        let batches = batch_sweep(cfg, &sweep)?;
        let mut frame = generalization::sweep_frame(&sweep)?;
        frame.with_column(Column::new("sweep".into(), vec!["stepsize"; sweep.len()]))?;
        let mut batch_frame = generalization::sweep_frame(&batches)?;
        batch_frame.with_column(Column::new("sweep".into(), vec!["batch"; batches.len()]))?;
        frame.vstack_mut(&batch_frame)?;
        Ok(frame)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let steps = stepsize_part(df)?;
        let rows = SweepRows::read(&steps)?;
        let gain = common::f64_col(&steps, "gain_l1")?;
        let mut plot = Plot::new();
        plot.add_traces(rows.method_bands(
            &gain,
            cfg.sweep.batch,
            "γ/γ<sub>max</sub> = %{x:.3g}<br>median ‖Gain‖₁ %{y:.3g}",
        ));
        let by_batch = batch_stats(df)?;
        let x: Vec<f64> = by_batch.iter().map(|(b, _)| *b as f64).collect();
        let q: Vec<Quartiles> = by_batch.iter().map(|(_, q)| *q).collect();
        plot.add_traces(band_traces(
            "batch sweep (b = n is GD)",
            style::EOS,
            &x,
            &q,
            "x2",
            "y2",
            true,
            "b = %{x}<br>median ‖Gain‖₁ %{y:.3g}",
        ));
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

    fn summary(df: &DataFrame, cfg: &Config) -> Result<Value> {
        let steps = stepsize_part(df)?;
        let rows = SweepRows::read(&steps)?;
        let gain = common::f64_col(&steps, "gain_l1")?;
        let mut by_gamma = serde_json::Map::new();
        let mut counts = serde_json::Map::new();
        for method in Method::BOTH {
            by_gamma.insert(method.as_str().into(), stats_json(&rows.stats(method, &gain)));
            counts.insert(method.as_str().into(), rows.status_counts(method));
        }
        let by_batch: Vec<Value> = batch_stats(df)?
            .iter()
            .map(|(b, q)| {
                json!({
                    "batch": b,
                    "median": finite(r4(q.median)),
                    "q25": finite(r4(q.q25)),
                    "q75": finite(r4(q.q75)),
                    "converged": q.count,
                })
            })
            .collect();
        Ok(json!({
            "gain_l1_vs_stepsize": by_gamma,
            "gain_l1_vs_batch": {
                "gamma_over_sgd_gamma_max": cfg.batch_gamma_fraction,
                "table": by_batch,
            },
            "runs": counts,
        }))
    }
}

//! Label noise: does the stepsize effect survive when the interpolator also fits noise?
//!
//! Labels y = ⟨x, β*⟩ + ε with ε ~ N(0, σ_ε²). With d > n every interpolator still fits the labels
//! exactly — noise included — so Theorem 2 holds unchanged (checked on every converged run), but the
//! test risk ½‖β − β*‖² now also pays for the fitted noise. Each cell sets the noise std; GD and SGD
//! run at fractions of their own γ_max ([`super::fraction_runs`]), and the figure shows the test
//! risk relative to gradient flow's on the same noisy dataset. Book: chapter "What sets the gain's
//! shape", section "Label noise" (`book/src/10-gain-law.md`).

use anyhow::{Result, ensure};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::fraction_runs::{self, RunsConfig};
use super::plotting::MAX_PANELS;
use super::{Experiment, Setting, Validate};

pub mod claims;

pub use super::variants::{Output, Summary};

/// The experiment.
pub struct LabelNoise;

/// Parameters; `Default` is the paper's setting with label noise added.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]); its `noise` is replaced by each cell's | |
/// | `noises` | 0, 0.1, 0.5 | label-noise std of the cells | each ≥ 0, increasing, 2 to 8 values |
/// | `batch` | 1 | SGD's batch size (GD uses b = n) | 1 ≤ b < n |
/// | `runs` | 16 datasets, fractions 0.1, 0.3, 0.6, 0.9, to L ≤ 1e-26 | datasets per cell, stepsizes, budget ([`RunsConfig`]) | |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (its `noise` is replaced by each cell's).
    pub setting: Setting,
    /// Label-noise std of the cells.
    pub noises: Vec<f64>,
    /// SGD's batch size.
    pub batch: usize,
    /// The runs: datasets per cell, fractions of γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            noises: vec![0.0, 0.1, 0.5],
            batch: 1,
            runs: RunsConfig { fractions: vec![0.1, 0.3, 0.6, 0.9], ..RunsConfig::default() },
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let k = self.noises.len();
        ensure!((2..=MAX_PANELS).contains(&k), "noises needs 2 to {MAX_PANELS} values (one panel each), got {k}");
        if let Some(v) = self.noises.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            anyhow::bail!("noises must be finite and ≥ 0 (got {v})");
        }
        ensure!(self.noises.windows(2).all(|w| w[0] < w[1]), "noises must be strictly increasing");
        let n = self.setting.n;
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD (got {})", self.batch);
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))
    }
}

impl Config {
    /// The setting of each cell.
    pub fn settings(&self) -> Vec<Setting> {
        self.noises.iter().map(|&noise| Setting { noise, ..self.setting.clone() }).collect()
    }
}

impl Experiment for LabelNoise {
    experiment_items!(
        "label_noise",
        "Label noise std 0, 0.1, 0.5: test risk relative to gradient flow vs γ/γ_max for GD and SGD, Theorem 2 checked on every run"
    );

    fn quick() -> Config {
        let runs = RunsConfig { datasets: 4, fractions: vec![0.1, 0.9], max_epochs: 400_000, ..RunsConfig::default() };
        Config { noises: vec![0.0, 0.5], runs, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let arms = fraction_runs::gd_and_sgd(&cfg.setting, cfg.batch);
        let runs = fraction_runs::compute(&cfg.settings(), &arms, &cfg.runs)?;
        Ok(Output { values: cfg.noises.clone(), fractions: cfg.runs.fractions.clone(), runs })
    }

    /// Tidy frame, one row per (run, coordinate): `noise` (the label-noise std), then
    /// [`fraction_runs::columns`].
    fn frame(out: &Output) -> Result<DataFrame> {
        out.frame("noise")
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let title = format!(
            "Label noise: test risk relative to gradient flow's — {} datasets per point (median, IQR)",
            cfg.runs.datasets
        );
        let label = |v: f64| format!("noise std σ<sub>ε</sub> = {}", crate::claims::fmt3(v));
        Ok(super::variants::figure(&out.values, &out.fractions, &out.runs.rows, label, &title))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, claims::claims(out)))
    }
}

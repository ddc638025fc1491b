//! Label noise: does the stepsize effect survive when the interpolator also fits noise?
//!
//! Labels y = ⟨x, β*⟩ + ε with ε ~ N(0, σ_ε²). With d > n every interpolator still fits the labels
//! exactly — noise included — so Theorem 2 holds unchanged (checked on every converged run), but the
//! test risk ½‖β − β*‖² now also pays for the fitted noise. Each cell sets the noise std; GD and SGD
//! run at fractions of their own γ_max ([`super::fraction_runs`]), and the figure shows the test
//! risk relative to gradient flow's on the same noisy dataset. Book: chapter "What sets the gain's
//! shape", section "Label noise" (`book/src/10-gain-law.md`).

use anyhow::Result;
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::fraction_runs::RunsConfig;
use super::variants::{Varied, figure, quick_runs};
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
        self.varied().validate(&self.settings(), true)
    }
}

impl Config {
    /// The parts the shared one-parameter code needs.
    fn varied(&self) -> Varied<'_> {
        Varied { key: "noises", values: &self.noises, setting: &self.setting, batch: self.batch, runs: &self.runs }
    }

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
        Config { noises: vec![0.0, 0.5], runs: quick_runs(), ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        cfg.varied().run(&cfg.settings())
    }

    /// Tidy frame, one row per (run, coordinate): `noise` (the label-noise std), then
    /// [`super::fraction_runs::columns`].
    fn frame(out: &Output) -> Result<DataFrame> {
        out.frame("noise")
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let label = |v: f64| format!("noise std σ<sub>ε</sub> = {}", crate::claims::fmt3(v));
        Ok(figure(out, "Label noise", cfg.runs.datasets, label))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, claims::claims(out)))
    }
}

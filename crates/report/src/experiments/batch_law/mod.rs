//! Each batch size at its own γ_max: how the gain and the test risk depend on b when every b runs
//! at the same fractions of *its own* largest convergent stepsize.
//!
//! A mini-batch of b of n samples drawn without replacement has gradient variance
//! (n − b)/(b(n − 1)) times a single sample's ([`super::gain_scale::batch_noise_factor`]). To second
//! order a step adds γ²(‖∇L‖² + noise·V) to the gain, and summed along a run whose length scales like
//! 1/γ this gives ‖Gain‖₁ ≈ γ·(A + B·(n − b)/(b(n − 1))): the gain per unit stepsize is affine in the
//! noise factor, with A the noise-free (GD, b = n) part. γ_max itself grows with b. Runs:
//! [`super::fraction_runs`] on the paper's setting, one arm per batch size (b = n is GD). Book:
//! chapter "The gain's scale: stepsize and batch size", section "Each batch size at its own γ_max"
//! (`book/src/05-gain-scale.md`).

use anyhow::{Result, ensure};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::fraction_runs::{self, RunsConfig};
use super::{Experiment, Setting, Validate};

pub mod claims;
mod plot;
mod summary;

pub use summary::{BatchStat, Law, Summary};

/// The experiment.
pub struct BatchLaw;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]) | |
/// | `batches` | 1, 2, 5, 10, 20 | batch sizes; the largest must be n (GD, the noise-free anchor of the law) | increasing, in [1, n], ≥ 3 values |
/// | `runs` | 16 datasets, fractions 0.1, 0.5, 0.9, to L ≤ 1e-26 | datasets, stepsizes (fractions of each b's own γ_max), budget ([`RunsConfig`]) | |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation.
    pub setting: Setting,
    /// Batch sizes (the largest is n: GD).
    pub batches: Vec<usize>,
    /// The runs: datasets, fractions of each batch size's γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            batches: vec![1, 2, 5, 10, 20],
            runs: RunsConfig { fractions: vec![0.1, 0.5, 0.9], ..RunsConfig::default() },
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let n = self.setting.n;
        ensure!(
            self.batches.len() >= 3,
            "batches needs at least 3 sizes (two SGD sizes and n), got {}",
            self.batches.len()
        );
        ensure!(self.batches.windows(2).all(|w| w[0] < w[1]), "batches must be strictly increasing");
        ensure!(self.batches[0] >= 1, "batches must be at least 1");
        ensure!(
            self.batches.last() == Some(&n),
            "batches must end with n = {n} (GD, the noise-free anchor of the law)"
        );
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))
    }
}

/// The runs: one arm per batch size.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// n.
    pub n: usize,
    /// The batch sizes.
    pub batches: Vec<usize>,
    /// The fractions of γ_max.
    pub fractions: Vec<f64>,
    /// The runs (one cell; datasets, then batch sizes, then fractions).
    pub runs: fraction_runs::Output,
}

impl Experiment for BatchLaw {
    experiment_items!(
        "batch_law",
        "Each batch size at its own γ_max: γ_max, ‖Gain‖₁/γ against the noise factor (n − b)/(b(n − 1)), and the test risk vs b"
    );

    fn quick() -> Config {
        let runs = RunsConfig { datasets: 4, fractions: vec![0.1, 0.9], max_epochs: 400_000, ..RunsConfig::default() };
        Config { batches: vec![1, 5, 20], runs, ..Config::default() }
    }

    // ANCHOR: run
    fn run(cfg: &Config) -> Result<Output> {
        let runs = fraction_runs::compute(std::slice::from_ref(&cfg.setting), &cfg.batches, &cfg.runs)?;
        Ok(Output { n: cfg.setting.n, batches: cfg.batches.clone(), fractions: cfg.runs.fractions.clone(), runs })
    }
    // ANCHOR_END: run

    /// Tidy frame, one row per (run, coordinate): [`fraction_runs::columns`] (`batch` labels the arm;
    /// b = n is GD).
    fn frame(out: &Output) -> Result<DataFrame> {
        Ok(DataFrame::new_infer_height(fraction_runs::columns(&out.runs.rows))?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

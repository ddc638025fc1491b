//! Feature scales: what large stepsizes do when the support of β* sits on features of a different
//! variance than the rest.
//!
//! With x_j = σ_j z_j, SGD's (b = 1) squared single-sample gradient has expectation
//! E[x_j²⟨x, Δ⟩²] = σ_j² (Σ_k σ_k² Δ_k² + (m₄ − 1) σ_j² Δ_j²): its gain grows like σ_j². A support
//! on high-variance features (σ_support/σ_rest > 1) makes large-step SGD pile its gain on the support
//! — as GD does on isotropic data — while a low-variance support spreads it further off the support.
//! Each cell sets σ_j = `ratio` on the support (the first s coordinates) and 1 elsewhere; GD and SGD
//! run at fractions of their own γ_max ([`super::fraction_runs`]), and the figure shows the test
//! risk (the data's own population risk, ½ Σ_j σ_j² (β − β*)_j²) relative to gradient flow's.
//! Book: chapter "What sets the gain's shape", section "Feature scales" (`book/src/10-gain-law.md`).

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
pub struct Anisotropy;

/// Parameters; `Default` is the paper's setting with the support's scale varied.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]); its `sigma` is replaced by each cell's | |
/// | `ratios` | 1/4, 1/2, 1, 2, 4 | σ_support/σ_rest (σ = ratio on the support, 1 elsewhere) | each > 0, increasing, 2 to 8 values |
/// | `batch` | 1 | SGD's batch size (GD uses b = n) | 1 ≤ b < n |
/// | `runs` | 16 datasets, fractions 0.1, 0.3, 0.6, 0.9, to L ≤ 1e-26 | datasets per cell, stepsizes, budget ([`RunsConfig`]) | |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (its `sigma` is replaced by each cell's).
    pub setting: Setting,
    /// σ_support/σ_rest of the cells.
    pub ratios: Vec<f64>,
    /// SGD's batch size.
    pub batch: usize,
    /// The runs: datasets per cell, fractions of γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            ratios: vec![0.25, 0.5, 1.0, 2.0, 4.0],
            batch: 1,
            runs: RunsConfig { fractions: vec![0.1, 0.3, 0.6, 0.9], ..RunsConfig::default() },
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.varied().validate(&self.settings(), false)
    }
}

impl Config {
    /// The parts the shared one-parameter code needs.
    fn varied(&self) -> Varied<'_> {
        Varied { key: "ratios", values: &self.ratios, setting: &self.setting, batch: self.batch, runs: &self.runs }
    }

    // ANCHOR: settings
    /// The setting of each cell: σ = ratio on the support (the first s coordinates), 1 elsewhere.
    pub fn settings(&self) -> Vec<Setting> {
        let (s, d) = (self.setting.s, self.setting.d);
        (self.ratios.iter())
            .map(|&r| {
                let sigma = (0..d).map(|j| if j < s { r } else { 1.0 }).collect();
                Setting { sigma: Some(sigma), ..self.setting.clone() }
            })
            .collect()
    }
    // ANCHOR_END: settings
}

impl Experiment for Anisotropy {
    experiment_items!(
        "anisotropy",
        "Feature scales: σ_support/σ_rest from 1/4 to 4; SGD's gain grows like σ_j², and large stepsizes help or hurt accordingly"
    );

    fn quick() -> Config {
        Config { ratios: vec![0.25, 1.0, 4.0], runs: quick_runs(), ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        cfg.varied().run(&cfg.settings())
    }

    /// Tidy frame, one row per (run, coordinate): `sigma_ratio` (σ_support/σ_rest), then
    /// [`super::fraction_runs::columns`].
    fn frame(out: &Output) -> Result<DataFrame> {
        out.frame("sigma_ratio")
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let label = |r: f64| format!("σ<sub>support</sub>/σ<sub>rest</sub> = {}", crate::claims::fmt3(r));
        Ok(figure(out, "Feature scales", cfg.runs.datasets, label))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, claims::claims(out)))
    }
}

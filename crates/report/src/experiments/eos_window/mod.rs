//! The edge-of-stability window: how large does the gain get as γ approaches γ_max?
//!
//! The slides say that at the edge of stability the gain can become "arbitrarily large". Here a fine
//! grid of stepsizes in [0.9, 1) · γ_max, with γ_max bisected to a finer precision than elsewhere, is
//! run for GD, SGD and GD on uncentred data, on several datasets, each to a rounding-level loss
//! ([`super::fraction_runs`]: Theorem 2 on every converged run). Each run also records the steps on
//! which some coordinate moved by |γg| > 1 and, at log-spaced snapshots, the largest γ·S_k (S_k the
//! Gauss–Newton sharpness). A power law ‖Gain‖₁ ∝ (1 − γ/γ_max)^p is fitted to the medians: p < 0
//! means a gain that grows without bound towards the edge. Book: chapter "Edge of stability",
//! section "The window below γ_max" (`book/src/07-edge-of-stability.md`).

use anyhow::{Result, ensure};
use dln::{Record, Run, Sgd};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::edge_of_stability::{sharpness, weight_norms};
use super::fraction_runs::{self, Dataset, Measured, Row, RunsConfig, WithoutGammaMax};
use super::{Experiment, Setting, Validate};
use crate::sweep::par_map;

pub mod claims;
mod plot;
mod summary;

pub use summary::{ArmStat, Summary};

/// The experiment.
pub struct EosWindow;

/// The arms compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// GD on the centred data.
    Gd,
    /// SGD on the centred data.
    Sgd,
    /// GD on the uncentred data (mean μ·1).
    UncenteredGd,
}

impl Arm {
    /// Every arm, in the figure's order.
    pub const ALL: [Arm; 3] = [Arm::Gd, Arm::Sgd, Arm::UncenteredGd];

    /// Its name (the frame's `arm` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Gd => "GD",
            Arm::Sgd => "SGD",
            Arm::UncenteredGd => "uncentred GD",
        }
    }

    /// Its colour.
    pub fn color(self) -> &'static str {
        match self {
            Arm::Gd => crate::style::GD,
            Arm::Sgd => crate::style::SGD,
            Arm::UncenteredGd => crate::style::EOS,
        }
    }
}

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]), centred | `mean` = 0 |
/// | `mean` | 2 | μ of the uncentred data (the same datasets shifted by μ·1) | ≠ 0 |
/// | `batch` | 1 | SGD's batch size | 1 ≤ b < n |
/// | `points_per_decade` | 10 | snapshots per decade of steps, for the sharpness | ≥ 1 |
/// | `runs` | 8 datasets, γ/γ_max = 0.9, 0.905, …, 0.995, γ_max to 0.2 %, to L ≤ 1e-26 | datasets, stepsizes, budget, precision ([`RunsConfig`]) | fractions in [0.5, 1) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (centred).
    pub setting: Setting,
    /// μ of the uncentred data.
    pub mean: f64,
    /// SGD's batch size.
    pub batch: usize,
    /// Snapshots per decade of steps.
    pub points_per_decade: u32,
    /// The runs: datasets, fractions of γ_max, budget, tolerance and the precision of γ_max.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            mean: 2.0,
            batch: 1,
            points_per_decade: 10,
            runs: RunsConfig {
                datasets: 8,
                fractions: (0..20).map(|k| (900 + 5 * k) as f64 / 1000.0).collect(),
                bisection_rel_tol: Some(2e-3),
                ..RunsConfig::default()
            },
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate().map_err(|e| anyhow::anyhow!("setting: {e:#}"))?;
        ensure!(self.setting.mean == 0.0, "setting: mean must be 0 (the uncentred arm uses `mean`)");
        ensure!(self.mean.is_finite() && self.mean != 0.0, "mean must be finite and ≠ 0 (got {})", self.mean);
        let n = self.setting.n;
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD (got {})", self.batch);
        ensure!(self.points_per_decade >= 1, "points_per_decade must be at least 1");
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))?;
        ensure!(
            self.runs.fractions.iter().all(|f| (0.5..1.0).contains(f)),
            "runs: fractions must lie in [0.5, 1): the window below γ_max"
        );
        Ok(())
    }
}

/// What the window adds to a run's row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Extra {
    /// The arm.
    pub arm: Arm,
    /// max_k γ·S_k over the snapshots (kept runs).
    pub max_gamma_sharpness: Option<f64>,
}

/// The runs (datasets, then arms, then fractions) and, in the same order, what the window adds.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The fractions of γ_max.
    pub fractions: Vec<f64>,
    /// The runs, each with what the window adds to it.
    pub measured: Measured<Extra>,
}

// ANCHOR: extra
/// The largest γ·S_k over a finished run's snapshots (None if it diverged).
fn max_gamma_sharpness(data: &Dataset, run: &Run, gamma: f64) -> Result<Option<f64>> {
    if run.status == dln::Status::Diverged {
        return Ok(None);
    }
    let mut peak = 0.0f64;
    for snap in &run.history {
        peak = peak.max(gamma * sharpness(data.problem.x.view(), &weight_norms(snap, data.setting.alpha))?);
    }
    Ok(Some(peak))
}
// ANCHOR_END: extra

type Rows = (Vec<(Row, Extra)>, Vec<WithoutGammaMax>);

/// The runs on dataset `i`: for each arm, γ_max, then every fraction of it.
fn dataset(cfg: &Config, i: usize) -> Result<Rows> {
    let uncentred = Setting { mean: cfg.mean, ..cfg.setting.clone() };
    let settings = [&cfg.setting, &uncentred];
    let problems = [cfg.setting.problem(i)?, uncentred.problem(i)?];
    let (mut rows, mut missing) = (Vec::new(), Vec::new());
    for arm in Arm::ALL {
        let c = usize::from(arm == Arm::UncenteredGd);
        let data = Dataset::new(c, settings[c], i, &problems[c])?;
        let batch = if arm == Arm::Sgd { cfg.batch } else { cfg.setting.n };
        let a = match data.arm(&cfg.runs, batch)? {
            Ok(a) => a,
            Err(m) => {
                missing.push(m);
                continue;
            }
        };
        let runs = par_map(&cfg.runs.fractions, |&fraction| {
            let gamma = fraction * a.gamma_max;
            let sgd = Sgd {
                stepsize: dln::Schedule::Constant(gamma),
                record: Record::LogSpaced(cfg.points_per_decade),
                ..a.template.clone()
            };
            let (row, peak) =
                data.measure_with(&a, &sgd, (fraction, gamma), |d, run| max_gamma_sharpness(d, run, gamma))?;
            Ok((row, Extra { arm, max_gamma_sharpness: peak }))
        });
        rows.extend(runs.into_iter().collect::<Result<Vec<_>>>()?);
    }
    Ok((rows, missing))
}

impl Experiment for EosWindow {
    experiment_items!(
        "eos_window",
        "The window [0.9, 1)·γ_max: ‖Gain‖₁ against the distance to γ_max for GD, SGD and uncentred GD, steps beyond |γg| = 1, the sharpness overshoot"
    );

    fn quick() -> Config {
        let runs =
            RunsConfig { datasets: 2, fractions: vec![0.9, 0.95, 0.99], max_epochs: 400_000, ..Config::default().runs };
        Config { runs, ..Config::default() }
    }

    // ANCHOR: run
    fn run(cfg: &Config) -> Result<Output> {
        let ks: Vec<usize> = (0..cfg.runs.datasets).collect();
        let mut measured = Measured::default();
        for result in par_map(&ks, |&i| dataset(cfg, i)) {
            let (rows, missing) = result?;
            rows.into_iter().for_each(|(row, extra)| measured.push(row, extra));
            measured.runs.without_gamma_max.extend(missing);
        }
        Ok(Output { fractions: cfg.runs.fractions.clone(), measured })
    }
    // ANCHOR_END: run

    /// Tidy frame, one row per (run, coordinate): `arm` (GD, SGD, uncentred GD), then
    /// [`fraction_runs::columns`], then the run's `max_gamma_sharpness` (max_k γ·S_k over its
    /// snapshots; null if it diverged) repeated on its d rows.
    fn frame(out: &Output) -> Result<DataFrame> {
        let m = &out.measured;
        let mut columns = vec![m.extra_column("arm", |e| e.arm.as_str())];
        columns.extend(fraction_runs::columns(&m.runs.rows));
        columns.push(m.extra_column("max_gamma_sharpness", |e| e.max_gamma_sharpness));
        Ok(DataFrame::new_infer_height(columns)?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

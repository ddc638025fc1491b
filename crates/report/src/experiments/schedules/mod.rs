//! Stepsize schedules: the gain, and with it the limit, depends on the whole path of stepsizes.
//!
//! Theorem 2 holds for any schedule: α∞ accumulates Σ_k q(γ_k g_k) whatever the γ_k. So two
//! schedules that end at the same final stepsize γ_f can end at different interpolators. Four
//! schedules end at γ_f = fraction · γ_max (γ_max of the method on the dataset, as in the stepsize
//! sweep) after an annealing phase of T = `anneal_epochs` epochs: constant (γ_f throughout), a
//! linear warm-up to γ_f, a step from the peak γ_p = `peak_fraction` · γ_max down to γ_f at T/2, and
//! a cosine from γ_p down to γ_f. The step and the cosine have the same Σ_{k<T} γ_k to within one
//! step, (γ_p + γ_f) T/2. GD and SGD run each to a rounding-level loss ([`super::fraction_runs`]'s
//! measurements: Theorem 2's error, the test risk, the gain and its second-order sums). Book:
//! chapter "Beyond the slides", section "Stepsize schedules" (`book/src/09-beyond.md`).

use anyhow::{Result, ensure};
use dln::{Schedule, Sgd};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::fraction_runs::{self, Dataset, Row, RunsConfig, WithoutGammaMax};
use super::{Experiment, Setting, Validate};
use crate::sweep::par_map;

pub mod claims;
mod plot;
mod summary;

pub use summary::{ScheduleStat, Summary};

/// The experiment.
pub struct Schedules;

/// The shapes of schedule compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// γ_k = γ_f.
    Constant,
    /// γ_k = γ_f (k + 1)/T for k < T, then γ_f.
    WarmUp,
    /// γ_k = γ_p for k < T/2, then γ_f.
    Step,
    /// γ_k = γ_f + (γ_p − γ_f)(1 + cos(πk/T))/2 for k < T, then γ_f.
    Cosine,
}

impl Kind {
    /// Every kind, in the figure's order.
    pub const ALL: [Kind; 4] = [Kind::Constant, Kind::WarmUp, Kind::Step, Kind::Cosine];

    /// Its name (the frame's `schedule` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Constant => "constant",
            Kind::WarmUp => "warm_up",
            Kind::Step => "step",
            Kind::Cosine => "cosine",
        }
    }

    // ANCHOR: schedule
    /// The schedule of this kind ending at `gamma_final` after `steps` steps, from the peak
    /// `gamma_peak` for the step and the cosine.
    pub fn schedule(self, gamma_final: f64, gamma_peak: f64, steps: u64) -> Schedule {
        match self {
            Kind::Constant => Schedule::Constant(gamma_final),
            Kind::WarmUp => Schedule::WarmUp { gamma: gamma_final, steps },
            Kind::Step => {
                let half = steps / 2;
                Schedule::custom(move |k| if k < half { gamma_peak } else { gamma_final })
            }
            Kind::Cosine => Schedule::Cosine { gamma: gamma_peak, gamma_final, steps },
        }
    }
    // ANCHOR_END: schedule
}

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]) | |
/// | `batch` | 1 | SGD's batch size (GD uses b = n) | 1 ≤ b < n |
/// | `peak_fraction` | 0.9 | the step's and the cosine's first stepsize γ_p, as a fraction of γ_max | (largest final fraction, 1] |
/// | `anneal_epochs` | 200 | the annealing phase T, in epochs | ≥ 2 |
/// | `runs` | 8 datasets, final fraction 0.3, to L ≤ 1e-26 | datasets, final stepsizes γ_f = fraction · γ_max, budget ([`RunsConfig`]) | |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation.
    pub setting: Setting,
    /// SGD's batch size.
    pub batch: usize,
    /// The peak stepsize of the step and the cosine, as a fraction of γ_max.
    pub peak_fraction: f64,
    /// The annealing phase, in epochs.
    pub anneal_epochs: u64,
    /// The runs: datasets, final fractions of γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            batch: 1,
            peak_fraction: 0.9,
            anneal_epochs: 200,
            runs: RunsConfig { datasets: 8, fractions: vec![0.3], ..RunsConfig::default() },
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let n = self.setting.n;
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD (got {})", self.batch);
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))?;
        let last = self.runs.fractions.last().copied().unwrap_or(0.0);
        ensure!(
            self.peak_fraction > last && self.peak_fraction <= 1.0,
            "peak_fraction must lie in (largest final fraction {last}, 1] (got {})",
            self.peak_fraction
        );
        ensure!(self.anneal_epochs >= 2, "anneal_epochs must be at least 2 (got {})", self.anneal_epochs);
        Ok(())
    }
}

/// The runs: a row's `cell` indexes [`Kind::ALL`], its `fraction` and `gamma` are the final ones.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The final fractions of γ_max.
    pub fractions: Vec<f64>,
    /// The runs: datasets, then GD and SGD, then final fractions, then schedules.
    pub runs: fraction_runs::Output,
}

/// The runs on dataset `i`: for GD and SGD, γ_max, then every schedule at every final fraction.
fn dataset(cfg: &Config, i: usize) -> Result<(Vec<Row>, Vec<WithoutGammaMax>)> {
    let setting = &cfg.setting;
    let problem = setting.problem(i)?;
    let data = Dataset::new(0, setting, i, &problem)?;
    let (mut rows, mut missing) = (Vec::new(), Vec::new());
    for batch in fraction_runs::gd_and_sgd(setting, cfg.batch) {
        let arm = match data.arm(&cfg.runs, batch)? {
            Ok(arm) => arm,
            Err(m) => {
                missing.push(m);
                continue;
            }
        };
        let steps = cfg.anneal_epochs.saturating_mul(setting.n.div_ceil(arm.template.batch) as u64);
        let grid: Vec<(f64, usize)> =
            cfg.runs.fractions.iter().flat_map(|&f| (0..Kind::ALL.len()).map(move |k| (f, k))).collect();
        let runs = par_map(&grid, |&(fraction, k)| {
            let (gamma_final, gamma_peak) = (fraction * arm.gamma_max, cfg.peak_fraction * arm.gamma_max);
            let stepsize = Kind::ALL[k].schedule(gamma_final, gamma_peak, steps);
            let row = data.measure(&arm, &Sgd { stepsize, ..arm.template.clone() }, (fraction, gamma_final))?;
            Ok(Row { cell: k, ..row })
        });
        rows.extend(runs.into_iter().collect::<Result<Vec<_>>>()?);
    }
    Ok((rows, missing))
}

impl Experiment for Schedules {
    experiment_items!(
        "schedules",
        "Constant, warm-up, step and cosine schedules to the same final stepsize: the gain and the test risk depend on the path; Theorem 2 holds for every schedule"
    );

    fn quick() -> Config {
        let runs = RunsConfig { datasets: 3, fractions: vec![0.3], max_epochs: 400_000, ..RunsConfig::default() };
        Config { runs, ..Config::default() }
    }

    // ANCHOR: run
    fn run(cfg: &Config) -> Result<Output> {
        let ks: Vec<usize> = (0..cfg.runs.datasets).collect();
        let mut runs = fraction_runs::Output { rows: Vec::new(), without_gamma_max: Vec::new() };
        for result in par_map(&ks, |&i| dataset(cfg, i)) {
            let (rows, missing) = result?;
            runs.rows.extend(rows);
            runs.without_gamma_max.extend(missing);
        }
        Ok(Output { fractions: cfg.runs.fractions.clone(), runs })
    }
    // ANCHOR_END: run

    /// Tidy frame, one row per (run, coordinate): `schedule` (constant, warm_up, step, cosine), then
    /// [`fraction_runs::columns`] (`fraction` and `gamma` are the final stepsize's).
    fn frame(out: &Output) -> Result<DataFrame> {
        let rows = &out.runs.rows;
        let mut columns = vec![fraction_runs::cell_column("schedule", rows, |k| Kind::ALL[k].as_str())];
        columns.extend(fraction_runs::columns(rows));
        Ok(DataFrame::new_infer_height(columns)?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

//! The stepsize sweep: GD and SGD at γ = r·γ_max on a grid of r = γ/γ_max, on several datasets.
//!
//! It is a *stage*: `generalization` (test risk), `gain_scale` (‖Gain‖₁) and `gain_shape` (the
//! per-coordinate gain) show the very same runs, so [`sweep`] computes them once per process for a
//! given [`SweepConfig`] and hands out the memoised result (keyed by the configuration's JSON).
//!
//! On each dataset and for each method, γ_max — the largest constant stepsize whose run reaches
//! L(β) ≤ `tol` within the step budget — is found by the one bisection ([`crate::stability::gamma_max_of`],
//! started at b / mean‖x_i‖²) **on that dataset** (γ_max varies by a factor ≈ 4 between datasets, so
//! a per-dataset γ_max gives the common axis γ/γ_max on which datasets are pooled). The bisection
//! assumes convergence is monotone in γ; it is not always (an SGD run below γ_max may diverge), and
//! the summaries count such runs ([`RunCounts::below_gamma_max_not_converged`]). SGD's sampler seed is
//! the data seed, the same at every stepsize (common random numbers across the grid). Runs that hit
//! the step budget or diverge stay in the data with their status and are left out of the medians.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use anyhow::{Result, bail};
use dln::{Problem, Sgd, Status};
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

use super::common::{Method, column, finite, repeated};
use super::{Setting, Validate};
use crate::stability::{gamma_max_of, run_at};
use crate::sweep::{log_grid, par_map};

mod summary;

pub use summary::{
    GammaMaxStats, GridStat, RunCounts, gamma_max_per_dataset, grid_stats, grouped, method_bands, r4, stats,
};

/// Significant digits of the sweep's summaries: the runs at γ ≈ γ_max are at the edge of stability,
/// where a perturbation of the last bit (e.g. a different libm in data generation) moves the result
/// in its 4th–5th digit, so summaries keep 4 (the snapshot helper then keeps them as is).
pub const SUMMARY_DIGITS: usize = 4;

/// Parameters of the sweep; `Default` is the paper's setting (slides Fig. 1).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design and initialisation ([`Setting`]) | |
/// | `datasets` | 8 | datasets (medians and IQRs are over them) | ≥ 1 |
/// | `batch` | 1 | SGD's batch size b | 1 ≤ b < n |
/// | `grid` | 10 | log-spaced stepsizes per method | ≥ 2 |
/// | `grid_lo` | 0.05 | smallest γ/γ_max | (0, 1) |
/// | `extra_ratios` | [0.8, 0.9, 0.95] | more γ/γ_max near γ_max, where GD's risk jumps | each in (0, 1) |
/// | `tol` | 1e-10 | convergence: L(β) ≤ tol | > 0 |
/// | `gd_max_steps` | 100 000 | GD's step budget | ≥ 1 |
/// | `sgd_max_steps` | 1 000 000 | SGD's step budget | ≥ 1 |
/// | `bisection_rel_tol` | 0.02 | relative precision of γ_max | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepConfig {
    /// Data design and initialisation.
    pub setting: Setting,
    /// Number of datasets.
    pub datasets: usize,
    /// SGD's batch size b.
    pub batch: usize,
    /// Number of log-spaced stepsizes per method.
    pub grid: usize,
    /// Smallest γ/γ_max of the grid.
    pub grid_lo: f64,
    /// Additional γ/γ_max (merged into the grid).
    pub extra_ratios: Vec<f64>,
    /// Training-loss tolerance defining convergence.
    pub tol: f64,
    /// GD's step budget.
    pub gd_max_steps: u64,
    /// SGD's step budget.
    pub sgd_max_steps: u64,
    /// Relative precision of the γ_max bisection.
    pub bisection_rel_tol: f64,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            datasets: 8,
            batch: 1,
            grid: 10,
            grid_lo: 0.05,
            extra_ratios: vec![0.8, 0.9, 0.95],
            tol: 1e-10,
            gd_max_steps: 100_000,
            sgd_max_steps: 1_000_000,
            bisection_rel_tol: 0.02,
        }
    }
}

impl Validate for SweepConfig {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        if self.datasets == 0 {
            bail!("datasets must be at least 1");
        }
        if self.grid < 2 {
            bail!("grid must be at least 2 (got {})", self.grid);
        }
        if !(self.grid_lo > 0.0 && self.grid_lo < 1.0) {
            bail!("grid_lo must be in (0, 1) (got {})", self.grid_lo);
        }
        if let Some(r) = self.extra_ratios.iter().find(|r| !(**r > 0.0 && **r < 1.0)) {
            bail!("extra_ratios must lie in (0, 1) (got {r})");
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            bail!("tol must be finite and > 0 (got {}); convergence is L(β) ≤ tol", self.tol);
        }
        if self.gd_max_steps == 0 || self.sgd_max_steps == 0 {
            bail!("gd_max_steps and sgd_max_steps must be at least 1");
        }
        if !(self.bisection_rel_tol.is_finite() && self.bisection_rel_tol > 0.0) {
            bail!("bisection_rel_tol must be finite and > 0 (got {})", self.bisection_rel_tol);
        }
        if self.batch == 0 || self.batch >= self.setting.n {
            bail!("batch must satisfy 1 ≤ b < n = {} for SGD (got {})", self.setting.n, self.batch);
        }
        Ok(())
    }
}

impl SweepConfig {
    /// The smaller configuration of `--quick` (same code path: fewer datasets and stepsizes).
    pub fn quick() -> Self {
        Self { datasets: 5, grid: 6, extra_ratios: vec![0.9], ..Self::default() }
    }

    /// The (S)GD template of `method` on dataset `i` (its stepsize is set per run).
    pub fn template(&self, method: Method, i: usize) -> Sgd {
        match method {
            Method::Gd => Sgd::gd(1.0, self.setting.n).with_budget(self.gd_max_steps, self.tol),
            Method::Sgd => {
                Sgd::sgd(1.0, self.batch).with_budget(self.sgd_max_steps, self.tol).with_seed(self.setting.data_seed(i))
            }
        }
    }

    /// The grid of γ/γ_max: log-spaced from `grid_lo` to exactly 1, merged with `extra_ratios`
    /// (sorted, duplicates removed). Its last point is 1: the bisection's own convergent run.
    pub fn ratios(&self) -> Vec<f64> {
        let mut r = log_grid(self.grid_lo, 1.0, self.grid);
        if let Some(last) = r.last_mut() {
            *last = 1.0;
        }
        r.extend(self.extra_ratios.iter().copied());
        r.sort_by(f64::total_cmp);
        r.dedup();
        r
    }

    /// The index in [`Self::ratios`] of `ratio` (equal to 1e-12 relative), if it is on the grid.
    pub fn ratio_index(&self, ratio: f64) -> Option<usize> {
        self.ratios().iter().position(|r| (r - ratio).abs() <= 1e-12 * ratio.abs())
    }
}

/// γ_max of one method on one dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaMax {
    /// GD or SGD.
    pub method: Method,
    /// Dataset index i.
    pub dataset: usize,
    /// The largest convergent constant stepsize found.
    pub gamma_max: f64,
}

impl GammaMax {
    /// The labels of the run at γ = `ratio` · γ_max on this dataset of `setting`, index `grid_index`
    /// of its grid.
    pub fn at(self, setting: &Setting, grid_index: usize, ratio: f64) -> RunAt {
        let (method, dataset, gamma_max) = (self.method, self.dataset, self.gamma_max);
        let data_seed = setting.data_seed(dataset);
        RunAt { method, dataset, data_seed, grid_index, ratio, gamma: ratio * gamma_max, gamma_max }
    }
}

/// Where a run of a sweep sits: its labels, passed to [`SweepRun::new`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunAt {
    /// GD or SGD.
    pub method: Method,
    /// Dataset index i.
    pub dataset: usize,
    /// Its data seed.
    pub data_seed: u64,
    /// Index of the stepsize in the grid.
    pub grid_index: usize,
    /// γ/γ_max (or the fraction used).
    pub ratio: f64,
    /// γ.
    pub gamma: f64,
    /// The γ_max the ratio refers to (of this method on this dataset, in a stepsize sweep).
    pub gamma_max: f64,
}

/// One run of a sweep: where it sits, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRun {
    /// Its labels.
    #[serde(flatten)]
    pub at: RunAt,
    /// Batch size b.
    pub batch: usize,
    /// How the run ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// Final training loss.
    pub train_loss: f64,
    /// Exact test risk ½‖β − β*‖² (x ~ N(0, I)).
    pub test_risk: f64,
    /// Gain_γ per coordinate.
    pub gain: Vec<f64>,
    /// The final β per coordinate.
    pub beta: Vec<f64>,
    /// Whether each coordinate is in the support of β*.
    pub support: Vec<bool>,
}

impl SweepRun {
    /// The row of a run of `template` at γ = `at.gamma` on `problem`.
    pub fn new(problem: &Problem, alpha: &ndarray::Array1<f64>, template: &Sgd, at: RunAt) -> Result<Self> {
        let run = run_at(problem, alpha.view(), template, at.gamma)?;
        Ok(SweepRun {
            at,
            batch: template.batch,
            status: run.status,
            steps: run.steps,
            train_loss: run.train_loss,
            test_risk: problem.test_risk(run.beta.view()),
            gain: run.gain().to_vec(),
            beta: run.beta.to_vec(),
            support: problem.beta_star.iter().map(|b| *b != 0.0).collect(),
        })
    }

    /// ‖Gain_γ‖₁.
    pub fn gain_l1(&self) -> f64 {
        self.gain.iter().map(|g| g.abs()).sum()
    }

    /// Whether it converged.
    pub fn converged(&self) -> bool {
        self.status == Status::Converged
    }

    /// `x` if the run did not diverge and `x` is finite (frames hold nulls, never NaN/inf).
    pub fn unless_diverged(&self, x: f64) -> Option<f64> {
        if self.status == Status::Diverged { None } else { finite(x) }
    }
}

/// γ_max of every (dataset, method), datasets outer, GD then SGD (in parallel, deterministic).
pub fn gamma_maxes(cfg: &SweepConfig, problems: &[Problem]) -> Result<Vec<GammaMax>> {
    let alpha = cfg.setting.alpha_vec();
    let tasks: Vec<(usize, Method)> =
        (0..problems.len()).flat_map(|i| Method::BOTH.into_iter().map(move |m| (i, m))).collect();
    par_map(&tasks, |&(i, method)| {
        let template = cfg.template(method, i);
        let g = gamma_max_of(&problems[i], alpha.view(), &template, cfg.bisection_rel_tol)?;
        Ok(GammaMax { method, dataset: i, gamma_max: g })
    })
    .into_iter()
    .collect()
}

// ANCHOR: sweep
/// Computes the sweep: every dataset × method × stepsize of the grid (datasets outer, then GD and
/// SGD, then increasing γ), run in parallel; results in that order whatever the thread count.
fn compute(cfg: &SweepConfig) -> Result<Vec<SweepRun>> {
    cfg.validate()?;
    let problems = cfg.setting.problems(cfg.datasets)?;
    let maxes = gamma_maxes(cfg, &problems)?;
    let ratios = cfg.ratios();
    let alpha = cfg.setting.alpha_vec();
    let tasks: Vec<(GammaMax, usize)> = maxes.iter().flat_map(|gm| (0..ratios.len()).map(move |j| (*gm, j))).collect();
    par_map(&tasks, |&(gm, j)| {
        let at = gm.at(&cfg.setting, j, ratios[j]);
        SweepRun::new(&problems[gm.dataset], &alpha, &cfg.template(gm.method, gm.dataset), at)
    })
    .into_iter()
    .collect()
}
// ANCHOR_END: sweep

type Memo = Mutex<HashMap<String, Arc<OnceLock<Result<Arc<Vec<SweepRun>>, String>>>>>;

static MEMO: LazyLock<Memo> = LazyLock::new(Default::default);

/// The sweep of `cfg`, computed once per process and configuration (concurrent callers of the same
/// configuration wait for the one computation).
pub fn sweep(cfg: &SweepConfig) -> Result<Arc<Vec<SweepRun>>> {
    let key = serde_json::to_string(cfg)?;
    let cell = MEMO.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default().clone();
    cell.get_or_init(|| compute(cfg).map(Arc::new).map_err(|e| format!("{e:#}"))).clone().map_err(anyhow::Error::msg)
}

/// The columns labelling each run of `runs` — `method, batch, dataset, data_seed, grid_index,
/// gamma_over_gamma_max, gamma, gamma_max, status` — each value repeated `times(run)` times (the
/// frame's rows per run).
pub fn label_columns(runs: &[SweepRun], times: impl Fn(&SweepRun) -> usize + Copy) -> Vec<Column> {
    let u64s = |f: fn(&SweepRun) -> u64| repeated(runs, times, f);
    let f64s = |f: fn(&SweepRun) -> f64| repeated(runs, times, f);
    vec![
        Column::new("method".into(), repeated(runs, times, |r| r.at.method.as_str())),
        Column::new("batch".into(), u64s(|r| r.batch as u64)),
        Column::new("dataset".into(), u64s(|r| r.at.dataset as u64)),
        Column::new("data_seed".into(), u64s(|r| r.at.data_seed)),
        Column::new("grid_index".into(), u64s(|r| r.at.grid_index as u64)),
        Column::new("gamma_over_gamma_max".into(), f64s(|r| r.at.ratio)),
        Column::new("gamma".into(), f64s(|r| r.at.gamma)),
        Column::new("gamma_max".into(), f64s(|r| r.at.gamma_max)),
        Column::new("status".into(), repeated(runs, times, |r| r.status.as_str())),
    ]
}

/// A sweep as a tidy frame, one row per run: the [`label_columns`], then `steps, train_loss,
/// test_risk, gain_l1` (the last three null for diverged runs).
pub fn frame(runs: &[SweepRun]) -> Result<DataFrame> {
    let unless_diverged = |f: fn(&SweepRun) -> f64| column(runs, |r| r.unless_diverged(f(r)));
    let mut columns = label_columns(runs, |_| 1);
    columns.extend([
        Column::new("steps".into(), column(runs, |r| r.steps)),
        Column::new("train_loss".into(), unless_diverged(|r| r.train_loss)),
        Column::new("test_risk".into(), unless_diverged(|r| r.test_risk)),
        Column::new("gain_l1".into(), unless_diverged(SweepRun::gain_l1)),
    ]);
    Ok(DataFrame::new_infer_height(columns)?)
}

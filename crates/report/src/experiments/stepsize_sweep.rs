//! The stepsize sweep: GD and SGD at γ = r·γ_max on a grid of r = γ/γ_max, on several datasets.
//!
//! It is a *stage*: `generalization` (test risk), `gain_scale` (‖Gain‖₁) and `gain_shape` (the
//! per-coordinate gain) show the very same runs, so [`sweep`] computes them once per process for a
//! given [`SweepConfig`] and hands out the memoised result (keyed by the configuration's JSON).
//!
//! On each dataset and for each method, γ_max — the largest constant stepsize whose run reaches
//! L(β) ≤ `tol` within the step budget — is found by the one bisection ([`crate::stability::gamma_max`],
//! started at b / mean‖x_i‖²) **on that dataset** (γ_max varies by a factor ≈ 4 between datasets, so
//! a per-dataset γ_max gives the common axis γ/γ_max on which datasets are pooled). The bisection
//! assumes convergence is monotone in γ; it is not always (an SGD run below γ_max may diverge), and
//! the summaries count such runs ([`RunCounts::below_gamma_max_not_converged`]). SGD's sampler seed is
//! the data seed, the same at every stepsize (common random numbers across the grid). Runs that hit
//! the step budget or diverge stay in the data with their status and are left out of the medians.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use anyhow::{Result, bail};
use dln::{Problem, Sgd, Status};
use plotly::Trace;
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::common::{Method, Quartiles, band_traces, finite, quartiles};
use super::{Setting, Validate};
use crate::snap::round_sig;
use crate::stability::{gamma_max_of, run_at};
use crate::sweep::{log_grid, par_map};

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

/// One run of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRun {
    /// GD or SGD.
    pub method: Method,
    /// Batch size b.
    pub batch: usize,
    /// Dataset index i.
    pub dataset: usize,
    /// Its data seed.
    pub data_seed: u64,
    /// Index of the stepsize in the grid.
    pub grid_index: usize,
    /// γ/γ_max.
    pub ratio: f64,
    /// γ.
    pub gamma: f64,
    /// γ_max of this method on this dataset.
    pub gamma_max: f64,
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
    /// Whether each coordinate is in the support of β*.
    pub support: Vec<bool>,
}

impl SweepRun {
    /// The row of a run of `template` at γ on dataset `dataset`.
    pub fn new(problem: &Problem, alpha: &ndarray::Array1<f64>, template: &Sgd, at: RunAt) -> Result<Self> {
        let run = run_at(problem, alpha.view(), template, at.gamma)?;
        Ok(SweepRun {
            method: at.method,
            batch: template.batch,
            dataset: at.dataset,
            data_seed: at.data_seed,
            grid_index: at.grid_index,
            ratio: at.ratio,
            gamma: at.gamma,
            gamma_max: at.gamma_max,
            status: run.status,
            steps: run.steps,
            train_loss: run.train_loss,
            test_risk: problem.test_risk(run.beta.view()),
            gain: run.gain().to_vec(),
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

/// Where a run of a sweep sits: its labels, passed to [`SweepRun::new`].
#[derive(Debug, Clone, Copy)]
pub struct RunAt {
    /// GD or SGD.
    pub method: Method,
    /// Dataset index.
    pub dataset: usize,
    /// Its data seed.
    pub data_seed: u64,
    /// Grid index.
    pub grid_index: usize,
    /// γ/γ_max (or the fraction used).
    pub ratio: f64,
    /// γ.
    pub gamma: f64,
    /// The γ_max the ratio refers to.
    pub gamma_max: f64,
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
        let at = RunAt {
            method: gm.method,
            dataset: gm.dataset,
            data_seed: cfg.setting.data_seed(gm.dataset),
            grid_index: j,
            ratio: ratios[j],
            gamma: ratios[j] * gm.gamma_max,
            gamma_max: gm.gamma_max,
        };
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

/// A sweep as a tidy frame, one row per run: `method, batch, dataset, data_seed, grid_index,
/// gamma_over_gamma_max, gamma, gamma_max, status, steps, train_loss, test_risk, gain_l1`
/// (the last three null for diverged runs).
pub fn frame(runs: &[SweepRun]) -> Result<DataFrame> {
    let col_u = |f: &dyn Fn(&SweepRun) -> u64| runs.iter().map(f).collect::<Vec<u64>>();
    let col_f = |f: &dyn Fn(&SweepRun) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let col_o = |f: &dyn Fn(&SweepRun) -> f64| runs.iter().map(|r| r.unless_diverged(f(r))).collect::<Vec<_>>();
    Ok(df!(
        "method" => runs.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        "batch" => col_u(&|r| r.batch as u64),
        "dataset" => col_u(&|r| r.dataset as u64),
        "data_seed" => col_u(&|r| r.data_seed),
        "grid_index" => col_u(&|r| r.grid_index as u64),
        "gamma_over_gamma_max" => col_f(&|r| r.ratio),
        "gamma" => col_f(&|r| r.gamma),
        "gamma_max" => col_f(&|r| r.gamma_max),
        "status" => runs.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        "steps" => col_u(&|r| r.steps),
        "train_loss" => col_o(&|r| r.train_loss),
        "test_risk" => col_o(&|r| r.test_risk),
        "gain_l1" => col_o(&|r| r.gain_l1()),
    )?)
}

/// Per grid point of `method` (in grid order): γ/γ_max and the quartiles over datasets of `value`
/// among the converged runs.
pub fn stats(runs: &[SweepRun], method: Method, value: impl Fn(&SweepRun) -> f64) -> Vec<(f64, Quartiles)> {
    let mut groups: BTreeMap<usize, (f64, Vec<f64>)> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.method == method) {
        let entry = groups.entry(r.grid_index).or_insert((r.ratio, Vec::new()));
        if r.converged() {
            entry.1.extend(finite(value(r)));
        }
    }
    groups.into_values().map(|(ratio, v)| (ratio, quartiles(&v))).collect()
}

/// For GD and SGD (b = `batch`), the median line and IQR band of `value` (converged runs) against
/// γ/γ_max, on axes ("x", "y"), with `hover` as hover text.
pub fn method_bands(
    runs: &[SweepRun],
    value: impl Fn(&SweepRun) -> f64 + Copy,
    batch: usize,
    hover: &str,
) -> Vec<Box<dyn Trace>> {
    let mut traces = Vec::new();
    for method in Method::BOTH {
        let (x, q): (Vec<f64>, Vec<Quartiles>) = stats(runs, method, value).into_iter().unzip();
        let name = match method {
            Method::Gd => "GD".to_owned(),
            Method::Sgd => format!("SGD (b = {batch})"),
        };
        traces.extend(band_traces(&name, method.color(), &x, &q, "x", "y", true, hover));
    }
    traces
}

/// γ_max of `method` on each dataset (in dataset order).
pub fn gamma_max_per_dataset(runs: &[SweepRun], method: Method) -> Vec<f64> {
    let mut seen = BTreeMap::new();
    for r in runs.iter().filter(|r| r.method == method) {
        seen.entry(r.dataset).or_insert(r.gamma_max);
    }
    seen.into_values().collect()
}

/// A value for each method, serialised as `{"GD": …, "SGD": …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerMethod<T> {
    /// Gradient descent.
    #[serde(rename = "GD")]
    pub gd: T,
    /// Stochastic gradient descent.
    #[serde(rename = "SGD")]
    pub sgd: T,
}

impl<T> PerMethod<T> {
    /// `f` applied to each method.
    pub fn new(mut f: impl FnMut(Method) -> T) -> Self {
        Self { gd: f(Method::Gd), sgd: f(Method::Sgd) }
    }

    /// The value of `method`.
    pub fn get(&self, method: Method) -> &T {
        match method {
            Method::Gd => &self.gd,
            Method::Sgd => &self.sgd,
        }
    }
}

/// Number of runs per status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunCounts {
    /// Runs that reached L ≤ tol.
    pub converged: usize,
    /// Runs that used their whole step budget.
    pub max_steps: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs below γ_max (γ/γ_max < 1) that did not converge: each contradicts the bisection's
    /// assumption that convergence is monotone in γ.
    pub below_gamma_max_not_converged: usize,
}

impl RunCounts {
    /// Counts of `method`'s runs.
    pub fn of(runs: &[SweepRun], method: Method) -> Self {
        let count = |st: Status| runs.iter().filter(|r| r.method == method && r.status == st).count();
        let below = runs.iter().filter(|r| r.method == method && r.ratio < 1.0 && !r.converged()).count();
        Self {
            converged: count(Status::Converged),
            max_steps: count(Status::MaxSteps),
            diverged: count(Status::Diverged),
            below_gamma_max_not_converged: below,
        }
    }
}

/// Rounds to [`SUMMARY_DIGITS`] (None if not finite).
pub fn r4(x: f64) -> Option<f64> {
    finite(round_sig(x, SUMMARY_DIGITS))
}

/// Quartiles at one grid point, rounded to [`SUMMARY_DIGITS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridStat {
    /// γ/γ_max.
    pub gamma_over_gamma_max: Option<f64>,
    /// Median over datasets.
    pub median: Option<f64>,
    /// First quartile.
    pub q25: Option<f64>,
    /// Third quartile.
    pub q75: Option<f64>,
    /// Converged runs summarised.
    pub converged: usize,
}

/// A per-grid-point table of quartiles (rounded).
pub fn grid_stats(stats: &[(f64, Quartiles)]) -> Vec<GridStat> {
    stats
        .iter()
        .map(|(r, q)| GridStat {
            gamma_over_gamma_max: r4(*r),
            median: r4(q.median),
            q25: r4(q.q25),
            q75: r4(q.q75),
            converged: q.count,
        })
        .collect()
}

/// Median and quartiles of γ_max over datasets, with the per-dataset values (rounded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GammaMaxStats {
    /// Median over datasets.
    pub median: Option<f64>,
    /// First quartile.
    pub q25: Option<f64>,
    /// Third quartile.
    pub q75: Option<f64>,
    /// γ_max of each dataset.
    pub per_dataset: Vec<Option<f64>>,
}

impl GammaMaxStats {
    /// γ_max of `method` over the datasets of `runs`.
    pub fn of(runs: &[SweepRun], method: Method) -> Self {
        let per = gamma_max_per_dataset(runs, method);
        let q = quartiles(&per);
        Self { median: r4(q.median), q25: r4(q.q25), q75: r4(q.q75), per_dataset: per.iter().map(|g| r4(*g)).collect() }
    }
}

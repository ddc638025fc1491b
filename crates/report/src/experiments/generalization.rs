//! Test risk at convergence vs stepsize for GD and SGD (slides Fig. 1).
//!
//! Setting (Even, Pesme, Gunasekar & Flammarion 2023, Fig. 1): x ~ N(0, I_d), y = ⟨β*, x⟩ with β*
//! s-sparse (its first s coordinates N(0, 1)), uniform initialisation α = α·1 and
//! (n, d, s, α) = (20, 30, 3, 0.1). On each of `datasets` datasets (data seed `seed + i`) and for each
//! method — GD (b = n) and SGD (b = `batch`) — γ_max, the largest constant stepsize whose run reaches
//! L(β) ≤ `tol` within the step budget, is found by bisection ([`crate::stability::gamma_max`]) **on
//! that dataset** (γ_max varies by a factor ≈ 4 between datasets, so a per-dataset γ_max gives the
//! common axis γ/γ_max on which datasets can be pooled). (S)GD then runs at γ = r·γ_max for r on a
//! log grid from `grid_lo` to 1 refined by `extra_ratios` near 1 (r = 1 is the bisection's own
//! convergent run). SGD's sampler seed is the data seed, the same at every stepsize (common random
//! numbers across the grid). Runs that hit the step budget or diverge stay in the data with their
//! status and are left out of the medians (the summary counts them).
//!
//! The figure shows the exact test risk ½‖β∞ − β*‖² (x ~ N(0, I)) of the converged runs against
//! γ/γ_max: median over datasets and interquartile band. Expected (Theorem 2): SGD's risk falls as γ
//! grows (its gain is spread over every coordinate: a smaller effective α∞, closer to ℓ1), GD's
//! rises (its gain concentrates on the support of β*). Book: chapter "Why macroscopic stepsizes?" (`book/src/01-why.md`).
//!
//! The stepsize sweep [`sweep`] is shared by `gain_scale` (‖Gain‖₁ vs γ) and `gain_shape`
//! (per-coordinate gain, heterogeneity vs γ): the three figures show the same runs.

use anyhow::{Result, bail};
use dln::{DataConfig, Problem, Sgd, Status, uniform_alpha};
use plotly::{Plot, Trace};
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Experiment;
use super::common::{self, Method, Quartiles, band_traces, finite, group_by, quartiles, vline, vline_label};
use crate::snap::round_sig;
use crate::stability::{gamma_max, run_at};
use crate::style;
use crate::sweep::{log_grid, par_map};

/// Significant digits of this experiment's summary: the runs at γ ≈ γ_max are at the edge of
/// stability, where a perturbation of the last bit (e.g. a different libm in data generation) moves
/// the result in its 4th–5th digit, so the summary keeps 4 (the snapshot helper then keeps them as is).
pub const SUMMARY_DIGITS: usize = 4;

/// The experiment.
pub struct Generalization;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `seed` | 0 | dataset i uses data seed `seed + i` (and SGD sampler seed `seed + i`) |
/// | `datasets` | 8 | number of datasets (≥ 1; medians and IQRs are over them) |
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* |
/// | `alpha` | 0.1 | uniform initialisation scale α |
/// | `batch` | 1 | SGD's batch size b |
/// | `grid` | 10 | log-spaced stepsizes per method (≥ 2) |
/// | `grid_lo` | 0.05 | smallest γ/γ_max (in (0, 1)) |
/// | `extra_ratios` | [0.8, 0.9, 0.95] | more γ/γ_max near γ_max, where GD's risk jumps (each in (0, 1)) |
/// | `tol` | 1e-10 | convergence: L(β) ≤ tol (> 0) |
/// | `gd_max_steps` | 100 000 | GD's step budget |
/// | `sgd_max_steps` | 1 000 000 | SGD's step budget |
/// | `bisection_rel_tol` | 0.02 | relative precision of γ_max |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// First data seed: dataset i uses `seed + i`.
    pub seed: u64,
    /// Number of datasets.
    pub datasets: usize,
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Uniform initialisation scale α.
    pub alpha: f64,
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

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 0,
            datasets: 8,
            n: 20,
            d: 30,
            s: 3,
            alpha: 0.1,
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

impl Config {
    /// The smaller configuration of `--quick` (same code path: fewer datasets and stepsizes).
    pub fn quick() -> Self {
        Self { datasets: 5, grid: 6, extra_ratios: vec![0.9], ..Self::default() }
    }

    /// Checks the parameters the core library does not (one-line errors).
    pub fn validate(&self) -> Result<()> {
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
        if !(self.bisection_rel_tol.is_finite() && self.bisection_rel_tol > 0.0) {
            bail!("bisection_rel_tol must be finite and > 0 (got {})", self.bisection_rel_tol);
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            bail!("alpha must be finite and > 0 (got {})", self.alpha);
        }
        if self.batch == 0 || self.batch >= self.n {
            bail!("batch must satisfy 1 ≤ b < n = {} for SGD (got {})", self.n, self.batch);
        }
        Ok(())
    }

    /// Data seed of dataset `i`.
    pub fn data_seed(&self, i: usize) -> u64 {
        self.seed.wrapping_add(i as u64)
    }

    /// Dataset `i` (x ~ N(0, I), β* on the first s coordinates, values N(0, 1)).
    pub fn problem(&self, i: usize) -> Result<Problem> {
        let data = DataConfig { n: self.n, d: self.d, s: self.s, seed: self.data_seed(i), ..DataConfig::default() };
        Ok(data.generate()?)
    }

    /// The (S)GD template of `method` on dataset `i` (its stepsize is set per run).
    pub fn template(&self, method: Method, i: usize) -> Sgd {
        match method {
            Method::Gd => Sgd::gd(1.0, self.n).with_budget(self.gd_max_steps, self.tol),
            Method::Sgd => {
                Sgd::sgd(1.0, self.batch).with_budget(self.sgd_max_steps, self.tol).with_seed(self.data_seed(i))
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

/// One run of the stepsize sweep.
#[derive(Debug, Clone, PartialEq)]
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
    /// Exact test risk ½‖β − β*‖².
    pub test_risk: f64,
    /// Gain_γ per coordinate.
    pub gain: Vec<f64>,
    /// Whether each coordinate is in the support of β*.
    pub support: Vec<bool>,
}

impl SweepRun {
    /// ‖Gain_γ‖₁.
    pub fn gain_l1(&self) -> f64 {
        self.gain.iter().map(|g| g.abs()).sum()
    }
}

/// γ_max of every (dataset, method), datasets outer, GD then SGD (in parallel, deterministic).
pub fn gamma_maxes(cfg: &Config, problems: &[Problem]) -> Result<Vec<GammaMax>> {
    let alpha = uniform_alpha(cfg.alpha, cfg.d);
    let tasks: Vec<(usize, Method)> =
        (0..problems.len()).flat_map(|i| Method::BOTH.into_iter().map(move |m| (i, m))).collect();
    par_map(&tasks, |&(i, method)| {
        let template = cfg.template(method, i);
        let start = common::bisection_start(&problems[i]);
        let g = gamma_max(&problems[i], alpha.view(), &template, start, cfg.bisection_rel_tol)?;
        Ok(GammaMax { method, dataset: i, gamma_max: g })
    })
    .into_iter()
    .collect()
}

// ANCHOR: sweep
/// The stepsize sweep: every dataset × method × stepsize of the grid (datasets outer, then GD and
/// SGD, then increasing γ), run in parallel; results in that order whatever the thread count.
pub fn sweep(cfg: &Config) -> Result<Vec<SweepRun>> {
    cfg.validate()?;
    let problems: Vec<Problem> = (0..cfg.datasets).map(|i| cfg.problem(i)).collect::<Result<_>>()?;
    let maxes = gamma_maxes(cfg, &problems)?;
    let ratios = cfg.ratios();
    let alpha = uniform_alpha(cfg.alpha, cfg.d);
    let tasks: Vec<(GammaMax, usize)> = maxes.iter().flat_map(|gm| (0..ratios.len()).map(move |j| (*gm, j))).collect();
    par_map(&tasks, |&(gm, j)| {
        let problem = &problems[gm.dataset];
        let template = cfg.template(gm.method, gm.dataset);
        let gamma = ratios[j] * gm.gamma_max;
        let run = run_at(problem, alpha.view(), &template, gamma)?;
        Ok(SweepRun {
            method: gm.method,
            batch: template.batch,
            dataset: gm.dataset,
            data_seed: cfg.data_seed(gm.dataset),
            grid_index: j,
            ratio: ratios[j],
            gamma,
            gamma_max: gm.gamma_max,
            status: run.status,
            steps: run.steps,
            train_loss: run.train_loss,
            test_risk: problem.test_risk(run.beta.view()),
            gain: run.gain().to_vec(),
            support: problem.beta_star.iter().map(|b| *b != 0.0).collect(),
        })
    })
    .into_iter()
    .collect()
}
// ANCHOR_END: sweep

/// Values of a run that only mean something if it did not diverge.
fn unless_diverged(run: &SweepRun, x: f64) -> Option<f64> {
    if run.status == Status::Diverged { None } else { finite(x) }
}

/// The sweep as a tidy frame, one row per run: `method, batch, dataset, data_seed, grid_index,
/// gamma_over_gamma_max, gamma, gamma_max, status, steps, train_loss, test_risk, gain_l1`
/// (the last three null for diverged runs).
pub fn sweep_frame(runs: &[SweepRun]) -> Result<DataFrame> {
    let col_u = |f: &dyn Fn(&SweepRun) -> u64| runs.iter().map(f).collect::<Vec<u64>>();
    let col_f = |f: &dyn Fn(&SweepRun) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let col_o = |f: &dyn Fn(&SweepRun) -> f64| runs.iter().map(|r| unless_diverged(r, f(r))).collect::<Vec<_>>();
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

/// The sweep's rows read back from its frame (the columns `plot` and `summary` need).
#[derive(Debug, Clone)]
pub struct SweepRows {
    /// Method of each row.
    pub method: Vec<Method>,
    /// Dataset index.
    pub dataset: Vec<u64>,
    /// Grid index.
    pub grid_index: Vec<u64>,
    /// γ/γ_max.
    pub ratio: Vec<f64>,
    /// γ_max.
    pub gamma_max: Vec<f64>,
    /// Status.
    pub status: Vec<Status>,
}

impl SweepRows {
    /// Reads the common columns.
    pub fn read(df: &DataFrame) -> Result<Self> {
        Ok(Self {
            method: common::str_col(df, "method")?.iter().map(|s| Method::parse(s)).collect::<Result<_>>()?,
            dataset: common::u64_col(df, "dataset")?,
            grid_index: common::u64_col(df, "grid_index")?,
            ratio: common::f64_col(df, "gamma_over_gamma_max")?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            gamma_max: common::f64_col(df, "gamma_max")?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            status: common::str_col(df, "status")?.iter().map(|s| common::parse_status(s)).collect::<Result<_>>()?,
        })
    }

    /// `values` of converged runs only (others → None), for medians.
    pub fn converged_only(&self, values: &[Option<f64>]) -> Vec<Option<f64>> {
        values.iter().zip(&self.status).map(|(v, s)| if *s == Status::Converged { *v } else { None }).collect()
    }

    /// Per method and grid point (in grid order): γ/γ_max and the quartiles over datasets of
    /// `values` restricted to converged runs.
    pub fn stats(&self, method: Method, values: &[Option<f64>]) -> Vec<(f64, Quartiles)> {
        let values = self.converged_only(values);
        let keys: Vec<(Method, u64)> = self.method.iter().copied().zip(self.grid_index.iter().copied()).collect();
        let groups = group_by(&keys, &values);
        let mut ratio_of = std::collections::BTreeMap::new();
        for (k, r) in keys.iter().zip(&self.ratio) {
            ratio_of.entry(*k).or_insert(*r);
        }
        groups.into_iter().filter(|((m, _), _)| *m == method).map(|(k, v)| (ratio_of[&k], quartiles(&v))).collect()
    }

    /// For GD and SGD (b = `batch`), the median line and IQR band of `values` (converged runs)
    /// against γ/γ_max, on axes ("x", "y"), with `hover` as hover text.
    pub fn method_bands(&self, values: &[Option<f64>], batch: usize, hover: &str) -> Vec<Box<dyn Trace>> {
        let mut traces = Vec::new();
        for method in Method::BOTH {
            let (x, q): (Vec<f64>, Vec<Quartiles>) = self.stats(method, values).into_iter().unzip();
            let name = match method {
                Method::Gd => "GD".to_owned(),
                Method::Sgd => format!("SGD (b = {batch})"),
            };
            traces.extend(band_traces(&name, method.color(), &x, &q, "x", "y", true, hover));
        }
        traces
    }

    /// γ_max of `method` on each dataset (in dataset order).
    pub fn gamma_max_per_dataset(&self, method: Method) -> Vec<f64> {
        let mut seen = std::collections::BTreeMap::new();
        for ((m, d), g) in self.method.iter().zip(&self.dataset).zip(&self.gamma_max) {
            if *m == method {
                seen.entry(*d).or_insert(*g);
            }
        }
        seen.into_values().collect()
    }

    /// Number of runs of `method` per status.
    pub fn status_counts(&self, method: Method) -> Value {
        let count =
            |st: Status| self.method.iter().zip(&self.status).filter(|(m, s)| **m == method && **s == st).count();
        json!({
            "converged": count(Status::Converged),
            "max_steps": count(Status::MaxSteps),
            "diverged": count(Status::Diverged),
        })
    }
}

/// Rounds to [`SUMMARY_DIGITS`].
pub fn r4(x: f64) -> f64 {
    round_sig(x, SUMMARY_DIGITS)
}

/// A per-grid-point table of quartiles as JSON (rounded to [`SUMMARY_DIGITS`]; NaN → null).
pub fn stats_json(stats: &[(f64, Quartiles)]) -> Value {
    let num = |x: f64| finite(r4(x)).map_or(Value::Null, |v| json!(v));
    Value::Array(
        stats
            .iter()
            .map(|(r, q)| {
                json!({
                    "gamma_over_gamma_max": num(*r),
                    "median": num(q.median),
                    "q25": num(q.q25),
                    "q75": num(q.q75),
                    "converged": q.count,
                })
            })
            .collect(),
    )
}

/// Median and quartiles of γ_max over datasets, with the per-dataset values (rounded).
pub fn gamma_max_json(rows: &SweepRows, method: Method) -> Value {
    let per = rows.gamma_max_per_dataset(method);
    let q = quartiles(&per);
    json!({
        "median": r4(q.median),
        "q25": r4(q.q25),
        "q75": r4(q.q75),
        "per_dataset": per.iter().map(|g| r4(*g)).collect::<Vec<_>>(),
    })
}

impl Experiment for Generalization {
    const NAME: &'static str = "generalization";
    const ABOUT: &'static str =
        "Test risk at convergence vs stepsize γ/γ_max for GD and SGD (b = 1): SGD's falls, GD's rises (slides Fig. 1)";
    type Config = Config;

    fn quick() -> Config {
        Config::quick()
    }

    fn run(cfg: &Config) -> Result<DataFrame> {
        sweep_frame(&sweep(cfg)?)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let rows = SweepRows::read(df)?;
        let risk = common::f64_col(df, "test_risk")?;
        let mut plot = Plot::new();
        plot.add_traces(rows.method_bands(&risk, cfg.batch, "γ/γ<sub>max</sub> = %{x:.3g}<br>median risk %{y:.3e}"));
        let gm = |m| quartiles(&rows.gamma_max_per_dataset(m)).median;
        let layout = style::layout(&format!(
            "Test risk at convergence vs stepsize — (n, d, s, α) = ({}, {}, {}, {}), {} datasets",
            cfg.n, cfg.d, cfg.s, cfg.alpha, cfg.datasets
        ))
        .x_axis(style::log_axis(
            "stepsize γ / γ<sub>max</sub>  (γ<sub>max</sub>: largest convergent stepsize, per dataset and method)",
        ))
        .y_axis(common::log_axis_pow("test risk  ½‖β<sub>∞</sub> − β*‖²  (median, IQR band)"))
        .shapes(vec![vline(1.0, "x", "y", style::FLOW)])
        .annotations(vec![
            vline_label(
                0.0,
                "x",
                "y",
                &format!("γ<sub>max</sub> (median: GD {:.3}, SGD {:.3})", gm(Method::Gd), gm(Method::Sgd)),
                style::FLOW,
            )
            .x_anchor(plotly::common::Anchor::Right),
        ]);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(df: &DataFrame, _cfg: &Config) -> Result<Value> {
        let rows = SweepRows::read(df)?;
        let risk = common::f64_col(df, "test_risk")?;
        let mut gamma_max = serde_json::Map::new();
        let mut table = serde_json::Map::new();
        let mut ratio = serde_json::Map::new();
        let mut counts = serde_json::Map::new();
        for method in Method::BOTH {
            let stats = rows.stats(method, &risk);
            let (first, last) = (stats.first().map(|s| s.1.median), stats.last().map(|s| s.1.median));
            let r = match (first, last) {
                (Some(a), Some(b)) => finite(r4(b / a)).map_or(Value::Null, |v| json!(v)),
                _ => Value::Null,
            };
            gamma_max.insert(method.as_str().into(), gamma_max_json(&rows, method));
            table.insert(method.as_str().into(), stats_json(&stats));
            ratio.insert(method.as_str().into(), r);
            counts.insert(method.as_str().into(), rows.status_counts(method));
        }
        Ok(json!({
            "gamma_max": gamma_max,
            "test_risk": table,
            "risk_largest_over_smallest_stepsize": ratio,
            "runs": counts,
        }))
    }
}

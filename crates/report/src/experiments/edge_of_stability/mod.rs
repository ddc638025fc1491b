//! GD at the edge of stability: a small stepsize vs a stepsize just below γ_max, on several datasets.
//!
//! On each of `datasets` datasets of the paper's setting, γ_max (the largest constant stepsize at
//! which GD reaches L ≤ `tol` within `max_steps`) is found by bisection; GD then runs at
//! γ = `small_fraction`·γ_max and at γ = `edge_fraction`·γ_max (1 by default: the bisection's own
//! convergent run, within `bisection_rel_tol` of the first non-convergent stepsize), recording
//! log-spaced snapshots. Dataset 0 is drawn in full, panels against the iteration k (log axes where
//! right): the training loss; the sharpness γ·S_k with S_k = λ_max(X diag(u_k² + v_k²) Xᵀ/n), the
//! Gauss–Newton part of the Hessian of F(u, v) = L(u ⊙ v) (the whole Hessian at an interpolator;
//! GD is linearly stable at a minimum iff γ·S < 2), beside γ·λ_max(∇²F(u_k, v_k)), the exact top
//! eigenvalue with the residual term; the support coordinates of β_k against β*; and the gain
//! Gain_k = ln(α²/α_k²) averaged on and off the support. A fifth panel summarises every dataset: the
//! largest and the last γ·S_k of its edge run. At the edge of stability the loss oscillates, γ·S_k
//! overshoots 2 and then settles at it, and the gain grows until the iterates reach a minimum flat
//! enough to converge — the gain, hence ln(1/α∞), becomes large (Even et al. 2023, Section "Edge
//! of stability"). Book: chapter "Edge of stability" (`book/src/07-edge-of-stability.md`).

use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use dln::{Problem, Record, Run, Schedule, Sgd, Status};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::common::finite;
use super::stepsize_sweep::SweepConfig;
use super::{Experiment, Setting, Validate};
use crate::stability::gamma_max_of;
use crate::sweep::par_map;

mod curvature;
mod frame;
mod plot;
mod summary;

pub mod claims;

pub use curvature::{hessian_sharpness, sharpness, weight_norms};
pub use summary::{AcrossDatasets, RunSummary, Summary};

/// Significant digits of the summary: trajectories at the edge of stability are chaotic (a change
/// in the last bit of the data moves them macroscopically late in the run), so the summary keeps
/// 3 digits and reports booleans/ratios rather than exact step counts.
pub const SUMMARY_DIGITS: usize = 3;

/// The experiment.
pub struct EdgeOfStability;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1, seed 0 | data design and initialisation ([`Setting`]) | |
/// | `datasets` | 8 | datasets 0, 1, …; dataset 0 is drawn in full, the others summarised | ≥ 1 |
/// | `small_fraction` | 0.1 | the small stepsize / γ_max | (0, 1] |
/// | `edge_fraction` | 1.0 | the edge-of-stability stepsize / γ_max | (0, 1] |
/// | `tol` | 1e-10 | convergence: L(β) ≤ tol | > 0 |
/// | `max_steps` | 100 000 | GD's step budget (as in `generalization`) | ≥ 1 |
/// | `bisection_rel_tol` | 0.02 | relative precision of γ_max (as in `generalization`, whose dataset 0 this is) | > 0 |
/// | `points_per_decade` | 30 | snapshots per decade of iterations | ≥ 1 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation.
    pub setting: Setting,
    /// Number of datasets (drawn as [`Setting::problem`] draws them; dataset 0 is drawn in full).
    pub datasets: usize,
    /// The small stepsize as a fraction of γ_max.
    pub small_fraction: f64,
    /// The edge-of-stability stepsize as a fraction of γ_max.
    pub edge_fraction: f64,
    /// Training-loss tolerance defining convergence.
    pub tol: f64,
    /// Step budget.
    pub max_steps: u64,
    /// Relative precision of the γ_max bisection.
    pub bisection_rel_tol: f64,
    /// Snapshots per decade of iterations.
    pub points_per_decade: u32,
}

impl Default for Config {
    /// The stepsize sweep's setting, tolerance, GD budget and bisection precision (`generalization`'s
    /// dataset 0 and γ_max).
    fn default() -> Self {
        let sweep = SweepConfig::default();
        let (setting, tol, max_steps, bisection_rel_tol) =
            (sweep.setting, sweep.tol, sweep.gd_max_steps, sweep.bisection_rel_tol);
        Self {
            setting,
            datasets: 8,
            small_fraction: 0.1,
            edge_fraction: 1.0,
            tol,
            max_steps,
            bisection_rel_tol,
            points_per_decade: 30,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        for (name, f) in [("small_fraction", self.small_fraction), ("edge_fraction", self.edge_fraction)] {
            ensure!(f > 0.0 && f <= 1.0, "{name} must be in (0, 1] (got {f})");
        }
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0 (got {})", self.tol);
        ensure!(self.max_steps >= 1, "max_steps must be at least 1");
        let rel = self.bisection_rel_tol;
        ensure!(rel.is_finite() && rel > 0.0, "bisection_rel_tol must be finite and > 0 (got {rel})");
        ensure!(self.points_per_decade >= 1, "points_per_decade must be at least 1");
        Ok(())
    }
}

/// The two runs' labels, in order.
const RUNS: [&str; 2] = ["small", "edge"];

/// One recorded iterate of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Iteration k.
    pub step: u64,
    /// Training loss L(β_k).
    pub train_loss: f64,
    /// γ·S_k, the stepsize times the Gauss–Newton sharpness at β_k.
    pub gamma_sharpness: f64,
    /// γ·λ_max(∇²F(u_k, v_k)), the stepsize times the exact top Hessian eigenvalue.
    pub gamma_hessian_sharpness: f64,
    /// β_k per coordinate.
    pub beta: Vec<f64>,
    /// Gain_k = ln(α²/α_k²) per coordinate.
    pub gain: Vec<f64>,
}

/// One GD run of the figure.
#[derive(Debug, Clone, Serialize)]
pub struct EdgeRun {
    /// "small" | "edge".
    pub label: &'static str,
    /// Its stepsize γ.
    pub gamma: f64,
    /// How it ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// Its log-spaced snapshots (none if it diverged: nothing in a diverged run is meaningful).
    pub history: Vec<Point>,
}

impl EdgeRun {
    fn diverged(&self) -> bool {
        self.status == Status::Diverged
    }

    /// (k, value) of a per-snapshot quantity against the iteration, k ≥ 1, finite values only.
    fn series(&self, value: impl Fn(&Point) -> f64) -> (Vec<f64>, Vec<f64>) {
        self.history.iter().filter(|p| p.step >= 1).filter_map(|p| finite(value(p)).map(|v| (p.step as f64, v))).unzip()
    }

    /// (k, mean of Gain_k over the coordinates on — or off — the support), k ≥ 1, finite gains only.
    fn mean_gain(&self, support: &[bool], on: bool) -> (Vec<f64>, Vec<f64>) {
        let mut acc: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
        for p in self.history.iter().filter(|p| p.step >= 1) {
            for (g, _) in p.gain.iter().zip(support).filter(|(g, s)| **s == on && g.is_finite()) {
                let e = acc.entry(p.step).or_insert((0.0, 0));
                e.0 += g;
                e.1 += 1;
            }
        }
        acc.into_iter().map(|(k, (s, c))| (k as f64, s / c as f64)).unzip()
    }

    /// ‖Gain‖₁ at the last snapshot (finite coordinates; 0 without snapshots).
    fn final_gain_l1(&self) -> f64 {
        let last = self.history.iter().map(|p| p.step).max().unwrap_or(0);
        self.history
            .iter()
            .filter(|p| p.step == last)
            .flat_map(|p| &p.gain)
            .filter_map(|g| finite(*g))
            .map(f64::abs)
            .sum()
    }
}

/// One dataset: γ_max, β* and the two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// Its index (data seed as [`Setting::problem`] draws it).
    pub dataset: usize,
    /// GD's γ_max on the dataset.
    pub gamma_max: f64,
    /// β* of the dataset.
    pub beta_star: Vec<f64>,
    /// The small-stepsize run, then the edge-of-stability run.
    pub runs: [EdgeRun; 2],
}

/// Every dataset, dataset 0 first.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Datasets 0, 1, …
    pub datasets: Vec<Dataset>,
}

impl Output {
    /// Dataset 0, the one drawn in full.
    pub fn first(&self) -> &Dataset {
        &self.datasets[0]
    }
}

impl Dataset {
    /// Whether each coordinate is in the support of β*.
    fn support(&self) -> Vec<bool> {
        self.beta_star.iter().map(|b| *b != 0.0).collect()
    }
}

/// The typed run of GD at γ: its snapshots with the sharpness γ·S_k of each (α: the initialisation scale).
fn edge_run(problem: &Problem, alpha: f64, label: &'static str, gamma: f64, run: &Run) -> Result<EdgeRun> {
    let history = if run.status == Status::Diverged {
        vec![]
    } else {
        run.history
            .iter()
            .map(|snap| {
                Ok(Point {
                    step: snap.step,
                    train_loss: snap.train_loss,
                    gamma_sharpness: gamma * sharpness(problem.x.view(), &weight_norms(snap, alpha))?,
                    gamma_hessian_sharpness: gamma * hessian_sharpness(problem, snap, alpha)?,
                    beta: snap.beta.to_vec(),
                    gain: snap.gain.to_vec(),
                })
            })
            .collect::<Result<_>>()?
    };
    Ok(EdgeRun { label, gamma, status: run.status, steps: run.steps, history })
}

/// Dataset `i`: γ_max by bisection, then GD at the two fractions of it.
fn dataset(cfg: &Config, i: usize) -> Result<Dataset> {
    let problem = cfg.setting.problem(i)?;
    let alpha = cfg.setting.alpha_vec();
    let template = Sgd::gd(1.0, cfg.setting.n).with_budget(cfg.max_steps, cfg.tol);
    let gm = gamma_max_of(&problem, alpha.view(), &template, cfg.bisection_rel_tol)?;
    let gammas = [cfg.small_fraction * gm, cfg.edge_fraction * gm];
    let record = Record::LogSpaced(cfg.points_per_decade);
    let run = |g: f64| Sgd { stepsize: Schedule::Constant(g), record, ..template.clone() }.run(&problem, alpha.view());
    let [small, edge] = [0, 1].map(|k| edge_run(&problem, cfg.setting.alpha, RUNS[k], gammas[k], &run(gammas[k])?));
    Ok(Dataset { dataset: i, gamma_max: gm, beta_star: problem.beta_star.to_vec(), runs: [small?, edge?] })
}

impl Experiment for EdgeOfStability {
    experiment_items!(
        "edge_of_stability",
        "GD at a small stepsize vs just below γ_max: oscillating loss, sharpness overshooting then settling at 2/γ, a huge gain"
    );

    fn quick() -> Config {
        Config { points_per_decade: 10, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let indices: Vec<usize> = (0..cfg.datasets).collect();
        let datasets = par_map(&indices, |&i| dataset(cfg, i)).into_iter().collect::<Result<_>>()?;
        Ok(Output { datasets })
    }

    /// Tidy frame, one row per (dataset, run, snapshot, quantity[, coordinate]): `dataset`, `run`
    /// ("small" | "edge"), `gamma, gamma_over_gamma_max, gamma_max, status, steps` (of the run),
    /// `step` (k), `quantity` ("train_loss" | "gamma_sharpness" | "gamma_hessian_sharpness" |
    /// "gain_l1", and for dataset 0 also "beta" | "beta_star" | "gain"), `coordinate, on_support`
    /// (null for scalars), `value`.
    fn frame(out: &Output) -> Result<DataFrame> {
        frame::frame(out)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

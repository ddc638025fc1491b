//! Theorem 2 checked run by run: the limit of (S)GD is exactly argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀),
//! while gradient flow's β*_α (Theorem 1) drifts away as the stepsize grows.
//!
//! On every dataset of the shared stepsize sweep ([`super::stepsize_sweep::sweep`], computed once
//! per process), GD and SGD (b = `sweep.batch`, the sweep's sampler) run at γ = fraction · γ_max —
//! the sweep's own γ_max of that method on that dataset — to a training loss ≤ `tol` (1e-26: β∞ is
//! then known to rounding), and each limit is compared with three interpolators, all solved by
//! [`dln::BregmanSolver`]:
//! - Theorem 2's prediction β_pred = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) from the run's own α∞, β̃₀:
//!   ‖β∞ − β_pred‖₂ is rounding-level (~1e-12) on every converged run;
//! - the same without β̃₀, argmin ψ_{α∞}: larger — the small perturbation β̃₀ is needed for exactness;
//! - gradient flow's β*_α = argmin ψ_α (Theorem 1): the distance grows with γ, and shrinks as γ → 0
//!   (at a rate ≈ γ¹, fitted on the smallest stepsizes): (S)GD → GF.
//!
//! Book: chapter "Theorem 2" (`book/src/04-theorem2.md`).

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, Run, Status};
use ndarray::{ArrayView1, ArrayView2};
use plotly::Plot;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{Method, column, finite, l2_distance, run_at, steps_for_epochs, validate_fractions};
use super::stepsize_sweep::{self, SweepConfig};
use super::{Experiment, Validate};
use crate::sweep;

mod plot;
mod summary;

pub mod claims;

pub use summary::{NotConverged, RunSummary, SeriesSummary, Summary};

/// The experiment.
pub struct Theorem2Check;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `sweep` | `generalization`'s default (8 datasets, SGD b = 1) | the datasets, the SGD batch and sampler, and γ_max of each method per dataset | |
/// | `fractions` | 0.03 … 0.9 | stepsizes γ = fraction · γ_max | in (0, 1], increasing, ≥ 2 |
/// | `max_epochs` | 1 000 000 | budget of the grid runs, in epochs | ≥ 1 |
/// | `tol` | 1e-26 | training-loss tolerance of the grid runs | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same datasets and γ_max as the `generalization` experiment).
    pub sweep: SweepConfig,
    /// Stepsizes as fractions of each method's γ_max, increasing.
    pub fractions: Vec<f64>,
    /// Budget of the grid runs, in epochs.
    pub max_epochs: u64,
    /// Training-loss tolerance.
    pub tol: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sweep: SweepConfig::default(),
            fractions: vec![0.03, 0.06, 0.1, 0.3, 0.6, 0.9],
            max_epochs: 1_000_000,
            tol: 1e-26,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.sweep.validate().map_err(|e| anyhow::anyhow!("sweep: {e:#}"))?;
        validate_fractions(&self.fractions, 2)?;
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0, got {}", self.tol);
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        Ok(())
    }
}

/// One run of the grid and its distances to the three interpolators (`None` when not finite, or when
/// the run diverged).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The dataset's index k (data seed `setting.seed + k`).
    pub dataset: usize,
    /// GD (b = n) or SGD.
    pub method: Method,
    /// Batch size b.
    pub batch: usize,
    /// γ / γ_max(b).
    pub fraction: f64,
    /// γ_max(b) on this dataset.
    pub gamma_max: f64,
    /// The stepsize γ.
    pub gamma: f64,
    /// How the run ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// Final training loss.
    pub train_loss: Option<f64>,
    /// ‖Gain_γ‖₁.
    pub gain_l1: Option<f64>,
    /// Its distances to the three interpolators.
    pub err: Distances,
}

/// The distances of a run's limit β∞ to the three interpolators, and the residual of Theorem 2's
/// solve (each `None` when not finite).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Distances {
    /// ‖β∞ − β_pred‖₂, β_pred = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) (Theorem 2).
    pub theorem2: Option<f64>,
    /// ‖β∞ − argmin_{Xβ=y} ψ_{α∞}(β)‖₂ (β̃₀ dropped).
    pub without_tilde: Option<f64>,
    /// ‖β∞ − β*_α‖₂ (gradient flow, Theorem 1).
    pub gf: Option<f64>,
    /// Relative feasibility residual of the solve of β_pred.
    pub solver_residual: Option<f64>,
}

// ANCHOR: compare
impl Distances {
    /// The distances of the limit of `run` (not diverged, finite) to Theorem 2's prediction from the
    /// run's own α∞ and β̃₀, to the same without β̃₀, and to gradient flow's limit `gf`.
    fn of(
        solver: &BregmanSolver,
        (x, y): (ArrayView2<f64>, ArrayView1<f64>),
        run: &Run,
        gf: ArrayView1<f64>,
    ) -> Result<Self> {
        let pred = solver.theorem2(x, y, &run.effective)?;
        let plain = solver.theorem2_without_tilde(x, y, &run.effective)?;
        let beta = run.beta.view();
        Ok(Self {
            theorem2: finite(l2_distance(beta, pred.beta.view())),
            without_tilde: finite(l2_distance(beta, plain.beta.view())),
            gf: finite(l2_distance(beta, gf)),
            solver_residual: finite(pred.residual),
        })
    }
}
// ANCHOR_END: compare

impl Row {
    /// Its series label, e.g. "SGD (b = 5)".
    fn series(&self) -> String {
        format!("{} (b = {})", self.method.as_str(), self.batch)
    }

    fn converged(&self) -> bool {
        self.status == Status::Converged
    }
}

/// The runs: datasets outer, then batch sizes, then increasing stepsizes.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// One row per (dataset, batch size, stepsize).
    pub rows: Vec<Row>,
}

/// The rows per (method, batch) series (all datasets), in order of first appearance.
fn series(rows: &[Row]) -> Vec<(String, Vec<&Row>)> {
    let mut out: Vec<(String, Vec<&Row>)> = Vec::new();
    for row in rows {
        let label = row.series();
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, members)) => members.push(row),
            None => out.push((label, vec![row])),
        }
    }
    out
}

/// The grid on dataset `k`: GD and SGD at every fraction of their γ_max (`gamma_max`, in
/// [`Method::BOTH`] order), each compared with the three interpolators.
fn dataset(cfg: &Config, k: usize, gamma_max: [f64; 2]) -> Result<Vec<Row>> {
    let st = &cfg.sweep.setting;
    let (problem, alpha) = (st.problem(k)?, st.alpha_vec());
    let (x, y) = (problem.x.view(), problem.y.view());
    let solver = BregmanSolver::default();
    let gf = solver.theorem1(x, y, alpha.view())?.beta;
    let grid: Vec<(usize, f64)> = (0..2).flat_map(|i| cfg.fractions.iter().map(move |&f| (i, f))).collect();
    let rows = sweep::par_map(&grid, |&(i, fraction)| -> Result<Row> {
        let method = Method::BOTH[i];
        let template = cfg.sweep.template(method, k);
        let budget = steps_for_epochs(cfg.max_epochs, st.n, template.batch);
        let template = template.with_budget(budget, cfg.tol);
        let gamma = fraction * gamma_max[i];
        let run = run_at(&problem, alpha.view(), &template, gamma)?;
        let usable =
            run.status != Status::Diverged && run.effective.is_finite() && run.beta.iter().all(|v| v.is_finite());
        let err = if usable { Distances::of(&solver, (x, y), &run, gf.view())? } else { Distances::default() };
        Ok(Row {
            dataset: k,
            method,
            batch: template.batch,
            fraction,
            gamma_max: gamma_max[i],
            gamma,
            status: run.status,
            steps: run.steps,
            train_loss: if usable { finite(run.train_loss) } else { None },
            gain_l1: if usable { finite(run.effective.gain_l1()) } else { None },
            err,
        })
    });
    rows.into_iter().collect()
}

impl Experiment for Theorem2Check {
    experiment_items!(
        "theorem2_check",
        "Theorem 2 run by run: ‖β∞ − β_pred‖ is rounding-level on a (batch, stepsize) grid; gradient flow drifts away as γ grows"
    );

    fn quick() -> Config {
        Config {
            sweep: SweepConfig::quick(),
            fractions: vec![0.03, 0.1, 0.3, 0.9],
            max_epochs: 400_000,
            ..Config::default()
        }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let runs = stepsize_sweep::sweep(&cfg.sweep)?;
        let gamma_max = |k: usize, m: Method| {
            (runs.iter().find(|r| r.at.dataset == k && r.at.method == m).map(|r| r.at.gamma_max))
                .with_context(|| format!("the sweep has no {} run on dataset {k}", m.as_str()))
        };
        let ks: Vec<usize> = (0..cfg.sweep.datasets).collect();
        let per_dataset =
            sweep::par_map(&ks, |&k| dataset(cfg, k, [gamma_max(k, Method::Gd)?, gamma_max(k, Method::Sgd)?]));
        let rows = per_dataset.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Output { rows: rows.into_iter().flatten().collect() })
    }

    /// Tidy frame, one row per run: `dataset, method, batch, fraction, gamma_max, gamma, status, steps,
    /// train_loss, gain_l1, err_theorem2, err_without_tilde, err_gf, solver_residual` (nulls: not
    /// finite, or the run diverged).
    fn frame(out: &Output) -> Result<DataFrame> {
        let rows = &out.rows;
        Ok(df!(
            "dataset" => column(rows, |r| r.dataset as u64),
            "method" => column(rows, |r| r.method.as_str()),
            "batch" => column(rows, |r| r.batch as u64),
            "fraction" => column(rows, |r| r.fraction),
            "gamma_max" => column(rows, |r| r.gamma_max),
            "gamma" => column(rows, |r| r.gamma),
            "status" => column(rows, |r| r.status.as_str()),
            "steps" => column(rows, |r| r.steps),
            "train_loss" => column(rows, |r| r.train_loss),
            "gain_l1" => column(rows, |r| r.gain_l1),
            "err_theorem2" => column(rows, |r| r.err.theorem2),
            "err_without_tilde" => column(rows, |r| r.err.without_tilde),
            "err_gf" => column(rows, |r| r.err.gf),
            "solver_residual" => column(rows, |r| r.err.solver_residual),
        )?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

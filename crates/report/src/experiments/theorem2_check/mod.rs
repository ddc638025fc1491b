//! Theorem 2 checked run by run: the limit of (S)GD is exactly argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀),
//! while gradient flow's β*_α (Theorem 1) drifts away as the stepsize grows.
//!
//! Over a grid of batch sizes (b = n is GD) and stepsizes γ = fraction · γ_max(b) on dataset 0 of the
//! setting, every run goes to a training loss ≤ `tol` (1e-26: β∞ is then known to rounding) and is
//! compared with three interpolators, all solved by [`dln::BregmanSolver`]:
//! - Theorem 2's prediction β_pred = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) from the run's own α∞, β̃₀:
//!   ‖β∞ − β_pred‖₂ is rounding-level (~1e-12) on every converged run;
//! - the same without β̃₀, argmin ψ_{α∞}: larger — the small perturbation β̃₀ is needed for exactness;
//! - gradient flow's β*_α = argmin ψ_α (Theorem 1): the distance grows with γ, and shrinks as γ → 0
//!   (at a rate ≈ γ¹, fitted on the smallest stepsizes): (S)GD → GF.
//!
//! γ_max(b) is bisected by [`crate::stability::gamma_max_of`]. Book: chapter "Theorem 2"
//! (`book/src/04-theorem2.md`).

use anyhow::{Result, ensure};
use dln::{BregmanSolver, Run, Status};
use ndarray::{ArrayView1, ArrayView2};
use plotly::Plot;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{self, Method, column, finite, gamma_max_of, l2_distance, run_at, template, validate_fractions};
use super::{Experiment, Setting, Validate};
use crate::sweep;

mod plot;
mod summary;

pub mod claims;

pub use summary::{RunSummary, SeriesSummary, Summary};

/// The experiment.
pub struct Theorem2Check;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1, seed 0 | data design and initialisation ([`Setting`], dataset 0; the SGD sampler's seed is derived from `seed`) | |
/// | `batches` | [20, 5, 1] | batch sizes b (b = n is GD) | 1 ≤ b ≤ n, not empty |
/// | `fractions` | 0.01 … 0.9 | stepsizes γ = fraction · γ_max(b) | in (0, 1], increasing, ≥ 2 |
/// | `max_epochs` | 1 000 000 | budget of the grid runs, in epochs | ≥ 1 |
/// | `tol` | 1e-26 | training-loss tolerance of the grid runs | > 0 |
/// | `bisection_epochs` | 100 000 | budget of the γ_max bisection runs (tolerance `tol` too) | ≥ 1 |
/// | `rel_tol` | 0.01 | relative precision of the γ_max bisection | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design (dataset 0) and initialisation.
    pub setting: Setting,
    /// Batch sizes (b = n is GD).
    pub batches: Vec<usize>,
    /// Stepsizes as fractions of each batch size's γ_max, increasing.
    pub fractions: Vec<f64>,
    /// Budget of the grid runs, in epochs.
    pub max_epochs: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Budget of the bisection runs, in epochs.
    pub bisection_epochs: u64,
    /// Relative precision of the γ_max bisection.
    pub rel_tol: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            batches: vec![20, 5, 1],
            fractions: vec![0.01, 0.03, 0.1, 0.3, 0.6, 0.9],
            max_epochs: 1_000_000,
            tol: 1e-26,
            bisection_epochs: 100_000,
            rel_tol: 0.01,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let n = self.setting.n;
        ensure!(!self.batches.is_empty(), "batches must not be empty");
        ensure!(
            self.batches.iter().all(|&b| b >= 1 && b <= n),
            "batches must satisfy 1 ≤ b ≤ n = {n}, got {:?}",
            self.batches
        );
        validate_fractions(&self.fractions, 2)?;
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0, got {}", self.tol);
        ensure!(self.rel_tol.is_finite() && self.rel_tol > 0.0, "rel_tol must be finite and > 0, got {}", self.rel_tol);
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        ensure!(self.bisection_epochs >= 1, "bisection_epochs must be at least 1");
        Ok(())
    }
}

/// One run of the grid and its distances to the three interpolators (`None` when not finite, or when
/// the run diverged).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// GD (b = n) or SGD.
    pub method: Method,
    /// Batch size b.
    pub batch: usize,
    /// γ / γ_max(b).
    pub fraction: f64,
    /// γ_max(b).
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

/// The runs, batch sizes outer and increasing stepsizes inner.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// One row per (batch size, stepsize).
    pub rows: Vec<Row>,
}

/// The rows per (method, batch) series, in order of first appearance.
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

impl Experiment for Theorem2Check {
    experiment_items!(
        "theorem2_check",
        "Theorem 2 run by run: ‖β∞ − β_pred‖ is rounding-level on a (batch, stepsize) grid; gradient flow drifts away as γ grows"
    );

    fn quick() -> Config {
        Config {
            batches: vec![20, 1],
            fractions: vec![0.03, 0.1, 0.3, 0.9],
            max_epochs: 400_000,
            bisection_epochs: 50_000,
            rel_tol: 0.03,
            ..Config::default()
        }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let (st, n) = (&cfg.setting, cfg.setting.n);
        let (problem, alpha) = (st.problem(0)?, st.alpha_vec());
        let (x, y) = (problem.x.view(), problem.y.view());
        let solver = BregmanSolver::default();
        let gf = solver.theorem1(x, y, alpha.view())?.beta;
        let sampler = common::derived_seed(st.seed, 2);
        let gamma_max: Vec<f64> = sweep::par_map(&cfg.batches, |&b| {
            gamma_max_of(&problem, alpha.view(), &template(n, b, cfg.bisection_epochs, cfg.tol, sampler), cfg.rel_tol)
        })
        .into_iter()
        .collect::<Result<_>>()?;

        let grid: Vec<(usize, f64)> =
            (0..cfg.batches.len()).flat_map(|i| cfg.fractions.iter().map(move |&f| (i, f))).collect();
        let rows = sweep::par_map(&grid, |&(i, fraction)| -> Result<Row> {
            let (b, gamma) = (cfg.batches[i], fraction * gamma_max[i]);
            let run = run_at(&problem, alpha.view(), &template(n, b, cfg.max_epochs, cfg.tol, sampler), gamma)?;
            let usable =
                run.status != Status::Diverged && run.effective.is_finite() && run.beta.iter().all(|v| v.is_finite());
            let err = if usable { Distances::of(&solver, (x, y), &run, gf.view())? } else { Distances::default() };
            Ok(Row {
                method: if b == n { Method::Gd } else { Method::Sgd },
                batch: b,
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
        Ok(Output { rows: rows.into_iter().collect::<Result<_>>()? })
    }

    /// Tidy frame, one row per run: `method, batch, fraction, gamma_max, gamma, status, steps,
    /// train_loss, gain_l1, err_theorem2, err_without_tilde, err_gf, solver_residual` (nulls: not
    /// finite, or the run diverged).
    fn frame(out: &Output) -> Result<DataFrame> {
        let rows = &out.rows;
        Ok(df!(
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

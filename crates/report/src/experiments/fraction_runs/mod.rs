//! Runs at fractions of each method's own γ_max, on several datasets of several settings (the
//! experiment's *cells*): the stage behind `gain_law`, `anisotropy`, `label_noise` and `batch_law`.
//!
//! For each cell (a [`Setting`]), dataset i and arm (a batch size b; b = n is GD), γ_max is found as
//! in the stepsize sweep ([`SweepConfig`]'s defaults: L ≤ 1e-10 within 10⁵ GD or 10⁶ SGD steps, to
//! 2 %, SGD's sampler seeded with the data seed), then (S)GD runs at γ = fraction·γ_max to a
//! training loss ≤ `tol` (1e-26: the limit is known to rounding), tracking Σ_k (γ g_k,j)² and
//! max_k |γ g_k,j| per coordinate ([`dln::SecondOrder`]); for α > 1 the tolerance grows like α⁴
//! with the loss's rounding floor ([`RunsConfig::tol_at`]). Every converged limit is compared with Theorem 2's
//! prediction from the run's own α∞ and β̃₀, and its test risk with gradient flow's (Theorem 1) on the
//! same dataset. A dataset on which no constant stepsize converges within the budget has no runs
//! for that arm ([`Output::without_gamma_max`]).

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, Problem, Run, Sgd, Status};
use serde::{Deserialize, Serialize};

use super::common::{Method, finite, l2_distance, steps_for_epochs, validate_fractions};
use super::stepsize_sweep::SweepConfig;
use super::{Setting, Validate};
use crate::stability::gamma_max_if_any;
use crate::sweep::par_map;

mod rows;

pub use rows::{Count, Measured, Output, Row, Totals, WithoutGammaMax, cell_column, columns, quartiles_over};

/// The runs' parameters, nested in each experiment's configuration as `runs`.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `datasets` | 16 | datasets per cell (data seeds `setting.seed + i`) | ≥ 1 |
/// | `fractions` | 0.1, 0.5 | stepsizes γ = fraction · γ_max, γ_max per arm and dataset | in (0, 1], increasing |
/// | `max_epochs` | 1 000 000 | budget of the runs, in epochs | ≥ 1 |
/// | `tol` | 1e-26 | training-loss tolerance of the runs (× α⁴ when α > 1, [`RunsConfig::tol_at`]) | > 0 |
/// | `bisection_rel_tol` | none (the sweep's 0.02) | relative precision of γ_max | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunsConfig {
    /// Datasets per cell.
    pub datasets: usize,
    /// Stepsizes as fractions of each arm's γ_max on each dataset.
    pub fractions: Vec<f64>,
    /// Budget of the runs, in epochs.
    pub max_epochs: u64,
    /// Training-loss tolerance of the runs.
    pub tol: f64,
    /// Relative precision of γ_max, if not the stepsize sweep's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bisection_rel_tol: Option<f64>,
}

impl Default for RunsConfig {
    fn default() -> Self {
        Self { datasets: 16, fractions: vec![0.1, 0.5], max_epochs: 1_000_000, tol: 1e-26, bisection_rel_tol: None }
    }
}

impl RunsConfig {
    /// The tolerance of runs started at scale α: `tol` · max(1, α)⁴. The weights are of size α, so
    /// β = u ⊙ v carries rounding errors of order ε α² and the loss has a floor of order (ε α²)²;
    /// for α ≤ 1 it is `tol` itself.
    pub fn tol_at(&self, alpha: f64) -> f64 {
        self.tol * alpha.max(1.0).powi(4)
    }
}

impl Validate for RunsConfig {
    fn validate(&self) -> Result<()> {
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        validate_fractions(&self.fractions, 1)?;
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0 (got {})", self.tol);
        if let Some(r) = self.bisection_rel_tol {
            ensure!(r.is_finite() && r > 0.0, "bisection_rel_tol must be finite and > 0 (got {r})");
        }
        Ok(())
    }
}

/// The sweep whose γ_max definition and (S)GD template an arm of `setting` uses.
fn sweep_of(setting: &Setting, datasets: usize, batch: usize) -> SweepConfig {
    SweepConfig { setting: setting.clone(), datasets, batch: batch.min(setting.n - 1), ..SweepConfig::default() }
}

/// The method of batch size `batch` on n samples.
fn method_of(batch: usize, n: usize) -> Method {
    if batch >= n { Method::Gd } else { Method::Sgd }
}

/// One dataset of one cell, with what every run on it is compared with.
pub struct Dataset<'a> {
    /// Index of the cell.
    pub cell: usize,
    /// The cell's setting.
    pub setting: &'a Setting,
    /// Dataset index i.
    pub index: usize,
    /// The dataset.
    pub problem: &'a Problem,
    /// Population test risk of gradient flow's limit on it.
    pub gf_test_risk: f64,
    /// Whether each coordinate is in the support of β*.
    support: Vec<bool>,
    /// (1/n) Σ_i x_ij² y_i² per coordinate.
    sq_grad_at_init: Vec<f64>,
}

/// An arm on a dataset: its method, its (S)GD template (budget `max_epochs` epochs, tolerance `tol`,
/// second-order tracking on; the stepsize is set per run) and γ_max.
pub struct Arm {
    /// GD or SGD.
    pub method: Method,
    /// The template.
    pub template: Sgd,
    /// γ_max of the arm on the dataset.
    pub gamma_max: f64,
}

impl<'a> Dataset<'a> {
    /// Dataset `index` of cell `cell` (setting `setting`), with gradient flow's test risk, the support
    /// and the start's squared gradients computed once for all its runs.
    pub fn new(cell: usize, setting: &'a Setting, index: usize, problem: &'a Problem) -> Result<Self> {
        let zero = ndarray::Array1::zeros(problem.d());
        Ok(Dataset {
            cell,
            setting,
            index,
            problem,
            gf_test_risk: gf_test_risk(problem, setting)?,
            support: problem.beta_star.iter().map(|b| *b != 0.0).collect(),
            sq_grad_at_init: problem.mean_sq_sample_gradient(zero.view()).to_vec(),
        })
    }

    /// The arm of batch size `batch` (b ≥ n: GD): its γ_max as in the stepsize sweep, or where no
    /// constant stepsize converges.
    pub fn arm(&self, cfg: &RunsConfig, batch: usize) -> Result<std::result::Result<Arm, WithoutGammaMax>> {
        let n = self.setting.n;
        let (method, sweep) = (method_of(batch, n), sweep_of(self.setting, cfg.datasets, batch));
        let alpha = self.setting.alpha_vec();
        let template = sweep.template(method, self.index);
        let rel_tol = cfg.bisection_rel_tol.unwrap_or(sweep.bisection_rel_tol);
        let Some(gamma_max) = gamma_max_if_any(self.problem, alpha.view(), &template, rel_tol)? else {
            return Ok(Err(WithoutGammaMax { cell: self.cell, dataset: self.index, batch: template.batch }));
        };
        let budget = steps_for_epochs(cfg.max_epochs, n, template.batch);
        let template = Sgd { track_second_order: true, ..template.with_budget(budget, cfg.tol_at(self.setting.alpha)) };
        Ok(Ok(Arm { method, template, gamma_max }))
    }

    /// Runs `sgd` (the arm's template with its stepsize schedule set) and measures it: its row, with
    /// `fraction` and `gamma` as labels.
    pub fn measure(&self, arm: &Arm, sgd: &Sgd, labels: (f64, f64)) -> Result<Row> {
        Ok(self.measure_with(arm, sgd, labels, |_, _| Ok(()))?.0)
    }

    /// [`Self::measure`], with `extra` of the dataset and the finished run measured alongside.
    pub fn measure_with<E>(
        &self,
        arm: &Arm,
        sgd: &Sgd,
        labels: (f64, f64),
        extra: impl Fn(&Dataset, &Run) -> Result<E>,
    ) -> Result<(Row, E)> {
        let run = sgd.run(self.problem, self.setting.alpha_vec().view())?;
        Ok((self.row(arm, sgd.batch, labels, &run)?, extra(self, &run)?))
    }

    /// The row of `run`, made by `arm` with batch size `batch`, labelled (fraction, γ).
    fn row(&self, arm: &Arm, batch: usize, (fraction, gamma): (f64, f64), run: &Run) -> Result<Row> {
        let problem = self.problem;
        let sums = run.second_order.as_ref().context("the run tracked no second-order sums")?;
        let theorem2_error = if run.converged() {
            let pred = BregmanSolver::default().theorem2(problem.x.view(), problem.y.view(), &run.effective)?;
            finite(l2_distance(run.beta.view(), pred.beta.view()))
        } else {
            None
        };
        Ok(Row {
            cell: self.cell,
            dataset: self.index,
            data_seed: self.setting.data_seed(self.index),
            method: arm.method,
            batch,
            fraction,
            gamma_max: arm.gamma_max,
            gamma,
            status: run.status,
            steps: run.steps,
            theorem2_error,
            beta_norm: run.beta.dot(&run.beta).sqrt(),
            test_risk: problem.test_risk(run.beta.view()),
            gf_test_risk: self.gf_test_risk,
            support: self.support.clone(),
            sq_grad_at_init: self.sq_grad_at_init.clone(),
            gain: run.gain().to_vec(),
            second_order: sums.sq.to_vec(),
            max_step: sums.max_abs.to_vec(),
            steps_beyond_one: sums.steps_beyond_one,
        })
    }
}

/// Gradient flow's population test risk on `problem` (Theorem 1's limit from α·1).
fn gf_test_risk(problem: &Problem, setting: &Setting) -> Result<f64> {
    let alpha = setting.alpha_vec();
    let gf = BregmanSolver::default().theorem1(problem.x.view(), problem.y.view(), alpha.view())?;
    Ok(problem.test_risk(gf.beta.view()))
}

/// The rows of one arm with what `extra` measured on each run.
type ArmRows<E> = std::result::Result<Vec<(Row, E)>, WithoutGammaMax>;

/// The arm `batch` on `data`: γ_max, then one run per fraction at the constant stepsize
/// fraction·γ_max.
fn arm<E: Send>(
    cfg: &RunsConfig,
    data: &Dataset,
    batch: usize,
    extra: &(impl Fn(&Dataset, &Run) -> Result<E> + Sync),
) -> Result<ArmRows<E>> {
    let arm = match data.arm(cfg, batch)? {
        Ok(arm) => arm,
        Err(missing) => return Ok(Err(missing)),
    };
    let rows = par_map(&cfg.fractions, |&fraction| {
        let gamma = fraction * arm.gamma_max;
        let sgd = Sgd { stepsize: dln::Schedule::Constant(gamma), ..arm.template.clone() };
        data.measure_with(&arm, &sgd, (fraction, gamma), extra)
    });
    Ok(Ok(rows.into_iter().collect::<Result<_>>()?))
}

// ANCHOR: compute
/// Every run: for each cell (a setting), dataset and arm (batch sizes `batches`; b ≥ n is GD with
/// b = n), γ_max then one run per fraction of it; all in parallel, results in that order whatever
/// the thread count.
pub fn compute(cells: &[Setting], batches: &[usize], cfg: &RunsConfig) -> Result<Output> {
    Ok(compute_with(cells, batches, cfg, |_, _| Ok(()))?.runs)
}

/// [`compute`], with `extra` of each dataset and finished run measured alongside its row.
pub fn compute_with<E: Send>(
    cells: &[Setting],
    batches: &[usize],
    cfg: &RunsConfig,
    extra: impl Fn(&Dataset, &Run) -> Result<E> + Sync,
) -> Result<Measured<E>> {
    let tasks: Vec<(usize, usize)> = (0..cells.len()).flat_map(|c| (0..cfg.datasets).map(move |i| (c, i))).collect();
    let per_dataset = par_map(&tasks, |&(c, i)| {
        let (setting, problem) = (&cells[c], cells[c].problem(i)?);
        let data = Dataset::new(c, setting, i, &problem)?;
        let arms = par_map(batches, |&b| arm(cfg, &data, b, &extra));
        arms.into_iter().collect::<Result<Vec<_>>>()
    });
    let mut out = Measured::default();
    for arms in per_dataset {
        for arm in arms? {
            match arm {
                Ok(rows) => rows.into_iter().for_each(|(row, e)| out.push(row, e)),
                Err(missing) => out.runs.without_gamma_max.push(missing),
            }
        }
    }
    Ok(out)
}
// ANCHOR_END: compute

/// The arms of GD and SGD with batch size `batch` on `setting`: [n, batch].
pub fn gd_and_sgd(setting: &Setting, batch: usize) -> Vec<usize> {
    vec![setting.n, batch]
}

/// The exactness threshold on ‖β∞ − β_pred‖₂ / max(1, ‖β∞‖₂) (every converged run).
pub const EXACT: f64 = 1e-8;
/// The share of runs that must converge (the others are counted by status in the claim: runs near
/// γ_max may diverge, as convergence is not monotone in γ, or still be moving when the budget runs
/// out on ill-conditioned data).
pub const CONVERGED: f64 = 0.9;

/// The two claims every experiment on these runs makes: the runs converge, and Theorem 2 is exact on
/// every converged one.
pub fn standard_claims(out: &Output) -> [crate::claims::Claim; 2] {
    use crate::claims::{Claim, fmt3};
    let rows = &out.rows;
    let converged: Vec<&Row> = rows.iter().filter(|r| r.converged()).collect();
    let worst = super::common::largest(converged.iter().map(|r| r.theorem2_relative().unwrap_or(f64::INFINITY)));
    let without = out.without_gamma_max.len();
    let diverged = rows.iter().filter(|r| r.status == Status::Diverged).count();
    let max_steps = rows.iter().filter(|r| r.status == Status::MaxSteps).count();
    [
        Claim::at_least("runs_converge", "converged_fraction", converged.len() as f64 / rows.len() as f64, CONVERGED)
            .with("diverged", diverged as f64)
            .with("max_steps", max_steps as f64)
            .with("without_gamma_max", without as f64)
            .says(format!(
                "{} of {} runs reach the training-loss tolerance within the step budget (at least {}); {diverged} diverged below their γ_max (convergence is not monotone in γ), {max_steps} were still moving when the budget ran out, and {without} (dataset, method) pairs have no convergent constant stepsize and no runs.",
                converged.len(),
                rows.len(),
                fmt3(CONVERGED)
            )),
        Claim::at_most("theorem2_is_exact", "largest_relative_error", worst, EXACT).says(format!(
            "On every converged run ({} runs), the limit is Theorem 2's prediction to {} × max(1, ‖β∞‖) (at most {EXACT:.0e}).",
            converged.len(),
            fmt3(worst)
        )),
    ]
}

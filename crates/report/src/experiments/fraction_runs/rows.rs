//! The runs of the stage as typed rows: one [`Row`] per run, the (cell, dataset, arm) triples
//! without a convergent stepsize, the runs with an experiment's extras ([`Measured`]), and their
//! frame columns ([`columns`]).

use dln::Status;
use polars::prelude::Column;
use serde::Serialize;

use crate::experiments::common::{Method, Quartiles, finite, per_coordinate, quartiles, repeated};

/// One run: where it sits, how it ended, its risk, Theorem 2's error, and per coordinate its gain
/// with the second-order sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Index of its cell in the experiment's list.
    pub cell: usize,
    /// Dataset index i of the cell.
    pub dataset: usize,
    /// Its data seed.
    pub data_seed: u64,
    /// GD (b = n) or SGD.
    pub method: Method,
    /// Batch size b.
    pub batch: usize,
    /// γ/γ_max.
    pub fraction: f64,
    /// γ_max of the arm on the dataset.
    pub gamma_max: f64,
    /// γ.
    pub gamma: f64,
    /// How the run ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// ‖β∞ − β_pred‖₂ with Theorem 2's prediction (converged runs).
    pub theorem2_error: Option<f64>,
    /// ‖β∞‖₂.
    pub beta_norm: f64,
    /// Population test risk of β∞ (the data's own law, [`dln::Problem::test_risk`]).
    pub test_risk: f64,
    /// Population test risk of gradient flow's limit β*_α (Theorem 1) on the same dataset.
    pub gf_test_risk: f64,
    /// Whether each coordinate is in the support of β*.
    pub support: Vec<bool>,
    /// The dataset's mean squared single-sample gradient at β₀ = 0, (1/n) Σ_i x_ij² y_i², per
    /// coordinate ([`dln::Problem::mean_sq_sample_gradient`]).
    pub sq_grad_at_init: Vec<f64>,
    /// Gain_γ per coordinate (closed form from the weights).
    pub gain: Vec<f64>,
    /// Σ_k (γ g_k,j)² per coordinate: the second-order prediction from the run's own gradients.
    pub second_order: Vec<f64>,
    /// max_k |γ g_k,j| per coordinate.
    pub max_step: Vec<f64>,
    /// Steps on which some coordinate moved by |γ g_k,j| > 1.
    pub steps_beyond_one: u64,
}

impl Row {
    /// Whether the run converged.
    pub fn converged(&self) -> bool {
        self.status == Status::Converged
    }

    /// Whether the run kept finite iterates (did not diverge).
    pub fn kept(&self) -> bool {
        self.status != Status::Diverged
    }

    /// On/off-support ratio of the gain.
    pub fn gain_ratio(&self) -> f64 {
        dln::on_off_ratio(&self.gain, &self.support)
    }

    /// On/off-support ratio of the squared single-sample gradients at the start.
    pub fn start_ratio(&self) -> f64 {
        dln::on_off_ratio(&self.sq_grad_at_init, &self.support)
    }

    /// On/off-support ratio of Σ(γg)².
    pub fn second_order_ratio(&self) -> f64 {
        dln::on_off_ratio(&self.second_order, &self.support)
    }

    /// Coefficient of variation of the gain across coordinates.
    pub fn gain_cv(&self) -> f64 {
        dln::coefficient_of_variation(&self.gain)
    }

    /// ‖Gain‖₁.
    pub fn gain_l1(&self) -> f64 {
        self.gain.iter().map(|g| g.abs()).sum()
    }

    /// The largest step max_{k,j} |γ g_k,j|.
    pub fn largest_step(&self) -> f64 {
        self.max_step.iter().fold(0.0, |m, v| m.max(*v))
    }

    /// Test risk over gradient flow's.
    pub fn risk_ratio(&self) -> f64 {
        self.test_risk / self.gf_test_risk
    }

    /// Theorem 2's error relative to max(1, ‖β∞‖).
    pub fn theorem2_relative(&self) -> Option<f64> {
        Some(self.theorem2_error? / self.beta_norm.max(1.0))
    }
}

/// Quartiles of `f` over `rows` that did not diverge (non-finite values left out): the statistic
/// every view of these runs reports over datasets.
pub fn quartiles_over<'r>(rows: impl IntoIterator<Item = &'r Row>, f: impl Fn(&Row) -> f64) -> Quartiles {
    let values: Vec<f64> = rows.into_iter().filter(|r| r.kept()).map(f).filter(|v| v.is_finite()).collect();
    quartiles(&values)
}

/// An (arm, dataset) of a cell without a convergent constant stepsize.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WithoutGammaMax {
    /// Index of the cell.
    pub cell: usize,
    /// Dataset index.
    pub dataset: usize,
    /// Batch size of the arm.
    pub batch: usize,
}

/// The rows (cells outer, then datasets, then arms in order, then fractions) and the (cell,
/// dataset, arm) triples that have no convergent stepsize.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// One row per run.
    pub rows: Vec<Row>,
    /// Where the γ_max search found no convergent stepsize (no runs there).
    pub without_gamma_max: Vec<WithoutGammaMax>,
}

/// How many runs a group holds and how many of them converged (a summary table's cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Converged runs (of `runs`).
    pub converged: usize,
    /// Runs.
    pub runs: usize,
}

impl Count {
    /// The count of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Self {
        (rows.into_iter()).fold(Self { converged: 0, runs: 0 }, |c, r| Self {
            converged: c.converged + usize::from(r.converged()),
            runs: c.runs + 1,
        })
    }
}

/// The totals every summary of these runs starts with: all runs, the converged ones, and where the
/// γ_max search found no convergent stepsize.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Runs.
    pub runs: usize,
    /// Converged runs.
    pub converged_runs: usize,
    /// (cell, dataset, arm) without a convergent constant stepsize (no runs there).
    pub without_gamma_max: Vec<WithoutGammaMax>,
}

impl Totals {
    /// The totals of `out`.
    pub fn of(out: &Output) -> Self {
        let count = Count::of(&out.rows);
        Self { runs: count.runs, converged_runs: count.converged, without_gamma_max: out.without_gamma_max.clone() }
    }
}

/// Runs with what an experiment measured alongside each: `extras[k]` belongs to `runs.rows[k]`.
#[derive(Debug, Clone, Serialize)]
pub struct Measured<E> {
    /// The runs.
    pub runs: Output,
    /// One per row of `runs`.
    pub extras: Vec<E>,
}

impl<E> Default for Measured<E> {
    fn default() -> Self {
        Self { runs: Output { rows: Vec::new(), without_gamma_max: Vec::new() }, extras: Vec::new() }
    }
}

impl<E> Measured<E> {
    /// Appends a run and its extra.
    pub fn push(&mut self, row: Row, extra: E) {
        self.runs.rows.push(row);
        self.extras.push(extra);
    }

    /// The rows with their extras.
    pub fn rows(&self) -> impl Iterator<Item = (&Row, &E)> {
        self.runs.rows.iter().zip(&self.extras)
    }

    /// A run-level column of the per-coordinate frame: `f` of each run's extra, repeated on its d
    /// rows (to follow [`columns`]).
    pub fn extra_column<T>(&self, name: &str, f: impl Fn(&E) -> T) -> Column
    where
        polars::prelude::Series: polars::prelude::NamedFrom<Vec<T>, [T]>,
    {
        let pairs: Vec<(&Row, &E)> = self.rows().collect();
        Column::new(name.into(), repeated(&pairs, |(r, _)| r.gain.len(), |(_, e)| f(e)))
    }
}

/// `v` unless the run diverged or `v` is not finite (frames hold nulls, never NaN/inf).
fn kept(r: &Row, v: f64) -> Option<f64> {
    if r.kept() { finite(v) } else { None }
}

/// The frame columns of the runs, one row per (run, coordinate) — `dataset, data_seed, method,
/// batch, fraction, gamma_max, gamma, status, steps, steps_beyond_one, theorem2_error, beta_norm, test_risk,
/// gf_test_risk, coordinate, on_support, sq_grad_at_init, gain, second_order, max_step` — to follow
/// the experiment's own cell columns. `theorem2_error` is null unless the run converged; `beta_norm`,
/// `test_risk` and the last three are null for diverged runs. `sq_grad_at_init` is the dataset's
/// (1/n) Σ_i x_ij² y_i², `second_order` the run's Σ_k (γ g_k,j)², `max_step` its max_k |γ g_k,j|;
/// `coordinate` is 0-based.
pub fn columns(rows: &[Row]) -> Vec<Column> {
    let d = |r: &Row| r.gain.len();
    vec![
        Column::new("dataset".into(), repeated(rows, d, |r| r.dataset as u64)),
        Column::new("data_seed".into(), repeated(rows, d, |r| r.data_seed)),
        Column::new("method".into(), repeated(rows, d, |r| r.method.as_str())),
        Column::new("batch".into(), repeated(rows, d, |r| r.batch as u64)),
        Column::new("fraction".into(), repeated(rows, d, |r| r.fraction)),
        Column::new("gamma_max".into(), repeated(rows, d, |r| r.gamma_max)),
        Column::new("gamma".into(), repeated(rows, d, |r| r.gamma)),
        Column::new("status".into(), repeated(rows, d, |r| r.status.as_str())),
        Column::new("steps".into(), repeated(rows, d, |r| r.steps)),
        Column::new("steps_beyond_one".into(), repeated(rows, d, |r| r.steps_beyond_one)),
        Column::new("theorem2_error".into(), repeated(rows, d, |r| r.theorem2_error)),
        Column::new("beta_norm".into(), repeated(rows, d, |r| kept(r, r.beta_norm))),
        Column::new("test_risk".into(), repeated(rows, d, |r| kept(r, r.test_risk))),
        Column::new("gf_test_risk".into(), repeated(rows, d, |r| r.gf_test_risk)),
        Column::new("coordinate".into(), per_coordinate(rows, d, |_, c| c as u64)),
        Column::new("on_support".into(), per_coordinate(rows, d, |r, c| r.support[c])),
        Column::new("sq_grad_at_init".into(), per_coordinate(rows, d, |r, c| r.sq_grad_at_init[c])),
        Column::new("gain".into(), per_coordinate(rows, d, |r, c| kept(r, r.gain[c]))),
        Column::new("second_order".into(), per_coordinate(rows, d, |r, c| kept(r, r.second_order[c]))),
        Column::new("max_step".into(), per_coordinate(rows, d, |r, c| kept(r, r.max_step[c]))),
    ]
}

/// A cell's label column for the frame: `f` of each run's cell, repeated on its d rows.
pub fn cell_column<T>(name: &str, rows: &[Row], f: impl Fn(usize) -> T) -> Column
where
    polars::prelude::Series: polars::prelude::NamedFrom<Vec<T>, [T]>,
{
    Column::new(name.into(), repeated(rows, |r| r.gain.len(), |r| f(r.cell)))
}

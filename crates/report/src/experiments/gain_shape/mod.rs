//! The shape of the gain across coordinates (slides Fig. 2): heterogeneous for GD, homogeneous for
//! SGD, arbitrarily large for GD at the edge of stability.
//!
//! Gain_γ(i) = ln(α_i²/α∞,i²) = Σ_k q(γ g_k,i) (Theorem 2) shapes the effective potential
//! ψ_{α∞}(β) ≈ ln(1/α)‖β‖₁ + Σ_i Gain_γ(i)|β_i| (slides, "Shape"). With x ~ N(0, I) the early GD
//! gradients ≈ −Xᵀy/n point at the support of β*, so GD's gain piles up there (the support is then
//! penalised more: worse sparse recovery); SGD's single-sample gradients spread over every coordinate,
//! so its gain is far more even — but not flat: for x ~ N(0, I), E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + 2Δ_j², so at
//! the start (Δ = β₀ − β* = −β*) the squared gradients are larger on the support by the factor
//! 1 + 2/s on average ([`second_order_ratio`]; the claims compare it with the measured ratio). Top: the per-coordinate gain (median over datasets, IQR error bars; the
//! support of β* — the first s coordinates — shaded) of GD and SGD at γ ≈ `profile_at`·γ_max and of
//! GD at γ = γ_max (edge of stability). Bottom: the heterogeneity index — the coefficient of
//! variation std/mean of Gain_γ across coordinates — against γ/γ_max. All runs are those of
//! `generalization` ([`super::stepsize_sweep::sweep`], computed once); profiles use the grid point nearest to
//! `profile_at`. Book: chapter "The gain's shape" (`book/src/06-gain-shape.md`).

use anyhow::{Result, bail};
use plotly::Plot;
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

use super::common::{Method, Quartiles, coefficient_of_variation, finite, per_coordinate, quartiles};
use super::stepsize_sweep::{self, SweepConfig, SweepRun, label_columns};
use super::{Experiment, Validate};

mod plot;
mod summary;

pub use summary::{ProfileSummary, Summary, second_order_ratio};

/// The experiment.
pub struct GainShape;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `sweep` | `generalization`'s default | the stepsize sweep (datasets, grid, budgets, …) | |
/// | `profile_at` | 0.5 | γ/γ_max of the GD and SGD profiles (nearest grid point) | (0, 1] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same runs as the `generalization` experiment).
    pub sweep: SweepConfig,
    /// γ/γ_max of the GD and SGD profiles (the nearest point of the sweep's grid is used).
    pub profile_at: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { sweep: SweepConfig::default(), profile_at: 0.5 }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.sweep.validate().map_err(|e| anyhow::anyhow!("sweep: {e:#}"))?;
        if !(self.profile_at > 0.0 && self.profile_at <= 1.0) {
            bail!("profile_at must be in (0, 1] (got {})", self.profile_at);
        }
        Ok(())
    }
}

impl Config {
    /// The grid index nearest (on a log scale) to `profile_at`.
    pub fn profile_index(&self) -> usize {
        let ratios = self.sweep.ratios();
        let dist = |r: f64| (r.ln() - self.profile_at.ln()).abs();
        (0..ratios.len()).min_by(|&a, &b| dist(ratios[a]).total_cmp(&dist(ratios[b]))).unwrap_or(0)
    }

    /// The three profiles of the figure: (label, method, grid index).
    pub fn profiles(&self) -> [(&'static str, Method, usize); 3] {
        let j = self.profile_index();
        let top = self.sweep.ratios().len().saturating_sub(1);
        [("GD", Method::Gd, j), ("SGD", Method::Sgd, j), ("GD, edge of stability", Method::Gd, top)]
    }
}

/// One dataset's starting point (β₀ = 0, so Δ₀ = β₀ − β* = −β* and ⟨x_i, Δ₀⟩ = −y_i).
#[derive(Debug, Clone, Serialize)]
pub struct DatasetStart {
    /// β*.
    pub beta_star: Vec<f64>,
    /// Per coordinate j, the mean squared single-sample gradient at β₀ = 0 over the dataset's samples:
    /// (1/n) Σ_i x_ij² y_i², whose expectation for x ~ N(0, I) is ‖β*‖² + 2β*_j².
    pub sq_grad_at_init: Vec<f64>,
}

impl DatasetStart {
    /// The starting point of a problem.
    pub fn of(problem: &dln::Problem) -> Self {
        let zero = ndarray::Array1::zeros(problem.d());
        let sq_grad_at_init = problem.mean_sq_sample_gradient(zero.view()).to_vec();
        Self { beta_star: problem.beta_star.to_vec(), sq_grad_at_init }
    }
}

/// The runs of the stepsize sweep (each with its per-coordinate gain) and the datasets' starts.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Every run of the sweep.
    pub runs: Vec<SweepRun>,
    /// Per dataset (in order), its starting point.
    pub datasets: Vec<DatasetStart>,
}

/// Converged runs of `method` at grid point `j`.
fn selected(runs: &[SweepRun], method: Method, j: usize) -> impl Iterator<Item = &SweepRun> {
    runs.iter().filter(move |r| r.at.method == method && r.at.grid_index == j && r.converged())
}

/// γ/γ_max of grid point `j`.
fn ratio_at(runs: &[SweepRun], j: usize) -> f64 {
    runs.iter().find(|r| r.at.grid_index == j).map_or(f64::NAN, |r| r.at.ratio)
}

/// One coordinate of a gain profile: quartiles over datasets.
#[derive(Debug, Clone, Copy)]
struct Coordinate {
    on_support: bool,
    gain: Quartiles,
}

/// Per coordinate (in order): quartiles over datasets of the gain of `method` at grid point `j`.
fn profile(runs: &[SweepRun], method: Method, j: usize) -> Vec<Coordinate> {
    let chosen: Vec<&SweepRun> = selected(runs, method, j).collect();
    let d = chosen.first().map_or(0, |r| r.gain.len());
    (0..d)
        .map(|c| {
            let values: Vec<f64> = chosen.iter().filter_map(|r| finite(r.gain[c])).collect();
            Coordinate { on_support: chosen.iter().any(|r| r.support[c]), gain: quartiles(&values) }
        })
        .collect()
}

// ANCHOR: heterogeneity
/// Per grid point with a converged run (in order): γ/γ_max and the quartiles over datasets of the
/// coefficient of variation of the gain across coordinates (converged runs of `method` only).
fn heterogeneity(runs: &[SweepRun], method: Method) -> Vec<(f64, Quartiles)> {
    let mut stats = stepsize_sweep::stats(runs, method, |r| coefficient_of_variation(&r.gain));
    stats.retain(|(_, q)| q.count > 0);
    stats
}
// ANCHOR_END: heterogeneity

impl Experiment for GainShape {
    experiment_items!(
        "gain_shape",
        "Per-coordinate Gain_γ: heterogeneous for GD, homogeneous for SGD, huge at the edge of stability; heterogeneity vs γ (slides Fig. 2)"
    );

    fn quick() -> Config {
        Config { sweep: SweepConfig::quick(), ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let runs = stepsize_sweep::sweep(&cfg.sweep)?.to_vec();
        let problems = cfg.sweep.setting.problems(cfg.sweep.datasets)?;
        Ok(Output { runs, datasets: problems.iter().map(DatasetStart::of).collect() })
    }

    /// Tidy frame, one row per (run, coordinate): `method, batch, dataset, data_seed, grid_index,
    /// gamma_over_gamma_max, gamma, gamma_max, status, coordinate, on_support, gain, beta_star,
    /// sq_grad_at_init` (gain null for diverged runs; the last two are the dataset's β*_j and
    /// (1/n) Σ_i x_ij² y_i², see [`DatasetStart`]).
    fn frame(out: &Output) -> Result<DataFrame> {
        let runs = &out.runs;
        let d = |r: &SweepRun| r.gain.len();
        let start = |r: &SweepRun| &out.datasets[r.at.dataset];
        let mut columns = label_columns(runs, d);
        columns.extend([
            Column::new("coordinate".into(), per_coordinate(runs, d, |_, c| c as u64)),
            Column::new("on_support".into(), per_coordinate(runs, d, |r, c| r.support[c])),
            Column::new("gain".into(), per_coordinate(runs, d, |r, c| r.unless_diverged(r.gain[c]))),
            Column::new("beta_star".into(), per_coordinate(runs, d, |r, c| start(r).beta_star[c])),
            Column::new("sq_grad_at_init".into(), per_coordinate(runs, d, |r, c| start(r).sq_grad_at_init[c])),
        ]);
        Ok(DataFrame::new_infer_height(columns)?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_of_a_small_problem_is_computed_by_hand() {
        let x = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
        let problem = dln::Problem::new(x, ndarray::array![1.0, 2.0], Some(ndarray::array![0.5, 0.0])).unwrap();
        let start = DatasetStart::of(&problem);
        // (1/n) Σ_i x_ij² y_i²: (1·1 + 9·4)/2 and (4·1 + 16·4)/2.
        assert_eq!(start.sq_grad_at_init, vec![18.5, 34.0]);
        assert_eq!(start.beta_star, vec![0.5, 0.0]);
    }
}

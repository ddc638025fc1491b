//! β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3).
//!
//! The runs are those of the shared stepsize sweep ([`super::stepsize_sweep::sweep`], computed once
//! per process: the datasets, γ_max bisections and budgets of `generalization`): on each dataset,
//! GD (b = n) and SGD (b = `sweep.batch`) at γ = `fraction`·γ_max, each method its own γ_max
//! (default 0.9, just below divergence), with β and the gain read off every run. Gradient flow is
//! Theorem 1's exact limit β*_α = argmin_{Xβ=y} ψ_α(β), the γ → 0 limit of both methods. The figure
//! draws dataset 0 coordinate by coordinate; the claims and the summary cover every dataset.
//!
//! Theorem 2 explains the picture: β∞ = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) with α∞² = α² e^{−Gain_γ}.
//! GD's gain is heterogeneous — largest on the coordinates the early gradients ≈ −Xᵀy/n hit hardest,
//! chiefly the support of β* — so ψ_{α∞} penalises coordinates that should be non-zero; SGD's gain
//! is spread evenly (a smaller, uniform α∞: closer to ℓ1, sparser). The second panel shows
//! Gain_γ(i) per coordinate. Book: chapter "Estimated parameters" (`book/src/08-estimated-parameters.md`).
//!
//! The estimate type, the frame and the per-coordinate traces here are reused by [`super::explorer`],
//! which slides over the fraction on one dataset.

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, Problem};
use ndarray::ArrayView1;
use plotly::Plot;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{Method, per_coordinate};
use super::stepsize_sweep::{self, SweepConfig, SweepRun};
use super::{Experiment, Validate};
use crate::sweep;

mod plot;
mod summary;

pub mod claims;

pub use plot::{beta_trace, gain_trace, label, truth_trace, two_row_layout};
pub use summary::{AcrossDatasets, Fit, Numbers, Summary};

/// The experiment.
pub struct EstimatedParameters;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `sweep` | `generalization`'s default (8 datasets) | the stepsize sweep whose runs are shown (datasets, SGD batch, γ_max, budgets) | |
/// | `fraction` | 0.9 | γ = fraction · γ_max, for each method its own γ_max | a ratio of the sweep's grid |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same runs as the `generalization` experiment).
    pub sweep: SweepConfig,
    /// γ = fraction · γ_max: one of the sweep's ratios.
    pub fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { sweep: SweepConfig::default(), fraction: 0.9 }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.sweep.validate().map_err(|e| anyhow::anyhow!("sweep: {e:#}"))?;
        ensure!(
            self.sweep.ratio_index(self.fraction).is_some(),
            "fraction must be one of the sweep's ratios {:?} (add it to sweep.extra_ratios), got {}",
            self.sweep.ratios(),
            self.fraction
        );
        Ok(())
    }
}

/// Gradient flow's limit (Theorem 1) on `problem`: argmin_{Xβ=y} ψ_α(β).
pub fn gradient_flow(problem: &Problem, alpha: ArrayView1<f64>) -> Result<Estimate> {
    let sol = BregmanSolver::default().theorem1(problem.x.view(), problem.y.view(), alpha)?;
    Ok(Estimate {
        method: "GF",
        status: "exact".into(),
        test_risk: Some(problem.test_risk(sol.beta.view())),
        beta: sol.beta.iter().map(|&b| Some(b)).collect(),
        gain: vec![None; problem.d()],
        ..Estimate::default()
    })
}

// ANCHOR: fit
impl Estimate {
    /// The estimate of one run of the stepsize sweep: β and the gain per coordinate (None if the run
    /// diverged), with its labels.
    pub fn of_run(run: &SweepRun) -> Self {
        let keep = |v: f64| run.unless_diverged(v);
        Estimate {
            method: run.at.method.as_str(),
            batch: Some(run.batch as u64),
            fraction: Some(run.at.ratio),
            gamma_max: Some(run.at.gamma_max),
            gamma: Some(run.at.gamma),
            status: run.status.as_str().into(),
            steps: Some(run.steps),
            test_risk: keep(run.test_risk),
            beta: run.beta.iter().map(|&b| keep(b)).collect(),
            gain: run.gain.iter().map(|&g| keep(g)).collect(),
        }
    }
}
// ANCHOR_END: fit

/// One estimate of β (a run, or gradient flow's exact limit), per coordinate. `Default` has no
/// method, no run labels and no coordinates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// "GF" | "GD" | "SGD".
    pub method: &'static str,
    /// Batch size (None for GF).
    pub batch: Option<u64>,
    /// γ / γ_max (None for GF).
    pub fraction: Option<f64>,
    /// γ_max of the method (None for GF).
    pub gamma_max: Option<f64>,
    /// The stepsize γ (None for GF).
    pub gamma: Option<f64>,
    /// "converged" | "max_steps" | "diverged" | "exact" (GF).
    pub status: String,
    /// Steps taken (None for GF).
    pub steps: Option<u64>,
    /// Population risk of β (None if diverged).
    pub test_risk: Option<f64>,
    /// β per coordinate (None if diverged).
    pub beta: Vec<Option<f64>>,
    /// Gain_γ per coordinate (None for GF or if diverged).
    pub gain: Vec<Option<f64>>,
}

/// β* and the estimates on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetFit {
    /// The dataset's index k (data seed `setting.seed + k`).
    pub dataset: usize,
    /// β* of the dataset.
    pub beta_star: Vec<f64>,
    /// Gradient flow's limit, then GD and SGD at γ = fraction · γ_max.
    pub estimates: Vec<Estimate>,
}

impl DatasetFit {
    /// The estimate of `method` ("GF", "GD" or "SGD").
    pub fn get(&self, method: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.method == method)
    }
}

/// The estimates on every dataset; dataset 0 first (the figure draws it).
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// One per dataset, in order.
    pub datasets: Vec<DatasetFit>,
}

/// Coordinates 0, …, d − 1 (0-based, like every frame and figure of the report).
fn coordinates(d: usize) -> Vec<u64> {
    (0..d as u64).collect()
}

/// `f(fit, estimate, coordinate)` for every row of [`frame`].
fn per_row<T>(e: &[(&DatasetFit, &Estimate)], f: impl Fn(&DatasetFit, &Estimate, usize) -> T) -> Vec<T> {
    per_coordinate(e, |(fit, _)| fit.beta_star.len(), |(fit, e), i| f(fit, e, i))
}

/// The tidy frame: one row per (dataset, estimate, coordinate); coordinates are 0-based.
pub fn frame(fits: &[DatasetFit]) -> Result<DataFrame> {
    let e: Vec<(&DatasetFit, &Estimate)> = fits.iter().flat_map(|f| f.estimates.iter().map(move |e| (f, e))).collect();
    let e = &e;
    Ok(df!(
        "dataset" => per_row(e, |f, _, _| f.dataset as u64),
        "method" => per_row(e, |_, e, _| e.method),
        "batch" => per_row(e, |_, e, _| e.batch),
        "fraction" => per_row(e, |_, e, _| e.fraction),
        "gamma_max" => per_row(e, |_, e, _| e.gamma_max),
        "gamma" => per_row(e, |_, e, _| e.gamma),
        "status" => per_row(e, |_, e, _| e.status.clone()),
        "steps" => per_row(e, |_, e, _| e.steps),
        "test_risk" => per_row(e, |_, e, _| e.test_risk),
        "coordinate" => per_row(e, |_, _, i| i as u64),
        "on_support" => per_row(e, |f, _, i| f.beta_star[i] != 0.0),
        "beta_star" => per_row(e, |f, _, i| f.beta_star[i]),
        "beta" => per_row(e, |_, e, i| e.beta[i]),
        "gain" => per_row(e, |_, e, i| e.gain[i]),
    )?)
}

/// The truth as the figures draw it: coordinates (0-based, as in the frame), β*, support mask.
pub fn truth(beta_star: &[f64]) -> (Vec<u64>, Vec<f64>, Vec<bool>) {
    (coordinates(beta_star.len()), beta_star.to_vec(), beta_star.iter().map(|b| *b != 0.0).collect())
}

impl Experiment for EstimatedParameters {
    experiment_items!(
        "estimated_parameters",
        "β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3)"
    );

    fn quick() -> Config {
        Config { sweep: SweepConfig::quick(), ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let runs = stepsize_sweep::sweep(&cfg.sweep)?;
        let st = &cfg.sweep.setting;
        let problems = st.problems(cfg.sweep.datasets)?;
        let alpha = st.alpha_vec();
        let j = cfg.sweep.ratio_index(cfg.fraction).context("fraction is not one of the sweep's ratios")?;
        let ks: Vec<usize> = (0..problems.len()).collect();
        let fits = sweep::par_map(&ks, |&k| -> Result<DatasetFit> {
            let mut estimates = vec![gradient_flow(&problems[k], alpha.view())?];
            for method in Method::BOTH {
                let run = runs.iter().find(|r| r.at.dataset == k && r.at.method == method && r.at.grid_index == j);
                estimates.push(Estimate::of_run(
                    run.ok_or_else(|| anyhow::anyhow!("no {} run at the fraction", method.as_str()))?,
                ));
            }
            Ok(DatasetFit { dataset: k, beta_star: problems[k].beta_star.to_vec(), estimates })
        });
        Ok(Output { datasets: fits.into_iter().collect::<Result<_>>()? })
    }

    fn frame(out: &Output) -> Result<DataFrame> {
        frame(&out.datasets)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Summary::of(out, cfg)
    }
}

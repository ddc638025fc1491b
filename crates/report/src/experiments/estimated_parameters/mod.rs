//! β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3).
//!
//! One dataset in the paper's setting: (n, d, s, α) = (20, 30, 3, 0.1), x ~ N(0, I), β* supported on
//! the first s coordinates with N(0, 1) values, y = Xβ*. Each method gets its own γ_max — the largest
//! constant stepsize whose run reaches the loss tolerance within the budget, found by bisection
//! ([`crate::stability::gamma_max_of`]) — and is run at the macroscopic stepsize γ = `fraction`·γ_max
//! (default 0.9, just below divergence): GD with b = n, SGD with b = `batch`. Gradient flow is
//! Theorem 1's exact limit β*_α = argmin_{Xβ=y} ψ_α(β), the γ → 0 limit of both methods.
//!
//! Theorem 2 explains the picture: β∞ = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) with α∞² = α² e^{−Gain_γ}.
//! GD's gain is heterogeneous — largest on the coordinates the early gradients ≈ −Xᵀy/n hit hardest,
//! chiefly the support of β* — so ψ_{α∞} penalises coordinates that should be non-zero; SGD's gain
//! is spread evenly (a smaller, uniform α∞: closer to ℓ1, sparser). The second panel shows
//! Gain_γ(i) per coordinate. Book: chapter "Estimated parameters" (`book/src/08-estimated-parameters.md`).
//!
//! The helpers here (one dataset, γ_max per method, fits at a fraction of γ_max, the frame and the
//! per-coordinate traces) are reused by [`super::explorer`], which slides over the fraction.

use anyhow::{Result, ensure};
use dln::{BregmanSolver, Problem, Sgd, Status};
use ndarray::Array1;
use plotly::Plot;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{self, Method, finite, gamma_max_of, per_coordinate, run_at, template};
use super::{Experiment, Setting, Validate};
use crate::sweep;

mod plot;
mod summary;

pub mod claims;

pub use plot::{beta_trace, gain_trace, label, truth_trace, two_row_layout};
pub use summary::{Fit, Numbers, Summary};

/// The experiment.
pub struct EstimatedParameters;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1, seed 0 | data design and initialisation ([`Setting`]; dataset 0, the SGD sampler's seed derived from `seed`) | |
/// | `batch` | 1 | SGD's batch size b (GD uses b = n) | 1 ≤ b < n |
/// | `fraction` | 0.9 | γ = fraction · γ_max, for each method its own γ_max | (0, 1] |
/// | `max_epochs` | 100 000 | budget of every run (bisection included), in passes over the data | ≥ 1 |
/// | `tol` | 1e-12 | training-loss tolerance ("converged") | > 0 |
/// | `rel_tol` | 0.01 | relative precision of the γ_max bisection | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (dataset 0: data seed `setting.seed`).
    pub setting: Setting,
    /// SGD's batch size b.
    pub batch: usize,
    /// γ = fraction · γ_max.
    pub fraction: f64,
    /// Budget of every run, in epochs (⌈n/b⌉ steps each).
    pub max_epochs: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Relative precision of the γ_max bisection.
    pub rel_tol: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { setting: Setting::default(), batch: 1, fraction: 0.9, max_epochs: 100_000, tol: 1e-12, rel_tol: 0.01 }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let (n, f) = (self.setting.n, self.fraction);
        ensure!(f.is_finite() && f > 0.0 && f <= 1.0, "fraction must be in (0, 1], got {f}");
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD, got {}", self.batch);
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0, got {}", self.tol);
        ensure!(self.rel_tol.is_finite() && self.rel_tol > 0.0, "rel_tol must be finite and > 0, got {}", self.rel_tol);
        Ok(())
    }
}

/// One dataset with its two methods' templates and γ_max (shared with [`super::explorer`]).
pub struct Setup {
    /// The regression problem.
    pub problem: Problem,
    /// The uniform initialisation α·1.
    pub alpha: Array1<f64>,
    /// GD (b = n) and SGD (b = `batch`) templates, in [`Method::BOTH`] order.
    pub templates: [Sgd; 2],
    /// Their γ_max, same order.
    pub gamma_max: [f64; 2],
}

impl Setup {
    /// Draws dataset 0 of the setting and bisects each method's γ_max (the two bisections run in
    /// parallel). The SGD sampler's seed is derived from the data seed.
    pub fn new(cfg: &Config) -> Result<Self> {
        let problem = cfg.setting.problem(0)?;
        let alpha = cfg.setting.alpha_vec();
        let (n, sampler) = (cfg.setting.n, common::derived_seed(cfg.setting.seed, 1));
        let templates = [
            template(n, n, cfg.max_epochs, cfg.tol, sampler),
            template(n, cfg.batch, cfg.max_epochs, cfg.tol, sampler),
        ];
        let gm = sweep::par_map(&templates, |t| gamma_max_of(&problem, alpha.view(), t, cfg.rel_tol));
        let gm: Vec<f64> = gm.into_iter().collect::<Result<_>>()?;
        Ok(Self { problem, alpha, templates, gamma_max: [gm[0], gm[1]] })
    }

    /// Gradient flow's limit (Theorem 1): argmin_{Xβ=y} ψ_α(β).
    pub fn gradient_flow(&self) -> Result<Estimate> {
        let p = &self.problem;
        let sol = BregmanSolver::default().theorem1(p.x.view(), p.y.view(), self.alpha.view())?;
        Ok(Estimate {
            method: "GF",
            status: "exact".into(),
            test_risk: Some(p.test_risk(sol.beta.view())),
            beta: sol.beta.iter().map(|&b| Some(b)).collect(),
            gain: vec![None; p.d()],
            ..Estimate::default()
        })
    }

    // ANCHOR: fit
    /// GD and SGD at γ = fraction · γ_max (each its own), run in parallel.
    pub fn fit(&self, fraction: f64) -> Result<Vec<Estimate>> {
        let jobs: Vec<usize> = vec![0, 1];
        sweep::par_map(&jobs, |&k| {
            let method = Method::BOTH[k];
            let t = &self.templates[k];
            let gamma = fraction * self.gamma_max[k];
            let run = run_at(&self.problem, self.alpha.view(), t, gamma)?;
            let ok = run.status != Status::Diverged && run.beta.iter().all(|b| b.is_finite());
            let keep = |v: f64| if ok { finite(v) } else { None };
            Ok(Estimate {
                method: method.as_str(),
                batch: Some(t.batch as u64),
                fraction: Some(fraction),
                gamma_max: Some(self.gamma_max[k]),
                gamma: Some(gamma),
                status: run.status.as_str().into(),
                steps: Some(run.steps),
                test_risk: keep(self.problem.test_risk(run.beta.view())),
                beta: run.beta.iter().map(|&b| keep(b)).collect(),
                gain: run.effective.gain.iter().map(|&g| keep(g)).collect(),
            })
        })
        .into_iter()
        .collect()
    }
    // ANCHOR_END: fit
}

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

/// β* and the estimates of the figure.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// β* of the dataset.
    pub beta_star: Vec<f64>,
    /// Gradient flow's limit, then GD and SGD at γ = fraction · γ_max.
    pub estimates: Vec<Estimate>,
}

/// Coordinates 0, …, d − 1 (0-based, like every frame and figure of the report).
fn coordinates(d: usize) -> Vec<u64> {
    (0..d as u64).collect()
}

/// `f(estimate, coordinate)` for every row of [`frame`].
fn per_row<T>(estimates: &[Estimate], d: usize, f: impl Fn(&Estimate, usize) -> T) -> Vec<T> {
    per_coordinate(estimates, |_| d, f)
}

/// The tidy frame: one row per (estimate, coordinate); coordinates are 0-based.
pub fn frame(beta_star: &[f64], estimates: &[Estimate]) -> Result<DataFrame> {
    let (d, e) = (beta_star.len(), estimates);
    Ok(df!(
        "method" => per_row(e, d, |e, _| e.method),
        "batch" => per_row(e, d, |e, _| e.batch),
        "fraction" => per_row(e, d, |e, _| e.fraction),
        "gamma_max" => per_row(e, d, |e, _| e.gamma_max),
        "gamma" => per_row(e, d, |e, _| e.gamma),
        "status" => per_row(e, d, |e, _| e.status.clone()),
        "steps" => per_row(e, d, |e, _| e.steps),
        "test_risk" => per_row(e, d, |e, _| e.test_risk),
        "coordinate" => per_row(e, d, |_, i| i as u64),
        "on_support" => per_row(e, d, |_, i| beta_star[i] != 0.0),
        "beta_star" => per_row(e, d, |_, i| beta_star[i]),
        "beta" => per_row(e, d, |e, i| e.beta[i]),
        "gain" => per_row(e, d, |e, i| e.gain[i]),
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
        Config { max_epochs: 50_000, rel_tol: 0.03, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let setup = Setup::new(cfg)?;
        let mut estimates = vec![setup.gradient_flow()?];
        estimates.extend(setup.fit(cfg.fraction)?);
        Ok(Output { beta_star: setup.problem.beta_star.to_vec(), estimates })
    }

    fn frame(out: &Output) -> Result<DataFrame> {
        frame(&out.beta_star, &out.estimates)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Summary::of(out, cfg)
    }
}

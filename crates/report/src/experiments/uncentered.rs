//! Uncentered data (beyond the slides, from the paper): x ~ N(μ·1, I) instead of N(0, I).
//!
//! With centered data GD's early gradients ≈ −Xᵀy/n ≈ −β* hit the support of β*, so its gain (and the shrinking
//! of α∞) concentrates there: large stepsizes make GD *worse*. With a mean μ·1 the gradients gain a common
//! component ≈ −μ²(1ᵀβ*)·1 shared by every coordinate: GD's gain becomes (nearly) homogeneous, like SGD's, and
//! large stepsizes now help GD too. This experiment shows it side by side: the same datasets (the uncentered
//! design is the centered one shifted by μ·1, same β*, same seeds), test risk (population risk ½‖β − β*‖² +
//! ½(μ·(β − β*))²) relative to gradient flow's (Theorem 1, the γ → 0 limit) vs γ/γ_max, median and interquartile
//! band over datasets; and the gain profile Gain_γ(i)/mean_j Gain_γ(j) at the largest stepsize.
//!
//! Caveat (measured, see the summary): the common component is proportional to 1ᵀβ*, so a dataset whose β*
//! sums to ≈ 0 keeps GD's heterogeneous gain and sees no benefit. Book: chapter "Beyond the slides", section
//! "Uncentred data" (`book/src/09-beyond.md`).

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, Problem, Status};
use plotly::Plot;
use plotly::layout::Shape;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{
    self, Method, PerMethod, Quartiles, coefficient_of_variation, per_coordinate, quartiles, repeated, template,
    validate_fractions,
};
use super::stepsize_sweep::{GammaMax, SweepRun};
use super::{Experiment, Setting, Validate};
use crate::stability::gamma_max_if_any;
use crate::sweep;

pub mod claims;
mod plot;

use plot::{case_panels, layout};

/// The experiment.
pub struct Uncentered;

/// Parameters; `Default` is the paper's setting with a mean.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1, `mean` = 2 | data design and initialisation ([`Setting`]); `mean` is μ of the uncentered case (the centered case uses 0) | `mean` ≠ 0 |
/// | `batch` | 1 | SGD's batch size (GD uses b = n) | 1 ≤ b < n |
/// | `fractions` | 0.1, 0.3, …, 0.9 | stepsizes γ = fraction · γ_max (per method, case and dataset) | ≥ 2 values, increasing, in (0, 1] |
/// | `datasets` | 8 | datasets, data seeds `seed + i` | ≥ 1 |
/// | `max_epochs` | 100 000 | budget of every run (bisection included), in epochs | ≥ 1 |
/// | `tol` | 1e-10 | training-loss tolerance | > 0 |
/// | `rel_tol` | 0.05 | relative precision of the γ_max bisection | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub setting: Setting,
    pub batch: usize,
    pub fractions: Vec<f64>,
    pub datasets: usize,
    pub max_epochs: u64,
    pub tol: f64,
    pub rel_tol: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting { mean: 2.0, ..Setting::default() },
            batch: 1,
            fractions: vec![0.1, 0.3, 0.5, 0.7, 0.9],
            datasets: 8,
            max_epochs: 100_000,
            tol: 1e-10,
            rel_tol: 0.05,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let (n, mean) = (self.setting.n, self.setting.mean);
        ensure!(mean != 0.0, "setting: mean must be non-zero (μ of the uncentered case), got {mean}");
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD, got {}", self.batch);
        validate_fractions(&self.fractions, 2)?;
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        for (key, value) in [("tol", self.tol), ("rel_tol", self.rel_tol)] {
            ensure!(value.is_finite() && value > 0.0, "{key} must be finite and > 0, got {value}");
        }
        Ok(())
    }
}

/// Centered (x ~ N(0, I)) or uncentered (x ~ N(μ·1, I)) data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Case {
    Centered,
    Uncentered,
}

impl Case {
    /// Both, in the figure's order (column 1, column 2).
    pub const BOTH: [Case; 2] = [Case::Centered, Case::Uncentered];

    /// "centered" | "uncentered" (the value of the `case` column).
    pub fn as_str(self) -> &'static str {
        if self == Case::Centered { "centered" } else { "uncentered" }
    }
}

/// The runs of one method on one dataset of one case: γ_max, then a run at each fraction of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Centered or uncentered data.
    pub case: Case,
    /// The mean μ of every coordinate of x.
    pub mean: f64,
    /// GD or SGD.
    pub method: Method,
    /// Population risk of gradient flow's limit (Theorem 1) on the same dataset.
    pub gf_test_risk: f64,
    /// γ_max of the method on the dataset; `None` when no constant stepsize converges within the
    /// step budget (then `runs` is empty).
    pub gamma_max: Option<f64>,
    /// One run per fraction, in order (`ratio` = the fraction γ/γ_max, `grid_index` its index).
    pub runs: Vec<SweepRun>,
}

impl Series {
    /// Test risk of run `k` relative to gradient flow's (None if diverged or gradient flow's is not > 0).
    pub fn risk_ratio(&self, k: usize) -> Option<f64> {
        let r = self.runs.get(k)?;
        r.unless_diverged(r.test_risk).filter(|_| self.gf_test_risk > 0.0).map(|x| x / self.gf_test_risk)
    }

    /// Gain_γ of run `k` (None if diverged or a coordinate is not finite).
    pub fn gain(&self, k: usize) -> Option<Vec<f64>> {
        let r = self.runs.get(k)?;
        r.gain.iter().map(|&g| r.unless_diverged(g)).collect()
    }
}

/// Every series: cases outer, then datasets, then GD and SGD.
pub type Output = Vec<Series>;

// ANCHOR: problem
/// Dataset `dataset` of `case`: the uncentered design is the centered one shifted by μ·1 (same seed, same β*).
fn problem(setting: &Setting, case: Case, dataset: usize) -> Result<Problem> {
    let mean = if case == Case::Centered { 0.0 } else { setting.mean };
    Setting { mean, ..setting.clone() }.problem(dataset)
}
// ANCHOR_END: problem

/// γ_max of `method` on dataset `dataset` of `case`, then its runs at every fraction of it.
fn run_series(cfg: &Config, case: Case, dataset: usize, method: Method) -> Result<Series> {
    let p = problem(&cfg.setting, case, dataset)?;
    let alpha = cfg.setting.alpha_vec();
    let gf = BregmanSolver::default().theorem1(p.x.view(), p.y.view(), alpha.view())?;
    let batch = if method == Method::Gd { cfg.setting.n } else { cfg.batch };
    let data_seed = cfg.setting.data_seed(dataset);
    let t = template(cfg.setting.n, batch, cfg.max_epochs, cfg.tol, common::derived_seed(data_seed, 3));
    let gamma_max = gamma_max_if_any(&p, alpha.view(), &t, cfg.rel_tol)
        .with_context(|| format!("γ_max of {} on the {} dataset {dataset}", method.as_str(), case.as_str()))?;
    let runs = match gamma_max {
        None => Vec::new(),
        Some(gamma_max) => (cfg.fractions.iter().enumerate())
            .map(|(grid_index, &ratio)| {
                let at = GammaMax { method, dataset, gamma_max }.at(&cfg.setting, grid_index, ratio);
                SweepRun::new(&p, &alpha, &t, at)
            })
            .collect::<Result<_>>()?,
    };
    Ok(Series { case, mean: p.mu[0], method, gf_test_risk: p.test_risk(gf.beta.view()), gamma_max, runs })
}

/// What the figure and the summary show of one method on one case.
struct Group {
    /// Quartiles over datasets of the risk ratio at each fraction.
    ratio: Vec<Quartiles>,
    /// Per coordinate, quartiles over datasets of Gain(i) / mean_j Gain(j) at the largest fraction.
    profile: Vec<Quartiles>,
    /// The headline numbers.
    summary: MethodSummary,
}

/// The [`Group`] of `method` on `case`, whose series have `fractions` runs each.
fn group(series: &[Series], case: Case, method: Method, fractions: usize) -> Group {
    let chosen: Vec<&Series> = series.iter().filter(|s| s.case == case && s.method == method).collect();
    let last = fractions - 1;
    let ratio: Vec<Quartiles> =
        (0..fractions).map(|k| quartiles(&chosen.iter().filter_map(|s| s.risk_ratio(k)).collect::<Vec<_>>())).collect();
    let gains: Vec<Vec<f64>> = chosen.iter().filter_map(|s| s.gain(last)).collect();
    let means = gains.iter().map(|g| g.iter().sum::<f64>() / g.len() as f64);
    let relative: Vec<Vec<f64>> = gains.iter().zip(means).map(|(g, m)| g.iter().map(|v| v / m).collect()).collect();
    let d = relative.first().map_or(0, Vec::len);
    let profile = (0..d).map(|j| quartiles(&relative.iter().map(|p| p[j]).collect::<Vec<_>>())).collect();
    let cv: Vec<f64> = gains.iter().map(|g| coefficient_of_variation(g)).collect();
    let helped = chosen.iter().filter(|s| matches!((s.risk_ratio(0), s.risk_ratio(last)), (Some(x), Some(y)) if y < x));
    let gamma_max: Vec<f64> = chosen.iter().filter_map(|s| s.gamma_max).collect();
    let summary = MethodSummary {
        median_gamma_max: quartiles(&gamma_max).median,
        median_risk_ratio_smallest_gamma: ratio[0].median,
        median_risk_ratio_largest_gamma: ratio[last].median,
        datasets_helped_by_large_gamma: helped.count(),
        median_gain_cv_largest_gamma: quartiles(&cv).median,
        diverged_runs: chosen.iter().flat_map(|s| &s.runs).filter(|r| r.status == Status::Diverged).count(),
        datasets_without_gamma_max: chosen.iter().filter(|s| s.gamma_max.is_none()).count(),
    };
    Group { ratio, profile, summary }
}

/// Headline numbers of one method on one case: medians over datasets of γ_max, of the risk ratio
/// (test risk / gradient flow's) at the smallest and the largest fraction and of the gain's
/// coefficient of variation at the largest; datasets whose risk ratio is lower at the largest
/// fraction than at the smallest; diverged runs (every fraction); datasets without a convergent
/// stepsize.
#[derive(Debug, Clone, Serialize)]
pub struct MethodSummary {
    pub median_gamma_max: f64,
    pub median_risk_ratio_smallest_gamma: f64,
    pub median_risk_ratio_largest_gamma: f64,
    pub datasets_helped_by_large_gamma: usize,
    pub median_gain_cv_largest_gamma: f64,
    pub diverged_runs: usize,
    /// Datasets on which no constant stepsize converges within the step budget (no runs).
    pub datasets_without_gamma_max: usize,
}

/// Headline numbers: per case and method, the [`MethodSummary`]; the number of datasets and μ; whether
/// GD's median risk ratio is lower at the largest fraction than at the smallest (per case) and whether
/// GD's median gain coefficient of variation at the largest fraction is lower on uncentered data.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub centered: PerMethod<MethodSummary>,
    pub uncentered: PerMethod<MethodSummary>,
    pub datasets: usize,
    pub mean: f64,
    pub gd_large_gamma_helps_centered: bool,
    pub gd_large_gamma_helps_uncentered: bool,
    pub gd_gain_more_homogeneous_uncentered: bool,
    /// The section's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Experiment for Uncentered {
    experiment_items!(
        "uncentered",
        "Uncentered data x ~ N(μ1, I): GD's gain becomes homogeneous and large stepsizes help GD too (side by side with centered data)"
    );

    fn quick() -> Config {
        Config { fractions: vec![0.1, 0.5, 0.9], datasets: 2, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let jobs: Vec<(Case, usize, Method)> = Case::BOTH
            .into_iter()
            .flat_map(|case| (0..cfg.datasets).flat_map(move |i| Method::BOTH.map(|m| (case, i, m))))
            .collect();
        let series = sweep::par_map(&jobs, |&(case, i, m)| run_series(cfg, case, i, m));
        series.into_iter().collect()
    }

    /// Tidy frame, one row per (run, coordinate): `case, mean, dataset, method, batch, fraction,
    /// gamma_max, gamma, status, steps, test_risk, gf_test_risk, coordinate, on_support, gain`
    /// (`coordinate` 0-based; test_risk and gain null for diverged runs).
    fn frame(out: &Output) -> Result<DataFrame> {
        let runs = &out.iter().flat_map(|s| s.runs.iter().map(move |r| (s, r))).collect::<Vec<_>>();
        let d = |(_, r): &(&Series, &SweepRun)| r.gain.len();
        let of_run = |f: fn(&SweepRun) -> f64| repeated(runs, d, |(_, r)| f(r));
        Ok(df!(
            "case" => repeated(runs, d, |(s, _)| s.case.as_str()),
            "mean" => repeated(runs, d, |(s, _)| s.mean),
            "dataset" => repeated(runs, d, |(_, r)| r.at.dataset as u64),
            "method" => repeated(runs, d, |(_, r)| r.at.method.as_str()),
            "batch" => repeated(runs, d, |(_, r)| r.batch as u64),
            "fraction" => of_run(|r| r.at.ratio),
            "gamma_max" => of_run(|r| r.at.gamma_max),
            "gamma" => of_run(|r| r.at.gamma),
            "status" => repeated(runs, d, |(_, r)| r.status.as_str()),
            "steps" => repeated(runs, d, |(_, r)| r.steps),
            "test_risk" => repeated(runs, d, |(_, r)| r.unless_diverged(r.test_risk)),
            "gf_test_risk" => repeated(runs, d, |(s, _)| s.gf_test_risk),
            "coordinate" => per_coordinate(runs, d, |_, c| c as u64),
            "on_support" => per_coordinate(runs, d, |(_, r), c| r.support[c]),
            "gain" => per_coordinate(runs, d, |(_, r), c| r.unless_diverged(r.gain[c])),
        )?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let last = *cfg.fractions.last().context("no fractions")?;
        let mut plot = Plot::new();
        let shapes: Vec<Shape> = (0..Case::BOTH.len()).flat_map(|c| case_panels(&mut plot, out, cfg, c)).collect();
        plot.set_layout(layout(cfg, last).shapes(shapes));
        Ok(plot)
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        let per_case = |case| PerMethod::new(|m| group(out, case, m, cfg.fractions.len()).summary);
        let [c, u] = Case::BOTH.map(per_case);
        let gd_helps = |s: &MethodSummary| s.median_risk_ratio_largest_gamma < s.median_risk_ratio_smallest_gamma;
        Ok(Summary {
            datasets: cfg.datasets,
            mean: cfg.setting.mean,
            gd_large_gamma_helps_centered: gd_helps(&c.gd),
            gd_large_gamma_helps_uncentered: gd_helps(&u.gd),
            gd_gain_more_homogeneous_uncentered: u.gd.median_gain_cv_largest_gamma < c.gd.median_gain_cv_largest_gamma,
            claims: claims::claims(&c, &u, cfg.setting.mean),
            centered: c,
            uncentered: u,
        })
    }
}

//! Theorem 1 across the initialisation scale: gradient flow's limit β*_α = argmin_{Xβ=y} ψ_α(β) for
//! α from 1e-4 to 10 — the kernel → rich transition — and the "shape" effect of a non-uniform α.
//!
//! Scale (uniform α = α·1): ψ_α ~ ln(1/α)‖β‖₁ as α → 0 (rich regime: β*_α → the minimum-ℓ1
//! interpolator, sparse) and ψ_α ~ ‖β‖₂²/(4α²) as α → ∞ (kernel regime: β*_α → the minimum-ℓ2
//! interpolator). The first panel shows ‖β*_α − β_ℓ1‖₂ and ‖β*_α − β_ℓ2‖₂, the second the test risk.
//!
//! Shape: ψ_α(β) ~ Σ_i ln(1/α_i)|β_i| is a *weighted* ℓ1 norm; a coordinate with a small α_i is
//! penalised more. With α_i = α·`shape_ratio` on the support of β* (α elsewhere) the support is
//! penalised less and recovery improves; with α_i = α/`shape_ratio` on the support it is penalised
//! more and recovery worsens — the mechanism by which GD's heterogeneous gain (α∞ smallest on the
//! support) hurts (Theorem 2). The shapes are compared at the setting's α. Every point is one exact
//! solve of [`dln::BregmanSolver::solve`] (no training), on each of `datasets` datasets of the
//! setting; the figure shows the median over them with the interquartile band. Book: chapter
//! "Theorem 1" (`book/src/03-theorem1.md`).

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, min_l1, min_l2};
use ndarray::Array1;
use plotly::Plot;
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};

use super::common::{l2_distance, recovers_support};
use super::{Experiment, Setting, Validate};
use crate::{style, sweep};

mod plot;
mod summary;

pub mod claims;

pub use summary::{AtAlpha, ShapeSummary, Summary};

/// The experiment.
pub struct Theorem1Alpha;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1 | data design ([`Setting`]); α: where the shapes are compared | |
/// | `datasets` | 8 | datasets 0, 1, … of the setting | ≥ 1 |
/// | `alpha_min`, `alpha_max` | 1e-4, 10 | range of the scale α | finite, 0 < `alpha_min` < `alpha_max` |
/// | `points_per_decade` | 8 | grid density: α = 10^(k / points_per_decade) | ≥ 1 |
/// | `shape_ratio` | 10 | α on the support = α·ratio ("support ×ratio") or α/ratio ("support ÷ratio") | finite, > 1 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and the scale α at which the shapes are compared.
    pub setting: Setting,
    /// Number of datasets (drawn as [`Setting::problem`] draws them).
    pub datasets: usize,
    /// Smallest scale α.
    pub alpha_min: f64,
    /// Largest scale α.
    pub alpha_max: f64,
    /// Grid points per decade of α.
    pub points_per_decade: u32,
    /// Ratio between α on and off the support for the non-uniform shapes (> 1).
    pub shape_ratio: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            datasets: 8,
            alpha_min: 1e-4,
            alpha_max: 10.0,
            points_per_decade: 8,
            shape_ratio: 10.0,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let (lo, hi, ratio) = (self.alpha_min, self.alpha_max, self.shape_ratio);
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        ensure!(lo.is_finite() && lo > 0.0, "alpha_min must be finite and > 0, got {lo}");
        ensure!(hi.is_finite() && hi > lo, "alpha_max must be finite and above alpha_min = {lo}, got {hi}");
        ensure!(self.points_per_decade >= 1, "points_per_decade must be at least 1");
        ensure!(ratio.is_finite() && ratio > 1.0, "shape_ratio must be finite and > 1, got {ratio}");
        Ok(())
    }
}

impl Config {
    /// α = 10^(k/p) for the integers k with alpha_min ≤ α ≤ alpha_max (decades land exactly on the grid).
    pub fn grid(&self) -> Vec<f64> {
        let p = f64::from(self.points_per_decade);
        let lo = (self.alpha_min.log10() * p - 1e-9).ceil() as i64;
        let hi = (self.alpha_max.log10() * p + 1e-9).floor() as i64;
        (lo..=hi).map(|k| 10f64.powf(k as f64 / p)).collect()
    }
}

/// The α profiles compared (the `shape` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Shape {
    /// α_i = α.
    #[serde(rename = "uniform")]
    Uniform,
    /// α·ratio on the support of β*, α elsewhere: the support is penalised less.
    #[serde(rename = "support ×ratio")]
    SupportLarger,
    /// α/ratio on the support of β*, α elsewhere: the support is penalised more.
    #[serde(rename = "support ÷ratio")]
    SupportSmaller,
}

impl Shape {
    /// The three, in the figure's order.
    pub const ALL: [Shape; 3] = [Shape::Uniform, Shape::SupportLarger, Shape::SupportSmaller];

    /// Its name (the value of the `shape` column) and colour.
    pub fn look(self) -> (&'static str, &'static str) {
        match self {
            Shape::Uniform => ("uniform", style::FLOW),
            Shape::SupportLarger => ("support ×ratio", style::TRUTH),
            Shape::SupportSmaller => ("support ÷ratio", style::EOS),
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        self.look().0
    }
}

// ANCHOR: profile
/// The α vector of `shape` at scale `alpha`.
fn profile(shape: Shape, alpha: f64, ratio: f64, support: &[bool]) -> Array1<f64> {
    support
        .iter()
        .map(|&on| match (shape, on) {
            (Shape::SupportLarger, true) => alpha * ratio,
            (Shape::SupportSmaller, true) => alpha / ratio,
            _ => alpha,
        })
        .collect()
}
// ANCHOR_END: profile

/// Below this a test risk is rounding-level: the interpolator *is* β* (exact sparse recovery).
const EXACT_RECOVERY: f64 = 1e-20;

/// What is measured of an interpolator β.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measures {
    /// ‖β − β_ℓ1‖₂ (β_ℓ1: the minimum-ℓ1 interpolator).
    pub dist_min_l1: f64,
    /// ‖β − β_ℓ2‖₂ (β_ℓ2: the minimum-ℓ2 interpolator).
    pub dist_min_l2: f64,
    /// Exact test risk ½‖β − β*‖² (x ~ N(0, I)).
    pub test_risk: f64,
    /// ‖β‖₁.
    pub l1_norm: f64,
    /// Whether the s largest |β_i| sit on the support of β*.
    pub support_recovered: bool,
}

/// One exact solve of Theorem 1, β*_α = argmin_{Xβ=y} ψ_α(β), for the profile `shape` at scale `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// The dataset's index k (data seed `setting.seed + k`).
    pub dataset: usize,
    /// The α profile.
    pub shape: Shape,
    /// Its scale α (its value off the support).
    pub alpha: f64,
    /// Whether α is the setting's (the shapes' comparison), not a grid point.
    pub reference: bool,
    /// Newton iterations of the solver.
    pub iterations: u64,
    /// Relative feasibility residual ‖Xβ − y‖₂ / ‖y‖₂.
    pub residual: f64,
    /// The interpolator's measures.
    pub measures: Measures,
}

/// The two limits of β*_α on one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    /// The minimum-ℓ1 interpolator (the α → 0 limit).
    pub min_l1: Measures,
    /// The minimum-ℓ2 interpolator (the α → ∞ limit).
    pub min_l2: Measures,
}

/// The solves and the two limits, per dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Datasets outer; on each, every shape on the α grid (shapes in [`Shape::ALL`] order, then
    /// increasing α), then every shape at the setting's α (`reference`), where they are compared.
    pub points: Vec<Point>,
    /// The limits, indexed by dataset.
    pub limits: Vec<Limits>,
}

impl Output {
    /// Grid points of `shape` on `dataset`, in α order.
    fn grid_of(&self, shape: Shape, dataset: usize) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(move |p| p.shape == shape && !p.reference && p.dataset == dataset)
    }

    /// The measures of `shape` at the setting's α on `dataset`.
    fn reference_of(&self, shape: Shape, dataset: usize) -> Result<&Measures> {
        (self.points.iter())
            .find(|p| p.shape == shape && p.reference && p.dataset == dataset)
            .map(|p| &p.measures)
            .context("no reference solve")
    }

    /// The datasets' indices.
    fn datasets(&self) -> std::ops::Range<usize> {
        0..self.limits.len()
    }

    /// The α grid (the same on every dataset).
    fn alphas(&self) -> Vec<f64> {
        self.grid_of(Shape::Uniform, 0).map(|p| p.alpha).collect()
    }

    /// Per grid α, `f` of `shape`'s solve on every dataset.
    fn across(&self, shape: Shape, f: impl Fn(&Measures) -> f64) -> Vec<Vec<f64>> {
        let per: Vec<Vec<f64>> =
            self.datasets().map(|k| self.grid_of(shape, k).map(|p| f(&p.measures)).collect()).collect();
        (0..self.alphas().len()).map(|j| per.iter().map(|v| v[j]).collect()).collect()
    }
}

/// Every solve on dataset `k`, and its two limits.
fn dataset(cfg: &Config, k: usize) -> Result<(Vec<Point>, Limits)> {
    let problem = cfg.setting.problem(k)?;
    let (x, y) = (problem.x.view(), problem.y.view());
    let support: Vec<bool> = problem.beta_star.iter().map(|b| *b != 0.0).collect();
    let (l1, l2) = (min_l1(x, y)?, min_l2(x, y)?);
    let mut jobs: Vec<(Shape, f64)> =
        Shape::ALL.iter().flat_map(|&s| cfg.grid().into_iter().map(move |a| (s, a))).collect();
    // The reference scale, exactly (the summary's comparison of shapes).
    jobs.extend(Shape::ALL.iter().map(|&s| (s, cfg.setting.alpha)));
    let solver = BregmanSolver::default();
    let sols = sweep::par_map(&jobs, |&(shape, alpha)| {
        solver.theorem1(x, y, profile(shape, alpha, cfg.shape_ratio, &support).view())
    });
    let measure = |beta: &Array1<f64>| Measures {
        dist_min_l1: l2_distance(beta.view(), l1.view()),
        dist_min_l2: l2_distance(beta.view(), l2.view()),
        test_risk: problem.test_risk(beta.view()),
        l1_norm: beta.iter().map(|b| b.abs()).sum::<f64>(),
        support_recovered: recovers_support(beta.view(), problem.beta_star.view()),
    };
    let grid_len = jobs.len() - Shape::ALL.len();
    let points = (jobs.iter().zip(sols).enumerate())
        .map(|(i, (&(shape, alpha), sol))| {
            let sol = sol.with_context(|| format!("Theorem 1 at α = {alpha:e} ({}), dataset {k}", shape.as_str()))?;
            let (iterations, residual) = (sol.iterations as u64, sol.residual);
            let reference = i >= grid_len;
            Ok(Point { dataset: k, shape, alpha, reference, iterations, residual, measures: measure(&sol.beta) })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((points, Limits { min_l1: measure(&l1), min_l2: measure(&l2) }))
}

impl Experiment for Theorem1Alpha {
    experiment_items!(
        "theorem1_alpha",
        "Theorem 1 vs the scale α (1e-4 … 10): kernel → rich regime (distance to the min-ℓ2 / min-ℓ1 interpolators, test risk) and the weighted-ℓ1 shape effect of a non-uniform α"
    );

    fn quick() -> Config {
        Config { datasets: 3, points_per_decade: 3, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let ks: Vec<usize> = (0..cfg.datasets).collect();
        let per = sweep::par_map(&ks, |&k| dataset(cfg, k)).into_iter().collect::<Result<Vec<_>>>()?;
        let (points, limits): (Vec<Vec<Point>>, Vec<Limits>) = per.into_iter().unzip();
        Ok(Output { points: points.into_iter().flatten().collect(), limits })
    }

    /// Tidy frame, one row per solve: `dataset, shape, alpha, reference, dist_min_l1, dist_min_l2,
    /// test_risk, l1_norm, support_recovered, iterations, residual` — per dataset the grid, the
    /// reference solves (`reference` true), then the two limits (`shape` = min_l1, min_l2: α and the
    /// solver's figures null).
    fn frame(out: &Output) -> Result<DataFrame> {
        type FrameRow<'a> = (usize, &'a str, Option<f64>, bool, &'a Measures, Option<u64>, Option<f64>);
        let mut rows: Vec<FrameRow> = Vec::new();
        for (k, limits) in out.limits.iter().enumerate() {
            rows.extend((out.points.iter().filter(|p| p.dataset == k)).map(|p| {
                (k, p.shape.as_str(), Some(p.alpha), p.reference, &p.measures, Some(p.iterations), Some(p.residual))
            }));
            rows.push((k, "min_l1", None, false, &limits.min_l1, None, None));
            rows.push((k, "min_l2", None, false, &limits.min_l2, None, None));
        }
        let measure = |f: fn(&Measures) -> f64| rows.iter().map(|r| f(r.4)).collect::<Vec<f64>>();
        Ok(df!(
            "dataset" => rows.iter().map(|r| r.0 as u64).collect::<Vec<u64>>(),
            "shape" => rows.iter().map(|r| r.1).collect::<Vec<&str>>(),
            "alpha" => rows.iter().map(|r| r.2).collect::<Vec<Option<f64>>>(),
            "reference" => rows.iter().map(|r| r.3).collect::<Vec<bool>>(),
            "dist_min_l1" => measure(|m| m.dist_min_l1),
            "dist_min_l2" => measure(|m| m.dist_min_l2),
            "test_risk" => measure(|m| m.test_risk),
            "l1_norm" => measure(|m| m.l1_norm),
            "support_recovered" => rows.iter().map(|r| r.4.support_recovered).collect::<Vec<bool>>(),
            "iterations" => rows.iter().map(|r| r.5).collect::<Vec<Option<u64>>>(),
            "residual" => rows.iter().map(|r| r.6).collect::<Vec<Option<f64>>>(),
        )?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Summary::of(out, cfg)
    }
}

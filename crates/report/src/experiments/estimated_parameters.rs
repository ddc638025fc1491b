//! β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3).
//!
//! One dataset in the paper's setting: (n, d, s, α) = (20, 30, 3, 0.1), x ~ N(0, I), β* supported on
//! the first s coordinates with N(0, 1) values, y = Xβ*. Each method gets its own γ_max — the largest
//! constant stepsize whose run reaches the loss tolerance within the budget, found by bisection
//! ([`crate::stability::gamma_max`]) — and is run at the macroscopic stepsize γ = `fraction`·γ_max
//! (default 0.9, just below divergence): GD with b = n, SGD with b = `batch`. Gradient flow is
//! Theorem 1's exact limit β*_α = argmin_{Xβ=y} ψ_α(β), the γ → 0 limit of both methods.
//!
//! Theorem 2 explains the picture: β∞ = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) with α∞² = α² e^{−Gain_γ}.
//! GD's gain is heterogeneous — largest on the coordinates the early gradients ≈ −Xᵀy/n hit hardest,
//! chiefly the support of β* — so ψ_{α∞} penalises coordinates that should be non-zero; SGD's gain
//! is spread evenly (a smaller, uniform α∞: closer to ℓ1, sparser). The second panel shows
//! Gain_γ(i) per coordinate. Book: chapter "Estimated parameters".
//!
//! The helpers here (one dataset, γ_max per method, fits at a fraction of γ_max, the frame and the
//! per-coordinate traces) are reused by [`super::explorer`], which slides over the fraction.

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, DataConfig, Problem, Sgd, Status, uniform_alpha};
use ndarray::Array1;
use plotly::common::{Marker, MarkerSymbol, Mode, Visible};
use plotly::layout::{Axis, AxisType, BarMode, GridPattern, LayoutGrid, Shape, ShapeLayer, ShapeLine, ShapeType};
use plotly::{Bar, Plot, Scatter, Trace};
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Experiment;
use super::common::{
    self, Method, bool_col, f64_col, finite, gamma_max_of, l1_distance, recovers_support, run_at, str_col, template,
};
use crate::{style, sweep};

/// The experiment.
pub struct EstimatedParameters;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* |
/// | `alpha` | 0.1 | uniform initialisation scale α |
/// | `batch` | 1 | SGD's batch size b (GD uses b = n) |
/// | `fraction` | 0.9 | γ = fraction · γ_max, for each method its own γ_max |
/// | `max_epochs` | 100 000 | budget of every run (bisection included), in passes over the data |
/// | `tol` | 1e-12 | training-loss tolerance ("converged") |
/// | `rel_tol` | 0.01 | relative precision of the γ_max bisection |
/// | `seed` | 0 | data seed (the SGD sampler uses a seed derived from it) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Uniform initialisation scale α.
    pub alpha: f64,
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
    /// Data seed.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            n: 20,
            d: 30,
            s: 3,
            alpha: 0.1,
            batch: 1,
            fraction: 0.9,
            max_epochs: 100_000,
            tol: 1e-12,
            rel_tol: 0.01,
            seed: 0,
        }
    }
}

impl Config {
    /// One-line errors for values the engine would not catch (or would catch too late).
    pub fn validate(&self) -> Result<()> {
        ensure!(self.alpha.is_finite() && self.alpha > 0.0, "alpha must be finite and > 0, got {}", self.alpha);
        ensure!(
            self.fraction.is_finite() && self.fraction > 0.0 && self.fraction <= 1.0,
            "fraction must be in (0, 1], got {}",
            self.fraction
        );
        ensure!(
            self.batch >= 1 && self.batch < self.n,
            "batch must satisfy 1 ≤ b < n = {} for SGD, got {}",
            self.n,
            self.batch
        );
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
    /// Draws the data and bisects each method's γ_max (the two bisections run in parallel).
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        let problem =
            DataConfig { n: cfg.n, d: cfg.d, s: cfg.s, seed: cfg.seed, ..DataConfig::default() }.generate()?;
        let alpha = uniform_alpha(cfg.alpha, cfg.d);
        let sampler = common::derived_seed(cfg.seed, 1);
        let templates = [
            template(cfg.n, cfg.n, cfg.max_epochs, cfg.tol, sampler),
            template(cfg.n, cfg.batch, cfg.max_epochs, cfg.tol, sampler),
        ];
        let gm = sweep::par_map(&templates, |t| gamma_max_of(&problem, alpha.view(), t, cfg.rel_tol));
        let gamma_max = [
            gm[0].as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?,
            gm[1].as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?,
        ];
        Ok(Self { problem, alpha, templates, gamma_max: [*gamma_max[0], *gamma_max[1]] })
    }

    /// Gradient flow's limit (Theorem 1): argmin_{Xβ=y} ψ_α(β).
    pub fn gradient_flow(&self) -> Result<Estimate> {
        let p = &self.problem;
        let sol = BregmanSolver::default().theorem1(p.x.view(), p.y.view(), self.alpha.view())?;
        Ok(Estimate {
            method: "GF",
            batch: None,
            fraction: None,
            gamma_max: None,
            gamma: None,
            status: "exact".into(),
            steps: None,
            test_risk: Some(p.test_risk(sol.beta.view())),
            beta: sol.beta.iter().map(|&b| Some(b)).collect(),
            gain: vec![None; p.d()],
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

/// One estimate of β (a run, or gradient flow's exact limit), per coordinate.
#[derive(Debug, Clone)]
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

/// The tidy frame: one row per (estimate, coordinate); coordinates are 1-based.
pub fn frame(problem: &Problem, estimates: &[Estimate]) -> Result<DataFrame> {
    let d = problem.d();
    let rows = estimates.len() * d;
    let mut method = Vec::with_capacity(rows);
    let (mut batch, mut fraction, mut gamma_max, mut gamma) = (vec![], vec![], vec![], vec![]);
    let (mut status, mut steps, mut risk) = (vec![], vec![], vec![]);
    let (mut coordinate, mut on_support, mut beta_star, mut beta, mut gain) = (vec![], vec![], vec![], vec![], vec![]);
    for e in estimates {
        for i in 0..d {
            method.push(e.method);
            batch.push(e.batch);
            fraction.push(e.fraction);
            gamma_max.push(e.gamma_max);
            gamma.push(e.gamma);
            status.push(e.status.clone());
            steps.push(e.steps);
            risk.push(e.test_risk);
            coordinate.push(i as u64 + 1);
            on_support.push(problem.beta_star[i] != 0.0);
            beta_star.push(problem.beta_star[i]);
            beta.push(e.beta[i]);
            gain.push(e.gain[i]);
        }
    }
    Ok(df!(
        "method" => method,
        "batch" => batch,
        "fraction" => fraction,
        "gamma_max" => gamma_max,
        "gamma" => gamma,
        "status" => status,
        "steps" => steps,
        "test_risk" => risk,
        "coordinate" => coordinate,
        "on_support" => on_support,
        "beta_star" => beta_star,
        "beta" => beta,
        "gain" => gain,
    )?)
}

/// One estimate read back from a frame.
#[derive(Debug, Clone)]
pub struct View {
    /// "GF" | "GD" | "SGD".
    pub method: String,
    /// γ / γ_max (None for GF).
    pub fraction: Option<f64>,
    /// γ (None for GF).
    pub gamma: Option<f64>,
    /// Run status.
    pub status: String,
    /// Population risk.
    pub test_risk: Option<f64>,
    /// Coordinates (1-based).
    pub coordinate: Vec<u64>,
    /// β per coordinate.
    pub beta: Vec<Option<f64>>,
    /// Gain per coordinate.
    pub gain: Vec<Option<f64>>,
}

/// The truth read back from a frame (the rows of its first estimate): coordinates, β*, support mask.
pub fn truth(df: &DataFrame) -> Result<(Vec<u64>, Vec<f64>, Vec<bool>)> {
    let d = views(df)?.first().context("empty frame")?.coordinate.len();
    let coord = common::u64_col(df, "coordinate")?;
    let star: Option<Vec<f64>> = f64_col(df, "beta_star")?.into_iter().take(d).collect();
    let support = bool_col(df, "on_support")?;
    Ok((coord[..d].to_vec(), star.context("null β*")?, support[..d].to_vec()))
}

/// Every estimate of a frame, in row order (consecutive rows with the same method and fraction).
pub fn views(df: &DataFrame) -> Result<Vec<View>> {
    let method = str_col(df, "method")?;
    let fraction = f64_col(df, "fraction")?;
    let gamma = f64_col(df, "gamma")?;
    let status = str_col(df, "status")?;
    let risk = f64_col(df, "test_risk")?;
    let coord = common::u64_col(df, "coordinate")?;
    let beta = f64_col(df, "beta")?;
    let gain = f64_col(df, "gain")?;
    let mut out: Vec<View> = Vec::new();
    for i in 0..method.len() {
        let same = out.last().is_some_and(|v| {
            v.method == method[i] && v.fraction == fraction[i] && coord[i] > *v.coordinate.last().unwrap_or(&0)
        });
        if !same {
            out.push(View {
                method: method[i].clone(),
                fraction: fraction[i],
                gamma: gamma[i],
                status: status[i].clone(),
                test_risk: risk[i],
                coordinate: vec![],
                beta: vec![],
                gain: vec![],
            });
        }
        let v = out.last_mut().context("no estimate")?;
        v.coordinate.push(coord[i]);
        v.beta.push(beta[i]);
        v.gain.push(gain[i]);
    }
    Ok(out)
}

/// The colour and marker of an estimate.
fn look(method: &str) -> (&'static str, MarkerSymbol, f64) {
    match method {
        "GD" => (style::GD, MarkerSymbol::Circle, 10.0),
        "SGD" => (style::SGD, MarkerSymbol::Diamond, 10.0),
        _ => (style::FLOW, MarkerSymbol::CircleOpen, 9.0),
    }
}

/// The legend label of an estimate.
pub fn label(v: &View) -> String {
    match (v.method.as_str(), v.gamma, v.test_risk) {
        ("GF", _, Some(r)) => format!("gradient flow (Thm 1), risk {r:.2e}"),
        (m, Some(g), Some(r)) => format!("{m} (γ = {g:.3}), risk {r:.2e}"),
        (m, Some(g), None) => format!("{m} (γ = {g:.3}): {}", v.status),
        (m, _, _) => m.to_string(),
    }
}

/// β* as translucent green bars on axes (`xaxis`, `yaxis`).
pub fn truth_trace(coord: &[u64], star: &[f64], xaxis: &str, yaxis: &str) -> Box<dyn Trace> {
    Bar::new(coord.to_vec(), star.to_vec())
        .name("β* (truth)")
        .marker(
            Marker::new()
                .color(style::band(style::TRUTH).replace("0.18", "0.55"))
                .line(plotly::common::Line::new().color(style::TRUTH).width(1.5)),
        )
        .hover_template("β*<sub>%{x}</sub> = %{y:.4f}<extra></extra>")
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// β of one estimate as markers on (`xaxis`, `yaxis`); `legend_group` ties it to its gain trace.
pub fn beta_trace(v: &View, xaxis: &str, yaxis: &str, visible: bool) -> Box<dyn Trace> {
    let (color, symbol, size) = look(&v.method);
    Scatter::new(v.coordinate.clone(), v.beta.clone())
        .name(label(v))
        .mode(Mode::Markers)
        .marker(
            Marker::new()
                .color(color)
                .symbol(symbol)
                .size(size as usize)
                .line(plotly::common::Line::new().color("white").width(0.5)),
        )
        .hover_template(format!("{}<br>β<sub>%{{x}}</sub> = %{{y:.4f}}<extra></extra>", v.method))
        .legend_group(v.method.clone())
        .visible(if visible { Visible::True } else { Visible::False })
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// Gain_γ(i) of one run as bars on (`xaxis`, `yaxis`) (no legend entry: it shares the β marker's group).
pub fn gain_trace(v: &View, xaxis: &str, yaxis: &str, visible: bool) -> Box<dyn Trace> {
    let (color, _, _) = look(&v.method);
    Bar::new(v.coordinate.clone(), v.gain.clone())
        .name(format!("Gain {}", v.method))
        .marker(Marker::new().color(color))
        .hover_template(format!("{}<br>Gain<sub>γ</sub>(%{{x}}) = %{{y:.3g}}<extra></extra>", v.method))
        .legend_group(v.method.clone())
        .show_legend(false)
        .visible(if visible { Visible::True } else { Visible::False })
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// Light green background bands over the support coordinates of the subplot on (`xaxis`, `yaxis`).
pub fn support_shapes(coord: &[u64], support: &[bool], xaxis: &str, yaxis: &str) -> Vec<Shape> {
    coord
        .iter()
        .zip(support)
        .filter(|(_, s)| **s)
        .map(|(&c, _)| {
            Shape::new()
                .shape_type(ShapeType::Rect)
                .x_ref(xaxis)
                .y_ref(format!("{yaxis} domain"))
                .x0(c as f64 - 0.5)
                .x1(c as f64 + 0.5)
                .y0(0.0)
                .y1(1.0)
                .fill_color(style::band(style::TRUTH))
                .line(ShapeLine::new().width(0.0))
                .layer(ShapeLayer::Below)
        })
        .collect()
}

/// The two-row layout shared with the explorer: β per coordinate on top, Gain_γ(i) (log) below.
pub fn two_row_layout(title: &str, d: usize) -> plotly::Layout {
    let x_range = vec![0.4, d as f64 + 0.6];
    style::layout(title)
        .grid(LayoutGrid::new().rows(2).columns(1).pattern(GridPattern::Independent))
        .height(760)
        .bar_mode(BarMode::Group)
        .x_axis(
            Axis::new()
                .matches("x2")
                .show_tick_labels(false)
                .range(x_range.clone())
                .zero_line(false)
                .domain(&[0.0, 1.0])
                .anchor("y"),
        )
        .y_axis(style::axis("β<sub>i</sub>").zero_line(true).domain(&[0.42, 1.0]).anchor("x"))
        .x_axis2(
            style::axis("coordinate i (shaded: support of β*)")
                .range(x_range)
                .dtick(1.0)
                .domain(&[0.0, 1.0])
                .anchor("y2"),
        )
        .y_axis2(
            style::axis("Gain<sub>γ</sub>(i) = ln(α²/α∞,i²)")
                .type_(AxisType::Log)
                .dtick(1.0)
                .exponent_format(plotly::common::ExponentFormat::Power)
                .domain(&[0.0, 0.32])
                .anchor("x2"),
        )
}

/// Headline numbers of one run (or GF) view.
fn numbers(v: &View, star: &[f64]) -> serde_json::Value {
    let beta: Option<Vec<f64>> = v.beta.iter().copied().collect();
    match beta {
        Some(b) => {
            let b = Array1::from(b);
            let s = Array1::from(star.to_vec());
            let off: f64 = b.iter().zip(star).filter(|(_, t)| **t == 0.0).map(|(x, _)| x.abs()).sum();
            json!({
                "status": v.status,
                "test_risk": v.test_risk,
                "l1_error": l1_distance(b.view(), s.view()),
                "off_support_l1": off,
                "support_recovered": recovers_support(b.view(), s.view()),
            })
        }
        None => json!({ "status": v.status }),
    }
}

impl Experiment for EstimatedParameters {
    const NAME: &'static str = "estimated_parameters";
    const ABOUT: &'static str = "β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3)";
    type Config = Config;
    type Output = DataFrame;
    type Summary = serde_json::Value;

    fn frame(out: &DataFrame) -> Result<DataFrame> {
        Ok(out.clone())
    }

    fn quick() -> Config {
        Config { max_epochs: 50_000, rel_tol: 0.03, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<DataFrame> {
        let setup = Setup::new(cfg)?;
        let mut estimates = vec![setup.gradient_flow()?];
        estimates.extend(setup.fit(cfg.fraction)?);
        frame(&setup.problem, &estimates)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let (coord, star, support) = truth(df)?;
        let views = views(df)?;
        let mut plot = Plot::new();
        plot.add_trace(truth_trace(&coord, &star, "x", "y"));
        for v in &views {
            plot.add_trace(beta_trace(v, "x", "y", true));
        }
        for v in views.iter().filter(|v| v.method != "GF") {
            plot.add_trace(gain_trace(v, "x2", "y2", true));
        }
        let title = format!(
            "Estimated parameters at γ = {}·γ<sub>max</sub> — GD is pulled off β*, SGD recovers it<br><sup>(n, d, s, α) = ({}, {}, {}, {}); SGD batch b = {}; gradient flow = Theorem 1's limit argmin ψ<sub>α</sub></sup>",
            cfg.fraction, cfg.n, cfg.d, cfg.s, cfg.alpha, cfg.batch
        );
        let mut shapes = support_shapes(&coord, &support, "x", "y");
        shapes.extend(support_shapes(&coord, &support, "x2", "y2"));
        plot.set_layout(two_row_layout(&title, coord.len()).shapes(shapes));
        Ok(plot)
    }

    fn summary(df: &DataFrame, cfg: &Config) -> Result<serde_json::Value> {
        let (_, star, _) = truth(df)?;
        let views = views(df)?;
        let get = |m: &str| views.iter().find(|v| v.method == m).with_context(|| format!("no {m} rows"));
        let (gf, gd, sgd) = (get("GF")?, get("GD")?, get("SGD")?);
        let gamma_max = f64_col(df, "gamma_max")?;
        let methods = str_col(df, "method")?;
        let gm = |m: &str| methods.iter().zip(&gamma_max).find(|(k, _)| k.as_str() == m).and_then(|(_, g)| *g);
        let risk = |v: &View| v.test_risk.unwrap_or(f64::INFINITY);
        Ok(json!({
            "fraction": cfg.fraction,
            "gamma_max": { "GD": gm("GD"), "SGD": gm("SGD") },
            "gamma": { "GD": gd.gamma, "SGD": sgd.gamma },
            "GF": numbers(gf, &star),
            "GD": numbers(gd, &star),
            "SGD": numbers(sgd, &star),
            "sgd_risk_below_gd": risk(sgd) < risk(gd),
            "sgd_risk_below_gf": risk(sgd) < risk(gf),
            "gd_risk_above_gf": risk(gd) > risk(gf),
        }))
    }
}

impl super::Validate for Config {
    fn validate(&self) -> Result<()> {
        Config::validate(self)
    }
}

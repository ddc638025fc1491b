//! GD at the edge of stability: a small stepsize vs a stepsize just below γ_max.
//!
//! On one dataset of the paper's setting, γ_max (the largest constant stepsize at which GD reaches
//! L ≤ `tol` within `max_steps`) is found by bisection; GD then runs at γ = `small_fraction`·γ_max
//! and at γ = `edge_fraction`·γ_max (1 by default: the bisection's own convergent run, within
//! `bisection_rel_tol` of the first non-convergent stepsize), recording log-spaced snapshots.
//! Panels against the iteration k (log axes where right): the training loss; the sharpness
//! γ·S_k with S_k = λ_max(X diag(u_k² + v_k²) Xᵀ/n), the top Hessian eigenvalue of
//! F(u, v) = L(u ⊙ v) at an interpolator (GD is linearly stable at a minimum iff γ·S < 2); the
//! support coordinates of β_k against β*; and the gain Gain_k = ln(α²/α_k²) averaged on and off the
//! support. At the edge of stability the loss oscillates, γ·S_k hovers at 2 and the gain grows
//! until the iterates reach a minimum flat enough to converge — the gain, hence ln(1/α∞), becomes
//! arbitrarily large (Even et al. 2023, Section "Edge of stability"). Book: chapter "Edge of stability" (`book/src/07-edge-of-stability.md`).

use anyhow::{Result, bail};
use dln::{DataConfig, Problem, Record, Run, Schedule, Sgd, Snapshot, Status, uniform_alpha};
use ndarray::ArrayView2;
use plotly::common::{DashType, Line, Mode};
use plotly::{Plot, Scatter};
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Experiment;
use super::common::{self, finite, hline, panel_title};
use crate::snap::round_sig;
use crate::stability::gamma_max_of;
use crate::style;
use crate::sweep::par_map;

/// Significant digits of the summary: trajectories at the edge of stability are chaotic (a change
/// in the last bit of the data moves them macroscopically late in the run), so the summary keeps
/// 3 digits and reports booleans/ratios rather than exact step counts.
pub const SUMMARY_DIGITS: usize = 3;

/// The experiment.
pub struct EdgeOfStability;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `seed` | 0 | data seed of the dataset |
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* |
/// | `alpha` | 0.1 | uniform initialisation scale α |
/// | `small_fraction` | 0.1 | the small stepsize / γ_max (in (0, 1]) |
/// | `edge_fraction` | 1.0 | the edge-of-stability stepsize / γ_max (in (0, 1]) |
/// | `tol` | 1e-10 | convergence: L(β) ≤ tol (> 0) |
/// | `max_steps` | 100 000 | GD's step budget (as in `generalization`) |
/// | `bisection_rel_tol` | 0.02 | relative precision of γ_max (as in `generalization`, whose dataset 0 this is) |
/// | `points_per_decade` | 30 | snapshots per decade of iterations (≥ 1) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data seed.
    pub seed: u64,
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Uniform initialisation scale α.
    pub alpha: f64,
    /// The small stepsize as a fraction of γ_max.
    pub small_fraction: f64,
    /// The edge-of-stability stepsize as a fraction of γ_max.
    pub edge_fraction: f64,
    /// Training-loss tolerance defining convergence.
    pub tol: f64,
    /// Step budget.
    pub max_steps: u64,
    /// Relative precision of the γ_max bisection.
    pub bisection_rel_tol: f64,
    /// Snapshots per decade of iterations.
    pub points_per_decade: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 0,
            n: 20,
            d: 30,
            s: 3,
            alpha: 0.1,
            small_fraction: 0.1,
            edge_fraction: 1.0,
            tol: 1e-10,
            max_steps: 100_000,
            bisection_rel_tol: 0.02,
            points_per_decade: 30,
        }
    }
}

impl Config {
    fn validate(&self) -> Result<()> {
        for (name, f) in [("small_fraction", self.small_fraction), ("edge_fraction", self.edge_fraction)] {
            if !(f > 0.0 && f <= 1.0) {
                bail!("{name} must be in (0, 1] (got {f})");
            }
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            bail!("tol must be finite and > 0 (got {})", self.tol);
        }
        if !(self.bisection_rel_tol.is_finite() && self.bisection_rel_tol > 0.0) {
            bail!("bisection_rel_tol must be finite and > 0 (got {})", self.bisection_rel_tol);
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            bail!("alpha must be finite and > 0 (got {})", self.alpha);
        }
        if self.points_per_decade == 0 {
            bail!("points_per_decade must be at least 1");
        }
        Ok(())
    }
}

// ANCHOR: sharpness
/// Sharpness S = λ_max(X diag(w) Xᵀ/n) for per-coordinate weights w = u² + v² — the top eigenvalue
/// of the Hessian Jᵀ(XᵀX/n)J of F(u, v) = L(u ⊙ v) at an interpolator (J = [diag(v), diag(u)], and
/// JJᵀ = diag(u² + v²)); away from interpolation, its Gauss–Newton part. Power iteration on the
/// n×n matrix with a fixed summation order (the same result on every machine).
pub fn sharpness(x: ArrayView2<f64>, w: &[f64]) -> f64 {
    let (n, d) = x.dim();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..=i {
            let v: f64 = (0..d).map(|j| x[[i, j]] * w[j] * x[[k, j]]).sum::<f64>() / n as f64;
            m[i * n + k] = v;
            m[k * n + i] = v;
        }
    }
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut lambda = 0.0;
    for _ in 0..10_000 {
        let z: Vec<f64> = (0..n).map(|i| (0..n).map(|k| m[i * n + k] * v[k]).sum()).collect();
        let next: f64 = z.iter().zip(&v).map(|(a, b)| a * b).sum();
        let norm = z.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        v = z.iter().map(|a| a / norm).collect();
        if (next - lambda).abs() <= 1e-13 * next.abs() {
            return next;
        }
        lambda = next;
    }
    lambda
}
// ANCHOR_END: sharpness

/// u_k² + v_k² = 2√(β_k² + α_k⁴) with α_k² = α² e^{−Gain_k} (since β = (w₊² − w₋²)/2 and
/// α_k² = |w₊w₋|), read off a snapshot.
pub fn weight_norms(snapshot: &Snapshot, alpha: f64) -> Vec<f64> {
    snapshot
        .beta
        .iter()
        .zip(&snapshot.gain)
        .map(|(b, g)| {
            let a2 = alpha * alpha * (-g).exp();
            2.0 * (b * b + a2 * a2).sqrt()
        })
        .collect()
}

/// The two runs' labels, in order.
const RUNS: [&str; 2] = ["small", "edge"];

/// One snapshot row group of the frame.
struct Rows {
    run: Vec<&'static str>,
    gamma: Vec<f64>,
    ratio: Vec<f64>,
    gamma_max: Vec<f64>,
    status: Vec<&'static str>,
    steps: Vec<u64>,
    step: Vec<u64>,
    quantity: Vec<&'static str>,
    coordinate: Vec<Option<u64>>,
    on_support: Vec<Option<bool>>,
    value: Vec<Option<f64>>,
}

impl Rows {
    fn new() -> Self {
        Self {
            run: vec![],
            gamma: vec![],
            ratio: vec![],
            gamma_max: vec![],
            status: vec![],
            steps: vec![],
            step: vec![],
            quantity: vec![],
            coordinate: vec![],
            on_support: vec![],
            value: vec![],
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        label: &'static str,
        run: &Run,
        gamma: f64,
        gm: f64,
        step: u64,
        q: &'static str,
        coord: Option<(u64, bool)>,
        value: f64,
    ) {
        self.run.push(label);
        self.gamma.push(gamma);
        self.ratio.push(gamma / gm);
        self.gamma_max.push(gm);
        self.status.push(run.status.as_str());
        self.steps.push(run.steps);
        self.step.push(step);
        self.quantity.push(q);
        self.coordinate.push(coord.map(|c| c.0));
        self.on_support.push(coord.map(|c| c.1));
        self.value.push(finite(value));
    }
}

/// Values of `quantity` of run `label` (and coordinate `coord`, if given) against the step, k ≥ 1.
fn series(df: &DataFrame, label: &str, quantity: &str, coord: Option<u64>) -> Result<(Vec<f64>, Vec<f64>)> {
    let run = common::str_col(df, "run")?;
    let q = common::str_col(df, "quantity")?;
    let step = common::u64_col(df, "step")?;
    let c: Vec<Option<u64>> = df.column("coordinate")?.u64()?.iter().collect();
    let v = common::f64_col(df, "value")?;
    let (mut xs, mut ys) = (vec![], vec![]);
    for r in 0..run.len() {
        if run[r] == label
            && q[r] == quantity
            && (coord.is_none() || c[r] == coord)
            && step[r] >= 1
            && let Some(y) = v[r]
        {
            xs.push(step[r] as f64);
            ys.push(y);
        }
    }
    Ok((xs, ys))
}

/// Mean over the coordinates on (or off) the support of `quantity` per step, k ≥ 1.
fn support_mean_series(df: &DataFrame, label: &str, quantity: &str, on: bool) -> Result<(Vec<f64>, Vec<f64>)> {
    let run = common::str_col(df, "run")?;
    let q = common::str_col(df, "quantity")?;
    let step = common::u64_col(df, "step")?;
    let sup: Vec<Option<bool>> = df.column("on_support")?.bool()?.iter().collect();
    let v = common::f64_col(df, "value")?;
    let mut acc: std::collections::BTreeMap<u64, (f64, usize)> = Default::default();
    for r in 0..run.len() {
        if run[r] == label
            && q[r] == quantity
            && sup[r] == Some(on)
            && step[r] >= 1
            && let Some(y) = v[r]
        {
            let e = acc.entry(step[r]).or_insert((0.0, 0));
            e.0 += y;
            e.1 += 1;
        }
    }
    Ok(acc.into_iter().map(|(k, (s, c))| (k as f64, s / c as f64)).unzip())
}

/// One value per run: the first row of `column` for run `label`.
fn run_value(df: &DataFrame, label: &str, column: &str) -> Result<f64> {
    let run = common::str_col(df, "run")?;
    let v = common::f64_col(df, column)?;
    let r = run.iter().position(|r| r == label).ok_or_else(|| anyhow::anyhow!("no `{label}` run"))?;
    Ok(v[r].unwrap_or(f64::NAN))
}

fn r3(x: f64) -> Option<f64> {
    finite(round_sig(x, SUMMARY_DIGITS))
}

impl Experiment for EdgeOfStability {
    const NAME: &'static str = "edge_of_stability";
    const ABOUT: &'static str =
        "GD at a small stepsize vs just below γ_max: oscillating loss, sharpness at 2/γ, a huge gain";
    type Config = Config;
    type Output = DataFrame;
    type Summary = serde_json::Value;

    fn frame(out: &DataFrame) -> Result<DataFrame> {
        Ok(out.clone())
    }

    fn quick() -> Config {
        Config { points_per_decade: 10, ..Config::default() }
    }

    /// Tidy frame, one row per (run, snapshot, quantity[, coordinate]): `run` ("small" | "edge"),
    /// `gamma, gamma_over_gamma_max, gamma_max, status, steps` (of the run), `step` (k),
    /// `quantity` ("train_loss" | "gamma_sharpness" | "beta" | "beta_star" | "gain"),
    /// `coordinate, on_support` (null for scalars), `value`.
    fn run(cfg: &Config) -> Result<DataFrame> {
        cfg.validate()?;
        let problem: Problem =
            DataConfig { n: cfg.n, d: cfg.d, s: cfg.s, seed: cfg.seed, ..DataConfig::default() }.generate()?;
        let alpha = uniform_alpha(cfg.alpha, cfg.d);
        let template = Sgd::gd(1.0, cfg.n).with_budget(cfg.max_steps, cfg.tol);
        let gm = gamma_max_of(&problem, alpha.view(), &template, cfg.bisection_rel_tol)?;
        let gammas = [cfg.small_fraction * gm, cfg.edge_fraction * gm];
        let record = Record::LogSpaced(cfg.points_per_decade);
        let runs: Vec<Run> = par_map(&gammas, |&g| {
            Sgd { stepsize: Schedule::Constant(g), record, ..template.clone() }.run(&problem, alpha.view())
        })
        .into_iter()
        .collect::<Result<_, _>>()?;
        let support: Vec<bool> = problem.beta_star.iter().map(|b| *b != 0.0).collect();
        let mut rows = Rows::new();
        for ((label, run), gamma) in RUNS.into_iter().zip(&runs).zip(gammas) {
            if run.status == Status::Diverged {
                rows.push(label, run, gamma, gm, run.steps, "train_loss", None, f64::NAN);
                continue;
            }
            for snap in &run.history {
                let w = weight_norms(snap, cfg.alpha);
                rows.push(label, run, gamma, gm, snap.step, "train_loss", None, snap.train_loss);
                rows.push(
                    label,
                    run,
                    gamma,
                    gm,
                    snap.step,
                    "gamma_sharpness",
                    None,
                    gamma * sharpness(problem.x.view(), &w),
                );
                for (j, on) in support.iter().enumerate() {
                    let c = Some((j as u64, *on));
                    rows.push(label, run, gamma, gm, snap.step, "beta", c, snap.beta[j]);
                    rows.push(label, run, gamma, gm, snap.step, "gain", c, snap.gain[j]);
                }
            }
            for (j, on) in support.iter().enumerate() {
                rows.push(label, run, gamma, gm, 0, "beta_star", Some((j as u64, *on)), problem.beta_star[j]);
            }
        }
        Ok(df!(
            "run" => rows.run,
            "gamma" => rows.gamma,
            "gamma_over_gamma_max" => rows.ratio,
            "gamma_max" => rows.gamma_max,
            "status" => rows.status,
            "steps" => rows.steps,
            "step" => rows.step,
            "quantity" => rows.quantity,
            "coordinate" => rows.coordinate,
            "on_support" => rows.on_support,
            "value" => rows.value,
        )?)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let mut plot = Plot::new();
        let colors = [style::GD, style::EOS];
        let gm = run_value(df, "edge", "gamma_max")?;
        let names: Vec<String> = RUNS
            .iter()
            .map(|l| Ok(format!("GD, γ = {:.2} γ<sub>max</sub>", run_value(df, l, "gamma_over_gamma_max")?)))
            .collect::<Result<_>>()?;
        let line =
            |x: Vec<f64>, y: Vec<f64>, name: &str, color: &str, axes: (&str, &str), legend: bool, hover: &str| {
                Scatter::new(x, y)
                    .name(name)
                    .mode(Mode::Lines)
                    .line(Line::new().color(color.to_owned()).width(1.8))
                    .legend_group(name)
                    .show_legend(legend)
                    .hover_template(format!("{name}<br>k = %{{x}}<br>{hover}<extra></extra>"))
                    .x_axis(axes.0)
                    .y_axis(axes.1)
            };
        for (r, label) in RUNS.iter().enumerate() {
            let (x, y) = series(df, label, "train_loss", None)?;
            plot.add_trace(line(x, y, &names[r], colors[r], ("x", "y"), true, "L(β<sub>k</sub>) = %{y:.3e}"));
            let (x, y) = series(df, label, "gamma_sharpness", None)?;
            plot.add_trace(line(x, y, &names[r], colors[r], ("x2", "y2"), false, "γ·S<sub>k</sub> = %{y:.4g}"));
            for c in 0..cfg.s.min(cfg.d) as u64 {
                let (x, y) = series(df, label, "beta", Some(c))?;
                plot.add_trace(line(
                    x,
                    y,
                    &names[r],
                    colors[r],
                    ("x3", "y3"),
                    false,
                    &format!("β<sub>{c}</sub> = %{{y:.4g}}"),
                ));
            }
            for (on, dash) in [(true, DashType::Solid), (false, DashType::Dot)] {
                let (x, y) = support_mean_series(df, label, "gain", on)?;
                let what = if on { "on the support" } else { "off the support" };
                plot.add_trace(
                    line(x, y, &names[r], colors[r], ("x4", "y4"), false, &format!("mean gain {what} = %{{y:.3g}}"))
                        .line(Line::new().color(colors[r].to_owned()).width(1.8).dash(dash)),
                );
            }
        }
        // β* on the support: horizontal markers in the β panel.
        let mut shapes = vec![hline(2.0, "x2", "y2", style::FLOW)];
        let (_, star) = {
            let run = common::str_col(df, "run")?;
            let q = common::str_col(df, "quantity")?;
            let v = common::f64_col(df, "value")?;
            let sup: Vec<Option<bool>> = df.column("on_support")?.bool()?.iter().collect();
            let vals: Vec<f64> = (0..run.len())
                .filter(|&r| run[r] == "edge" && q[r] == "beta_star" && sup[r] == Some(true))
                .filter_map(|r| v[r])
                .collect();
            ((), vals)
        };
        for b in &star {
            shapes.push(hline(*b, "x3", "y3", style::TRUTH));
        }
        let (left, right) = ([0.0, 0.45], [0.55, 1.0]);
        let (top, bottom) = ([0.58, 0.94], [0.0, 0.38]);
        let layout = style::layout(&format!(
            "Edge of stability — GD on one dataset (seed {}), γ<sub>max</sub> = {:.3}",
            cfg.seed, gm
        ))
        .height(820)
        .x_axis(style::log_axis("iteration k").domain(&left).anchor("y"))
        .y_axis(common::log_axis_pow("training loss L(β<sub>k</sub>)").domain(&top).anchor("x"))
        .x_axis2(style::log_axis("iteration k").domain(&right).anchor("y2"))
        .y_axis2(style::axis("γ · S<sub>k</sub>  (S = λ<sub>max</sub> of the Hessian)").domain(&top).anchor("x2"))
        .x_axis3(style::log_axis("iteration k").domain(&left).anchor("y3"))
        .y_axis3(style::axis("β<sub>k,i</sub>  (i in the support of β*)").domain(&bottom).anchor("x3"))
        .x_axis4(style::log_axis("iteration k").domain(&right).anchor("y4"))
        .y_axis4(common::log_axis_pow("Gain<sub>k</sub> = ln(α²/α<sub>k</sub>²)").domain(&bottom).anchor("x4"))
        .shapes(shapes)
        .annotations(vec![
            panel_title("Training loss", 0.225, top[1]).x_anchor(plotly::common::Anchor::Center),
            panel_title("Sharpness × stepsize (stable iff < 2)", 0.775, top[1])
                .x_anchor(plotly::common::Anchor::Center),
            panel_title("β<sub>k</sub> on the support (β* dashed)", 0.225, bottom[1])
                .x_anchor(plotly::common::Anchor::Center),
            panel_title("Mean gain on (solid) / off (dotted) the support", 0.775, bottom[1])
                .x_anchor(plotly::common::Anchor::Center),
        ]);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(df: &DataFrame, _cfg: &Config) -> Result<Value> {
        let mut runs = serde_json::Map::new();
        let mut gain_l1 = [f64::NAN; 2];
        for (r, label) in RUNS.iter().enumerate() {
            let run = common::str_col(df, "run")?;
            let row = run.iter().position(|x| x == label).ok_or_else(|| anyhow::anyhow!("no `{label}` run"))?;
            let status = common::str_col(df, "status")?[row].clone();
            let steps = common::u64_col(df, "steps")?[row];
            let (_, loss) = series(df, label, "train_loss", None)?;
            let (_, sharp) = series(df, label, "gamma_sharpness", None)?;
            let (_, on) = support_mean_series(df, label, "gain", true)?;
            let (_, off) = support_mean_series(df, label, "gain", false)?;
            // The last snapshot's per-coordinate gain, summed: ‖Gain‖₁ at the end of the run.
            let last_step = common::u64_col(df, "step")?
                .iter()
                .zip(&run)
                .filter(|(_, l)| *l == label)
                .map(|(k, _)| *k)
                .max()
                .unwrap_or(0);
            let q = common::str_col(df, "quantity")?;
            let step = common::u64_col(df, "step")?;
            let v = common::f64_col(df, "value")?;
            let l1: f64 = (0..run.len())
                .filter(|&i| run[i] == *label && q[i] == "gain" && step[i] == last_step)
                .filter_map(|i| v[i])
                .map(f64::abs)
                .sum();
            gain_l1[r] = l1;
            let increases = loss.windows(2).filter(|w| w[1] > w[0]).count();
            runs.insert(
                (*label).into(),
                json!({
                    "gamma_over_gamma_max": r3(run_value(df, label, "gamma_over_gamma_max")?),
                    "gamma": r3(run_value(df, label, "gamma")?),
                    "status": status,
                    "steps": round_sig(steps as f64, SUMMARY_DIGITS) as u64,
                    "gain_l1": r3(l1),
                    "final_mean_gain_on_support": on.last().and_then(|x| r3(*x)),
                    "final_mean_gain_off_support": off.last().and_then(|x| r3(*x)),
                    "final_gamma_sharpness": sharp.last().and_then(|x| r3(*x)),
                    "max_gamma_sharpness": r3(sharp.iter().copied().fold(f64::NAN, f64::max)),
                    "loss_increases_between_snapshots": increases > 0,
                }),
            );
        }
        Ok(json!({
            "gamma_max": r3(run_value(df, "edge", "gamma_max")?),
            "runs": runs,
            "gain_l1_edge_over_small": r3(gain_l1[1] / gain_l1[0]),
        }))
    }
}

impl super::Validate for Config {
    fn validate(&self) -> Result<()> {
        Config::validate(self)
    }
}

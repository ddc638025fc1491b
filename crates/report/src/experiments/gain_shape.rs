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
use plotly::common::{ErrorData, ErrorType, Marker};
use plotly::layout::{Annotation, Axis, Layout, Shape, ShapeLine, ShapeType};
use plotly::{Bar, Plot};
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::common::{Method, Quartiles, band_traces, coefficient_of_variation, finite, panel_title, quartiles};
use super::stepsize_sweep::{self, GridStat, PerMethod, SweepConfig, SweepRun, grid_stats, r4};
use super::{Experiment, Validate};
use crate::claims::{Claim, fmt3};
use crate::style;

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
        let n = problem.n() as f64;
        let sq_grad_at_init = (0..problem.d())
            .map(|j| problem.x.column(j).iter().zip(&problem.y).map(|(x, y)| (x * y).powi(2)).sum::<f64>() / n)
            .collect();
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

/// Mean of `values` over the coordinates where `support` holds, over the mean where it does not.
fn on_off_ratio(values: &[f64], support: &[bool]) -> f64 {
    let mean = |on: bool| {
        let v: Vec<f64> = values.iter().zip(support).filter(|(_, s)| **s == on).map(|(v, _)| *v).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    mean(true) / mean(false)
}

// ANCHOR: second_order
/// The second-order prediction of SGD's on/off-support gain ratio: for x ~ N(0, I),
/// E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + 2Δ_j² (Isserlis), so at Δ = −β* the mean squared single-sample gradient
/// on the support S over that off it is 1 + 2·mean_{j∈S} β*_j² / ‖β*‖² (= 1 + 2/s). For x ~ N(0, Σ)
/// it is Σ_jj⟨Δ, ΣΔ⟩ + 2(ΣΔ)_j²: an even gain also needs equal diag(Σ).
pub fn second_order_ratio(beta_star: &[f64]) -> f64 {
    let support: Vec<f64> = beta_star.iter().filter(|b| **b != 0.0).map(|b| b * b).collect();
    let norm_sq: f64 = support.iter().sum();
    1.0 + 2.0 * support.iter().sum::<f64>() / support.len() as f64 / norm_sq
}
// ANCHOR_END: second_order

/// Converged runs of `method` at grid point `j`.
fn selected(runs: &[SweepRun], method: Method, j: usize) -> impl Iterator<Item = &SweepRun> {
    runs.iter().filter(move |r| r.method == method && r.grid_index == j && r.converged())
}

/// γ/γ_max of grid point `j`.
fn ratio_at(runs: &[SweepRun], j: usize) -> f64 {
    runs.iter().find(|r| r.grid_index == j).map_or(f64::NAN, |r| r.ratio)
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

/// Mean of the median profile over the support and off it.
fn support_means(profile: &[Coordinate]) -> (f64, f64) {
    let mean = |on: bool| {
        let v: Vec<f64> = profile.iter().filter(|p| p.on_support == on).map(|p| p.gain.median).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    (mean(true), mean(false))
}

/// One gain profile of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    /// γ/γ_max of the profile's grid point.
    pub gamma_over_gamma_max: Option<f64>,
    /// Converged runs summarised.
    pub converged_runs: usize,
    /// Mean over the support of the median gain.
    pub mean_gain_on_support: Option<f64>,
    /// Mean off the support of the median gain.
    pub mean_gain_off_support: Option<f64>,
    /// Their ratio.
    pub support_over_off_support: Option<f64>,
    /// Largest median gain.
    pub max_median_gain: Option<f64>,
    /// Coefficient of variation of the median profile.
    pub cv_of_median_profile: Option<f64>,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The three profiles, by label.
    pub profiles: std::collections::BTreeMap<&'static str, ProfileSummary>,
    /// Heterogeneity index vs γ/γ_max.
    pub heterogeneity_cv_vs_stepsize: PerMethod<Vec<GridStat>>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

/// The smallest, over the grid points where both methods have converged runs, of GD's median
/// coefficient of variation over SGD's (NaN if there is no such point).
fn smallest_cv_ratio(runs: &[SweepRun]) -> f64 {
    let sgd = heterogeneity(runs, Method::Sgd);
    let ratios: Vec<f64> = heterogeneity(runs, Method::Gd)
        .into_iter()
        .filter_map(|(r, gd)| sgd.iter().find(|p| p.0 == r).map(|p| gd.median / p.1.median))
        .collect();
    if ratios.is_empty() || ratios.iter().any(|r| r.is_nan()) {
        f64::NAN
    } else {
        ratios.into_iter().fold(f64::INFINITY, f64::min)
    }
}

// ANCHOR: claims
/// The claims of chapter 6 ("The gain's shape"), from the runs and the datasets' starts.
fn claims(out: &Output, cfg: &Config) -> Vec<Claim> {
    let [(_, _, j), _, (_, _, top)] = cfg.profiles();
    let ratio = |method, j| {
        let prof = profile(&out.runs, method, j);
        let (median, support): (Vec<f64>, Vec<bool>) = prof.iter().map(|p| (p.gain.median, p.on_support)).unzip();
        on_off_ratio(&median, &support)
    };
    let on_support = |j| support_means(&profile(&out.runs, Method::Gd, j)).0;
    let cv = smallest_cv_ratio(&out.runs);
    let (gd, sgd, eos) = (ratio(Method::Gd, j), ratio(Method::Sgd, j), on_support(top) / on_support(j));
    let of_datasets =
        |f: &dyn Fn(&DatasetStart) -> f64| quartiles(&out.datasets.iter().map(f).collect::<Vec<_>>()).median;
    let predicted = of_datasets(&|d| second_order_ratio(&d.beta_star));
    let empirical =
        of_datasets(&|d| on_off_ratio(&d.sq_grad_at_init, &d.beta_star.iter().map(|b| *b != 0.0).collect::<Vec<_>>()));
    let per_dataset =
        quartiles(&selected(&out.runs, Method::Sgd, j).map(|r| on_off_ratio(&r.gain, &r.support)).collect::<Vec<_>>());
    let at = fmt3(ratio_at(&out.runs, j));
    vec![
        Claim::at_least("gd_gain_more_uneven_than_sgd", "smallest_cv_ratio", cv, 2.0).says(format!(
            "At every stepsize of the grid GD's median coefficient of variation of the gain across coordinates is at \
             least {} times SGD's (≥ 2).",
            fmt3(cv)
        )),
        Claim::at_least("gd_gain_piles_on_support", "on_off_ratio", gd, 5.0).says(format!(
            "At {at} γ_max GD's median gain is {} times larger on the support of β* than off it (≥ 5).",
            fmt3(gd)
        )),
        Claim::at_most("sgd_on_off_ratio_is_second_order", "relative_deviation", (sgd / predicted - 1.0).abs(), 0.25)
            .with("measured", sgd)
            .with("predicted", predicted)
            .with("per_dataset_q25", per_dataset.q25)
            .with("per_dataset_q75", per_dataset.q75)
            .with("empirical_design", empirical)
            .says(format!(
                "At {at} γ_max SGD's median gain is {} times larger on the support than off it: not flat (1). For \
                 Gaussian x, E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + 2Δ_j², which at the start (Δ = −β*) predicts \
                 1 + 2·mean_(j∈S) β*_j²/‖β*‖² = {} (median over datasets; = 1 + 2/s). The measured ratio deviates from \
                 it by a relative {} (≤ 0.25: single datasets' ratios spread from {} to {}, quartiles). Over each \
                 dataset's own samples the same expectation is {} (median).",
                fmt3(sgd),
                fmt3(predicted),
                fmt3((sgd / predicted - 1.0).abs()),
                fmt3(per_dataset.q25),
                fmt3(per_dataset.q75),
                fmt3(empirical)
            )),
        Claim::at_least("eos_gain_dwarfs_gd", "on_support_ratio", eos, 10.0).says(format!(
            "At γ_max (edge of stability) GD's mean median gain on the support is {} times that at {at} γ_max (≥ 10).",
            fmt3(eos)
        )),
    ]
}
// ANCHOR_END: claims

/// The bar chart of one profile (panel `k` of 3) with its support shading, title and axes.
fn profile_panel(
    plot: &mut Plot,
    layout: Layout,
    runs: &[SweepRun],
    cfg: &Config,
    k: usize,
) -> (Layout, Shape, Annotation) {
    const DOMAINS: [[f64; 2]; 3] = [[0.0, 0.3], [0.35, 0.65], [0.7, 1.0]];
    const TOP: [f64; 2] = [0.6, 0.93];
    let (label, method, j) = cfg.profiles()[k];
    let prof = profile(runs, method, j);
    let (xr, yr) =
        if k == 0 { ("x".to_owned(), "y".to_owned()) } else { (format!("x{}", k + 1), format!("y{}", k + 1)) };
    let x: Vec<f64> = (0..prof.len()).map(|c| c as f64).collect();
    let med: Vec<f64> = prof.iter().map(|p| p.gain.median).collect();
    let plus: Vec<f64> = prof.iter().map(|p| p.gain.q75 - p.gain.median).collect();
    let minus: Vec<f64> = prof.iter().map(|p| p.gain.median - p.gain.q25).collect();
    let color = if k == 2 { style::EOS } else { method.color() };
    let error = ErrorData::new(ErrorType::Data).array(plus).array_minus(minus).color("#444444").thickness(1.0).width(2);
    plot.add_trace(
        Bar::new(x, med)
            .name(label)
            .marker(Marker::new().color(color.to_owned()))
            .error_y(error)
            .hover_template(format!("{label}<br>coordinate %{{x}}<br>median gain %{{y:.3g}}<extra></extra>"))
            .x_axis(&xr)
            .y_axis(&yr),
    );
    let shade = Shape::new()
        .shape_type(ShapeType::Rect)
        .x_ref(&xr)
        .y_ref(format!("{yr} domain"))
        .x0(-0.5)
        .x1(cfg.sweep.setting.s as f64 - 0.5)
        .y0(0.0)
        .y1(1.0)
        .fill_color(style::band(style::TRUTH))
        .line(ShapeLine::new().width(0.0))
        .layer(plotly::layout::ShapeLayer::Below);
    let title = if k == 2 {
        format!("{label}: γ = γ<sub>max</sub>")
    } else {
        format!("{label}: γ = {:.2} γ<sub>max</sub>", ratio_at(runs, j))
    };
    let note =
        panel_title(&title, (DOMAINS[k][0] + DOMAINS[k][1]) / 2.0, TOP[1]).x_anchor(plotly::common::Anchor::Center);
    let x_axis = Axis::new().title("coordinate i").domain(&DOMAINS[k]).anchor(&yr).zero_line(false);
    let y_axis = Axis::new().title(if k == 0 { "Gain<sub>γ</sub>(i)" } else { "" }).domain(&TOP).anchor(&xr);
    let layout = match k {
        0 => layout.x_axis(x_axis).y_axis(y_axis),
        1 => layout.x_axis2(x_axis).y_axis2(y_axis),
        _ => layout.x_axis3(x_axis).y_axis3(y_axis),
    };
    (layout, shade, note)
}

impl Experiment for GainShape {
    const NAME: &'static str = "gain_shape";
    const ABOUT: &'static str = "Per-coordinate Gain_γ: heterogeneous for GD, homogeneous for SGD, huge at the edge of stability; heterogeneity vs γ (slides Fig. 2)";
    type Config = Config;
    type Output = Output;
    type Summary = Summary;

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
        let each = |f: &dyn Fn(&SweepRun) -> u64| {
            runs.iter().flat_map(|r| std::iter::repeat_n(f(r), r.gain.len())).collect::<Vec<u64>>()
        };
        let each_f = |f: &dyn Fn(&SweepRun) -> f64| {
            runs.iter().flat_map(|r| std::iter::repeat_n(f(r), r.gain.len())).collect::<Vec<f64>>()
        };
        let start = |f: &dyn Fn(&DatasetStart, usize) -> f64| {
            runs.iter()
                .flat_map(|r| (0..r.gain.len()).map(move |c| f(&out.datasets[r.dataset], c)))
                .collect::<Vec<f64>>()
        };
        let each_s = |f: &dyn Fn(&SweepRun) -> &'static str| {
            runs.iter().flat_map(|r| std::iter::repeat_n(f(r), r.gain.len())).collect::<Vec<&str>>()
        };
        Ok(df!(
            "method" => each_s(&|r| r.method.as_str()),
            "batch" => each(&|r| r.batch as u64),
            "dataset" => each(&|r| r.dataset as u64),
            "data_seed" => each(&|r| r.data_seed),
            "grid_index" => each(&|r| r.grid_index as u64),
            "gamma_over_gamma_max" => each_f(&|r| r.ratio),
            "gamma" => each_f(&|r| r.gamma),
            "gamma_max" => each_f(&|r| r.gamma_max),
            "status" => each_s(&|r| r.status.as_str()),
            "coordinate" => runs.iter().flat_map(|r| 0..r.gain.len() as u64).collect::<Vec<u64>>(),
            "on_support" => runs.iter().flat_map(|r| r.support.iter().copied()).collect::<Vec<bool>>(),
            "gain" => runs
                .iter()
                .flat_map(|r| r.gain.iter().map(move |g| r.unless_diverged(*g)))
                .collect::<Vec<Option<f64>>>(),
            "beta_star" => start(&|d, c| d.beta_star[c]),
            "sq_grad_at_init" => start(&|d, c| d.sq_grad_at_init[c]),
        )?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let runs = &out.runs;
        let mut plot = Plot::new();
        let bottom = [0.0, 0.4];
        let (mut shapes, mut annotations) = (Vec::new(), Vec::new());
        let mut layout = style::layout(&format!(
            "Shape of the gain Gain<sub>γ</sub>(i) = ln(α²/α<sub>∞,i</sub>²) — {} datasets (median, IQR); support of β* shaded",
            cfg.sweep.datasets
        ))
        .height(820);
        for k in 0..3 {
            let (next, shade, note) = profile_panel(&mut plot, layout, runs, cfg, k);
            layout = next;
            shapes.push(shade);
            annotations.push(note);
        }
        for method in Method::BOTH {
            let (x, q): (Vec<f64>, Vec<Quartiles>) = heterogeneity(runs, method).into_iter().unzip();
            let name = format!("{} heterogeneity", method.as_str());
            let hover = "γ/γ<sub>max</sub> = %{x:.3g}<br>median CV %{y:.3g}";
            plot.add_traces(band_traces(&name, method.color(), &x, &q, "x4", "y4", true, hover));
        }
        let title = "Heterogeneity index: coefficient of variation of Gain<sub>γ</sub> across coordinates";
        annotations.push(panel_title(title, 0.5, bottom[1]).x_anchor(plotly::common::Anchor::Center));
        layout = layout
            .x_axis4(style::log_axis("stepsize γ / γ<sub>max</sub>").domain(&[0.0, 1.0]).anchor("y4"))
            .y_axis4(style::axis("std<sub>i</sub> Gain / mean<sub>i</sub> Gain").domain(&bottom).anchor("x4"))
            .shapes(shapes)
            .annotations(annotations);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        let runs = &out.runs;
        let mut profiles = std::collections::BTreeMap::new();
        for (label, method, j) in cfg.profiles() {
            let prof = profile(runs, method, j);
            let (on, off) = support_means(&prof);
            let medians: Vec<f64> = prof.iter().map(|p| p.gain.median).collect();
            let summary = ProfileSummary {
                gamma_over_gamma_max: r4(ratio_at(runs, j)),
                converged_runs: selected(runs, method, j).count(),
                mean_gain_on_support: r4(on),
                mean_gain_off_support: r4(off),
                support_over_off_support: r4(on / off),
                max_median_gain: r4(medians.iter().copied().fold(f64::NAN, f64::max)),
                cv_of_median_profile: r4(coefficient_of_variation(&medians)),
            };
            profiles.insert(label, summary);
        }
        let cv = PerMethod::new(|m| grid_stats(&heterogeneity(runs, m)));
        Ok(Summary { profiles, heterogeneity_cv_vs_stepsize: cv, claims: claims(out, cfg) })
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

    #[test]
    fn the_second_order_ratio_is_the_gaussian_fourth_moment_ratio() {
        // 1 + 2/s whatever the values of β* on its support.
        assert!((second_order_ratio(&[3.0, -0.1, 0.0, 0.0]) - 2.0).abs() < 1e-12);
        assert!((second_order_ratio(&[1.0, 2.0, 3.0, 0.0, 0.0]) - 5.0 / 3.0).abs() < 1e-12);
        // Monte Carlo: the on/off ratio of (1/n) Σ_i x_ij² ⟨x_i, β*⟩² over many Gaussian samples.
        let data = dln::DataConfig { n: 200_000, d: 6, s: 2, seed: 7, ..dln::DataConfig::default() };
        let problem = data.generate().unwrap();
        let start = DatasetStart::of(&problem);
        let support: Vec<bool> = start.beta_star.iter().map(|b| *b != 0.0).collect();
        let measured = on_off_ratio(&start.sq_grad_at_init, &support);
        let predicted = second_order_ratio(&start.beta_star);
        assert!((measured / predicted - 1.0).abs() < 0.03, "Monte Carlo {measured} vs {predicted}");
    }
}

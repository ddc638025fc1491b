//! The shape of the gain across coordinates (slides Fig. 2): heterogeneous for GD, homogeneous for
//! SGD, arbitrarily large for GD at the edge of stability.
//!
//! Gain_γ(i) = ln(α_i²/α∞,i²) = Σ_k q(γ g_k,i) (Theorem 2) shapes the effective potential
//! ψ_{α∞}(β) ≈ ln(1/α)‖β‖₁ + Σ_i Gain_γ(i)|β_i| (slides, "Shape"). With x ~ N(0, I) the early GD
//! gradients ≈ −Xᵀy/n point at the support of β*, so GD's gain piles up there (the support is then
//! penalised more: worse sparse recovery); SGD's single-sample gradients hit every coordinate alike,
//! so its gain is flat. Top: the per-coordinate gain (median over datasets, IQR error bars; the
//! support of β* — the first s coordinates — shaded) of GD and SGD at γ ≈ `profile_at`·γ_max and of
//! GD at γ = γ_max (edge of stability). Bottom: the heterogeneity index — the coefficient of
//! variation std/mean of Gain_γ across coordinates — against γ/γ_max. All runs are those of
//! `generalization` ([`super::generalization::sweep`]); profiles use the grid point nearest to
//! `profile_at`. Book: chapter "The gain's shape" (`book/src/06-gain-shape.md`).

use anyhow::{Result, bail};
use dln::Status;
use plotly::common::{ErrorData, ErrorType, Marker};
use plotly::layout::{Axis, Shape, ShapeLine, ShapeType};
use plotly::{Bar, Plot};
use polars::df;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Experiment;
use super::common::{
    self, Method, Quartiles, band_traces, coefficient_of_variation, finite, group_by, panel_title, quartiles,
};
use super::generalization::{self, r4, stats_json};
use crate::style;

/// The experiment.
pub struct GainShape;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `sweep` | `generalization`'s default | the stepsize sweep (datasets, grid, budgets, …) |
/// | `profile_at` | 0.5 | γ/γ_max of the GD and SGD profiles (nearest grid point; in (0, 1]) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The stepsize sweep (the same runs as the `generalization` experiment).
    pub sweep: generalization::Config,
    /// γ/γ_max of the GD and SGD profiles (the nearest point of the sweep's grid is used).
    pub profile_at: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { sweep: generalization::Config::default(), profile_at: 0.5 }
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

/// The frame's columns read back.
struct Rows {
    method: Vec<Method>,
    dataset: Vec<u64>,
    grid_index: Vec<u64>,
    ratio: Vec<f64>,
    status: Vec<Status>,
    coordinate: Vec<u64>,
    on_support: Vec<bool>,
    gain: Vec<Option<f64>>,
}

impl Rows {
    fn read(df: &DataFrame) -> Result<Self> {
        Ok(Self {
            method: common::str_col(df, "method")?.iter().map(|s| Method::parse(s)).collect::<Result<_>>()?,
            dataset: common::u64_col(df, "dataset")?,
            grid_index: common::u64_col(df, "grid_index")?,
            ratio: common::f64_col(df, "gamma_over_gamma_max")?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
            status: common::str_col(df, "status")?.iter().map(|s| common::parse_status(s)).collect::<Result<_>>()?,
            coordinate: common::u64_col(df, "coordinate")?,
            on_support: common::bool_col(df, "on_support")?,
            gain: common::f64_col(df, "gain")?,
        })
    }

    /// Rows of converged runs of `method` at grid point `j`.
    fn selected(&self, method: Method, j: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.method.len()).filter(move |&r| {
            self.method[r] == method && self.grid_index[r] == j as u64 && self.status[r] == Status::Converged
        })
    }

    /// γ/γ_max of grid point `j`.
    fn ratio_at(&self, j: usize) -> f64 {
        (0..self.ratio.len()).find(|&r| self.grid_index[r] == j as u64).map_or(f64::NAN, |r| self.ratio[r])
    }

    /// Per coordinate (in order): quartiles over datasets of the gain of `method` at grid point `j`,
    /// and whether the coordinate is on the support.
    fn profile(&self, method: Method, j: usize) -> Vec<(u64, bool, Quartiles)> {
        let rows: Vec<usize> = self.selected(method, j).collect();
        let keys: Vec<u64> = rows.iter().map(|&r| self.coordinate[r]).collect();
        let values: Vec<Option<f64>> = rows.iter().map(|&r| self.gain[r]).collect();
        let support = |c: u64| rows.iter().any(|&r| self.coordinate[r] == c && self.on_support[r]);
        group_by(&keys, &values).into_iter().map(|(c, v)| (c, support(c), quartiles(&v))).collect()
    }

    // ANCHOR: heterogeneity
    /// Per grid point (in order): γ/γ_max and the quartiles over datasets of the coefficient of
    /// variation of the gain across coordinates (converged runs of `method` only).
    fn heterogeneity(&self, method: Method) -> Vec<(f64, Quartiles)> {
        let mut per_run: std::collections::BTreeMap<(u64, u64), Vec<(u64, f64)>> = Default::default();
        for r in 0..self.method.len() {
            if self.method[r] == method
                && self.status[r] == Status::Converged
                && let Some(g) = self.gain[r]
            {
                per_run.entry((self.grid_index[r], self.dataset[r])).or_default().push((self.coordinate[r], g));
            }
        }
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for ((j, _), mut coords) in per_run {
            coords.sort_by_key(|c| c.0);
            let gains: Vec<f64> = coords.iter().map(|c| c.1).collect();
            keys.push(j);
            values.push(finite(coefficient_of_variation(&gains)));
        }
        group_by(&keys, &values).into_iter().map(|(j, v)| (self.ratio_at(j as usize), quartiles(&v))).collect()
    }
    // ANCHOR_END: heterogeneity
}

/// Mean of the median profile over the support and off it.
fn support_means(profile: &[(u64, bool, Quartiles)]) -> (f64, f64) {
    let mean = |on: bool| {
        let v: Vec<f64> = profile.iter().filter(|p| p.1 == on).map(|p| p.2.median).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    (mean(true), mean(false))
}

impl Experiment for GainShape {
    const NAME: &'static str = "gain_shape";
    const ABOUT: &'static str = "Per-coordinate Gain_γ: heterogeneous for GD, homogeneous for SGD, huge at the edge of stability; heterogeneity vs γ (slides Fig. 2)";
    type Config = Config;

    fn quick() -> Config {
        Config { sweep: generalization::Config::quick(), ..Config::default() }
    }

    /// Tidy frame, one row per (run, coordinate): `method, batch, dataset, data_seed, grid_index,
    /// gamma_over_gamma_max, gamma, gamma_max, status, coordinate, on_support, gain` (gain null for
    /// diverged runs).
    fn run(cfg: &Config) -> Result<DataFrame> {
        if !(cfg.profile_at > 0.0 && cfg.profile_at <= 1.0) {
            bail!("profile_at must be in (0, 1] (got {})", cfg.profile_at);
        }
        let runs = generalization::sweep(&cfg.sweep)?;
        let d = cfg.sweep.d;
        let each = |f: &dyn Fn(&generalization::SweepRun) -> u64| {
            runs.iter().flat_map(|r| std::iter::repeat_n(f(r), d)).collect::<Vec<u64>>()
        };
        let each_f = |f: &dyn Fn(&generalization::SweepRun) -> f64| {
            runs.iter().flat_map(|r| std::iter::repeat_n(f(r), d)).collect::<Vec<f64>>()
        };
        Ok(df!(
            "method" => runs.iter().flat_map(|r| std::iter::repeat_n(r.method.as_str(), d)).collect::<Vec<_>>(),
            "batch" => each(&|r| r.batch as u64),
            "dataset" => each(&|r| r.dataset as u64),
            "data_seed" => each(&|r| r.data_seed),
            "grid_index" => each(&|r| r.grid_index as u64),
            "gamma_over_gamma_max" => each_f(&|r| r.ratio),
            "gamma" => each_f(&|r| r.gamma),
            "gamma_max" => each_f(&|r| r.gamma_max),
            "status" => runs.iter().flat_map(|r| std::iter::repeat_n(r.status.as_str(), d)).collect::<Vec<_>>(),
            "coordinate" => runs.iter().flat_map(|_| 0..d as u64).collect::<Vec<u64>>(),
            "on_support" => runs.iter().flat_map(|r| r.support.iter().copied()).collect::<Vec<bool>>(),
            "gain" => runs
                .iter()
                .flat_map(|r| r.gain.iter().map(move |g| if r.status == Status::Diverged { None } else { finite(*g) }))
                .collect::<Vec<Option<f64>>>(),
        )?)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let rows = Rows::read(df)?;
        let mut plot = Plot::new();
        let domains = [[0.0, 0.3], [0.35, 0.65], [0.7, 1.0]];
        let (top, bottom) = ([0.6, 0.93], [0.0, 0.4]);
        let mut shapes = Vec::new();
        let mut annotations = Vec::new();
        let mut layout = style::layout(&format!(
            "Shape of the gain Gain<sub>γ</sub>(i) = ln(α²/α<sub>∞,i</sub>²) — {} datasets (median, IQR); support of β* shaded",
            cfg.sweep.datasets
        ))
        .height(820);
        for (k, (label, method, j)) in cfg.profiles().into_iter().enumerate() {
            let profile = rows.profile(method, j);
            let (xa, ya) = (format!("x{}", k + 1), format!("y{}", k + 1));
            let x: Vec<f64> = profile.iter().map(|p| p.0 as f64).collect();
            let med: Vec<f64> = profile.iter().map(|p| p.2.median).collect();
            let plus: Vec<f64> = profile.iter().map(|p| p.2.q75 - p.2.median).collect();
            let minus: Vec<f64> = profile.iter().map(|p| p.2.median - p.2.q25).collect();
            let color = if k == 2 { style::EOS } else { method.color() };
            let bar = Bar::new(x, med)
                .name(label)
                .marker(Marker::new().color(color.to_owned()))
                .error_y(
                    ErrorData::new(ErrorType::Data)
                        .array(plus)
                        .array_minus(minus)
                        .color("#444444")
                        .thickness(1.0)
                        .width(2),
                )
                .hover_template(format!("{label}<br>coordinate %{{x}}<br>median gain %{{y:.3g}}<extra></extra>"))
                .x_axis(if k == 0 { "x".to_owned() } else { xa.clone() })
                .y_axis(if k == 0 { "y".to_owned() } else { ya.clone() });
            plot.add_trace(bar);
            let (xr, yr) = if k == 0 { ("x".to_owned(), "y".to_owned()) } else { (xa, ya) };
            shapes.push(
                Shape::new()
                    .shape_type(ShapeType::Rect)
                    .x_ref(&xr)
                    .y_ref(format!("{yr} domain"))
                    .x0(-0.5)
                    .x1(cfg.sweep.s as f64 - 0.5)
                    .y0(0.0)
                    .y1(1.0)
                    .fill_color(style::band(style::TRUTH))
                    .line(ShapeLine::new().width(0.0))
                    .layer(plotly::layout::ShapeLayer::Below),
            );
            let ratio = rows.ratio_at(j);
            let title = if k == 2 {
                format!("{label}: γ = γ<sub>max</sub>")
            } else {
                format!("{label}: γ = {ratio:.2} γ<sub>max</sub>")
            };
            annotations.push(
                panel_title(&title, (domains[k][0] + domains[k][1]) / 2.0, top[1])
                    .x_anchor(plotly::common::Anchor::Center),
            );
            let x_axis = Axis::new().title("coordinate i").domain(&domains[k]).anchor(&yr).zero_line(false);
            let y_axis = Axis::new().title(if k == 0 { "Gain<sub>γ</sub>(i)" } else { "" }).domain(&top).anchor(&xr);
            layout = match k {
                0 => layout.x_axis(x_axis).y_axis(y_axis),
                1 => layout.x_axis2(x_axis).y_axis2(y_axis),
                _ => layout.x_axis3(x_axis).y_axis3(y_axis),
            };
        }
        for method in Method::BOTH {
            let stats = rows.heterogeneity(method);
            let x: Vec<f64> = stats.iter().map(|s| s.0).collect();
            let q: Vec<Quartiles> = stats.iter().map(|s| s.1).collect();
            let name = format!("{} heterogeneity", method.as_str());
            plot.add_traces(band_traces(
                &name,
                method.color(),
                &x,
                &q,
                "x4",
                "y4",
                true,
                "γ/γ<sub>max</sub> = %{x:.3g}<br>median CV %{y:.3g}",
            ));
        }
        annotations.push(
            panel_title(
                "Heterogeneity index: coefficient of variation of Gain<sub>γ</sub> across coordinates",
                0.5,
                bottom[1],
            )
            .x_anchor(plotly::common::Anchor::Center),
        );
        layout = layout
            .x_axis4(style::log_axis("stepsize γ / γ<sub>max</sub>").domain(&[0.0, 1.0]).anchor("y4"))
            .y_axis4(style::axis("std<sub>i</sub> Gain / mean<sub>i</sub> Gain").domain(&bottom).anchor("x4"))
            .shapes(shapes)
            .annotations(annotations);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(df: &DataFrame, cfg: &Config) -> Result<Value> {
        let rows = Rows::read(df)?;
        let mut profiles = serde_json::Map::new();
        for (label, method, j) in cfg.profiles() {
            let profile = rows.profile(method, j);
            let (on, off) = support_means(&profile);
            let medians: Vec<f64> = profile.iter().map(|p| p.2.median).collect();
            let runs = rows.selected(method, j).count() / cfg.sweep.d.max(1);
            profiles.insert(
                label.into(),
                json!({
                    "gamma_over_gamma_max": finite(r4(rows.ratio_at(j))),
                    "converged_runs": runs,
                    "mean_gain_on_support": finite(r4(on)),
                    "mean_gain_off_support": finite(r4(off)),
                    "support_over_off_support": finite(r4(on / off)),
                    "max_median_gain": finite(r4(medians.iter().copied().fold(f64::NAN, f64::max))),
                    "cv_of_median_profile": finite(r4(coefficient_of_variation(&medians))),
                }),
            );
        }
        let mut cv = serde_json::Map::new();
        for method in Method::BOTH {
            cv.insert(method.as_str().into(), stats_json(&rows.heterogeneity(method)));
        }
        Ok(json!({ "profiles": profiles, "heterogeneity_cv_vs_stepsize": cv }))
    }
}

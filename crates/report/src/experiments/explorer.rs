//! An interactive explorer: one figure with a slider over the stepsize γ = fraction · γ_max that shows,
//! for GD and SGD, the per-coordinate Gain_γ(i) and the recovered β against β*.
//!
//! GD and SGD on `datasets` datasets, each at a grid of fractions of its own γ_max (bisected per
//! dataset, [`Setup`]). The slider draws dataset 0 with [`super::estimated_parameters`]'
//! per-coordinate traces; the summary gives, per method and fraction, the runs over every dataset,
//! and the claims are computed on every dataset. Every slider position is precomputed:
//! the figure holds one group of traces per fraction and the slider's steps toggle their visibility
//! (plotly `update`: `visible` + title), so it works offline in any browser, with no server.
//! Reading it left to right is Theorem 2 in motion: at small γ both gains are ≈ 0 and both methods
//! sit on gradient flow's β*_α; as γ grows GD's gain grows unevenly across coordinates (largest where
//! the early gradients hit hardest) and its β drifts away, while SGD's gain grows evenly and its β
//! sharpens onto β*. Book: chapter "Beyond the slides", section "The interactive explorer"
//! (`book/src/09-beyond.md`).

use anyhow::{Result, ensure};
use plotly::Plot;
use plotly::common::Font;
use plotly::layout::{Slider, SliderCurrentValue, SliderCurrentValueXAnchor, SliderMethod, SliderStep};
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::common::validate_fractions;
use super::estimated_parameters::{
    self as ep, DatasetFit, Estimate, beta_trace, gain_trace, truth_trace, two_row_layout,
};
use super::plotting::support_shapes;
use super::{Experiment, Setting, Validate};
use crate::sweep;

pub mod claims;
mod setup;
mod summary;

pub use setup::Setup;
pub use summary::{FractionStat, RunSummary, Summary};

/// The experiment.
pub struct Explorer;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3), α = 0.1, seed 0 | data design and initialisation ([`Setting`]): dataset i has data seed `seed + i` (its SGD sampler a seed derived from it) | `mean` = `noise` = 0 |
/// | `datasets` | 8 | datasets; the slider shows dataset 0, the summary and the claims cover all | ≥ 1 |
/// | `batch` | 1 | SGD's batch size b (GD uses b = n) | 1 ≤ b < n |
/// | `fractions` | 0.02 … 0.95 (12) | slider positions γ/γ_max (each method its own γ_max) | ≥ 1 value, increasing, in (0, 1] |
/// | `max_epochs` | 100 000 | budget of every run (bisection included), in epochs | ≥ 1 |
/// | `tol` | 1e-12 | training-loss tolerance | > 0 |
/// | `rel_tol` | 0.01 | relative precision of the γ_max bisection | > 0 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (dataset i: data seed `seed + i`).
    pub setting: Setting,
    /// Datasets (the slider shows dataset 0).
    pub datasets: usize,
    /// SGD's batch size b.
    pub batch: usize,
    /// Slider positions γ / γ_max, increasing, in (0, 1].
    pub fractions: Vec<f64>,
    /// Budget of every run, in epochs.
    pub max_epochs: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Relative precision of the γ_max bisection.
    pub rel_tol: f64,
}

impl Default for Config {
    /// The paper's setting, SGD with b = 1, slid over twelve fractions.
    fn default() -> Self {
        let fractions = vec![0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
        Self {
            setting: Setting::default(),
            datasets: 8,
            batch: 1,
            fractions,
            max_epochs: 100_000,
            tol: 1e-12,
            rel_tol: 0.01,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        let (mean, noise) = (self.setting.mean, self.setting.noise);
        ensure!(mean == 0.0, "setting: mean must be 0 (estimated_parameters' dataset is centered), got {mean}");
        ensure!(noise == 0.0, "setting: noise must be 0 (estimated_parameters' dataset is noiseless), got {noise}");
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        validate_fractions(&self.fractions, 1)?;
        let n = self.setting.n;
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD, got {}", self.batch);
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0, got {}", self.tol);
        ensure!(self.rel_tol.is_finite() && self.rel_tol > 0.0, "rel_tol must be finite and > 0, got {}", self.rel_tol);
        Ok(())
    }
}

/// Every dataset's estimates of β; dataset 0 (first) is the one the slider shows.
#[derive(Debug, Clone)]
pub struct Output {
    /// Per dataset, in order: gradient flow's limit (Theorem 1), then GD and SGD at each fraction
    /// (increasing).
    pub datasets: Vec<DatasetFit>,
}

impl Output {
    /// The dataset the slider shows.
    fn shown(&self) -> &DatasetFit {
        &self.datasets[0]
    }
}

/// Gradient flow's estimate on `fit`, if any.
fn gradient_flow(fit: &DatasetFit) -> Option<&Estimate> {
    fit.get("GF")
}

/// The (S)GD runs on `fit`, in slider order.
pub fn runs(fit: &DatasetFit) -> Vec<&Estimate> {
    fit.estimates.iter().filter(|e| e.method != "GF").collect()
}

/// The slider position shown first: the largest fraction ≤ 0.9 (a macroscopic stepsize).
fn initial_step(fractions: &[f64]) -> usize {
    fractions.iter().rposition(|&f| f <= 0.9).unwrap_or(0)
}

/// The figure's title at slider position `k`: the fraction and each method's γ.
fn title(cfg: &Config, runs: &[&Estimate], fraction: f64) -> String {
    let gammas: Vec<String> = runs
        .iter()
        .filter(|e| e.fraction == Some(fraction))
        .map(|e| format!("γ<sub>{}</sub> = {:.3}", e.method, e.gamma.unwrap_or(f64::NAN)))
        .collect();
    let st = &cfg.setting;
    format!(
        "Stepsize explorer: γ = {}·γ<sub>max</sub> ({})<br><sup>(n, d, s, α) = ({}, {}, {}, {}), SGD batch b = {}, dataset 0 of {}; drag the slider: GD's gain grows unevenly across coordinates, SGD's evenly</sup>",
        fraction,
        gammas.join(", "),
        st.n,
        st.d,
        st.s,
        st.alpha,
        cfg.batch,
        cfg.datasets
    )
}

/// The slider: step `k` shows the traces owned by no fraction (`owner[t]` = None) and those of
/// fraction `k`, and sets the title to `titles[k]`.
fn slider(fractions: &[f64], owner: &[Option<usize>], titles: &[String], active: usize) -> Slider {
    let steps: Vec<SliderStep> = (0..fractions.len())
        .map(|k| {
            let visible: Vec<bool> = owner.iter().map(|o| o.is_none_or(|j| j == k)).collect();
            SliderStep::new()
                .label(format!("{}", fractions[k]))
                .method(SliderMethod::Update)
                .args(json!([{ "visible": visible }, { "title.text": titles[k] }]))
        })
        .collect();
    Slider::new()
        .active(active as i32)
        .steps(steps)
        .current_value(
            SliderCurrentValue::new()
                .prefix("γ / γ_max = ")
                .visible(true)
                .x_anchor(SliderCurrentValueXAnchor::Left)
                .font(Font::new().size(14)),
        )
        .pad(plotly::common::Pad::new(70, 0, 10))
        .length(1.0)
        .x(0.0)
        .y(0.0)
}

impl Experiment for Explorer {
    experiment_items!(
        "explorer",
        "Interactive: a stepsize slider showing GD's and SGD's per-coordinate gain and recovered β against β*"
    );

    fn quick() -> Config {
        Config {
            datasets: 2,
            fractions: vec![0.01, 0.1, 0.5, 0.9],
            max_epochs: 50_000,
            rel_tol: 0.03,
            ..Config::default()
        }
    }

    fn run(cfg: &Config) -> Result<Output> {
        let indices: Vec<usize> = (0..cfg.datasets).collect();
        let setups: Vec<Setup> =
            sweep::par_map(&indices, |&i| Setup::new(cfg, i)).into_iter().collect::<Result<_>>()?;
        let jobs: Vec<(usize, f64)> =
            (0..cfg.datasets).flat_map(|i| cfg.fractions.iter().map(move |&f| (i, f))).collect();
        // The fits come back in `jobs` order: dataset by dataset, each in fraction order.
        let mut fits = sweep::par_map(&jobs, |&(i, f)| setups[i].fit(f)).into_iter();
        let mut datasets = Vec::with_capacity(cfg.datasets);
        for (i, setup) in setups.iter().enumerate() {
            let mut estimates = vec![setup.gradient_flow()?];
            for fit in fits.by_ref().take(cfg.fractions.len()) {
                estimates.extend(fit?);
            }
            datasets.push(DatasetFit { dataset: i, beta_star: setup.problem.beta_star.to_vec(), estimates });
        }
        Ok(Output { datasets })
    }

    /// Tidy frame, one row per (dataset, estimate, coordinate): [`ep::frame`].
    fn frame(out: &Output) -> Result<DataFrame> {
        ep::frame(&out.datasets)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let shown = out.shown();
        let (coord, star, support) = ep::truth(&shown.beta_star);
        let runs = runs(shown);
        let mut fractions: Vec<f64> = runs.iter().filter_map(|e| e.fraction).collect();
        fractions.dedup();
        let active = initial_step(&fractions);
        let mut plot = Plot::new();
        plot.add_trace(truth_trace(&coord, &star, "x", "y"));
        if let Some(gf) = gradient_flow(shown) {
            plot.add_trace(beta_trace(gf, "x", "y", true));
        }
        // Per fraction: β (GD, SGD) then Gain (GD, SGD); `owner[t]` = the fraction index of trace t.
        let mut owner: Vec<Option<usize>> = vec![None; 1 + usize::from(gradient_flow(shown).is_some())];
        for (k, f) in fractions.iter().enumerate() {
            let group: Vec<&Estimate> = runs.iter().copied().filter(|e| e.fraction == Some(*f)).collect();
            for v in &group {
                plot.add_trace(beta_trace(v, "x", "y", k == active));
                owner.push(Some(k));
            }
            for v in &group {
                plot.add_trace(gain_trace(v, "x2", "y2", k == active));
                owner.push(Some(k));
            }
        }
        let titles: Vec<String> = fractions.iter().map(|&f| title(cfg, &runs, f)).collect();
        let mut shapes = support_shapes(&coord, &support, "x", "y");
        shapes.extend(support_shapes(&coord, &support, "x2", "y2"));
        let layout = two_row_layout(&titles[active], coord.len())
            .shapes(shapes)
            .sliders(vec![slider(&fractions, &owner, &titles, active)])
            .height(900)
            .margin(plotly::layout::Margin::new().bottom(150));
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, &cfg.fractions))
    }
}

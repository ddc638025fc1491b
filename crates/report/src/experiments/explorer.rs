//! An interactive explorer: one figure with a slider over the stepsize γ = fraction · γ_max that shows,
//! for GD and SGD, the per-coordinate Gain_γ(i) and the recovered β against β*.
//!
//! Same dataset, methods and γ_max as [`super::estimated_parameters`] (whose helpers it reuses), but
//! swept over a grid of fractions of each method's own γ_max. Every slider position is precomputed:
//! the figure holds one group of traces per fraction and the slider's steps toggle their visibility
//! (plotly `update`: `visible` + title), so it works offline in any browser, with no server.
//! Reading it left to right is Theorem 2 in motion: at small γ both gains are ≈ 0 and both methods
//! sit on gradient flow's β*_α; as γ grows GD's gain grows unevenly across coordinates (largest where
//! the early gradients hit hardest) and its β drifts away, while SGD's gain grows evenly and its β
//! sharpens onto β*. Book: chapter "Explorer".

use anyhow::{Result, ensure};
use plotly::Plot;
use plotly::common::Font;
use plotly::layout::{Slider, SliderCurrentValue, SliderCurrentValueXAnchor, SliderMethod, SliderStep};
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Experiment;
use super::common::coefficient_of_variation;
use super::estimated_parameters::{
    self as ep, Setup, beta_trace, frame, gain_trace, support_shapes, truth, truth_trace, two_row_layout, views,
};
use crate::sweep;

/// The experiment.
pub struct Explorer;

/// Parameters; `Default` is the paper's setting.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* |
/// | `alpha` | 0.1 | uniform initialisation scale α |
/// | `batch` | 1 | SGD's batch size b (GD uses b = n) |
/// | `fractions` | 0.02 … 0.95 (12) | slider positions γ/γ_max (each method its own γ_max) |
/// | `max_epochs`, `tol`, `rel_tol` | 100 000, 1e-12, 0.01 | budget, loss tolerance, bisection precision |
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
    /// Slider positions γ / γ_max, increasing, in (0, 1].
    pub fractions: Vec<f64>,
    /// Budget of every run, in epochs.
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
            fractions: vec![0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95],
            max_epochs: 100_000,
            tol: 1e-12,
            rel_tol: 0.01,
            seed: 0,
        }
    }
}

impl Config {
    /// The estimated-parameters configuration this explorer slides (its `fraction` is unused).
    fn base(&self) -> ep::Config {
        ep::Config {
            n: self.n,
            d: self.d,
            s: self.s,
            alpha: self.alpha,
            batch: self.batch,
            fraction: 1.0,
            max_epochs: self.max_epochs,
            tol: self.tol,
            rel_tol: self.rel_tol,
            seed: self.seed,
        }
    }

    fn validate(&self) -> Result<()> {
        ensure!(!self.fractions.is_empty(), "fractions must not be empty");
        ensure!(
            self.fractions.iter().all(|f| f.is_finite() && *f > 0.0 && *f <= 1.0),
            "fractions must lie in (0, 1], got {:?}",
            self.fractions
        );
        ensure!(self.fractions.windows(2).all(|w| w[0] < w[1]), "fractions must be strictly increasing");
        self.base().validate()
    }
}

/// The slider position shown first: the largest fraction ≤ 0.9 (a macroscopic stepsize).
fn initial_step(fractions: &[f64]) -> usize {
    fractions.iter().rposition(|&f| f <= 0.9).unwrap_or(0)
}

impl Experiment for Explorer {
    const NAME: &'static str = "explorer";
    const ABOUT: &'static str =
        "Interactive: a stepsize slider showing GD's and SGD's per-coordinate gain and recovered β against β*";
    type Config = Config;
    type Output = DataFrame;
    type Summary = serde_json::Value;

    fn frame(out: &DataFrame) -> Result<DataFrame> {
        Ok(out.clone())
    }

    fn quick() -> Config {
        Config { fractions: vec![0.01, 0.1, 0.5, 0.9], max_epochs: 50_000, rel_tol: 0.03, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<DataFrame> {
        cfg.validate()?;
        let setup = Setup::new(&cfg.base())?;
        let mut estimates = vec![setup.gradient_flow()?];
        for fits in sweep::par_map(&cfg.fractions, |&f| setup.fit(f)) {
            estimates.extend(fits?);
        }
        frame(&setup.problem, &estimates)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let (coord, star, support) = truth(df)?;
        let views = views(df)?;
        let gf = views.iter().find(|v| v.method == "GF");
        let runs: Vec<_> = views.iter().filter(|v| v.method != "GF").collect();
        let fractions: Vec<f64> = {
            let mut f: Vec<f64> = runs.iter().filter_map(|v| v.fraction).collect();
            f.dedup();
            f
        };
        let active = initial_step(&fractions);
        let mut plot = Plot::new();
        plot.add_trace(truth_trace(&coord, &star, "x", "y"));
        let fixed = 1 + usize::from(gf.is_some());
        if let Some(gf) = gf {
            plot.add_trace(beta_trace(gf, "x", "y", true));
        }
        // Per fraction: β (GD, SGD) then Gain (GD, SGD); `owner[t]` = the fraction index of trace t.
        let mut owner: Vec<Option<usize>> = vec![None; fixed];
        for (k, f) in fractions.iter().enumerate() {
            let group: Vec<_> = runs.iter().filter(|v| v.fraction == Some(*f)).collect();
            for v in &group {
                plot.add_trace(beta_trace(v, "x", "y", k == active));
                owner.push(Some(k));
            }
            for v in &group {
                plot.add_trace(gain_trace(v, "x2", "y2", k == active));
                owner.push(Some(k));
            }
        }
        let title = |k: usize| {
            let gammas: Vec<String> = runs
                .iter()
                .filter(|v| v.fraction == Some(fractions[k]))
                .map(|v| format!("γ<sub>{}</sub> = {:.3}", v.method, v.gamma.unwrap_or(f64::NAN)))
                .collect();
            format!(
                "Stepsize explorer: γ = {}·γ<sub>max</sub> ({})<br><sup>(n, d, s, α) = ({}, {}, {}, {}), SGD batch b = {}; drag the slider: GD's gain grows unevenly across coordinates, SGD's evenly</sup>",
                fractions[k],
                gammas.join(", "),
                cfg.n,
                cfg.d,
                cfg.s,
                cfg.alpha,
                cfg.batch
            )
        };
        let steps: Vec<SliderStep> = (0..fractions.len())
            .map(|k| {
                let visible: Vec<bool> = owner.iter().map(|o| o.is_none_or(|j| j == k)).collect();
                SliderStep::new()
                    .label(format!("{}", fractions[k]))
                    .method(SliderMethod::Update)
                    .args(json!([{ "visible": visible }, { "title.text": title(k) }]))
            })
            .collect();
        let slider = Slider::new()
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
            .y(0.0);
        let mut shapes = support_shapes(&coord, &support, "x", "y");
        shapes.extend(support_shapes(&coord, &support, "x2", "y2"));
        let layout = two_row_layout(&title(active), coord.len())
            .shapes(shapes)
            .sliders(vec![slider])
            .height(900)
            .margin(plotly::layout::Margin::new().bottom(150));
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        let views = views(df)?;
        let mut rows = Vec::new();
        let runs: Vec<_> = views.iter().filter(|v| v.method != "GF").collect();
        for v in &runs {
            let gain: Option<Vec<f64>> = v.gain.iter().copied().collect();
            rows.push(json!({
                "method": v.method,
                "fraction": v.fraction,
                "status": v.status,
                "test_risk": v.test_risk,
                "gain_l1": gain.as_ref().map(|g| g.iter().map(|x| x.abs()).sum::<f64>()),
                "gain_cv": gain.as_ref().map(|g| coefficient_of_variation(g)),
            }));
        }
        let risk = |m: &str, first: bool| {
            let mut it = runs.iter().filter(|v| v.method == m);
            let v = if first { it.next() } else { it.next_back() };
            v.and_then(|v| v.test_risk)
        };
        let gf = views.iter().find(|v| v.method == "GF").and_then(|v| v.test_risk);
        Ok(json!({
            "gf_test_risk": gf,
            "runs": rows,
            "sgd_risk_falls_with_gamma": matches!((risk("SGD", true), risk("SGD", false)), (Some(a), Some(b)) if b < a),
            "gd_risk_rises_with_gamma": matches!((risk("GD", true), risk("GD", false)), (Some(a), Some(b)) if b > a),
        }))
    }
}

impl super::Validate for Config {
    fn validate(&self) -> Result<()> {
        Config::validate(self)
    }
}

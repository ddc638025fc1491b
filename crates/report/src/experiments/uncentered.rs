//! Uncentered data (beyond the slides, from the paper): x ~ N(μ·1, I) instead of N(0, I).
//!
//! With centered data GD's early gradients ≈ −Xᵀy/n ≈ −β* hit the support of β*, so its gain (and the
//! shrinking of α∞) concentrates there: large stepsizes make GD *worse*. With a mean μ·1 the gradients
//! gain a common component ≈ −μ²(1ᵀβ*)·1 shared by every coordinate: GD's gain becomes (nearly)
//! homogeneous, like SGD's, and large stepsizes now help GD too. This experiment shows it side by side:
//! the same datasets (the uncentered design is the centered one shifted by μ·1, same β*, same seeds),
//! test risk (population risk ½‖β − β*‖² + ½(μ·(β − β*))²) relative to gradient flow's (Theorem 1,
//! the γ → 0 limit) vs γ/γ_max, median and interquartile band over datasets; and the gain profile
//! Gain_γ(i)/mean_j Gain_γ(j) at the largest stepsize.
//!
//! Caveat (measured, see the summary): the common component is proportional to 1ᵀβ*, so a dataset
//! whose β* sums to ≈ 0 keeps GD's heterogeneous gain and sees no benefit. Book: chapter "Uncentered data".

use anyhow::{Context, Result, ensure};
use dln::{BregmanSolver, DataConfig, Problem, Status, uniform_alpha};
use plotly::Plot;
use plotly::layout::{Annotation, GridPattern, LayoutGrid};
use polars::prelude::{DataFrame, df};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Experiment;
use super::common::{
    self, Method, Quartiles, band_traces, coefficient_of_variation, f64_col, finite, gamma_max_of, hline, quartiles,
    run_at, str_col, template, u64_col,
};
use crate::{style, sweep};

/// The experiment.
pub struct Uncentered;

/// Parameters; `Default` is the paper's setting with a mean.
///
/// | Name | Default | Purpose |
/// |---|---|---|
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* |
/// | `alpha` | 0.1 | uniform initialisation scale α |
/// | `mean` | 2 | μ: x ~ N(μ·1, I) for the uncentered case (the centered case uses 0) |
/// | `batch` | 1 | SGD's batch size (GD uses b = n) |
/// | `fractions` | 0.1, 0.3, …, 0.9 | stepsizes γ = fraction · γ_max (per method, case and dataset) |
/// | `datasets` | 4 | datasets, with seeds `seed`, `seed + 1`, … |
/// | `max_epochs` | 100 000 | budget of every run (bisection included), in epochs |
/// | `tol` | 1e-10 | training-loss tolerance |
/// | `rel_tol` | 0.05 | relative precision of the γ_max bisection |
/// | `seed` | 0 | first data seed |
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
    /// Mean μ of every coordinate of x in the uncentered case.
    pub mean: f64,
    /// SGD's batch size.
    pub batch: usize,
    /// Stepsizes as fractions of γ_max, increasing.
    pub fractions: Vec<f64>,
    /// Number of datasets.
    pub datasets: u64,
    /// Budget of every run, in epochs.
    pub max_epochs: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Relative precision of the γ_max bisection.
    pub rel_tol: f64,
    /// First data seed.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            n: 20,
            d: 30,
            s: 3,
            alpha: 0.1,
            mean: 2.0,
            batch: 1,
            fractions: vec![0.1, 0.3, 0.5, 0.7, 0.9],
            datasets: 4,
            max_epochs: 100_000,
            tol: 1e-10,
            rel_tol: 0.05,
            seed: 0,
        }
    }
}

impl Config {
    fn validate(&self) -> Result<()> {
        ensure!(self.alpha.is_finite() && self.alpha > 0.0, "alpha must be finite and > 0, got {}", self.alpha);
        ensure!(self.mean.is_finite() && self.mean != 0.0, "mean must be finite and non-zero, got {}", self.mean);
        ensure!(
            self.batch >= 1 && self.batch < self.n,
            "batch must satisfy 1 ≤ b < n = {} for SGD, got {}",
            self.n,
            self.batch
        );
        ensure!(self.fractions.len() >= 2, "fractions needs at least two stepsizes");
        ensure!(
            self.fractions.iter().all(|f| f.is_finite() && *f > 0.0 && *f <= 1.0),
            "fractions must lie in (0, 1], got {:?}",
            self.fractions
        );
        ensure!(self.fractions.windows(2).all(|w| w[0] < w[1]), "fractions must be strictly increasing");
        ensure!(self.datasets >= 1, "datasets must be at least 1");
        ensure!(self.max_epochs >= 1, "max_epochs must be at least 1");
        ensure!(self.tol.is_finite() && self.tol > 0.0, "tol must be finite and > 0, got {}", self.tol);
        ensure!(self.rel_tol.is_finite() && self.rel_tol > 0.0, "rel_tol must be finite and > 0, got {}", self.rel_tol);
        Ok(())
    }
}

/// The two cases, in the figure's order (column 1, column 2).
const CASES: [&str; 2] = ["centered", "uncentered"];

/// One (case, dataset, method) job: its γ_max and the runs at every fraction.
struct Job {
    case: usize,
    dataset: u64,
    method: Method,
}

/// One run, per coordinate gains included.
struct Row {
    case: &'static str,
    mean: f64,
    dataset: u64,
    method: &'static str,
    batch: u64,
    fraction: f64,
    gamma_max: f64,
    gamma: f64,
    status: Status,
    steps: u64,
    test_risk: Option<f64>,
    gf_test_risk: f64,
    gain: Vec<Option<f64>>,
}

// ANCHOR: problem
fn problem(cfg: &Config, case: usize, dataset: u64) -> Result<Problem> {
    let mean = if case == 0 { 0.0 } else { cfg.mean };
    Ok(DataConfig { n: cfg.n, d: cfg.d, s: cfg.s, mean, seed: cfg.seed + dataset, ..DataConfig::default() }
        .generate()?)
}
// ANCHOR_END: problem

fn run_job(cfg: &Config, job: &Job) -> Result<Vec<Row>> {
    let p = problem(cfg, job.case, job.dataset)?;
    let alpha = uniform_alpha(cfg.alpha, cfg.d);
    let gf = BregmanSolver::default().theorem1(p.x.view(), p.y.view(), alpha.view())?;
    let gf_risk = p.test_risk(gf.beta.view());
    let batch = match job.method {
        Method::Gd => cfg.n,
        Method::Sgd => cfg.batch,
    };
    let t = template(cfg.n, batch, cfg.max_epochs, cfg.tol, common::derived_seed(cfg.seed + job.dataset, 3));
    let gamma_max = gamma_max_of(&p, alpha.view(), &t, cfg.rel_tol).with_context(|| {
        format!("γ_max of {} on the {} dataset {}", job.method.as_str(), CASES[job.case], job.dataset)
    })?;
    cfg.fractions
        .iter()
        .map(|&fraction| {
            let gamma = fraction * gamma_max;
            let run = run_at(&p, alpha.view(), &t, gamma)?;
            let ok = run.status != Status::Diverged && run.effective.is_finite();
            Ok(Row {
                case: CASES[job.case],
                mean: p.mu[0],
                dataset: job.dataset,
                method: job.method.as_str(),
                batch: batch as u64,
                fraction,
                gamma_max,
                gamma,
                status: run.status,
                steps: run.steps,
                test_risk: if ok { finite(p.test_risk(run.beta.view())) } else { None },
                gf_test_risk: gf_risk,
                gain: run.effective.gain.iter().map(|&g| if ok { finite(g) } else { None }).collect(),
            })
        })
        .collect()
}

/// The frame read back (one entry per run: the first row of each run's d coordinates).
struct Runs {
    case: Vec<String>,
    dataset: Vec<u64>,
    method: Vec<String>,
    fraction: Vec<f64>,
    gamma_max: Vec<f64>,
    status: Vec<String>,
    ratio: Vec<Option<f64>>,
    /// Per run: the gain profile (None if diverged).
    gain: Vec<Option<Vec<f64>>>,
}

impl Runs {
    fn read(df: &DataFrame) -> Result<Self> {
        let coord = u64_col(df, "coordinate")?;
        let (case, dataset, method) = (str_col(df, "case")?, u64_col(df, "dataset")?, str_col(df, "method")?);
        let (fraction, gamma_max, status) =
            (f64_col(df, "fraction")?, f64_col(df, "gamma_max")?, str_col(df, "status")?);
        let (risk, gf) = (f64_col(df, "test_risk")?, f64_col(df, "gf_test_risk")?);
        let gain = f64_col(df, "gain")?;
        let mut r = Runs {
            case: vec![],
            dataset: vec![],
            method: vec![],
            fraction: vec![],
            gamma_max: vec![],
            status: vec![],
            ratio: vec![],
            gain: vec![],
        };
        let mut current: Vec<Option<f64>> = Vec::new();
        for i in 0..coord.len() {
            if coord[i] == 1 {
                if i > 0 {
                    r.gain.push(current.drain(..).collect());
                }
                r.case.push(case[i].clone());
                r.dataset.push(dataset[i]);
                r.method.push(method[i].clone());
                r.fraction.push(fraction[i].context("null fraction")?);
                r.gamma_max.push(gamma_max[i].context("null γ_max")?);
                r.status.push(status[i].clone());
                r.ratio.push(match (risk[i], gf[i]) {
                    (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                    _ => None,
                });
            }
            current.push(gain[i]);
        }
        if !coord.is_empty() {
            r.gain.push(current.drain(..).collect());
        }
        Ok(r)
    }

    fn select(&self, case: &str, method: &str, fraction: f64) -> Vec<usize> {
        (0..self.case.len())
            .filter(|&i| self.case[i] == case && self.method[i] == method && self.fraction[i] == fraction)
            .collect()
    }

    /// Quartiles over datasets of the risk ratio at each fraction.
    fn ratio_stats(&self, case: &str, method: &str, fractions: &[f64]) -> Vec<Quartiles> {
        fractions
            .iter()
            .map(|&f| {
                quartiles(&self.select(case, method, f).iter().filter_map(|&i| self.ratio[i]).collect::<Vec<_>>())
            })
            .collect()
    }

    /// Per coordinate, the median over datasets of Gain(i) / mean_j Gain(j) at `fraction`.
    fn gain_profile(&self, case: &str, method: &str, fraction: f64) -> Vec<Quartiles> {
        let profiles: Vec<Vec<f64>> = self
            .select(case, method, fraction)
            .iter()
            .filter_map(|&i| self.gain[i].as_ref())
            .map(|g| {
                let m = g.iter().sum::<f64>() / g.len() as f64;
                g.iter().map(|v| v / m).collect()
            })
            .collect();
        let d = profiles.first().map_or(0, |p| p.len());
        (0..d).map(|j| quartiles(&profiles.iter().map(|p| p[j]).collect::<Vec<_>>())).collect()
    }

    /// Median over datasets of the gain's coefficient of variation at `fraction`.
    fn gain_cv(&self, case: &str, method: &str, fraction: f64) -> f64 {
        let cvs: Vec<f64> = self
            .select(case, method, fraction)
            .iter()
            .filter_map(|&i| self.gain[i].as_ref())
            .map(|g| coefficient_of_variation(g))
            .collect();
        quartiles(&cvs).median
    }
}

impl Experiment for Uncentered {
    const NAME: &'static str = "uncentered";
    const ABOUT: &'static str = "Uncentered data x ~ N(μ1, I): GD's gain becomes homogeneous and large stepsizes help GD too (side by side with centered data)";
    type Config = Config;
    type Output = DataFrame;
    type Summary = serde_json::Value;

    fn frame(out: &DataFrame) -> Result<DataFrame> {
        Ok(out.clone())
    }

    fn quick() -> Config {
        Config { fractions: vec![0.1, 0.5, 0.9], datasets: 2, ..Config::default() }
    }

    fn run(cfg: &Config) -> Result<DataFrame> {
        cfg.validate()?;
        let jobs: Vec<Job> = (0..CASES.len())
            .flat_map(|case| {
                (0..cfg.datasets).flat_map(move |dataset| Method::BOTH.map(|method| Job { case, dataset, method }))
            })
            .collect();
        let runs: Vec<Row> = sweep::par_map(&jobs, |job| run_job(cfg, job))
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let d = cfg.d;
        let case: Vec<&str> = runs.iter().flat_map(|r| std::iter::repeat_n(r.case, d)).collect();
        let method: Vec<&str> = runs.iter().flat_map(|r| std::iter::repeat_n(r.method, d)).collect();
        let status: Vec<&str> = runs.iter().flat_map(|r| std::iter::repeat_n(r.status.as_str(), d)).collect();
        let num = |f: fn(&Row) -> f64| -> Vec<f64> { runs.iter().flat_map(|r| std::iter::repeat_n(f(r), d)).collect() };
        let int = |f: fn(&Row) -> u64| -> Vec<u64> { runs.iter().flat_map(|r| std::iter::repeat_n(f(r), d)).collect() };
        let risk: Vec<Option<f64>> = runs.iter().flat_map(|r| std::iter::repeat_n(r.test_risk, d)).collect();
        let coordinate: Vec<u64> = runs.iter().flat_map(|_| 1..=d as u64).collect();
        let on_support: Vec<bool> = runs.iter().flat_map(|_| (0..d).map(|j| j < cfg.s)).collect();
        let gain: Vec<Option<f64>> = runs.iter().flat_map(|r| r.gain.iter().copied()).collect();
        Ok(df!(
            "case" => case,
            "mean" => num(|r| r.mean),
            "dataset" => int(|r| r.dataset),
            "method" => method,
            "batch" => int(|r| r.batch),
            "fraction" => num(|r| r.fraction),
            "gamma_max" => num(|r| r.gamma_max),
            "gamma" => num(|r| r.gamma),
            "status" => status,
            "steps" => int(|r| r.steps),
            "test_risk" => risk,
            "gf_test_risk" => num(|r| r.gf_test_risk),
            "coordinate" => coordinate,
            "on_support" => on_support,
            "gain" => gain,
        )?)
    }

    fn plot(df: &DataFrame, cfg: &Config) -> Result<Plot> {
        let runs = Runs::read(df)?;
        let last = *cfg.fractions.last().context("no fractions")?;
        let mut plot = Plot::new();
        let coords: Vec<f64> = (1..=cfg.d).map(|j| j as f64).collect();
        let mut shapes = Vec::new();
        for (c, case) in CASES.iter().enumerate() {
            let (xr, yr) = (if c == 0 { "x" } else { "x2" }, if c == 0 { "y" } else { "y2" });
            let (xg, yg) = (if c == 0 { "x3" } else { "x4" }, if c == 0 { "y3" } else { "y4" });
            for m in Method::BOTH {
                let stats = runs.ratio_stats(case, m.as_str(), &cfg.fractions);
                plot.add_traces(band_traces(
                    m.as_str(),
                    m.color(),
                    &cfg.fractions,
                    &stats,
                    xr,
                    yr,
                    c == 0,
                    "γ/γ<sub>max</sub> = %{x}<br>risk / risk(GF) = %{y:.3g}",
                ));
                let profile = runs.gain_profile(case, m.as_str(), last);
                plot.add_traces(band_traces(
                    m.as_str(),
                    m.color(),
                    &coords,
                    &profile,
                    xg,
                    yg,
                    false,
                    "coordinate %{x}<br>Gain(i) / mean Gain = %{y:.3g}",
                ));
            }
            shapes.push(hline(1.0, xr, yr, style::FLOW));
            shapes.push(hline(1.0, xg, yg, style::FLOW));
            for j in 0..cfg.s.min(cfg.d) {
                shapes.push(
                    plotly::layout::Shape::new()
                        .shape_type(plotly::layout::ShapeType::Rect)
                        .x_ref(xg)
                        .y_ref(format!("{yg} domain"))
                        .x0(j as f64 + 0.5)
                        .x1(j as f64 + 1.5)
                        .y0(0.0)
                        .y1(1.0)
                        .fill_color(style::band(style::TRUTH))
                        .line(plotly::layout::ShapeLine::new().width(0.0))
                        .layer(plotly::layout::ShapeLayer::Below),
                );
            }
        }
        let cols = [[0.0, 0.45], [0.55, 1.0]];
        let rows = [[0.6, 1.0], [0.0, 0.36]];
        let coord_range = vec![0.5, cfg.d as f64 + 0.5];
        let risk_axis =
            |title: &str| style::log_axis(title).exponent_format(plotly::common::ExponentFormat::Power).dtick(1.0);
        let layout = style::layout(&format!(
            "Uncentered data: large stepsizes help GD too<br><sup>(n, d, s, α) = ({}, {}, {}, {}), SGD batch {}; median and interquartile band over {} datasets; the uncentered design is the centered one shifted by μ·1</sup>",
            cfg.n, cfg.d, cfg.s, cfg.alpha, cfg.batch, cfg.datasets
        ))
        .grid(LayoutGrid::new().rows(2).columns(2).pattern(GridPattern::Independent))
        .height(920)
        .x_axis(style::axis("γ / γ<sub>max</sub>").domain(&cols[0]).anchor("y"))
        .y_axis(risk_axis("test risk / gradient flow's").domain(&rows[0]).anchor("x"))
        .x_axis2(style::axis("γ / γ<sub>max</sub>").domain(&cols[1]).anchor("y2"))
        .y_axis2(risk_axis("").domain(&rows[0]).anchor("x2").matches("y"))
        .x_axis3(style::axis("coordinate i (shaded: support of β*)").domain(&cols[0]).anchor("y3").range(coord_range.clone()).dtick(1.0))
        .y_axis3(style::axis(&format!("Gain(i) / mean Gain at γ = {last}·γ<sub>max</sub>")).domain(&rows[1]).anchor("x3"))
        .x_axis4(style::axis("coordinate i (shaded: support of β*)").domain(&cols[1]).anchor("y4").range(coord_range).dtick(1.0))
        .y_axis4(style::axis("").domain(&rows[1]).anchor("x4").matches("y3"))
        .shapes(shapes)
        .annotations(vec![
            common::centered_panel_title("centered: x ~ N(0, I)", 0.225, 1.0),
            common::centered_panel_title(&format!("uncentered: x ~ N({}·1, I)", cfg.mean), 0.775, 1.0),
            common::centered_panel_title("gain profile, centered", 0.225, 0.37),
            common::centered_panel_title("gain profile, uncentered", 0.775, 0.37),
        ] as Vec<Annotation>);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(df: &DataFrame, cfg: &Config) -> Result<serde_json::Value> {
        let runs = Runs::read(df)?;
        let (first, last) = (cfg.fractions[0], *cfg.fractions.last().context("no fractions")?);
        let mut out = serde_json::Map::new();
        for case in CASES {
            let mut per = serde_json::Map::new();
            for m in Method::BOTH {
                let m = m.as_str();
                let lo = runs.select(case, m, first);
                let hi = runs.select(case, m, last);
                // Datasets whose risk at the largest stepsize is below that at the smallest.
                let helped = lo
                    .iter()
                    .zip(&hi)
                    .filter(|(a, b)| matches!((runs.ratio[**a], runs.ratio[**b]), (Some(x), Some(y)) if y < x))
                    .count();
                let stats = runs.ratio_stats(case, m, &[first, last]);
                let gm: Vec<f64> = lo.iter().map(|&i| runs.gamma_max[i]).collect();
                let diverged = (0..runs.case.len())
                    .filter(|&i| runs.case[i] == case && runs.method[i] == m && runs.status[i] == "diverged")
                    .count();
                per.insert(
                    m.to_string(),
                    json!({
                        "median_gamma_max": quartiles(&gm).median,
                        "median_risk_ratio_smallest_gamma": stats[0].median,
                        "median_risk_ratio_largest_gamma": stats[1].median,
                        "datasets_helped_by_large_gamma": helped,
                        "median_gain_cv_largest_gamma": runs.gain_cv(case, m, last),
                        "diverged_runs": diverged,
                    }),
                );
            }
            out.insert(case.to_string(), serde_json::Value::Object(per));
        }
        let med = |case: &str, m: &str, f: f64| runs.ratio_stats(case, m, &[f])[0].median;
        let gd_helps = |case: &str| med(case, "GD", last) < med(case, "GD", first);
        out.insert("datasets".into(), json!(cfg.datasets));
        out.insert("mean".into(), json!(cfg.mean));
        out.insert("gd_large_gamma_helps_centered".into(), json!(gd_helps("centered")));
        out.insert("gd_large_gamma_helps_uncentered".into(), json!(gd_helps("uncentered")));
        out.insert(
            "gd_gain_more_homogeneous_uncentered".into(),
            json!(runs.gain_cv("uncentered", "GD", last) < runs.gain_cv("centered", "GD", last)),
        );
        Ok(serde_json::Value::Object(out))
    }
}

impl super::Validate for Config {
    fn validate(&self) -> Result<()> {
        Config::validate(self)
    }
}

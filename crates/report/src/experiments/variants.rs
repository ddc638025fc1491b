//! The views shared by the experiments that vary one parameter of the setting across cells
//! (`anisotropy`: σ_support/σ_rest; `label_noise`: the noise std): per (value, method, fraction),
//! quartiles over datasets of the test risk relative to gradient flow's and medians of the gain's
//! on/off-support ratio and ‖Gain‖₁; a figure with one panel per value (risk relative to gradient
//! flow's against γ/γ_max, GD and SGD). The runs are [`super::fraction_runs`]'s.

use anyhow::{Result, ensure};
use plotly::Plot;
use plotly::layout::Axis;
use serde::Serialize;

use super::common::{Method, Quartiles};
use super::fraction_runs::{self, Count, Row, RunsConfig, Totals, quartiles_over};
use super::plotting::{MAX_PANELS, band_traces, centered_panel_title, hline, panel_axes, panel_axis_names};
use super::stepsize_sweep::r4;
use super::{Setting, Validate};
use crate::style;

/// What the shared code needs of a one-parameter experiment's configuration.
pub struct Varied<'a> {
    /// The key of the values in the configuration (for error messages).
    pub key: &'static str,
    /// The values, one cell each.
    pub values: &'a [f64],
    /// The base setting.
    pub setting: &'a Setting,
    /// SGD's batch size.
    pub batch: usize,
    /// The runs.
    pub runs: &'a RunsConfig,
}

impl Varied<'_> {
    /// Checks the base setting, the values (2 to [`MAX_PANELS`], finite, strictly increasing, each
    /// > 0 or, if `zero_allowed`, ≥ 0), the batch size, each cell's setting (`settings`) and the runs.
    pub fn validate(&self, settings: &[Setting], zero_allowed: bool) -> Result<()> {
        let key = self.key;
        self.setting.validate()?;
        let k = self.values.len();
        ensure!((2..=MAX_PANELS).contains(&k), "{key} needs 2 to {MAX_PANELS} values (one panel each), got {k}");
        let ok = |v: f64| v.is_finite() && (v > 0.0 || (zero_allowed && v == 0.0));
        if let Some(v) = self.values.iter().find(|v| !ok(**v)) {
            let range = if zero_allowed { "≥ 0" } else { "> 0" };
            anyhow::bail!("{key} must be finite and {range} (got {v})");
        }
        ensure!(self.values.windows(2).all(|w| w[0] < w[1]), "{key} must be strictly increasing");
        let n = self.setting.n;
        ensure!(self.batch >= 1 && self.batch < n, "batch must satisfy 1 ≤ b < n = {n} for SGD (got {})", self.batch);
        for cell in settings {
            cell.validate().map_err(|e| anyhow::anyhow!("{key}: {e:#}"))?;
        }
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))
    }

    /// GD and SGD (b = `batch`) on every cell (`settings`, one per value).
    pub fn run(&self, settings: &[Setting]) -> Result<Output> {
        let arms = fraction_runs::gd_and_sgd(self.setting, self.batch);
        let runs = fraction_runs::compute(settings, &arms, self.runs)?;
        Ok(Output { values: self.values.to_vec(), fractions: self.runs.fractions.clone(), runs })
    }
}

/// The runs of a `quick()` configuration: 4 datasets, fractions 0.1 and 0.9, a smaller budget.
pub fn quick_runs() -> RunsConfig {
    RunsConfig { datasets: 4, fractions: vec![0.1, 0.9], max_epochs: 400_000, ..RunsConfig::default() }
}

/// Quartiles of `f` over the runs of (cell, method, fraction) that did not diverge (non-finite
/// values left out).
pub fn over_datasets(
    rows: &[Row],
    (cell, method, fraction): (usize, Method, f64),
    f: impl Fn(&Row) -> f64,
) -> Quartiles {
    quartiles_over(rows.iter().filter(|r| r.cell == cell && r.method == method && r.fraction == fraction), f)
}

/// One (value, method, fraction) of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Stat {
    /// The varied parameter's value.
    pub value: f64,
    /// GD or SGD.
    pub method: &'static str,
    /// γ/γ_max.
    pub fraction: f64,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs still moving when the step budget ran out.
    pub max_steps: usize,
    /// Median over datasets of the test risk over gradient flow's.
    pub risk_ratio: Option<f64>,
    /// Its first quartile.
    pub risk_ratio_q25: Option<f64>,
    /// Its third quartile.
    pub risk_ratio_q75: Option<f64>,
    /// Median of the gain's on/off-support ratio.
    pub gain_ratio: Option<f64>,
    /// Median of ‖Gain‖₁.
    pub gain_l1: Option<f64>,
}

/// The summary's table: values outer, then GD and SGD, then fractions.
pub fn stats(values: &[f64], fractions: &[f64], rows: &[Row]) -> Vec<Stat> {
    let mut out = Vec::new();
    for (cell, &value) in values.iter().enumerate() {
        for method in Method::BOTH {
            for &fraction in fractions {
                let key = (cell, method, fraction);
                let all = rows.iter().filter(|r| r.cell == cell && r.method == method && r.fraction == fraction);
                let risk = over_datasets(rows, key, Row::risk_ratio);
                out.push(Stat {
                    value,
                    method: method.as_str(),
                    fraction,
                    count: Count::of(all.clone()),
                    diverged: all.clone().filter(|r| r.status == dln::Status::Diverged).count(),
                    max_steps: all.filter(|r| r.status == dln::Status::MaxSteps).count(),
                    risk_ratio: r4(risk.median),
                    risk_ratio_q25: r4(risk.q25),
                    risk_ratio_q75: r4(risk.q75),
                    gain_ratio: r4(over_datasets(rows, key, Row::gain_ratio).median),
                    gain_l1: r4(over_datasets(rows, key, Row::gain_l1).median),
                });
            }
        }
    }
    out
}

/// The figure: one panel per value (`label(value)` its title), the test risk over gradient flow's
/// against γ/γ_max for GD and SGD (median and interquartile band over datasets), the line 1 where
/// (S)GD equals gradient flow; titled "`what`: test risk relative to gradient flow's".
pub fn figure(out: &Output, what: &str, datasets: usize, label: impl Fn(f64) -> String) -> Plot {
    let (values, fractions, rows) = (&out.values, &out.fractions, &out.runs.rows);
    let title = format!("{what}: test risk relative to gradient flow's — {datasets} datasets per point (median, IQR)");
    let title = title.as_str();
    let mut plot = Plot::new();
    let panels = values.len().max(1);
    let width = 1.0 / panels as f64;
    let mut layout = style::layout(title).height(520);
    let (mut shapes, mut annotations) = (Vec::new(), Vec::new());
    for (k, &value) in values.iter().enumerate() {
        let (xr, yr) = panel_axis_names(k);
        for method in Method::BOTH {
            let q: Vec<Quartiles> =
                fractions.iter().map(|&f| over_datasets(rows, (k, method, f), Row::risk_ratio)).collect();
            let hover = "γ/γ<sub>max</sub> = %{x}<br>risk / risk(GF) = %{y:.3g}";
            plot.add_traces(band_traces(method.as_str(), method.color(), fractions, &q, &xr, &yr, k == 0, hover));
        }
        shapes.push(hline(1.0, &xr, &yr, style::FLOW));
        let domain = [k as f64 * width + 0.02, (k + 1) as f64 * width - 0.02];
        annotations.push(centered_panel_title(&label(value), (domain[0] + domain[1]) / 2.0, 1.0));
        let x = style::axis("γ / γ<sub>max</sub>").domain(&domain).anchor(&yr);
        let y_title = if k == 0 { "test risk / gradient flow's" } else { "" };
        let y: Axis = style::log_axis(y_title).anchor(&xr);
        let y = if k == 0 { y } else { y.matches("y") };
        layout = panel_axes(layout, k, x, y);
    }
    plot.set_layout(layout.shapes(shapes).annotations(annotations));
    plot
}

/// The runs of a one-parameter experiment: the values and the runs (a row's `cell` indexes
/// `values`).
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The varied parameter's values, one cell each.
    pub values: Vec<f64>,
    /// The fractions of γ_max run.
    pub fractions: Vec<f64>,
    /// The runs.
    pub runs: super::fraction_runs::Output,
}

impl Output {
    /// Index of the cell of `value` (exact match), if any.
    pub fn cell_of(&self, value: f64) -> Option<usize> {
        self.values.iter().position(|v| *v == value)
    }

    /// The median over datasets of `f` for (value, method, fraction) (NaN without runs).
    pub fn median(&self, value: f64, method: Method, fraction: f64, f: impl Fn(&Row) -> f64) -> f64 {
        self.cell_of(value).map_or(f64::NAN, |c| over_datasets(&self.runs.rows, (c, method, fraction), f).median)
    }

    /// The smallest and the largest fraction.
    pub fn fraction_range(&self) -> (f64, f64) {
        (self.fractions.first().copied().unwrap_or(f64::NAN), self.fractions.last().copied().unwrap_or(f64::NAN))
    }

    /// The tidy frame: `value_name` (the cell's value), then [`super::fraction_runs::columns`].
    pub fn frame(&self, value_name: &str) -> anyhow::Result<polars::prelude::DataFrame> {
        let rows = &self.runs.rows;
        let mut columns = vec![super::fraction_runs::cell_column(value_name, rows, |c| self.values[c])];
        columns.extend(super::fraction_runs::columns(rows));
        Ok(polars::prelude::DataFrame::new_infer_height(columns)?)
    }
}

/// The summary of a one-parameter experiment.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per (value, method, fraction).
    pub table: Vec<Stat>,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of `out` with the experiment's `claims` after the two standard ones.
    pub fn of(out: &Output, claims: Vec<crate::claims::Claim>) -> Self {
        let rows = &out.runs.rows;
        let mut all: Vec<crate::claims::Claim> = super::fraction_runs::standard_claims(&out.runs).into();
        all.extend(claims);
        Summary { totals: Totals::of(&out.runs), table: stats(&out.values, &out.fractions, rows), claims: all }
    }
}

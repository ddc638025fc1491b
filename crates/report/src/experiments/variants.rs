//! The views shared by the experiments that vary one parameter of the setting across cells
//! (`anisotropy`: σ_support/σ_rest; `label_noise`: the noise std): per (value, method, fraction),
//! quartiles over datasets of the test risk relative to gradient flow's and medians of the gain's
//! on/off-support ratio and ‖Gain‖₁; a figure with one panel per value (risk relative to gradient
//! flow's against γ/γ_max, GD and SGD). The runs are [`super::fraction_runs`]'s.

use plotly::Plot;
use plotly::layout::Axis;
use serde::Serialize;

use super::common::{Method, Quartiles, quartiles};
use super::fraction_runs::Row;
use super::plotting::{band_traces, centered_panel_title, hline, panel_axes, panel_axis_names};
use super::stepsize_sweep::r4;
use crate::style;

/// The runs of (cell, method, fraction) that did not diverge.
pub fn kept(rows: &[Row], cell: usize, method: Method, fraction: f64) -> impl Iterator<Item = &Row> {
    rows.iter().filter(move |r| r.cell == cell && r.method == method && r.fraction == fraction && r.kept())
}

/// Quartiles of `f` over the runs of (cell, method, fraction) that did not diverge (non-finite
/// values left out).
pub fn over_datasets(
    rows: &[Row],
    (cell, method, fraction): (usize, Method, f64),
    f: impl Fn(&Row) -> f64,
) -> Quartiles {
    let values: Vec<f64> = kept(rows, cell, method, fraction).map(f).filter(|v| v.is_finite()).collect();
    quartiles(&values)
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
    /// Runs.
    pub runs: usize,
    /// Converged runs.
    pub converged: usize,
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
                    runs: all.clone().count(),
                    converged: all.clone().filter(|r| r.converged()).count(),
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
/// (S)GD equals gradient flow.
pub fn figure(values: &[f64], fractions: &[f64], rows: &[Row], label: impl Fn(f64) -> String, title: &str) -> Plot {
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
    /// Runs.
    pub runs: usize,
    /// Converged runs.
    pub converged_runs: usize,
    /// Per (value, method, fraction).
    pub table: Vec<Stat>,
    /// (cell, dataset, batch) without a convergent constant stepsize (no runs there).
    pub without_gamma_max: Vec<super::fraction_runs::WithoutGammaMax>,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of `out` with the experiment's `claims` after the two standard ones.
    pub fn of(out: &Output, claims: Vec<crate::claims::Claim>) -> Self {
        let rows = &out.runs.rows;
        let mut all: Vec<crate::claims::Claim> = super::fraction_runs::standard_claims(&out.runs).into();
        all.extend(claims);
        Summary {
            runs: rows.len(),
            converged_runs: rows.iter().filter(|r| r.converged()).count(),
            table: stats(&out.values, &out.fractions, rows),
            without_gamma_max: out.runs.without_gamma_max.clone(),
            claims: all,
        }
    }
}

//! The figure of `uncentered`: per case (centered, uncentered) a column with the risk ratio vs
//! γ/γ_max and the gain profile at the largest fraction, GD and SGD as median and interquartile bands.

use plotly::Plot;
use plotly::layout::{Annotation, GridPattern, Layout, LayoutGrid, Shape};

use super::{Case, Config, Series, group};
use crate::experiments::common::Method;
use crate::experiments::plotting::{band_traces, centered_panel_title, hline, log_axis_pow, support_shapes};
use crate::style;

/// One column of the figure: risk ratio vs γ/γ_max (top) and the gain profile at the largest
/// fraction (bottom), for GD and SGD; returns the panels' shapes (reference lines, support shading).
pub(super) fn case_panels(plot: &mut Plot, series: &[Series], cfg: &Config, c: usize) -> Vec<Shape> {
    let case = Case::BOTH[c];
    let index: Vec<u64> = (0..cfg.setting.d as u64).collect();
    let coords: Vec<f64> = index.iter().map(|&j| j as f64).collect();
    let [xr, yr, xg, yg] = if c == 0 { ["x", "y", "x3", "y3"] } else { ["x2", "y2", "x4", "y4"] };
    for m in Method::BOTH {
        let g = group(series, case, m, cfg.fractions.len());
        let hover = "γ/γ<sub>max</sub> = %{x}<br>risk / risk(GF) = %{y:.3g}";
        plot.add_traces(band_traces(m.as_str(), m.color(), &cfg.fractions, &g.ratio, xr, yr, c == 0, hover));
        let hover = "coordinate %{x}<br>Gain(i) / mean Gain = %{y:.3g}";
        plot.add_traces(band_traces(m.as_str(), m.color(), &coords, &g.profile, xg, yg, false, hover));
    }
    let support = series.iter().find_map(|s| s.runs.first()).map_or(vec![], |r| r.support.clone());
    let lines = [hline(1.0, xr, yr, style::FLOW), hline(1.0, xg, yg, style::FLOW)];
    lines.into_iter().chain(support_shapes(&index, &support, xg, yg)).collect()
}

/// The 2 × 2 layout: columns centered / uncentered, rows risk ratio / gain profile.
pub(super) fn layout(cfg: &Config, last: f64) -> Layout {
    let st = &cfg.setting;
    let cols = [[0.0, 0.45], [0.55, 1.0]];
    let rows = [[0.6, 1.0], [0.0, 0.36]];
    let coord_range = vec![-0.5, st.d as f64 - 0.5];
    let risk_axis = |title: &str| log_axis_pow(title).dtick(1.0);
    let coordinate = "coordinate i (shaded: support of β*)";
    let coord_axis = |k: usize, y: &str| style::axis(coordinate).domain(&cols[k]).anchor(y).range(coord_range.clone());
    style::layout(&format!(
        "Uncentered data: large stepsizes help GD too<br><sup>(n, d, s, α) = ({}, {}, {}, {}), SGD batch {}; median and interquartile band over {} datasets; the uncentered design is the centered one shifted by μ·1</sup>",
        st.n, st.d, st.s, st.alpha, cfg.batch, cfg.datasets
    ))
    .grid(LayoutGrid::new().rows(2).columns(2).pattern(GridPattern::Independent))
    .height(920)
    .x_axis(style::axis("γ / γ<sub>max</sub>").domain(&cols[0]).anchor("y"))
    .y_axis(risk_axis("test risk / gradient flow's").domain(&rows[0]).anchor("x"))
    .x_axis2(style::axis("γ / γ<sub>max</sub>").domain(&cols[1]).anchor("y2"))
    .y_axis2(risk_axis("").domain(&rows[0]).anchor("x2").matches("y"))
    .x_axis3(coord_axis(0, "y3").dtick(1.0))
    .y_axis3(style::axis(&format!("Gain(i) / mean Gain at γ = {last}·γ<sub>max</sub>")).domain(&rows[1]).anchor("x3"))
    .x_axis4(coord_axis(1, "y4").dtick(1.0))
    .y_axis4(style::axis("").domain(&rows[1]).anchor("x4").matches("y3"))
    .annotations(vec![
        centered_panel_title("centered: x ~ N(0, I)", 0.225, 1.0),
        centered_panel_title(&format!("uncentered: x ~ N({}·1, I)", st.mean), 0.775, 1.0),
        centered_panel_title("gain profile, centered", 0.225, 0.37),
        centered_panel_title("gain profile, uncentered", 0.775, 0.37),
    ] as Vec<Annotation>)
}

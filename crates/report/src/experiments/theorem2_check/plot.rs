//! theorem2_check's figure: per (method, batch) series, the distance of β∞ to Theorem 2's
//! prediction, to the prediction without β̃₀ and to gradient flow's limit, against γ/γ_max (median
//! and interquartile band over the datasets).

use plotly::common::{DashType, ExponentFormat, Line, Marker, MarkerSymbol, Mode};
use plotly::layout::{Annotation, GridPattern, Layout, LayoutGrid};
use plotly::{Plot, Scatter};

use super::{Config, Output, Row, series};
use crate::experiments::common::{Method, Quartiles, quartiles};
use crate::experiments::plotting::{band_traces, centered_panel_title};
use crate::style;

/// The colour of a batch size: GD blue, SGD with b = 1 red, intermediate batches orange/brown.
fn color(method: Method, batch: usize) -> &'static str {
    match (method, batch) {
        (Method::Gd, _) => style::GD,
        (_, 1) => style::SGD,
        (_, b) if b <= 5 => "#ff7f0e",
        _ => "#8c564b",
    }
}

/// The three panels: the distance shown, the axes and the title.
type Panel = (fn(&Row) -> Option<f64>, &'static str, &'static str, &'static str);
const PANELS: [Panel; 3] = [
    (|r| r.err.theorem2, "x", "y", "‖β∞ − β<sub>pred</sub>‖₂ (Theorem 2)"),
    (|r| r.err.without_tilde, "x2", "y2", "‖β∞ − argmin ψ<sub>α∞</sub>‖₂ (β̃₀ dropped)"),
    (|r| r.err.gf, "x3", "y3", "‖β∞ − β*<sub>α</sub>‖₂ (gradient flow, Theorem 1)"),
];

/// The traces of one series on one panel: per stepsize, the median and interquartile band over the
/// datasets' converged runs; the runs that did not converge as open markers.
fn series_traces(plot: &mut Plot, label: &str, rows: &[&Row], panel: &Panel, legend: bool) {
    let (value, xa, ya, _) = *panel;
    let c = color(rows[0].method, rows[0].batch);
    let mut fractions: Vec<f64> = rows.iter().map(|r| r.fraction).collect();
    fractions.sort_by(f64::total_cmp);
    fractions.dedup();
    let stats: Vec<Quartiles> = (fractions.iter())
        .map(|&f| {
            let at = rows.iter().filter(|r| r.fraction == f && r.converged());
            quartiles(&at.filter_map(|r| value(r).filter(|v| *v > 0.0)).collect::<Vec<f64>>())
        })
        .collect();
    let hover = "γ/γ<sub>max</sub> = %{x}<br>median distance = %{y:.3e}";
    for trace in band_traces(label, c, &fractions, &stats, xa, ya, legend, hover) {
        plot.add_trace(trace);
    }
    let open: Vec<&Row> = rows.iter().filter(|r| !r.converged()).copied().collect();
    if !open.is_empty() {
        let (xs, ys): (Vec<f64>, Vec<Option<f64>>) =
            open.iter().map(|r| (r.fraction, value(r).filter(|v| *v > 0.0))).unzip();
        let text: Vec<String> = (open.iter())
            .map(|r| format!("dataset {}, γ = {:.4e}, {} after {} steps", r.dataset, r.gamma, r.status, r.steps))
            .collect();
        plot.add_trace(
            Scatter::new(xs, ys)
                .name(format!("{label}: not converged"))
                .legend_group(label)
                .show_legend(false)
                .text_array(text)
                .hover_template(format!("{label} (not converged)<br>distance = %{{y:.3e}}<br>%{{text}}<extra></extra>"))
                .mode(Mode::Markers)
                .marker(Marker::new().color(c).size(10).symbol(MarkerSymbol::CircleOpen))
                .x_axis(xa)
                .y_axis(ya),
        );
    }
}

/// The three-panel layout.
fn layout(cfg: &Config) -> Layout {
    let st = &cfg.sweep.setting;
    let domains = [[0.0, 0.29], [0.355, 0.645], [0.71, 1.0]];
    let xaxis = |k: usize| style::log_axis("γ / γ<sub>max</sub>").domain(&domains[k]).anchor(["y", "y2", "y3"][k]);
    let yaxis = |k: usize, title: &str| {
        style::log_axis(title).exponent_format(ExponentFormat::Power).dtick(1.0).anchor(["x", "x2", "x3"][k])
    };
    let titles: Vec<Annotation> = (PANELS.iter().enumerate())
        .map(|(k, (_, _, _, title))| centered_panel_title(title, (domains[k][0] + domains[k][1]) / 2.0, 1.0))
        .collect();
    style::layout(&format!(
        "Theorem 2 is exact; gradient flow drifts away as γ grows<br><sup>{} datasets, (n, d, s, α) = ({}, {}, {}, {}); median and interquartile band of the runs that reach training loss ≤ {:.0e}; open markers: not converged (excluded from the claims)</sup>",
        cfg.sweep.datasets, st.n, st.d, st.s, st.alpha, cfg.tol
    ))
    .grid(LayoutGrid::new().rows(1).columns(3).pattern(GridPattern::Independent))
    .height(520)
    .x_axis(xaxis(0))
    .x_axis2(xaxis(1))
    .x_axis3(xaxis(2))
    .y_axis(yaxis(0, "distance"))
    .y_axis2(yaxis(1, ""))
    .y_axis3(yaxis(2, ""))
    .annotations(titles)
}

/// The figure: the three panels, and the claimed bound on the Theorem-2 panel.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let series = series(&out.rows);
    for (p, panel) in PANELS.iter().enumerate() {
        for (label, rows) in &series {
            series_traces(&mut plot, label, rows, panel, p == 0);
        }
    }
    // The claimed bound on the Theorem-2 panel.
    plot.add_trace(
        Scatter::new(vec![cfg.fractions[0], *cfg.fractions.last().unwrap_or(&1.0)], vec![1e-8, 1e-8])
            .name("bound 1e-8")
            .mode(Mode::Lines)
            .line(Line::new().color(style::FLOW).dash(DashType::Dash).width(1.5))
            .x_axis("x")
            .y_axis("y"),
    );
    plot.set_layout(layout(cfg));
    plot
}

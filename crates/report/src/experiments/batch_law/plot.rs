//! batch_law's figure: ‖Gain‖₁/γ against the noise factor (n − b)/(b(n − 1)) with the fitted law
//! (left), and the test risk relative to gradient flow's against b (right), at each fraction of
//! each batch size's own γ_max (median over datasets, IQR error bars).

use plotly::common::{DashType, ErrorData, ErrorType, Line, Marker, Mode};
use plotly::{Plot, Scatter};

use super::summary::{fit, gain_per_gamma, over_datasets};
use super::{Config, Output};
use crate::experiments::common::Quartiles;
use crate::experiments::fraction_runs::Row;
use crate::experiments::gain_scale::batch_noise_factor;
use crate::experiments::plotting::{centered_panel_title, hline, panel_axes};
use crate::style;

/// Colours of the fractions, in order.
const COLORS: [&str; 4] = ["#1f77b4", "#d62728", "#9467bd", "#2ca02c"];

/// A median-with-IQR-error-bars trace.
fn points(
    name: &str,
    color: &'static str,
    x: Vec<f64>,
    q: &[Quartiles],
    (xr, yr): (&str, &str),
    legend: bool,
) -> Box<Scatter<f64, f64>> {
    let plus: Vec<f64> = q.iter().map(|q| q.q75 - q.median).collect();
    let minus: Vec<f64> = q.iter().map(|q| q.median - q.q25).collect();
    let error = ErrorData::new(ErrorType::Data).array(plus).array_minus(minus).color(color).thickness(1.0).width(3);
    Scatter::new(x, q.iter().map(|q| q.median).collect())
        .name(name)
        .mode(Mode::Markers)
        .marker(Marker::new().color(color).size(9))
        .error_y(error)
        .legend_group(name)
        .show_legend(legend)
        .x_axis(xr)
        .y_axis(yr)
}

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let n = out.n;
    // GD's noise factor is 0: the left panel is linear in it.
    let noise: Vec<f64> = out.batches.iter().map(|&b| batch_noise_factor(n, b)).collect();
    let sizes: Vec<f64> = out.batches.iter().map(|&b| b as f64).collect();
    for (k, &fraction) in out.fractions.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let name = format!("γ = {fraction} γ<sub>max</sub>(b)");
        let gain: Vec<Quartiles> =
            out.batches.iter().map(|&b| over_datasets(out, b, fraction, gain_per_gamma)).collect();
        plot.add_trace(points(&name, color, noise.clone(), &gain, ("x", "y"), true));
        let (a, slope, _) = fit(out, fraction);
        plot.add_trace(
            Scatter::new(vec![0.0, 1.0], vec![a, a + slope])
                .name(format!("law A + B·noise, {name}"))
                .mode(Mode::Lines)
                .line(Line::new().color(color).dash(DashType::Dash).width(1.5))
                .legend_group(&name)
                .show_legend(false)
                .x_axis("x")
                .y_axis("y"),
        );
        let risk: Vec<Quartiles> =
            out.batches.iter().map(|&b| over_datasets(out, b, fraction, Row::risk_ratio)).collect();
        plot.add_trace(points(&name, color, sizes.clone(), &risk, ("x2", "y2"), false).mode(Mode::LinesMarkers));
    }
    let title = format!("Each batch size at its own γ<sub>max</sub>(b) — {} datasets (median, IQR)", cfg.runs.datasets);
    let layout = style::layout(&title).height(520);
    let layout = panel_axes(
        layout,
        0,
        style::axis("noise factor (n − b)/(b(n − 1))").domain(&[0.0, 0.45]).anchor("y"),
        style::axis("‖Gain‖<sub>1</sub> / γ").anchor("x"),
    );
    let layout = panel_axes(
        layout,
        1,
        style::log_axis("batch size b (b = n: GD)").domain(&[0.55, 1.0]).anchor("y2"),
        style::log_axis("test risk / gradient flow's").anchor("x2"),
    );
    let annotations = vec![
        centered_panel_title("gain per unit stepsize vs the batch's noise factor", 0.225, 1.0),
        centered_panel_title("test risk vs b", 0.775, 1.0),
    ];
    plot.set_layout(layout.shapes(vec![hline(1.0, "x2", "y2", style::FLOW)]).annotations(annotations));
    plot
}

//! schedules' figure: per schedule, ‖Gain‖₁ (left) and the test risk relative to gradient flow's
//! (right) of GD and SGD at the first final stepsize (median over datasets, IQR error bars).

use plotly::common::{ErrorData, ErrorType, Marker, Mode};
use plotly::{Plot, Scatter};

use super::summary::over_datasets;
use super::{Config, Kind, Output};
use crate::experiments::common::{Method, Quartiles};
use crate::experiments::fraction_runs::Row;
use crate::experiments::plotting::{centered_panel_title, hline, panel_axes};
use crate::style;

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let fraction = out.fractions.first().copied().unwrap_or(f64::NAN);
    let names: Vec<String> = Kind::ALL.iter().map(|k| k.as_str().replace('_', "-")).collect();
    for method in Method::BOTH {
        for (panel, f) in [(0, Row::gain_l1 as fn(&Row) -> f64), (1, Row::risk_ratio)] {
            let q: Vec<Quartiles> = Kind::ALL.iter().map(|&k| over_datasets(out, (fraction, method, k), f)).collect();
            let plus: Vec<f64> = q.iter().map(|q| q.q75 - q.median).collect();
            let minus: Vec<f64> = q.iter().map(|q| q.median - q.q25).collect();
            let error =
                ErrorData::new(ErrorType::Data).array(plus).array_minus(minus).color(method.color()).thickness(1.0);
            let (xr, yr) = if panel == 0 { ("x", "y") } else { ("x2", "y2") };
            plot.add_trace(
                Scatter::new(names.clone(), q.iter().map(|q| q.median).collect())
                    .name(method.as_str())
                    .mode(Mode::Markers)
                    .marker(Marker::new().color(method.color()).size(11))
                    .error_y(error)
                    .legend_group(method.as_str())
                    .show_legend(panel == 0)
                    .x_axis(xr)
                    .y_axis(yr),
            );
        }
    }
    let title = format!(
        "Schedules to the same final stepsize γ<sub>f</sub> = {fraction} γ<sub>max</sub> (peak {} γ<sub>max</sub>, {} annealing epochs) — {} datasets (median, IQR)",
        cfg.peak_fraction, cfg.anneal_epochs, cfg.runs.datasets
    );
    let layout = style::layout(&title).height(500);
    let layout = panel_axes(
        layout,
        0,
        style::axis("schedule").domain(&[0.0, 0.45]).anchor("y"),
        style::log_axis("‖Gain‖<sub>1</sub>").anchor("x"),
    );
    let layout = panel_axes(
        layout,
        1,
        style::axis("schedule").domain(&[0.55, 1.0]).anchor("y2"),
        style::log_axis("test risk / gradient flow's").anchor("x2"),
    );
    let annotations =
        vec![centered_panel_title("the gain", 0.225, 1.0), centered_panel_title("the test risk", 0.775, 1.0)];
    plot.set_layout(layout.shapes(vec![hline(1.0, "x2", "y2", style::FLOW)]).annotations(annotations));
    plot
}

//! eos_window's figure: per arm, ‖Gain‖₁ (left) and the largest γ·S_k (right) against the distance
//! to the edge 1 − γ/γ_max, on log axes (median over datasets, IQR band).

use plotly::Plot;

use super::summary::over;
use super::{Arm, Config, Output};
use crate::experiments::plotting::{band_traces, centered_panel_title, hline, log_axis_pow, panel_axes};
use crate::style;

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let x: Vec<f64> = out.fractions.iter().map(|f| 1.0 - f).collect();
    for arm in Arm::ALL {
        let gain: Vec<_> = out.fractions.iter().map(|&f| over(out, arm, f, |r, _| Some(r.gain_l1()))).collect();
        let peak: Vec<_> = out.fractions.iter().map(|&f| over(out, arm, f, |_, e| e.max_gamma_sharpness)).collect();
        for t in band_traces(
            arm.as_str(),
            arm.color(),
            &x,
            &gain,
            "x",
            "y",
            true,
            "1 − γ/γ<sub>max</sub> = %{x}, ‖Gain‖₁ = %{y}",
        ) {
            plot.add_trace(t);
        }
        for t in band_traces(
            arm.as_str(),
            arm.color(),
            &x,
            &peak,
            "x2",
            "y2",
            false,
            "1 − γ/γ<sub>max</sub> = %{x}, max γS = %{y}",
        ) {
            plot.add_trace(t);
        }
    }
    let title = format!(
        "The window below γ<sub>max</sub> — {} datasets (median, IQR); γ<sub>max</sub> to {}",
        cfg.runs.datasets,
        cfg.runs.bisection_rel_tol.map_or("2 %".to_owned(), |r| format!("{} %", r * 100.0))
    );
    let layout = style::layout(&title).height(500);
    let layout = panel_axes(
        layout,
        0,
        log_axis_pow("1 − γ/γ<sub>max</sub>").domain(&[0.0, 0.45]).anchor("y"),
        log_axis_pow("‖Gain‖<sub>1</sub>").anchor("x"),
    );
    let layout = panel_axes(
        layout,
        1,
        log_axis_pow("1 − γ/γ<sub>max</sub>").domain(&[0.55, 1.0]).anchor("y2"),
        style::axis("max<sub>k</sub> γ·S<sub>k</sub>").anchor("x2"),
    );
    let annotations =
        vec![centered_panel_title("the gain", 0.225, 1.0), centered_panel_title("the sharpness overshoot", 0.775, 1.0)];
    plot.set_layout(layout.shapes(vec![hline(2.0, "x2", "y2", style::EOS)]).annotations(annotations));
    plot
}

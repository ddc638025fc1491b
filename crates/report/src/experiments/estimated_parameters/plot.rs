//! estimated_parameters' figure, and its pieces shared with the explorer: β per coordinate (β* as
//! bars, each estimate as markers) above Gain_γ(i) per coordinate (log), the support shaded.

use plotly::common::{ExponentFormat, Marker, MarkerSymbol, Mode, Visible};
use plotly::layout::{Axis, AxisType, BarMode, GridPattern, LayoutGrid};
use plotly::{Bar, Plot, Scatter, Trace};

use super::{Config, Estimate, Output, coordinates, truth};
use crate::experiments::plotting::support_shapes;
use crate::style;

/// The colour and marker of an estimate.
fn look(method: &str) -> (&'static str, MarkerSymbol, f64) {
    match method {
        "GD" => (style::GD, MarkerSymbol::Circle, 10.0),
        "SGD" => (style::SGD, MarkerSymbol::Diamond, 10.0),
        _ => (style::FLOW, MarkerSymbol::CircleOpen, 9.0),
    }
}

/// The legend label of an estimate.
pub fn label(v: &Estimate) -> String {
    match (v.method, v.gamma, v.test_risk) {
        ("GF", _, Some(r)) => format!("gradient flow (Thm 1), risk {r:.2e}"),
        (m, Some(g), Some(r)) => format!("{m} (γ = {g:.3}), risk {r:.2e}"),
        (m, Some(g), None) => format!("{m} (γ = {g:.3}): {}", v.status),
        (m, _, _) => m.to_string(),
    }
}

/// β* as translucent green bars on axes (`xaxis`, `yaxis`).
pub fn truth_trace(coord: &[u64], star: &[f64], xaxis: &str, yaxis: &str) -> Box<dyn Trace> {
    Bar::new(coord.to_vec(), star.to_vec())
        .name("β* (truth)")
        .marker(
            Marker::new()
                .color(style::band(style::TRUTH).replace("0.18", "0.55"))
                .line(plotly::common::Line::new().color(style::TRUTH).width(1.5)),
        )
        .hover_template("β*<sub>%{x}</sub> = %{y:.4f}<extra></extra>")
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// β of one estimate as markers on (`xaxis`, `yaxis`); `legend_group` ties it to its gain trace.
pub fn beta_trace(v: &Estimate, xaxis: &str, yaxis: &str, visible: bool) -> Box<dyn Trace> {
    let (color, symbol, size) = look(v.method);
    Scatter::new(coordinates(v.beta.len()), v.beta.clone())
        .name(label(v))
        .mode(Mode::Markers)
        .marker(
            Marker::new()
                .color(color)
                .symbol(symbol)
                .size(size as usize)
                .line(plotly::common::Line::new().color("white").width(0.5)),
        )
        .hover_template(format!("{}<br>β<sub>%{{x}}</sub> = %{{y:.4f}}<extra></extra>", v.method))
        .legend_group(v.method)
        .visible(if visible { Visible::True } else { Visible::False })
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// Gain_γ(i) of one run as bars on (`xaxis`, `yaxis`) (no legend entry: it shares the β marker's group).
pub fn gain_trace(v: &Estimate, xaxis: &str, yaxis: &str, visible: bool) -> Box<dyn Trace> {
    let (color, _, _) = look(v.method);
    Bar::new(coordinates(v.gain.len()), v.gain.clone())
        .name(format!("Gain {}", v.method))
        .marker(Marker::new().color(color))
        .hover_template(format!("{}<br>Gain<sub>γ</sub>(%{{x}}) = %{{y:.3g}}<extra></extra>", v.method))
        .legend_group(v.method)
        .show_legend(false)
        .visible(if visible { Visible::True } else { Visible::False })
        .x_axis(xaxis)
        .y_axis(yaxis)
}

/// The two-row layout shared with the explorer: β per coordinate on top, Gain_γ(i) (log) below.
pub fn two_row_layout(title: &str, d: usize) -> plotly::Layout {
    let x_range = vec![-0.6, d as f64 - 0.4];
    style::layout(title)
        .grid(LayoutGrid::new().rows(2).columns(1).pattern(GridPattern::Independent))
        .height(760)
        .bar_mode(BarMode::Group)
        .x_axis(
            Axis::new()
                .matches("x2")
                .show_tick_labels(false)
                .range(x_range.clone())
                .zero_line(false)
                .domain(&[0.0, 1.0])
                .anchor("y"),
        )
        .y_axis(style::axis("β<sub>i</sub>").zero_line(true).domain(&[0.42, 1.0]).anchor("x"))
        .x_axis2(
            style::axis("coordinate i (shaded: support of β*)")
                .range(x_range)
                .dtick(1.0)
                .domain(&[0.0, 1.0])
                .anchor("y2"),
        )
        .y_axis2(
            style::axis("Gain<sub>γ</sub>(i) = ln(α²/α∞,i²)")
                .type_(AxisType::Log)
                .dtick(1.0)
                .exponent_format(ExponentFormat::Power)
                .domain(&[0.0, 0.32])
                .anchor("x2"),
        )
}

/// The figure, on dataset 0: β*, gradient flow's limit, GD and SGD on top; GD's and SGD's gains below.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let Some(fit) = out.datasets.first() else { return Plot::new() };
    let (coord, star, support) = truth(&fit.beta_star);
    let mut plot = Plot::new();
    plot.add_trace(truth_trace(&coord, &star, "x", "y"));
    for v in &fit.estimates {
        plot.add_trace(beta_trace(v, "x", "y", true));
    }
    for v in fit.estimates.iter().filter(|v| v.method != "GF") {
        plot.add_trace(gain_trace(v, "x2", "y2", true));
    }
    let s = &cfg.sweep.setting;
    let title = format!(
        "Estimated parameters at γ = {}·γ<sub>max</sub> — GD is pulled off β*, SGD recovers it<br><sup>dataset 0 of {} (the others: the claims below); (n, d, s, α) = ({}, {}, {}, {}); SGD batch b = {}; gradient flow = Theorem 1's limit argmin ψ<sub>α</sub></sup>",
        cfg.fraction, cfg.sweep.datasets, s.n, s.d, s.s, s.alpha, cfg.sweep.batch
    );
    let mut shapes = support_shapes(&coord, &support, "x", "y");
    shapes.extend(support_shapes(&coord, &support, "x2", "y2"));
    plot.set_layout(two_row_layout(&title, coord.len()).shapes(shapes));
    plot
}

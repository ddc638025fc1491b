//! gain_law's figure: per design, the on/off-support ratio of the gain against s for GD and SGD at
//! each fraction of γ_max (median over datasets, IQR error bars), with SGD's second-order prediction
//! 1 + (m₄ − 1)/s.

use plotly::common::{Anchor, DashType, ErrorData, ErrorType, Line, Marker, MarkerSymbol, Mode};
use plotly::layout::Axis;
use plotly::{Plot, Scatter};

use super::summary::groups;
use super::{Config, Output, Row};
use crate::experiments::common::Method;
use crate::experiments::plotting::{panel_axes, panel_axis_names, panel_title};
use crate::style;

/// Marker symbols of the fractions, in order.
const SYMBOLS: [MarkerSymbol; 4] =
    [MarkerSymbol::Circle, MarkerSymbol::Diamond, MarkerSymbol::Square, MarkerSymbol::TriangleUp];

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let groups = groups(out);
    let panels = cfg.designs.len();
    let width = 1.0 / panels as f64;
    let s_values: Vec<f64> = cfg.sparsities.iter().map(|&s| s as f64).collect();
    let mut layout = style::layout(&format!(
        "On/off-support ratio of Gain<sub>γ</sub> vs sparsity s — {} datasets per point (median, IQR)",
        cfg.runs.datasets
    ))
    .height(520);
    let mut annotations = Vec::new();
    for (k, design) in cfg.designs.iter().enumerate() {
        let (xr, yr) = panel_axis_names(k);
        for method in Method::BOTH {
            for (f, fraction) in cfg.runs.fractions.iter().enumerate() {
                let mine: Vec<_> = (groups.iter())
                    .filter(|g| g.cell.design == *design && g.method == method && g.fraction == *fraction)
                    .map(|g| (g.cell.s as f64, g.quartiles(Row::gain_ratio)))
                    .filter(|(_, q)| q.median.is_finite())
                    .collect();
                let name = format!("{}, γ = {} γ<sub>max</sub>", method.as_str(), fraction);
                let plus: Vec<f64> = mine.iter().map(|(_, q)| q.q75 - q.median).collect();
                let minus: Vec<f64> = mine.iter().map(|(_, q)| q.median - q.q25).collect();
                let error = ErrorData::new(ErrorType::Data).array(plus).array_minus(minus).thickness(1.0).width(3);
                let dash = if f == 0 { DashType::Solid } else { DashType::Dot };
                plot.add_trace(
                    Scatter::new(mine.iter().map(|p| p.0).collect(), mine.iter().map(|p| p.1.median).collect())
                        .name(&name)
                        .mode(Mode::LinesMarkers)
                        .line(Line::new().color(method.color()).dash(dash))
                        .marker(Marker::new().color(method.color()).size(9).symbol(SYMBOLS[f % SYMBOLS.len()].clone()))
                        .error_y(error.color(method.color()))
                        .legend_group(&name)
                        .show_legend(k == 0)
                        .hover_template(format!("{name}<br>s = %{{x}}<br>median ratio %{{y:.3g}}<extra></extra>"))
                        .x_axis(&xr)
                        .y_axis(&yr),
                );
            }
        }
        let predicted: Vec<f64> = cfg.sparsities.iter().map(|&s| design.second_order_support_ratio(s)).collect();
        let name = "SGD, second order: 1 + (m<sub>4</sub> − 1)/s";
        plot.add_trace(
            Scatter::new(s_values.clone(), predicted)
                .name(name)
                .mode(Mode::Lines)
                .line(Line::new().color("#000000").dash(DashType::Dash).width(1.5))
                .legend_group(name)
                .show_legend(k == 0)
                .hover_template(format!("{name}<br>s = %{{x}}: %{{y:.3g}}<extra></extra>"))
                .x_axis(&xr)
                .y_axis(&yr),
        );
        let domain = [k as f64 * width + 0.03, (k + 1) as f64 * width - 0.03];
        let title = format!("{design} (m<sub>4</sub> = {})", design.fourth_moment());
        annotations.push(panel_title(&title, (domain[0] + domain[1]) / 2.0, 1.0).x_anchor(Anchor::Center));
        let x_axis = Axis::new().title("sparsity s").domain(&domain).anchor(&yr).zero_line(false);
        let y_title = if k == 0 { "mean Gain on supp β* / mean off it" } else { "" };
        let y_axis = style::log_axis(y_title).anchor(&xr);
        layout = panel_axes(layout, k, x_axis, y_axis);
    }
    plot.set_layout(layout.annotations(annotations));
    plot
}

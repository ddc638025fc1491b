//! theorem1_alpha's figure: the uniform-α interpolator's distances to the two limits against α, and
//! the test risk of each α profile with the limits' risks as dashed levels.

use plotly::common::{DashType, ExponentFormat, Line, Marker, Mode};
use plotly::layout::{Annotation, GridPattern, Layout, LayoutGrid};
use plotly::{Plot, Scatter};

use super::{Config, EXACT_RECOVERY, Measures, Output, Shape};
use crate::experiments::plotting::centered_panel_title;
use crate::style;

/// Colours of the two limits in the first panel (distinct from the shapes' colours).
const RICH: &str = "#ff7f0e";
const KERNEL: &str = "#17becf";

/// A line with markers against α on axes `axes`; `hover` shows y.
fn curve(x: Vec<f64>, y: Vec<f64>, name: &str, line: Line, hover: &str, axes: [&str; 2]) -> Box<Scatter<f64, f64>> {
    Scatter::new(x, y)
        .name(name)
        .mode(Mode::LinesMarkers)
        .line(line)
        .marker(Marker::new().size(5))
        .hover_template(format!("{name}<br>α = %{{x:.2e}}<br>{hover}<extra></extra>"))
        .x_axis(axes[0])
        .y_axis(axes[1])
}

/// The figure's traces: distances of the uniform-α interpolator to the two limits (first panel);
/// test risk of each α profile with the two limits as dashed levels (second panel). Returns whether
/// the min-ℓ1 level was left out because that interpolator is β* (rounding-level risk).
fn traces(plot: &mut Plot, out: &Output, cfg: &Config) -> bool {
    let alphas: Vec<f64> = out.grid_of(Shape::Uniform).map(|p| p.alpha).collect();
    let dist = |f: fn(&Measures) -> f64| out.grid_of(Shape::Uniform).map(|p| f(&p.measures)).collect();
    for (name, y, color) in [
        ("‖β*<sub>α</sub> − β<sub>ℓ1</sub>‖₂ (rich limit)", dist(|m| m.dist_min_l1), RICH),
        ("‖β*<sub>α</sub> − β<sub>ℓ2</sub>‖₂ (kernel limit)", dist(|m| m.dist_min_l2), KERNEL),
    ] {
        let line = Line::new().color(color).width(2.5).dash(DashType::Solid);
        plot.add_trace(curve(alphas.clone(), y, name, line, "%{y:.3e}", ["x", "y"]));
    }
    for shape in Shape::ALL {
        let (_, color) = shape.look();
        let label = match shape {
            Shape::Uniform => "uniform α".to_string(),
            Shape::SupportLarger => format!("α×{} on the support: penalised less", cfg.shape_ratio),
            Shape::SupportSmaller => format!("α÷{} on the support: penalised more", cfg.shape_ratio),
        };
        let (x, y): (Vec<f64>, Vec<f64>) = out.grid_of(shape).map(|p| (p.alpha, p.measures.test_risk)).unzip();
        let line = Line::new().color(color).width(2.5);
        plot.add_trace(curve(x, y, &label, line, "test risk = %{y:.3e}", ["x2", "y2"]));
    }
    for (limit, name, dash) in
        [(&out.min_l1, "min-ℓ1 interpolator", DashType::Dash), (&out.min_l2, "min-ℓ2 interpolator", DashType::Dot)]
    {
        let risk = limit.test_risk;
        if risk < EXACT_RECOVERY {
            // A level at ~1e-33 would only squash the axis: the panel's title says it instead.
            continue;
        }
        plot.add_trace(
            Scatter::new(vec![cfg.alpha_min, cfg.alpha_max], vec![risk, risk])
                .name(format!("{name} (risk {risk:.2e})"))
                .mode(Mode::Lines)
                .line(Line::new().color("#444444").width(1.5).dash(dash))
                .x_axis("x2")
                .y_axis("y2"),
        );
    }
    out.min_l1.test_risk < EXACT_RECOVERY
}

/// The two-panel layout (`exact_l1`: the min-ℓ1 interpolator is β*, said in the panel's title).
fn layout(cfg: &Config, exact_l1: bool) -> Layout {
    let st = &cfg.setting;
    let shape_title = if exact_l1 { "shape of α (min-ℓ1 interpolator = β* here)" } else { "shape of α" };
    let domains = [[0.0, 0.44], [0.56, 1.0]];
    let pow_axis = |title: &str| style::log_axis(title).exponent_format(ExponentFormat::Power);
    style::layout(&format!(
        "Theorem 1 across the initialisation scale: kernel (large α) → rich (small α) regime, and the shape of α<br><sup>argmin<sub>Xβ=y</sub> ψ<sub>α</sub>(β), solved exactly; (n, d, s) = ({}, {}, {}), data seed {}</sup>",
        st.n, st.d, st.s, st.seed
    ))
    .grid(LayoutGrid::new().rows(1).columns(2).pattern(GridPattern::Independent))
    .height(640)
    .legend(plotly::layout::Legend::new().orientation(plotly::common::Orientation::Horizontal).x(0.0).y(-0.22))
    .x_axis(pow_axis("initialisation scale α").domain(&domains[0]).anchor("y"))
    .y_axis(pow_axis("ℓ2 distance").dtick(1.0).anchor("x"))
    .x_axis2(pow_axis("initialisation scale α (its value off the support)").domain(&domains[1]).anchor("y2"))
    .y_axis2(pow_axis("test risk ½‖β − β*‖²").dtick(2.0).anchor("x2"))
    .annotations(vec![
        centered_panel_title("scale of a uniform α", 0.22, 1.0),
        centered_panel_title(shape_title, 0.78, 1.0),
    ] as Vec<Annotation>)
}

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let exact_l1 = traces(&mut plot, out, cfg);
    plot.set_layout(layout(cfg, exact_l1));
    plot
}

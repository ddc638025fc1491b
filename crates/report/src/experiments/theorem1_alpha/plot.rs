//! theorem1_alpha's figure: the uniform-α interpolator's distances to the two limits against α, and
//! the test risk of each α profile with the limits' risks as dashed levels (median and interquartile
//! band over the datasets).

use plotly::common::{DashType, ExponentFormat, Line, Mode};
use plotly::layout::{Annotation, GridPattern, Layout, LayoutGrid};
use plotly::{Plot, Scatter};

use super::{Config, EXACT_RECOVERY, Limits, Measures, Output, Shape};
use crate::experiments::common::{Quartiles, quartiles};
use crate::experiments::plotting::{band_traces, centered_panel_title};
use crate::style;

/// Colours of the two limits in the first panel (distinct from the shapes' colours).
const RICH: &str = "#ff7f0e";
const KERNEL: &str = "#17becf";

/// The median and interquartile band over the datasets of `values` (per grid α, one value per
/// dataset) on axes `axes`; `hover` shows y.
fn band(plot: &mut Plot, alphas: &[f64], values: Vec<Vec<f64>>, name: &str, color: &str, hover: &str, axes: [&str; 2]) {
    let stats: Vec<Quartiles> = values.iter().map(|v| quartiles(v)).collect();
    let hover = format!("α = %{{x:.2e}}<br>{hover}");
    for trace in band_traces(name, color, alphas, &stats, axes[0], axes[1], true, &hover) {
        plot.add_trace(trace);
    }
}

/// The figure's traces: distances of the uniform-α interpolator to the two limits (first panel);
/// test risk of each α profile with the two limits' median risks as dashed levels (second panel).
/// Returns whether the min-ℓ1 level was left out because that interpolator is β* on every dataset
/// (rounding-level risk).
fn traces(plot: &mut Plot, out: &Output, cfg: &Config) -> bool {
    let alphas = out.alphas();
    for (name, f, color) in [
        (
            "‖β*<sub>α</sub> − β<sub>ℓ1</sub>‖₂ (rich limit)",
            (|m: &Measures| m.dist_min_l1) as fn(&Measures) -> f64,
            RICH,
        ),
        ("‖β*<sub>α</sub> − β<sub>ℓ2</sub>‖₂ (kernel limit)", |m: &Measures| m.dist_min_l2, KERNEL),
    ] {
        band(plot, &alphas, out.across(Shape::Uniform, f), name, color, "median %{y:.3e}", ["x", "y"]);
    }
    for shape in Shape::ALL {
        let (_, color) = shape.look();
        let label = match shape {
            Shape::Uniform => "uniform α".to_string(),
            Shape::SupportLarger => format!("α×{} on the support: penalised less", cfg.shape_ratio),
            Shape::SupportSmaller => format!("α÷{} on the support: penalised more", cfg.shape_ratio),
        };
        band(
            plot,
            &alphas,
            out.across(shape, |m| m.test_risk),
            &label,
            color,
            "median test risk %{y:.3e}",
            ["x2", "y2"],
        );
    }
    let exact_l1 = out.limits.iter().all(|l| l.min_l1.test_risk < EXACT_RECOVERY);
    let median = |f: fn(&Limits) -> f64| dln::metrics::quantile(&out.limits.iter().map(f).collect::<Vec<_>>(), 0.5);
    for (risk, name, dash, skip) in [
        (median(|l| l.min_l1.test_risk), "min-ℓ1 interpolator", DashType::Dash, exact_l1),
        (median(|l| l.min_l2.test_risk), "min-ℓ2 interpolator", DashType::Dot, false),
    ] {
        if skip {
            // A level at ~1e-33 would only squash the axis: the panel's title says it instead.
            continue;
        }
        plot.add_trace(
            Scatter::new(vec![cfg.alpha_min, cfg.alpha_max], vec![risk, risk])
                .name(format!("{name} (median risk {risk:.2e})"))
                .mode(Mode::Lines)
                .line(Line::new().color("#444444").width(1.5).dash(dash))
                .x_axis("x2")
                .y_axis("y2"),
        );
    }
    exact_l1
}

/// The two-panel layout (`exact_l1`: the min-ℓ1 interpolator is β*, said in the panel's title).
fn layout(cfg: &Config, exact_l1: bool) -> Layout {
    let st = &cfg.setting;
    let shape_title =
        if exact_l1 { "shape of α (min-ℓ1 interpolator = β* on every dataset)" } else { "shape of α" };
    let domains = [[0.0, 0.44], [0.56, 1.0]];
    let pow_axis = |title: &str| style::log_axis(title).exponent_format(ExponentFormat::Power);
    style::layout(&format!(
        "Theorem 1 across the initialisation scale: kernel (large α) → rich (small α) regime, and the shape of α<br><sup>argmin<sub>Xβ=y</sub> ψ<sub>α</sub>(β), solved exactly; median and interquartile band over {} datasets, (n, d, s) = ({}, {}, {})</sup>",
        cfg.datasets, st.n, st.d, st.s
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

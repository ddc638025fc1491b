//! edge_of_stability's figure: four panels against the iteration k for dataset 0's two runs — the
//! training loss, γ·S_k (Gauss–Newton, solid; exact Hessian, dotted), β_k on the support and the mean
//! gain on and off the support — and a fifth summarising every dataset's edge run.

use plotly::common::{DashType, Line, Marker, MarkerSymbol, Mode};
use plotly::layout::Layout;
use plotly::{Plot, Scatter, Trace};

use super::claims::{final_sharpness, max_hessian_sharpness, max_sharpness};
use super::{Config, Dataset, EdgeRun, Output};
use crate::experiments::plotting::{centered_panel_title, hline, log_axis_pow};
use crate::style;

/// A line of one run against k on axes `axes`, named and coloured by `look` = (name, colour).
fn line(
    xy: (Vec<f64>, Vec<f64>),
    look: (&str, &str),
    axes: (&str, &str),
    legend: bool,
    hover: &str,
) -> Box<Scatter<f64, f64>> {
    let (name, color) = look;
    Scatter::new(xy.0, xy.1)
        .name(name)
        .mode(Mode::Lines)
        .line(Line::new().color(color.to_owned()).width(1.8))
        .legend_group(name)
        .show_legend(legend)
        .hover_template(format!("{name}<br>k = %{{x}}<br>{hover}<extra></extra>"))
        .x_axis(axes.0)
        .y_axis(axes.1)
}

/// The traces of one run: loss, γ·S_k, β_k on the first `s` coordinates, mean gain on/off the support.
fn run_traces(run: &EdgeRun, support: &[bool], look: (&str, &str), s: usize) -> Vec<Box<dyn Trace>> {
    let mut traces: Vec<Box<dyn Trace>> = vec![
        line(run.series(|p| p.train_loss), look, ("x", "y"), true, "L(β<sub>k</sub>) = %{y:.3e}"),
        line(run.series(|p| p.gamma_sharpness), look, ("x2", "y2"), false, "γ·S<sub>GN,k</sub> = %{y:.4g}"),
        line(run.series(|p| p.gamma_hessian_sharpness), look, ("x2", "y2"), false, "γ·λ<sub>max</sub>(∇²F) = %{y:.4g}")
            .line(Line::new().color(look.1.to_owned()).width(1.8).dash(DashType::Dot)),
    ];
    for c in 0..s {
        let hover = format!("β<sub>{c}</sub> = %{{y:.4g}}");
        traces.push(line(run.series(|p| p.beta[c]), look, ("x3", "y3"), false, &hover));
    }
    for (on, dash) in [(true, DashType::Solid), (false, DashType::Dot)] {
        let what = if on { "on the support" } else { "off the support" };
        let hover = format!("mean gain {what} = %{{y:.3g}}");
        let trace = line(run.mean_gain(support, on), look, ("x4", "y4"), false, &hover);
        traces.push(trace.line(Line::new().color(look.1.to_owned()).width(1.8).dash(dash)));
    }
    traces
}

/// Markers of one per-dataset quantity of the edge runs on the fifth panel.
fn per_dataset(out: &Output, name: &str, symbol: MarkerSymbol, value: impl Fn(&Dataset) -> f64) -> Box<dyn Trace> {
    let (x, y): (Vec<f64>, Vec<f64>) = out.datasets.iter().map(|d| (d.dataset as f64, value(d))).unzip();
    Scatter::new(x, y)
        .name(name)
        .mode(Mode::Markers)
        .marker(Marker::new().color(style::EOS).symbol(symbol).size(9))
        .hover_template(format!("{name}<br>dataset %{{x}}: %{{y:.4g}}<extra></extra>"))
        .x_axis("x5")
        .y_axis("y5")
}

/// The five panels' layout, with γ·S = 2 and, unless the edge run diverged, β* on the support as
/// dashed lines.
fn layout(out: &Output, cfg: &Config) -> Layout {
    let first = out.first();
    let mut shapes = vec![hline(2.0, "x2", "y2", style::FLOW), hline(2.0, "x5", "y5", style::FLOW)];
    if !first.runs[1].diverged() {
        let on_support = first.beta_star.iter().filter(|b| **b != 0.0);
        shapes.extend(on_support.map(|b| hline(*b, "x3", "y3", style::TRUTH)));
    }
    let (left, right, full) = ([0.0, 0.45], [0.55, 1.0], [0.0, 1.0]);
    let (top, middle, bottom) = ([0.72, 0.96], [0.38, 0.62], [0.0, 0.25]);
    let title = format!(
        "Edge of stability — GD on dataset 0 (seed {}), γ<sub>max</sub> = {:.3}; {} datasets below",
        cfg.setting.seed,
        first.gamma_max,
        out.datasets.len()
    );
    style::layout(&title)
        .height(1100)
        .x_axis(style::log_axis("iteration k").domain(&left).anchor("y"))
        .y_axis(log_axis_pow("training loss L(β<sub>k</sub>)").domain(&top).anchor("x"))
        .x_axis2(style::log_axis("iteration k").domain(&right).anchor("y2"))
        .y_axis2(style::axis("γ · S<sub>k</sub>").domain(&top).anchor("x2"))
        .x_axis3(style::log_axis("iteration k").domain(&left).anchor("y3"))
        .y_axis3(style::axis("β<sub>k,i</sub>  (i in the support of β*)").domain(&middle).anchor("x3"))
        .x_axis4(style::log_axis("iteration k").domain(&right).anchor("y4"))
        .y_axis4(log_axis_pow("Gain<sub>k</sub> = ln(α²/α<sub>k</sub>²)").domain(&middle).anchor("x4"))
        .x_axis5(style::axis("dataset").domain(&full).anchor("y5").dtick(1.0))
        .y_axis5(style::axis("γ · S (edge run)").domain(&bottom).anchor("x5"))
        .shapes(shapes)
        .annotations(vec![
            centered_panel_title("Training loss", 0.225, top[1]),
            centered_panel_title("γ·S: Gauss–Newton (solid), exact Hessian (dotted); stable iff < 2", 0.775, top[1]),
            centered_panel_title("β<sub>k</sub> on the support (β* dashed)", 0.225, middle[1]),
            centered_panel_title("Mean gain on (solid) / off (dotted) the support", 0.775, middle[1]),
            centered_panel_title("Every dataset's edge run: largest and last γ·S<sub>k</sub>", 0.5, bottom[1]),
        ])
}

/// The figure: dataset 0's small-stepsize run (GD's colour) and edge-of-stability run, then every
/// dataset's edge run summarised.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let first = out.first();
    let support = first.support();
    let s = cfg.setting.s.min(cfg.setting.d);
    for (run, color) in first.runs.iter().zip([style::GD, style::EOS]) {
        let name = format!("GD, γ = {:.2} γ<sub>max</sub>", run.gamma / first.gamma_max);
        for trace in run_traces(run, &support, (&name, color), s) {
            plot.add_trace(trace);
        }
    }
    plot.add_trace(per_dataset(out, "largest γ·S<sub>GN</sub>", MarkerSymbol::TriangleUp, |d| {
        max_sharpness(&d.runs[1])
    }));
    plot.add_trace(per_dataset(out, "largest γ·λ<sub>max</sub>(∇²F)", MarkerSymbol::Diamond, |d| {
        max_hessian_sharpness(&d.runs[1])
    }));
    plot.add_trace(per_dataset(out, "last γ·S<sub>GN</sub>", MarkerSymbol::Circle, |d| final_sharpness(&d.runs[1])));
    plot.set_layout(layout(out, cfg));
    plot
}

//! gain_shape's figure: three gain profiles (bars with IQR error bars, the support shaded) above the
//! heterogeneity index against γ/γ_max.

use plotly::common::{Anchor, ErrorData, ErrorType, Marker};
use plotly::layout::{Annotation, Axis, Layout, Shape};
use plotly::{Bar, Plot};

use super::{Config, Output, heterogeneity, profile, ratio_at};
use crate::experiments::common::{Method, Quartiles};
use crate::experiments::plotting::{band_traces, panel_title, support_band};
use crate::experiments::stepsize_sweep::SweepRun;
use crate::style;

/// The bar chart of one profile (panel `k` of 3) with its support shading, title and axes.
fn profile_panel(
    plot: &mut Plot,
    layout: Layout,
    runs: &[SweepRun],
    cfg: &Config,
    k: usize,
) -> (Layout, Shape, Annotation) {
    const DOMAINS: [[f64; 2]; 3] = [[0.0, 0.3], [0.35, 0.65], [0.7, 1.0]];
    const TOP: [f64; 2] = [0.6, 0.93];
    let (label, method, j) = cfg.profiles()[k];
    let prof = profile(runs, method, j);
    let (xr, yr) =
        if k == 0 { ("x".to_owned(), "y".to_owned()) } else { (format!("x{}", k + 1), format!("y{}", k + 1)) };
    let x: Vec<f64> = (0..prof.len()).map(|c| c as f64).collect();
    let med: Vec<f64> = prof.iter().map(|p| p.gain.median).collect();
    let plus: Vec<f64> = prof.iter().map(|p| p.gain.q75 - p.gain.median).collect();
    let minus: Vec<f64> = prof.iter().map(|p| p.gain.median - p.gain.q25).collect();
    let color = if k == 2 { style::EOS } else { method.color() };
    let error = ErrorData::new(ErrorType::Data).array(plus).array_minus(minus).color("#444444").thickness(1.0).width(2);
    plot.add_trace(
        Bar::new(x, med)
            .name(label)
            .marker(Marker::new().color(color.to_owned()))
            .error_y(error)
            .hover_template(format!("{label}<br>coordinate %{{x}}<br>median gain %{{y:.3g}}<extra></extra>"))
            .x_axis(&xr)
            .y_axis(&yr),
    );
    let shade = support_band(-0.5, cfg.sweep.setting.s as f64 - 0.5, &xr, &yr);
    let title = if k == 2 {
        format!("{label}: γ = γ<sub>max</sub>")
    } else {
        format!("{label}: γ = {:.2} γ<sub>max</sub>", ratio_at(runs, j))
    };
    let note = panel_title(&title, (DOMAINS[k][0] + DOMAINS[k][1]) / 2.0, TOP[1]).x_anchor(Anchor::Center);
    let x_axis = Axis::new().title("coordinate i").domain(&DOMAINS[k]).anchor(&yr).zero_line(false);
    let y_axis = Axis::new().title(if k == 0 { "Gain<sub>γ</sub>(i)" } else { "" }).domain(&TOP).anchor(&xr);
    let layout = match k {
        0 => layout.x_axis(x_axis).y_axis(y_axis),
        1 => layout.x_axis2(x_axis).y_axis2(y_axis),
        _ => layout.x_axis3(x_axis).y_axis3(y_axis),
    };
    (layout, shade, note)
}

/// The figure: the three profiles, then GD's and SGD's heterogeneity index.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let runs = &out.runs;
    let mut plot = Plot::new();
    let bottom = [0.0, 0.4];
    let (mut shapes, mut annotations) = (Vec::new(), Vec::new());
    let mut layout = style::layout(&format!(
        "Shape of the gain Gain<sub>γ</sub>(i) = ln(α²/α<sub>∞,i</sub>²) — {} datasets (median, IQR); support of β* shaded",
        cfg.sweep.datasets
    ))
    .height(820);
    for k in 0..3 {
        let (next, shade, note) = profile_panel(&mut plot, layout, runs, cfg, k);
        layout = next;
        shapes.push(shade);
        annotations.push(note);
    }
    for method in Method::BOTH {
        let (x, q): (Vec<f64>, Vec<Quartiles>) = heterogeneity(runs, method).into_iter().unzip();
        let name = format!("{} heterogeneity", method.as_str());
        let hover = "γ/γ<sub>max</sub> = %{x:.3g}<br>median CV %{y:.3g}";
        plot.add_traces(band_traces(&name, method.color(), &x, &q, "x4", "y4", true, hover));
    }
    let title = "Heterogeneity index: coefficient of variation of Gain<sub>γ</sub> across coordinates";
    annotations.push(panel_title(title, 0.5, bottom[1]).x_anchor(Anchor::Center));
    layout = layout
        .x_axis4(style::log_axis("stepsize γ / γ<sub>max</sub>").domain(&[0.0, 1.0]).anchor("y4"))
        .y_axis4(style::axis("std<sub>i</sub> Gain / mean<sub>i</sub> Gain").domain(&bottom).anchor("x4"))
        .shapes(shapes)
        .annotations(annotations);
    plot.set_layout(layout);
    plot
}

//! The plotly building blocks shared by the figures: a median line with its interquartile band,
//! dashed markers and their labels, panel titles, log axes labelled in powers of ten, and the shading
//! of the support of β*.

use plotly::common::{Anchor, DashType, ExponentFormat, Fill, Font, HoverInfo, Line, Mode};
use plotly::layout::{Annotation, Shape, ShapeLayer, ShapeLine, ShapeType};
use plotly::{Scatter, Trace};

use super::common::Quartiles;
use crate::style;

/// The three traces of a median line with its interquartile band, on axes (`xaxis`, `yaxis`)
/// ("x", "y", "x2", …): the lower quartile (invisible), the upper quartile filled down to it
/// (`tonexty`), then the median line with markers and hover text. Points whose median is not
/// finite are left out. `legend` shows the median in the legend (group `name`).
#[allow(clippy::too_many_arguments)]
pub fn band_traces(
    name: &str,
    color: &str,
    x: &[f64],
    stats: &[Quartiles],
    xaxis: &str,
    yaxis: &str,
    legend: bool,
    hover: &str,
) -> Vec<Box<dyn Trace>> {
    let keep: Vec<usize> = (0..x.len()).filter(|&i| stats[i].median.is_finite()).collect();
    let xs: Vec<f64> = keep.iter().map(|&i| x[i]).collect();
    let lo: Vec<f64> = keep.iter().map(|&i| stats[i].q25).collect();
    let hi: Vec<f64> = keep.iter().map(|&i| stats[i].q75).collect();
    let med: Vec<f64> = keep.iter().map(|&i| stats[i].median).collect();
    let counts: Vec<String> = keep.iter().map(|&i| format!("{} runs", stats[i].count)).collect();
    let lower = Scatter::new(xs.clone(), lo)
        .mode(Mode::Lines)
        .line(Line::new().width(0.0).color(color.to_owned()))
        .hover_info(HoverInfo::Skip)
        .show_legend(false)
        .legend_group(name)
        .x_axis(xaxis)
        .y_axis(yaxis);
    let upper = Scatter::new(xs.clone(), hi)
        .mode(Mode::Lines)
        .line(Line::new().width(0.0).color(color.to_owned()))
        .fill(Fill::ToNextY)
        .fill_color(style::band(color))
        .hover_info(HoverInfo::Skip)
        .show_legend(false)
        .legend_group(name)
        .x_axis(xaxis)
        .y_axis(yaxis);
    let median = Scatter::new(xs, med)
        .name(name)
        .mode(Mode::LinesMarkers)
        .line(Line::new().width(2.5).color(color.to_owned()))
        .text_array(counts)
        .hover_template(format!("{name}<br>{hover}<br>%{{text}}<extra></extra>"))
        .show_legend(legend)
        .legend_group(name)
        .x_axis(xaxis)
        .y_axis(yaxis);
    vec![lower, upper, median]
}

/// A shape of `kind` over x ∈ [`x0`, `x1`] (data coordinates of `xaxis`) spanning the whole height
/// of the subplot whose y axis is `yaxis`.
fn full_height(kind: ShapeType, (x0, x1): (f64, f64), xaxis: &str, yaxis: &str) -> Shape {
    Shape::new().shape_type(kind).x_ref(xaxis).y_ref(format!("{yaxis} domain")).x0(x0).x1(x1).y0(0.0).y1(1.0)
}

/// The dashed line of the markers, in `color`.
fn dashed(color: &str) -> ShapeLine {
    ShapeLine::new().color(color.to_owned()).width(1.5).dash(DashType::Dash)
}

/// A dashed vertical line at `x` (data coordinates of `xaxis`) spanning the whole height of the
/// subplot whose y axis is `yaxis` — e.g. the γ_max marker.
pub fn vline(x: f64, xaxis: &str, yaxis: &str, color: &str) -> Shape {
    full_height(ShapeType::Line, (x, x), xaxis, yaxis).line(dashed(color))
}

/// A dashed horizontal line at `y` spanning the whole width of a subplot.
pub fn hline(y: f64, xaxis: &str, yaxis: &str, color: &str) -> Shape {
    let line = Shape::new().shape_type(ShapeType::Line).x_ref(format!("{xaxis} domain")).y_ref(yaxis);
    line.x0(0.0).x1(1.0).y0(y).y1(y).line(dashed(color))
}

/// A label at the top of a vertical marker (`x` in data coordinates of `xaxis`); for log axes pass
/// log10(x), as plotly expects for annotations.
pub fn vline_label(x: f64, xaxis: &str, yaxis: &str, text: &str, color: &str) -> Annotation {
    Annotation::new()
        .x(x)
        .y(1.0)
        .x_ref(xaxis)
        .y_ref(format!("{yaxis} domain"))
        .text(text)
        .show_arrow(false)
        .font(Font::new().color(color.to_owned()).size(12))
        .y_anchor(Anchor::Bottom)
}

/// A panel title above a subplot (annotation in paper coordinates at its domain's top centre).
pub fn panel_title(text: &str, x_center: f64, y_top: f64) -> Annotation {
    Annotation::new()
        .x(x_center)
        .y(y_top)
        .x_ref("paper")
        .y_ref("paper")
        .text(text)
        .show_arrow(false)
        .font(Font::new().size(15))
        .y_anchor(Anchor::Bottom)
}

/// A log axis whose tick labels are powers of ten (10⁻⁶ rather than plotly's SI "1µ") — for
/// quantities spanning many decades, like risks and losses.
pub fn log_axis_pow(title: &str) -> plotly::layout::Axis {
    style::log_axis(title).exponent_format(ExponentFormat::Power)
}

/// [`panel_title`] anchored at its centre (plotly's default `xanchor: auto` left-aligns text placed
/// left of x = 1/3 and right-aligns it right of 2/3, which shifts side-by-side panel titles).
pub fn centered_panel_title(text: &str, x_center: f64, y_top: f64) -> Annotation {
    panel_title(text, x_center, y_top).x_anchor(Anchor::Center)
}

/// A light green background band over x ∈ [`x0`, `x1`] (data coordinates of `xaxis`) spanning the
/// whole height of the subplot whose y axis is `yaxis`: the support of β*.
pub fn support_band(x0: f64, x1: f64, xaxis: &str, yaxis: &str) -> Shape {
    let band = full_height(ShapeType::Rect, (x0, x1), xaxis, yaxis).fill_color(style::band(style::TRUTH));
    band.line(ShapeLine::new().width(0.0)).layer(ShapeLayer::Below)
}

/// A [`support_band`] over each coordinate of `coord` where `support` holds.
pub fn support_shapes(coord: &[u64], support: &[bool], xaxis: &str, yaxis: &str) -> Vec<Shape> {
    let on = coord.iter().zip(support).filter(|(_, s)| **s);
    on.map(|(&c, _)| support_band(c as f64 - 0.5, c as f64 + 0.5, xaxis, yaxis)).collect()
}

/// The largest number of side-by-side panels [`panel_axes`] can lay out (plotly's axes x … x8).
pub const MAX_PANELS: usize = 8;

/// The axis names of panel `k` (0-based): ("x", "y"), ("x2", "y2"), …
pub fn panel_axis_names(k: usize) -> (String, String) {
    if k == 0 { ("x".into(), "y".into()) } else { (format!("x{}", k + 1), format!("y{}", k + 1)) }
}

/// `layout` with panel `k`'s axes set (k < [`MAX_PANELS`]; later panels are left out).
pub fn panel_axes(
    layout: plotly::Layout,
    k: usize,
    x: plotly::layout::Axis,
    y: plotly::layout::Axis,
) -> plotly::Layout {
    match k {
        0 => layout.x_axis(x).y_axis(y),
        1 => layout.x_axis2(x).y_axis2(y),
        2 => layout.x_axis3(x).y_axis3(y),
        3 => layout.x_axis4(x).y_axis4(y),
        4 => layout.x_axis5(x).y_axis5(y),
        5 => layout.x_axis6(x).y_axis6(y),
        6 => layout.x_axis7(x).y_axis7(y),
        7 => layout.x_axis8(x).y_axis8(y),
        _ => layout,
    }
}

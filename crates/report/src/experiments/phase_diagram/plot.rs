//! phase_diagram's figure: per batch size (columns), heatmaps over γ/γ_max (x) and α (y) of the
//! median test risk relative to gradient flow's (top, log₁₀: blue helps, red hurts) and of the
//! median share of the change from gradient flow that the gain's shape explains (bottom, clipped to
//! [0, 1]). Both axes are categorical: one column per γ/γ_max, one row per α.

use plotly::common::{Anchor, ColorBar, ColorScale, ColorScalePalette, ThicknessMode};
use plotly::layout::AxisType;
use plotly::{HeatMap, Plot};

use super::summary::{Cell, over, part};
use super::{Config, Extra, Output};
use crate::experiments::fraction_runs::Row;
use crate::experiments::plotting::{centered_panel_title, panel_axes, panel_axis_names};
use crate::style;

/// A per-run value of the heatmaps (`None`: no value).
type Value<'a> = &'a dyn Fn(&Row, &Extra) -> Option<f64>;

/// A heatmap's z rows (one per α) of the median of `f` per cell of batch `batch`; gaps where no run
/// has a value.
fn grid(out: &Output, batch: usize, f: Value) -> Vec<Vec<Option<f64>>> {
    (0..out.alphas.len())
        .map(|a| {
            (out.fractions.iter())
                .map(|&fraction| {
                    let cell: Cell = (batch, a, fraction);
                    let m = over(out, cell, f).median;
                    m.is_finite().then_some(m)
                })
                .collect()
        })
        .collect()
}

/// The figure.
pub(super) fn figure(out: &Output, cfg: &Config) -> Plot {
    let mut plot = Plot::new();
    let columns = out.batches.len().max(1);
    let xs: Vec<String> = out.fractions.iter().map(|f| format!("{f}")).collect();
    let ys: Vec<String> = out.alphas.iter().map(|a| crate::claims::fmt3(*a)).collect();
    let width = 1.0 / columns as f64;
    let mut layout = style::layout(&format!(
        "Phase diagram of α × γ/γ<sub>max</sub> × b — median over {} datasets",
        cfg.runs.datasets
    ))
    .height(900);
    let mut titles = Vec::new();
    let risk = |r: &Row, _: &Extra| Some(r.risk_ratio().log10());
    let shape = |_: &Row, e: &Extra| part(e, |x| x.share_shape);
    let rows: [(Value, [f64; 2], &str); 2] =
        [(&risk, [0.6, 1.0], "log₁₀ risk / GF"), (&shape, [0.0, 0.38], "shape's share")];
    for (row, (f, domain, bar)) in rows.into_iter().enumerate() {
        for (col, &batch) in out.batches.iter().enumerate() {
            let k = row * columns + col;
            let (xa, ya) = panel_axis_names(k);
            let (lo, hi) = (col as f64 * width + 0.02, (col + 1) as f64 * width - 0.04);
            let color_bar = ColorBar::new()
                .title(bar)
                .len_mode(ThicknessMode::Pixels)
                .len(300)
                .y((domain[0] + domain[1]) / 2.0)
                .y_anchor(Anchor::Middle)
                .thickness(12);
            let scale = if row == 0 {
                ColorScale::Palette(ColorScalePalette::RdBu)
            } else {
                ColorScale::Palette(ColorScalePalette::Viridis)
            };
            let trace = HeatMap::new(xs.clone(), ys.clone(), grid(out, batch, f))
                .color_scale(scale)
                .show_scale(col + 1 == columns)
                .color_bar(color_bar)
                .x_axis(&xa)
                .y_axis(&ya);
            let trace = if row == 0 { trace.zmid(0.0) } else { trace.zmin(0.0).zmax(1.0) };
            plot.add_trace(trace);
            let method = if batch >= cfg.setting.n { "GD".to_owned() } else { format!("SGD b = {batch}") };
            titles.push(centered_panel_title(&method, (lo + hi) / 2.0, domain[1]));
            layout = panel_axes(
                layout,
                k,
                style::axis("γ/γ<sub>max</sub>").type_(AxisType::Category).domain(&[lo, hi]).anchor(&ya),
                style::axis("α").type_(AxisType::Category).domain(&domain).anchor(&xa),
            );
        }
    }
    plot.set_layout(layout.annotations(titles));
    plot
}

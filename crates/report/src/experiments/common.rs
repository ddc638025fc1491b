//! Helpers shared by the experiments: the two methods (GD / SGD),
//! robust statistics (median and interquartile range over datasets) and the plotly building
//! blocks of the stepsize figures (median line + IQR band, vertical markers).
//!
//! Nothing here reads a DataFrame back: plots and summaries work on typed rows.

use std::collections::BTreeMap;

use anyhow::Result;
use plotly::common::{DashType, Fill, HoverInfo, Line, Mode};
use plotly::layout::{Annotation, Shape, ShapeLine, ShapeType};
use plotly::{Scatter, Trace};
use serde::{Deserialize, Serialize};

use crate::style;

/// Full-batch GD (b = n) or mini-batch SGD (b < n).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Gradient descent, b = n.
    #[serde(rename = "GD")]
    Gd,
    /// Stochastic gradient descent, b < n.
    #[serde(rename = "SGD")]
    Sgd,
}

impl Method {
    /// Both, in the figures' order.
    pub const BOTH: [Method; 2] = [Method::Gd, Method::Sgd];

    /// "GD" | "SGD" (the value of the `method` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Gd => "GD",
            Method::Sgd => "SGD",
        }
    }

    /// The inverse of [`Method::as_str`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "GD" => Ok(Method::Gd),
            "SGD" => Ok(Method::Sgd),
            other => anyhow::bail!("unknown method `{other}` (expected GD or SGD)"),
        }
    }

    /// Its colour (GD blue, SGD red).
    pub fn color(self) -> &'static str {
        style::method_color(self.as_str())
    }
}

/// `Some(x)` if x is finite: diverged runs go into frames as nulls, never NaN/inf.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub use dln::metrics::{Quartiles, quartiles};

/// Groups `values` by `key` (sorted by key), dropping `None`s.
pub fn group_by<K: Ord + Clone>(keys: &[K], values: &[Option<f64>]) -> BTreeMap<K, Vec<f64>> {
    let mut groups: BTreeMap<K, Vec<f64>> = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        let entry = groups.entry(k.clone()).or_default();
        if let Some(v) = v {
            entry.push(*v);
        }
    }
    groups
}

pub use dln::metrics::coefficient_of_variation;

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

/// A dashed vertical line at `x` (data coordinates of `xaxis`) spanning the whole height of the
/// subplot whose y axis is `yaxis` — e.g. the γ_max marker.
pub fn vline(x: f64, xaxis: &str, yaxis: &str, color: &str) -> Shape {
    Shape::new()
        .shape_type(ShapeType::Line)
        .x_ref(xaxis)
        .y_ref(format!("{yaxis} domain"))
        .x0(x)
        .x1(x)
        .y0(0.0)
        .y1(1.0)
        .line(ShapeLine::new().color(color.to_owned()).width(1.5).dash(DashType::Dash))
}

/// A dashed horizontal line at `y` spanning the whole width of a subplot.
pub fn hline(y: f64, xaxis: &str, yaxis: &str, color: &str) -> Shape {
    Shape::new()
        .shape_type(ShapeType::Line)
        .x_ref(format!("{xaxis} domain"))
        .y_ref(yaxis)
        .x0(0.0)
        .x1(1.0)
        .y0(y)
        .y1(y)
        .line(ShapeLine::new().color(color.to_owned()).width(1.5).dash(DashType::Dash))
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
        .font(plotly::common::Font::new().color(color.to_owned()).size(12))
        .y_anchor(plotly::common::Anchor::Bottom)
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
        .font(plotly::common::Font::new().size(15))
        .y_anchor(plotly::common::Anchor::Bottom)
}

/// A log axis whose tick labels are powers of ten (10⁻⁶ rather than plotly's SI "1µ") — for
/// quantities spanning many decades, like risks and losses.
pub fn log_axis_pow(title: &str) -> plotly::layout::Axis {
    style::log_axis(title).exponent_format(plotly::common::ExponentFormat::Power)
}

// ---- (S)GD at fractions of γ_max: estimated_parameters, theorem2_check, uncentered, explorer ----

/// The step budget of `max_epochs` passes over n samples with batch size b: ⌈n/b⌉ steps per epoch.
pub fn steps_for_epochs(max_epochs: u64, n: usize, batch: usize) -> u64 {
    max_epochs.saturating_mul(n.div_ceil(batch.max(1)) as u64)
}

/// A seed for the random stream `stream` derived from an experiment's `seed` (one SplitMix64 step),
/// so that the SGD sampler is independent of the data draw (which uses `seed` itself).
pub fn derived_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A (S)GD template on n samples: batch size b (b = n is GD), constant stepsize (set per run), a
/// budget of `max_epochs` epochs ([`steps_for_epochs`]), loss tolerance `tol`, sampler `seed`.
pub fn template(n: usize, batch: usize, max_epochs: u64, tol: f64, seed: u64) -> dln::Sgd {
    dln::Sgd::sgd(1.0, batch).with_budget(steps_for_epochs(max_epochs, n, batch), tol).with_seed(seed)
}

pub use crate::stability::{gamma_max_of, run_at};

/// ‖a − b‖₁ ([`dln::metrics::l1_distance`]; NaN if the lengths differ).
pub fn l1_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    dln::metrics::l1_distance(a, b).unwrap_or(f64::NAN)
}

/// ‖a − b‖₂ ([`dln::metrics::l2_distance`]; NaN if the lengths differ).
pub fn l2_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    dln::metrics::l2_distance(a, b).unwrap_or(f64::NAN)
}

/// Support recovery ([`dln::metrics::recovers_support`]): the s = |supp β*| largest |β_i| sit
/// exactly on the support of β* (false if the lengths differ).
pub fn recovers_support(beta: ndarray::ArrayView1<f64>, beta_star: ndarray::ArrayView1<f64>) -> bool {
    dln::metrics::recovers_support(beta, beta_star).unwrap_or(false)
}

/// [`panel_title`] anchored at its centre (plotly's default `xanchor: auto` left-aligns text placed
/// left of x = 1/3 and right-aligns it right of 2/3, which shifts side-by-side panel titles).
pub fn centered_panel_title(text: &str, x_center: f64, y_top: f64) -> Annotation {
    panel_title(text, x_center, y_top).x_anchor(plotly::common::Anchor::Center)
}

/// Checks stepsizes given as fractions γ/γ_max (the key `fractions`): at least `min_len` of them,
/// each finite and in (0, 1], strictly increasing.
pub fn validate_fractions(fractions: &[f64], min_len: usize) -> Result<()> {
    anyhow::ensure!(fractions.len() >= min_len, "fractions needs at least {min_len} values, got {}", fractions.len());
    if let Some(f) = fractions.iter().find(|f| !(f.is_finite() && **f > 0.0 && **f <= 1.0)) {
        anyhow::bail!("fractions must lie in (0, 1], got {f}");
    }
    anyhow::ensure!(fractions.windows(2).all(|w| w[0] < w[1]), "fractions must be strictly increasing");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_fractions_names_the_key_and_the_rule() {
        assert!(validate_fractions(&[0.1, 0.5, 1.0], 2).is_ok());
        let err = |f: &[f64], min: usize| validate_fractions(f, min).unwrap_err().to_string();
        assert!(err(&[0.5], 2).contains("at least 2"));
        assert!(err(&[], 1).contains("at least 1"));
        assert!(err(&[0.1, 1.5], 1).contains("(0, 1]"));
        assert!(err(&[0.0, 0.5], 1).contains("(0, 1]"));
        assert!(err(&[f64::NAN], 1).contains("(0, 1]"));
        assert!(err(&[0.5, 0.5], 1).contains("strictly increasing"));
        assert!(err(&[0.5, 0.1], 1).contains("strictly increasing"));
        for bad in [&[][..], &[2.0], &[0.5, 0.1]] {
            assert!(err(bad, 1).starts_with("fractions"), "{}", err(bad, 1));
        }
    }
}

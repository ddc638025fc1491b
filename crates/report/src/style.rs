//! One plotly look for every figure (colours as in the slides: GD blue, SGD red).

use plotly::common::Font;
use plotly::layout::{Axis, AxisType, Layout, Legend};

/// GD's colour (blue, as in the slides).
pub const GD: &str = "#1f77b4";
/// SGD's colour (red, as in the slides).
pub const SGD: &str = "#d62728";
/// Ground truth β* / reference curves.
pub const TRUTH: &str = "#2ca02c";
/// Gradient flow / Theorem 1.
pub const FLOW: &str = "#7f7f7f";
/// Edge of stability.
pub const EOS: &str = "#9467bd";
/// A translucent fill for interquartile bands, from an `#rrggbb` colour.
pub fn band(hex: &str) -> String {
    let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(128);
    format!("rgba({}, {}, {}, 0.18)", c(1), c(3), c(5))
}

/// The colour of a method name ("GD" / "SGD" / other).
pub fn method_color(method: &str) -> &'static str {
    match method {
        "GD" => GD,
        "SGD" => SGD,
        _ => FLOW,
    }
}

/// A linear axis with a title.
pub fn axis(title: &str) -> Axis {
    Axis::new().title(title).zero_line(false)
}

/// A log axis with a title.
pub fn log_axis(title: &str) -> Axis {
    axis(title).type_(AxisType::Log)
}

/// The common layout: title, fonts, legend, size.
pub fn layout(title: &str) -> Layout {
    Layout::new()
        .title(title)
        .font(Font::new().family("Inter, Helvetica, Arial, sans-serif").size(14))
        .legend(Legend::new())
        .height(480)
}

//! The content of a figure, read from its plotly JSON: what a reader of the plot sees, without the
//! look. [`FigureEssentials`] keeps each trace's name, type, axes, mode, fill and data (x, y and
//! error bars, numbers rounded by [`round_sig`] to [`SIG_DIGITS`], as in the summaries), and the
//! layout's title, axes (title, type, fixed range), shapes, annotations and sliders; it drops
//! colours, fonts, widths, hover text and the rest of plotly's settings.
//!
//! Its [`Display`](fmt::Display) is the text the figure snapshots pin: the layout first, then one
//! block per trace with one line per point, so that a changed figure shows in a diff as the trace
//! and the point that changed.

use std::fmt;

use anyhow::{Context, Result};
use plotly::Plot;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{SIG_DIGITS, round_sig};

/// One value of a data array or a coordinate: a number (rounded), a category, or a gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Datum {
    /// A number, rounded to [`SIG_DIGITS`] significant digits.
    Number(f64),
    /// A category or label.
    Text(String),
    /// A missing value (`null`: plotly draws a gap; NaN and ±∞ are serialised as `null`).
    Null,
}

impl Datum {
    fn of(v: &Value) -> Datum {
        match v {
            Value::Number(n) => n.as_f64().map_or(Datum::Null, |x| Datum::Number(round_sig(x, SIG_DIGITS))),
            Value::String(s) => Datum::Text(s.clone()),
            Value::Bool(b) => Datum::Text(b.to_string()),
            _ => Datum::Null,
        }
    }
}

impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // serde_json's shortest round-trip form, as in the summary snapshots (1e-20, 0.5, 3.0).
            Datum::Number(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "{n}"),
                None => write!(f, "{x}"),
            },
            Datum::Text(s) => f.write_str(&quote(s)),
            Datum::Null => f.write_str("null"),
        }
    }
}

/// How an axis maps values to positions (plotly's `type`; `-`, or no type, is plotly's automatic choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AxisScale {
    /// No type set: plotly infers it from the data (linear for numbers).
    Auto,
    /// Linear.
    Linear,
    /// Logarithmic.
    Log,
    /// Dates.
    Date,
    /// Categories.
    Category,
    /// Nested categories.
    MultiCategory,
}

impl AxisScale {
    fn of(v: Option<&Value>) -> Result<AxisScale> {
        Ok(match v.and_then(Value::as_str) {
            None | Some("-") => AxisScale::Auto,
            Some("linear") => AxisScale::Linear,
            Some("log") => AxisScale::Log,
            Some("date") => AxisScale::Date,
            Some("category") => AxisScale::Category,
            Some("multicategory") => AxisScale::MultiCategory,
            Some(other) => anyhow::bail!("unknown axis type `{other}`"),
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            AxisScale::Auto => "auto",
            AxisScale::Linear => "linear",
            AxisScale::Log => "log",
            AxisScale::Date => "date",
            AxisScale::Category => "category",
            AxisScale::MultiCategory => "multicategory",
        }
    }
}

/// An axis of the layout (`xaxis`, `yaxis2`, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxisEssentials {
    /// Its layout key: `xaxis`, `xaxis2`, …, `yaxis`, ….
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// Linear, log, …
    pub scale: AxisScale,
    /// The fixed range, if set (for a log axis in log10 units, as plotly takes it).
    pub range: Option<Vec<Datum>>,
    /// Whether the axis runs backwards (`autorange: "reversed"`).
    pub reversed: bool,
}

/// A shape of the layout (a line, a rectangle, …) and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeEssentials {
    /// `line`, `rect`, `circle` or `path`.
    pub kind: Option<String>,
    /// The x reference (`x`, `x2 domain`, `paper`, …).
    pub x_ref: Option<String>,
    /// The y reference.
    pub y_ref: Option<String>,
    /// x0, x1.
    pub x: [Datum; 2],
    /// y0, y1.
    pub y: [Datum; 2],
}

/// A text annotation of the layout and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnnotationEssentials {
    /// Its text.
    pub text: Option<String>,
    /// The x reference.
    pub x_ref: Option<String>,
    /// The y reference.
    pub y_ref: Option<String>,
    /// Position (x, y).
    pub at: [Datum; 2],
}

/// One step of a slider: its label, the traces it shows and the layout values it sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliderStep {
    /// The label under the step.
    pub label: Option<String>,
    /// The plotly method it calls (`restyle`, `relayout`, `update`, …).
    pub method: Option<String>,
    /// Indices of the traces visible at this step (when the step sets `visible`).
    pub visible: Option<Vec<usize>>,
    /// Layout values the step sets (key, value), e.g. the title.
    pub layout: Vec<(String, Datum)>,
}

/// A slider of the layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliderEssentials {
    /// The step active when the figure opens.
    pub active: Option<u64>,
    /// Its steps, in order.
    pub steps: Vec<SliderStep>,
}

/// Error bars of a trace: the distance above (`array`) and below (`arrayminus`) each point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBars {
    /// Distance above each point.
    pub plus: Vec<Datum>,
    /// Distance below each point (plotly uses `plus` when it is absent).
    pub minus: Option<Vec<Datum>>,
}

/// Whether a trace is drawn when the figure opens, when it is not simply shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Not drawn (`visible: false`): e.g. a step of a slider other than the active one.
    Hidden,
    /// Only its legend entry is drawn (`visible: "legendonly"`).
    LegendOnly,
}

impl Visibility {
    /// `None` for a shown trace (`true` or no `visible`).
    fn of(v: Option<&Value>) -> Option<Visibility> {
        match v? {
            Value::Bool(false) => Some(Visibility::Hidden),
            Value::String(s) if s == "legendonly" => Some(Visibility::LegendOnly),
            _ => None,
        }
    }
}

/// One trace: what it is, where it is drawn and its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEssentials {
    /// Its name (the legend entry); band edges have none.
    pub name: Option<String>,
    /// plotly's trace type (`scatter`, `bar`, …).
    pub kind: String,
    /// Its x axis (`x`, `x2`, …; plotly's default `x`).
    pub x_axis: String,
    /// Its y axis.
    pub y_axis: String,
    /// `lines`, `markers`, `lines+markers`, … (scatter traces).
    pub mode: Option<String>,
    /// The area it fills (`tonexty` for the upper edge of a band, …).
    pub fill: Option<String>,
    /// Its legend group (ties a band's edges to its median line).
    pub group: Option<String>,
    /// How it is drawn when the figure opens, if not simply shown.
    pub visible: Option<Visibility>,
    /// x values.
    pub x: Vec<Datum>,
    /// y values.
    pub y: Vec<Datum>,
    /// Vertical error bars.
    pub error_y: Option<ErrorBars>,
}

/// A figure's content: its layout essentials and its traces, in drawing order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureEssentials {
    /// The figure's title.
    pub title: Option<String>,
    /// Every axis of the layout, x axes then y axes, in number order.
    pub axes: Vec<AxisEssentials>,
    /// The layout's shapes.
    pub shapes: Vec<ShapeEssentials>,
    /// The layout's annotations.
    pub annotations: Vec<AnnotationEssentials>,
    /// The layout's sliders.
    pub sliders: Vec<SliderEssentials>,
    /// The traces.
    pub traces: Vec<TraceEssentials>,
}

/// The essentials of `plot` (see [`FigureEssentials`]).
pub fn figure_essentials(plot: &Plot) -> Result<FigureEssentials> {
    let json: Value = serde_json::from_str(&plot.to_json()).context("reading the figure's JSON")?;
    FigureEssentials::from_json(&json)
}

/// A string field, or the `text` of an object such as plotly's titles.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("text").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn string(o: &Map<String, Value>, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn datum(o: &Map<String, Value>, key: &str) -> Datum {
    o.get(key).map_or(Datum::Null, Datum::of)
}

/// A data array (a missing array is empty; a single value, as plotly allows, is one point).
fn data(v: Option<&Value>) -> Vec<Datum> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(Datum::of).collect(),
        Some(other) => vec![Datum::of(other)],
    }
}

/// Orders axis keys as x, x2, x3, …, y, y2, …: by letter, then by number.
fn axis_order(key: &str) -> Option<(char, u32)> {
    let (letter, rest) = match key.strip_prefix("xaxis") {
        Some(rest) => ('x', rest),
        None => ('y', key.strip_prefix("yaxis")?),
    };
    let number = if rest.is_empty() { 1 } else { rest.parse().ok().filter(|n| *n >= 2)? };
    Some((letter, number))
}

impl AxisEssentials {
    fn of(id: &str, axis: &Value) -> Result<AxisEssentials> {
        let o = axis.as_object().with_context(|| format!("layout.{id} is not an object"))?;
        Ok(AxisEssentials {
            id: id.to_owned(),
            title: text(o.get("title")),
            scale: AxisScale::of(o.get("type")).with_context(|| format!("layout.{id}"))?,
            range: o.get("range").map(|r| data(Some(r))),
            reversed: o.get("autorange").and_then(Value::as_str) == Some("reversed"),
        })
    }
}

impl SliderEssentials {
    fn of(slider: &Value) -> SliderEssentials {
        let steps = slider.get("steps").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let steps = steps
            .iter()
            .map(|step| {
                let args = step.get("args").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
                let visible = args.first().and_then(|a| a.get("visible")).and_then(Value::as_array).map(|v| {
                    v.iter().enumerate().filter(|(_, shown)| shown.as_bool() != Some(false)).map(|p| p.0).collect()
                });
                let layout = args
                    .get(1)
                    .and_then(Value::as_object)
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), Datum::of(v))).collect())
                    .unwrap_or_default();
                SliderStep {
                    label: step.get("label").and_then(Value::as_str).map(str::to_owned),
                    method: step.get("method").and_then(Value::as_str).map(str::to_owned),
                    visible,
                    layout,
                }
            })
            .collect();
        SliderEssentials { active: slider.get("active").and_then(Value::as_u64), steps }
    }
}

impl TraceEssentials {
    fn of(index: usize, trace: &Value) -> Result<TraceEssentials> {
        let o = trace.as_object().with_context(|| format!("trace {index} is not an object"))?;
        let error_y = o
            .get("error_y")
            .and_then(Value::as_object)
            .map(|e| ErrorBars { plus: data(e.get("array")), minus: e.get("arrayminus").map(|m| data(Some(m))) });
        Ok(TraceEssentials {
            name: string(o, "name"),
            kind: string(o, "type").unwrap_or_else(|| "scatter".to_owned()),
            x_axis: string(o, "xaxis").unwrap_or_else(|| "x".to_owned()),
            y_axis: string(o, "yaxis").unwrap_or_else(|| "y".to_owned()),
            mode: string(o, "mode"),
            fill: string(o, "fill").filter(|f| f != "none"),
            group: string(o, "legendgroup"),
            visible: Visibility::of(o.get("visible")),
            x: data(o.get("x")),
            y: data(o.get("y")),
            error_y,
        })
    }
}

impl FigureEssentials {
    /// The essentials of a figure given as plotly JSON (`{"data": [...], "layout": {...}}`, the
    /// content of `figure.json`).
    pub fn from_json(figure: &Value) -> Result<FigureEssentials> {
        let traces = figure.get("data").and_then(Value::as_array).context("the figure has no `data` array")?;
        let traces = traces.iter().enumerate().map(|(i, t)| TraceEssentials::of(i, t)).collect::<Result<_>>()?;
        let empty = Map::new();
        let layout = figure.get("layout").and_then(Value::as_object).unwrap_or(&empty);
        let mut axis_keys: Vec<(&String, (char, u32))> =
            layout.keys().filter_map(|k| axis_order(k).map(|o| (k, o))).collect();
        axis_keys.sort_by_key(|k| k.1);
        let axes = axis_keys.iter().map(|(k, _)| AxisEssentials::of(k, &layout[k.as_str()])).collect::<Result<_>>()?;
        let list = |key: &str| layout.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let shapes = list("shapes")
            .iter()
            .filter_map(Value::as_object)
            .map(|s| ShapeEssentials {
                kind: string(s, "type"),
                x_ref: string(s, "xref"),
                y_ref: string(s, "yref"),
                x: [datum(s, "x0"), datum(s, "x1")],
                y: [datum(s, "y0"), datum(s, "y1")],
            })
            .collect();
        let annotations = list("annotations")
            .iter()
            .filter_map(Value::as_object)
            .map(|a| AnnotationEssentials {
                text: text(a.get("text")),
                x_ref: string(a, "xref"),
                y_ref: string(a, "yref"),
                at: [datum(a, "x"), datum(a, "y")],
            })
            .collect();
        Ok(FigureEssentials {
            title: text(layout.get("title")),
            axes,
            shapes,
            annotations,
            sliders: list("sliders").iter().map(SliderEssentials::of).collect(),
            traces,
        })
    }
}

/// `text` between double quotes, with `"`, `\` and control characters escaped (other characters,
/// combining marks included, as they are).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `"text"`, or `-` when absent.
fn quoted(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "-".to_owned(), quote)
}

fn list(values: &[Datum]) -> String {
    let items: Vec<String> = values.iter().map(Datum::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// `(xref, yref)` of a shape or an annotation.
fn refs(x: &Option<String>, y: &Option<String>) -> String {
    format!("({}, {})", x.as_deref().unwrap_or("-"), y.as_deref().unwrap_or("-"))
}

/// One cell of a point's line: the value left-aligned in a fixed width (a changed value changes
/// only its own line); `·` past the end of a shorter array.
fn cell(d: Option<&Datum>) -> String {
    format!("{:<16}", d.map_or_else(|| "·".to_owned(), Datum::to_string))
}

impl fmt::Display for TraceEssentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} on {}/{}", self.kind, quoted(&self.name), self.x_axis, self.y_axis)?;
        for (key, value) in [("mode", &self.mode), ("fill", &self.fill)] {
            if let Some(v) = value {
                write!(f, ", {key} {v}")?;
            }
        }
        if let Some(group) = &self.group {
            write!(f, ", group {}", quote(group))?;
        }
        match self.visible {
            Some(Visibility::Hidden) => write!(f, ", hidden")?,
            Some(Visibility::LegendOnly) => write!(f, ", legend only")?,
            None => {}
        }
        writeln!(f)?;
        let minus = self.error_y.as_ref().map(|e| e.minus.as_ref().unwrap_or(&e.plus));
        let columns: &[&str] = if self.error_y.is_some() { &["x", "y", "y−", "y+"] } else { &["x", "y"] };
        let header: String = columns.iter().map(|c| format!("{c:<16}")).collect();
        writeln!(f, "  {}", header.trim_end())?;
        let points = self.x.len().max(self.y.len());
        for i in 0..points {
            let mut line = cell(self.x.get(i)) + &cell(self.y.get(i));
            if let (Some(e), Some(minus)) = (&self.error_y, minus) {
                line += &(cell(minus.get(i)) + &cell(e.plus.get(i)));
            }
            writeln!(f, "  {}", line.trim_end())?;
        }
        Ok(())
    }
}

impl fmt::Display for FigureEssentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "title: {}", quoted(&self.title))?;
        writeln!(f, "axes:")?;
        for a in &self.axes {
            write!(f, "  {}: {} {}", a.id, a.scale.as_str(), quoted(&a.title))?;
            if let Some(r) = &a.range {
                write!(f, ", range {}", list(r))?;
            }
            if a.reversed {
                write!(f, ", reversed")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "shapes:")?;
        for s in &self.shapes {
            let kind = s.kind.as_deref().unwrap_or("-");
            writeln!(f, "  {kind} x {} y {} on {}", list(&s.x), list(&s.y), refs(&s.x_ref, &s.y_ref))?;
        }
        writeln!(f, "annotations:")?;
        for a in &self.annotations {
            writeln!(f, "  {} at {} on {}", quoted(&a.text), list(&a.at), refs(&a.x_ref, &a.y_ref))?;
        }
        for (k, slider) in self.sliders.iter().enumerate() {
            let active = slider.active.map_or_else(|| "-".to_owned(), |a| a.to_string());
            writeln!(f, "slider {k} (active step {active}):")?;
            for step in &slider.steps {
                write!(f, "  step {} {}", quoted(&step.label), step.method.as_deref().unwrap_or("-"))?;
                if let Some(v) = &step.visible {
                    let shown: Vec<String> = v.iter().map(usize::to_string).collect();
                    write!(f, ", traces shown [{}]", shown.join(", "))?;
                }
                for (key, value) in &step.layout {
                    write!(f, ", {key} = {value}")?;
                }
                writeln!(f)?;
            }
        }
        for (i, trace) in self.traces.iter().enumerate() {
            write!(f, "\ntrace {i}: {trace}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotly::common::{ErrorData, ErrorType, Fill, Mode};
    use plotly::layout::{Axis, AxisType, Layout};
    use plotly::{Bar, Scatter};

    fn sample() -> Plot {
        let mut plot = Plot::new();
        plot.add_trace(Scatter::new(vec![0.1, 1.0], vec![1.234_567_89e-7, f64::NAN]).name("GD").mode(Mode::Lines));
        plot.add_trace(
            Scatter::new(vec![0.1, 1.0], vec![2.0, 3.0]).fill(Fill::ToNextY).legend_group("GD").y_axis("y2"),
        );
        plot.add_trace(
            Bar::new(vec![1, 2], vec![5.0, 6.0])
                .error_y(ErrorData::new(ErrorType::Data).array(vec![0.5, 0.25]).array_minus(vec![0.1, 0.2])),
        );
        plot.set_layout(
            Layout::new()
                .title("A title")
                .x_axis(Axis::new().title("γ").type_(AxisType::Log).range(vec![-2.0, 0.0]))
                .y_axis2(Axis::new().title("risk")),
        );
        plot
    }

    #[test]
    fn essentials_keep_the_content_and_round_the_numbers() {
        let e = figure_essentials(&sample()).unwrap();
        assert_eq!(e.title.as_deref(), Some("A title"));
        assert_eq!(e.axes.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["xaxis", "yaxis2"]);
        assert_eq!((e.axes[0].scale, e.axes[1].scale), (AxisScale::Log, AxisScale::Auto));
        assert_eq!(e.axes[0].range, Some(vec![Datum::Number(-2.0), Datum::Number(0.0)]));
        assert_eq!(e.traces[0].y, [Datum::Number(1.23457e-7), Datum::Null]);
        assert_eq!((e.traces[1].fill.as_deref(), e.traces[1].y_axis.as_str()), (Some("tonexty"), "y2"));
        assert_eq!(e.traces[1].group.as_deref(), Some("GD"));
        let bars = e.traces[2].error_y.as_ref().unwrap();
        assert_eq!(bars.minus.as_ref().unwrap()[1], Datum::Number(0.2));
        assert_eq!((e.traces[2].kind.as_str(), &e.traces[2].x[0]), ("bar", &Datum::Number(1.0)));
    }

    #[test]
    fn text_lists_one_point_per_line() {
        let text = figure_essentials(&sample()).unwrap().to_string();
        assert!(text.contains("  xaxis: log \"γ\", range [-2.0, 0.0]\n"), "{text}");
        assert!(text.contains("\ntrace 0: scatter \"GD\" on x/y, mode lines\n"), "{text}");
        assert!(text.contains("\n  0.1             1.23457e-7\n  1.0             null\n"), "{text}");
        assert!(text.contains("\n  1.0             5.0             0.1             0.5\n"), "{text}");
    }

    #[test]
    fn text_is_quoted_with_only_quotes_backslashes_and_controls_escaped() {
        assert_eq!(quote("β\u{303}₀ \"a\\b\"\n"), "\"β\u{303}₀ \\\"a\\\\b\\\"\\n\"");
    }

    #[test]
    fn axis_keys_are_ordered_by_letter_then_number() {
        assert_eq!(axis_order("xaxis"), Some(('x', 1)));
        assert_eq!(axis_order("yaxis12"), Some(('y', 12)));
        assert_eq!(axis_order("xaxis1"), None);
        assert_eq!(axis_order("zaxis"), None);
        assert_eq!(axis_order("title"), None);
    }
}

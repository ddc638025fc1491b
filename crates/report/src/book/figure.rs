//! An experiment's interactive figure as an HTML fragment for a chapter, and the plotly.js bundle the
//! book serves itself.
//!
//! The fragment holds the figure's JSON (exactly what the experiment's `plot` produced, read back
//! from `results/<experiment>/figure.json` or from the `Plotly.newPlot` call of `figure.html`) in a
//! `<script type="application/json">`, and one call to `dlnPlot` (book/src/assets/dln-figures.js),
//! which draws it with transparent backgrounds and the current mdBook theme's colours. plotly.js is
//! loaded in `<head>` (theme/head.hbs), before any figure; the static `figure.png`, when the report
//! drew one, is the `<noscript>` fallback.

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The id of an experiment's plot `<div>` (unique in the book, also in print.html).
pub fn div_id(name: &str) -> String {
    format!("plot-{name}")
}

/// plotly.js as embedded in the plotly crate (feature `plotly_embed_js`): the first inline script
/// of [`plotly::Plot::offline_js_sources`].
pub fn plotly_js() -> Result<String> {
    let sources = plotly::Plot::offline_js_sources();
    let open = "<script type=\"text/javascript\">";
    let start = sources.find(open).map(|i| i + open.len());
    let end = start.and_then(|s| sources[s..].find("</script>").map(|e| s + e));
    match (start, end) {
        (Some(s), Some(e)) if sources[s..e].contains("plotly.js") => Ok(sources[s..e].to_string()),
        _ => bail!("the plotly crate's embedded plotly.js was not found (is the `plotly_embed_js` feature on?)"),
    }
}

/// The figure (`{"data": …, "layout": …, "config": …}`) passed to `Plotly.newPlot` in a page written
/// by [`plotly::Plot::to_html`].
pub fn from_html(html: &str) -> Result<Value> {
    let call = "Plotly.newPlot(";
    let Some(at) = html.rfind(call) else { bail!("figure.html has no Plotly.newPlot call") };
    let args = &html[at + call.len()..];
    let Some(comma) = args.find(',') else { bail!("figure.html: Plotly.newPlot has no figure argument") };
    let mut stream = serde_json::Deserializer::from_str(&args[comma + 1..]).into_iter::<Value>();
    let fig = stream
        .next()
        .context("figure.html: Plotly.newPlot's figure argument is missing")?
        .context("figure.html: Plotly.newPlot's figure argument is not JSON")?;
    if !fig.get("data").is_some_and(Value::is_array) {
        bail!("figure.html: the figure has no `data` array");
    }
    Ok(fig)
}

/// JSON text safe inside `<script>` and inside a Markdown chapter: no `</` (would close the
/// element), no `<!--`, no `$` (the math preprocessor would read it as TeX), no `{{` (mdBook's
/// include syntax). All are escaped as JSON `\u` escapes, so the parsed value is unchanged.
pub fn embeddable_json(v: &Value) -> Result<String> {
    let text = serde_json::to_string(v)?;
    // Outside strings compact JSON has no `<`, `>`, `$` and never `{{`, so these only touch strings.
    Ok(text.replace('<', "\\u003c").replace('>', "\\u003e").replace('$', "\\u0024").replace("{{", "{\\u007b"))
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The chapter fragment for experiment `name`. It contains no blank line (Markdown would end the
/// HTML block there); links are relative to a chapter at the top of `src/`.
pub fn fragment(name: &str, about: &str, fig: &Value, static_png: bool) -> Result<String> {
    let id = div_id(name);
    let height = fig.pointer("/layout/height").and_then(Value::as_f64).unwrap_or(480.0).round();
    let json = embeddable_json(fig)?;
    let about = escape_html(about);
    let dir = format!("generated/{name}");
    let mut links =
        format!("<a href=\"{dir}/summary.json\">summary.json</a> · <a href=\"{dir}/config.json\">config.json</a>");
    let mut fallback = String::new();
    if static_png {
        links.push_str(&format!(" · <a href=\"{dir}/figure.png\">static image</a>"));
        fallback =
            format!("<noscript><img class=\"dln-static\" src=\"{dir}/figure.png\" alt=\"{about}\"></noscript>\n");
    }
    Ok(format!(
        "<figure class=\"dln-figure\" id=\"figure-{name}\">\n\
         <div class=\"dln-plot\" id=\"{id}\" style=\"min-height: {height}px\"></div>\n\
         <script type=\"application/json\" id=\"{id}-data\">{json}</script>\n\
         <script>dlnPlot(\"{id}\");</script>\n\
         {fallback}\
         <figcaption>{about}. <span class=\"dln-figure-links\">Experiment <code>{name}</code>: {links}</span></figcaption>\n\
         </figure>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_figure_back_from_plotlys_page() {
        let mut plot = plotly::Plot::new();
        plot.add_trace(plotly::Scatter::new(vec![1.0, 2.0], vec![3.0, 4.0]).name("a</script>$x$"));
        let fig = from_html(&plot.to_html()).unwrap();
        assert_eq!(fig, serde_json::from_str::<Value>(&plot.to_json()).unwrap());
        assert!(from_html("<html></html>").is_err());
    }

    #[test]
    fn embedded_json_parses_back_unchanged_and_is_inert() {
        let v = json!({"data": [{"name": "</script><!-- $a$ {{#include x}}"}], "layout": {"a": {"b": 1}}});
        let text = embeddable_json(&v).unwrap();
        for bad in ["</", "<!--", "$", "{{"] {
            assert!(!text.contains(bad), "{bad} in {text}");
        }
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn fragment_has_no_blank_line_and_the_fallback_only_with_an_image() {
        let fig = json!({"data": [], "layout": {"height": 400}});
        let with = fragment("x", "About <b>", &fig, true).unwrap();
        assert!(!with.contains("\n\n"));
        assert!(
            with.contains("min-height: 400px")
                && with.contains("generated/x/figure.png")
                && with.contains("About &lt;b&gt;")
        );
        let without = fragment("x", "About", &fig, false).unwrap();
        assert!(!without.contains("figure.png") && without.contains("id=\"plot-x\""));
    }

    #[test]
    fn plotly_js_is_the_embedded_bundle() {
        let js = plotly_js().unwrap();
        assert!(js.len() > 1_000_000 && js.contains("plotly.js") && !js.contains("</script>"));
    }
}

//! An experiment's interactive figure as an HTML fragment for a chapter.
//!
//! The fragment holds the figure's JSON (exactly what the experiment's `plot` produced, as written to
//! `results/<experiment>/figure.json`) in a `<script type="application/json">`, and one call to
//! `dlnPlot` (book/src/assets/dln-figures.js), which draws it with transparent backgrounds and the current mdBook theme's colours. plotly.js is
//! loaded in `<head>` (theme/head.hbs), before any figure; the static `figure.png`, when the report
//! drew one, is the `<noscript>` fallback.

use anyhow::Result;
use serde_json::Value;

/// The id of an experiment's plot `<div>` (unique in the book, also in print.html).
pub fn div_id(name: &str) -> String {
    format!("plot-{name}")
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
}

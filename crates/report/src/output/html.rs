//! The interactive figure as an HTML page (`figure.html`), and the scripts it loads.
//!
//! By default the page is small (the figure's JSON and a few lines) and loads plotly.js from the
//! results directory's `assets/` folder, by relative path (`../assets/…`), so it works offline and
//! from a `file://` URL; each script is written there once per results directory
//! ([`write_assets`]). A figure whose traces are all scatter, bar or pie traces loads plotly.js's
//! basic bundle, `plotly-basic.min.js` (1 MB: crates/report/assets/, vendored by
//! `scripts/plotly-basic.sh` at the version the plotly crate embeds); any other figure loads the
//! full bundle the plotly crate embeds, `plotly.min.js` (4.6 MB). A figure with LaTeX (`$…$`) also
//! loads MathJax, `mathjax-tex-svg.js`.
//!
//! With `--standalone-html` ([`WriteOptions::standalone_html`]) the page is plotly's own
//! ([`Plot::to_html`]): full plotly.js and MathJax inline, one self-contained file of about 7 MB.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use plotly::Plot;

use super::{WriteOptions, names, remove_stale_temps, write_atomic};

/// plotly.js's basic bundle (npm `plotly.js-basic-dist-min`, same version as the full bundle).
const PLOTLY_BASIC: &str = include_str!("../../assets/plotly-basic.min.js");

/// The trace types the basic bundle draws.
pub const BASIC_TRACES: &[&str] = &["scatter", "bar", "pie"];

/// The inline scripts of [`Plot::offline_js_sources`] (the plotly crate's embedded plotly.js and
/// MathJax, feature `plotly_embed_js`), in order.
fn embedded_scripts() -> &'static [String] {
    static SCRIPTS: OnceLock<Vec<String>> = OnceLock::new();
    SCRIPTS.get_or_init(|| {
        let sources = Plot::offline_js_sources();
        let open = "<script type=\"text/javascript\">";
        sources.split(open).skip(1).filter_map(|s| s.split_once("</script>").map(|(js, _)| js.to_string())).collect()
    })
}

/// plotly.js (the full bundle) as embedded in the plotly crate.
pub fn plotly_js() -> Result<&'static str> {
    embedded_scripts()
        .first()
        .filter(|js| js.contains("plotly.js"))
        .map(String::as_str)
        .ok_or_else(|| anyhow!("the plotly crate's embedded plotly.js was not found (is `plotly_embed_js` on?)"))
}

/// MathJax (tex-svg) as embedded in the plotly crate.
pub fn mathjax_js() -> Result<&'static str> {
    embedded_scripts()
        .get(1)
        .filter(|js| js.contains("MathJax"))
        .map(String::as_str)
        .ok_or_else(|| anyhow!("the plotly crate's embedded MathJax was not found (is `plotly_embed_js` on?)"))
}

/// Whether a figure has LaTeX (`$…$`) in it, which plotly.js draws with MathJax.
pub fn needs_mathjax(plot: &Plot) -> bool {
    plot.to_json().contains('$')
}

/// The trace types of a figure (plotly's default, `scatter`, for a trace that names none).
pub fn trace_types(plot: &Plot) -> Vec<String> {
    let figure: serde_json::Value = serde_json::from_str(&plot.to_json()).unwrap_or_default();
    let traces = figure.get("data").and_then(serde_json::Value::as_array).map_or(&[][..], Vec::as_slice);
    traces.iter().map(|t| t.get("type").and_then(serde_json::Value::as_str).unwrap_or("scatter").to_string()).collect()
}

/// The asset files (in [`names::ASSETS`]) a figure's page loads, in order: a plotly.js bundle
/// (the basic one when it draws every trace), then MathJax if the figure has LaTeX.
pub fn scripts_for(plot: &Plot) -> Vec<&'static str> {
    let basic = trace_types(plot).iter().all(|t| BASIC_TRACES.contains(&t.as_str()));
    let mut scripts = vec![if basic { names::PLOTLY_BASIC_JS } else { names::PLOTLY_JS }];
    if needs_mathjax(plot) {
        scripts.push(names::MATHJAX_JS);
    }
    scripts
}

/// The content of an asset file named by [`scripts_for`].
fn asset(name: &str) -> Result<&'static str> {
    match name {
        names::PLOTLY_JS => plotly_js(),
        names::PLOTLY_BASIC_JS => Ok(PLOTLY_BASIC),
        names::MATHJAX_JS => mathjax_js(),
        other => Err(anyhow!("no asset named {other}")),
    }
}

/// The interactive figure as an HTML page that renders with no network (see the module docs). The
/// small page says so if its scripts are missing.
pub fn figure_html(plot: &Plot, options: WriteOptions) -> String {
    if options.standalone_html {
        return plot.to_html();
    }
    let scripts = scripts_for(plot);
    let tags: String =
        scripts.iter().map(|name| format!("<script src=\"../{}/{name}\"></script>\n", names::ASSETS)).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{tags}</head>\n<body>\n\
         <p id=\"plotly-missing\" hidden>plotly.js did not load: this page reads it from ../{assets}/{js}, \
         beside the experiment's folder (`reproduce --standalone-html` writes self-contained pages).</p>\n\
         <script>if (typeof Plotly === \"undefined\") document.getElementById(\"plotly-missing\").hidden = false;</script>\n\
         {div}\n</body>\n</html>\n",
        assets = names::ASSETS,
        js = scripts[0],
        div = plot.to_inline_html(Some("plot")),
    )
}

/// Whether an HTML page loads any script from the network (`<script src="http…">`).
pub fn loads_remote_scripts(html: &str) -> bool {
    let selector = scraper::Selector::parse("script[src]").expect("a valid selector");
    scraper::Html::parse_document(html)
        .select(&selector)
        .any(|s| s.value().attr("src").is_some_and(crate::book::check::is_remote))
}

/// Writes `bytes` to `path` (atomically) unless it already holds exactly them.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    let same =
        fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64) && fs::read(path).is_ok_and(|old| old == bytes);
    if same { Ok(()) } else { write_atomic(path, bytes) }
}

/// Writes the scripts `plot`'s page loads ([`scripts_for`]) into `assets`, skipping a file that is
/// already up to date; returns their paths.
pub fn write_assets(assets: &Path, plot: &Plot) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(assets).with_context(|| format!("creating {}", assets.display()))?;
    remove_stale_temps(assets);
    let mut written = Vec::new();
    for name in scripts_for(plot) {
        let path = assets.join(name);
        write_if_changed(&path, asset(name)?.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotly::{Bar, HeatMap, Layout, Scatter};

    fn scatter_and_bar() -> Plot {
        let mut plot = Plot::new();
        plot.add_trace(Scatter::new(vec![1.0, 2.0], vec![3.0, 4.0]).name("a</script>b"));
        plot.add_trace(Bar::new(vec![1.0, 2.0], vec![1.0, 0.5]));
        plot
    }

    #[test]
    fn the_basic_bundle_is_the_full_bundles_version() {
        let version = |js: &str, marker: &str| {
            let head = &js[..200.min(js.len())];
            let at = head.find(marker).map(|i| i + marker.len());
            at.map(|i| head[i..].split_whitespace().next().unwrap_or("").to_string())
        };
        let full = version(plotly_js().unwrap(), "plotly.js ").expect("full bundle version");
        let basic = version(PLOTLY_BASIC, "plotly.js (basic - minified) ").expect("basic bundle version");
        assert!(full.starts_with("v3."), "{full}");
        assert_eq!(basic, full);
        assert!(!PLOTLY_BASIC.contains("</script"));
    }

    #[test]
    fn figures_load_the_basic_bundle_unless_a_trace_needs_the_full_one() {
        let mut plot = scatter_and_bar();
        assert_eq!(trace_types(&plot), ["scatter", "bar"]);
        assert_eq!(scripts_for(&plot), [names::PLOTLY_BASIC_JS]);
        plot.set_layout(Layout::new().title("$\\alpha$"));
        assert_eq!(scripts_for(&plot), [names::PLOTLY_BASIC_JS, names::MATHJAX_JS]);
        plot.add_trace(HeatMap::new_z(vec![vec![1.0, 2.0], vec![3.0, 4.0]]));
        assert_eq!(scripts_for(&plot)[0], names::PLOTLY_JS);
    }

    #[test]
    fn figure_html_loads_the_shared_scripts_or_embeds_them() {
        let plot = scatter_and_bar();
        let light = figure_html(&plot, WriteOptions::default());
        assert!(light.contains(r#"<script src="../assets/plotly-basic.min.js"></script>"#), "{light}");
        assert!(light.len() < 10_000 && !light.contains("a</script>b"));
        let standalone = figure_html(&plot, WriteOptions { standalone_html: true });
        assert!(standalone.len() > 1_000_000, "plotly.js (4.6 MB) must be embedded inline");
        for html in [&light, &standalone] {
            assert!(!loads_remote_scripts(html) && html.contains("Plotly.newPlot"));
        }
    }

    #[test]
    fn remote_scripts_are_found_by_parsing() {
        assert!(loads_remote_scripts(r#"<p><script src="https://cdn.plot.ly/plotly.min.js"></script>"#));
        assert!(loads_remote_scripts(r#"<SCRIPT SRC='//cdn.example/x.js'></SCRIPT>"#));
        assert!(!loads_remote_scripts(r#"<script>var s = "<script src='https://x'>";</script>"#));
        assert!(!loads_remote_scripts(r#"<script src="../assets/plotly.min.js"></script>"#));
    }

    #[test]
    fn assets_are_written_once_and_only_those_a_figure_needs() {
        let dir = std::env::temp_dir().join(format!("dln-report-assets-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut plot = scatter_and_bar();
        let written = write_assets(&dir, &plot).unwrap();
        assert_eq!(written, [dir.join(names::PLOTLY_BASIC_JS)]);
        assert_eq!(fs::read_to_string(&written[0]).unwrap(), PLOTLY_BASIC);
        let before = fs::metadata(&written[0]).unwrap().modified().unwrap();
        plot.add_trace(HeatMap::new_z(vec![vec![1.0]]));
        plot.set_layout(Layout::new().title("$\\alpha$"));
        assert_eq!(write_assets(&dir, &plot).unwrap(), [dir.join(names::PLOTLY_JS), dir.join(names::MATHJAX_JS)]);
        write_assets(&dir, &scatter_and_bar()).unwrap();
        assert_eq!(fs::metadata(&written[0]).unwrap().modified().unwrap(), before, "an up-to-date file is kept");
        let js = fs::read_to_string(dir.join(names::PLOTLY_JS)).unwrap();
        assert!(js.len() > 4_000_000 && js.starts_with("/**\n* plotly.js v3") && !js.contains("</script>"));
        assert!(fs::read_to_string(dir.join(names::MATHJAX_JS)).unwrap().contains("MathJax"));
        fs::remove_dir_all(&dir).unwrap();
    }
}

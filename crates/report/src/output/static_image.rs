//! Static images (`figure.png`) drawn by plotly.js itself in Debian's headless Chromium — the same
//! renderer as the interactive figure, installed from the package registry
//! (`scripts/install-chromium.sh`), never a binary downloaded at build time.
//!
//! All figures of a `reproduce` go through ONE Chromium process: a temporary page embeds plotly.js
//! and every figure, calls `Plotly.toImage` on each in turn, and writes the PNG data URLs into the
//! page; `chromium --headless --dump-dom` prints the resulting DOM, from which the images are decoded
//! and written atomically. (plotly's own `static_export_chromedriver` feature does the same through
//! a WebDriver, at the cost of an async HTTP stack — tokio, reqwest, fantoccini — in the build.)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use plotly::Plot;
use wait_timeout::ChildExt;

use super::{mathjax_js, needs_mathjax, plotly_js, write_atomic};

/// Environment variable naming the Chromium (or Chrome) executable to use.
pub const BROWSER_ENV: &str = "BROWSER_PATH";

/// Executable names searched on `PATH` when [`BROWSER_ENV`] is unset.
pub const BROWSER_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// Pixel ratio of the PNGs (2 = crisp on high-density screens and in print).
pub const SCALE: f64 = 2.0;

/// Default width of a figure whose layout sets none (plotly's autosize would fill the window).
pub const DEFAULT_WIDTH: u64 = 1200;

/// Default height of a figure whose layout sets none.
pub const DEFAULT_HEIGHT: u64 = 540;

/// The Chromium executable: `$BROWSER_PATH` if set (an error if it does not exist), else the first
/// of [`BROWSER_NAMES`] on `PATH` ([`which`]); `Ok(None)` when there is none.
pub fn find_browser() -> Result<Option<PathBuf>> {
    if let Some(p) = std::env::var_os(BROWSER_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(Some(p));
        }
        bail!("{BROWSER_ENV}={} is not an executable file", p.display());
    }
    Ok(BROWSER_NAMES.iter().find_map(|name| which::which(name).ok()))
}

/// One figure to draw.
pub struct Job<'a> {
    /// The figure.
    pub plot: &'a Plot,
    /// Where its PNG goes.
    pub out: PathBuf,
}

/// The figure's size in CSS pixels: the layout's width/height, else the defaults.
pub fn figure_size(plot: &Plot) -> (u64, u64) {
    let layout = serde_json::to_value(plot.layout()).unwrap_or_default();
    let get = |key: &str, default: u64| layout.get(key).and_then(|v| v.as_f64()).map_or(default, |v| v.round() as u64);
    (get("width", DEFAULT_WIDTH), get("height", DEFAULT_HEIGHT))
}

/// The page that draws every job's figure to a PNG data URL in `<pre id="out-i">`, then writes
/// `done` into `<pre id="status">`. Needs no network: plotly.js and MathJax are inline.
fn page(jobs: &[Job]) -> Result<String> {
    let mut figures = String::from("[");
    for (i, job) in jobs.iter().enumerate() {
        let (w, h) = figure_size(job.plot);
        if i > 0 {
            figures.push(',');
        }
        // `</` must not appear inside a <script> element (e.g. "</sub>" in a title).
        let json = job.plot.to_json().replace("</", "<\\/");
        figures.push_str(&format!("{{\"fig\":{json},\"width\":{w},\"height\":{h}}}"));
    }
    figures.push(']');
    let outputs: String = (0..jobs.len()).map(|i| format!("<pre id=\"out-{i}\"></pre>\n")).collect();
    Ok(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8">{scripts}</head>
<body>
<pre id="status"></pre>
{outputs}<div id="stage"></div>
<script type="text/javascript">
(async () => {{
  const figures = {figures};
  for (let i = 0; i < figures.length; i++) {{
    const out = document.getElementById("out-" + i);
    const gd = document.createElement("div");
    document.getElementById("stage").appendChild(gd);
    try {{
      const f = figures[i];
      await Plotly.newPlot(gd, f.fig);
      out.textContent = await Plotly.toImage(gd, {{ format: "png", width: f.width, height: f.height, scale: {SCALE} }});
    }} catch (e) {{
      out.textContent = "error: " + e;
    }}
    Plotly.purge(gd);
    gd.remove();
  }}
  document.getElementById("status").textContent = "done";
}})();
</script>
</body></html>
"#,
        scripts = scripts(jobs)?,
    ))
}

/// plotly.js, plus MathJax only if a figure has LaTeX (`$…$`) in it: parsing MathJax costs the
/// browser about half a second.
fn scripts(jobs: &[Job]) -> Result<String> {
    let mut out = format!("<script type=\"text/javascript\">{}</script>\n", plotly_js()?);
    if jobs.iter().any(|j| needs_mathjax(j.plot)) {
        out.push_str(&format!("<script type=\"text/javascript\">{}</script>\n", mathjax_js()?));
    }
    Ok(out)
}

/// The text of `<pre id="{id}">` in a dumped DOM.
fn pre_text(dom: &scraper::Html, id: &str) -> Option<String> {
    let selector = scraper::Selector::parse(&format!("pre#{id}")).ok()?;
    dom.select(&selector).next().map(|pre| pre.text().collect())
}

/// Time allowed for the whole Chromium pass.
fn timeout(jobs: usize) -> Duration {
    Duration::from_secs(60 + 10 * jobs as u64)
}

/// Draws every job's figure with `browser` (one headless Chromium process) and writes each PNG
/// atomically to its `out`. The temporary page and browser profile live in one temporary directory,
/// removed afterwards. Returns one result per job; the outer error means the browser pass itself
/// failed.
pub fn render_png(browser: &Path, jobs: &[Job]) -> Result<Vec<Result<()>>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let scratch =
        tempfile::Builder::new().prefix("dln-report-chromium-").tempdir().context("creating a temporary directory")?;
    let page_path = scratch.path().join("static-images.html");
    write_atomic(&page_path, page(jobs)?.as_bytes())?;
    let dom = dump_dom(browser, &page_path, &scratch.path().join("profile"), timeout(jobs.len()))?;
    drop(scratch);
    let dom = scraper::Html::parse_document(&dom);
    if pre_text(&dom, "status").as_deref() != Some("done") {
        bail!("headless Chromium stopped before every figure was drawn");
    }
    Ok(jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let text =
                pre_text(&dom, &format!("out-{i}")).ok_or_else(|| anyhow!("no image in the browser's output"))?;
            let data = text.strip_prefix("data:image/png;base64,").ok_or_else(|| {
                anyhow!("plotly.js failed to draw the figure: {}", text.chars().take(200).collect::<String>())
            })?;
            let png = base64::engine::general_purpose::STANDARD.decode(data).context("decoding the PNG")?;
            anyhow::ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the browser returned something that is not a PNG");
            write_atomic(&job.out, &png)
        })
        .collect())
}

/// Runs `browser --headless --dump-dom file://page` and returns the DOM after the page's scripts
/// ran, killing the browser after `limit`.
fn dump_dom(browser: &Path, page: &Path, profile: &Path, limit: Duration) -> Result<String> {
    let page = std::fs::canonicalize(page)?;
    let url = format!("file://{}", page.display());
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--virtual-time-budget=60000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", browser.display()))?;
    // Read stdout on a thread while waiting: a full pipe would otherwise block the browser.
    let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout from the browser"))?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let Some(status) = child.wait_timeout(limit)? else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("headless Chromium did not finish within {} s", limit.as_secs());
    };
    let dom = reader.join().map_err(|_| anyhow!("reading the browser's output failed"))??;
    if !status.success() && dom.is_empty() {
        bail!("{} exited with {status}", browser.display());
    }
    Ok(dom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_text_reads_and_unescapes() {
        let dom = scraper::Html::parse_document(
            r#"<html><body><pre id="status">done</pre><pre id="out-0">error: a &lt; b</pre></body></html>"#,
        );
        assert_eq!(pre_text(&dom, "status").as_deref(), Some("done"));
        assert_eq!(pre_text(&dom, "out-0").as_deref(), Some("error: a < b"));
        assert!(pre_text(&dom, "out-1").is_none());
    }

    #[test]
    fn page_escapes_closing_tags_and_sizes_figures() {
        let mut plot = Plot::new();
        plot.set_layout(plotly::Layout::new().title("a</script>b").height(480));
        assert_eq!(figure_size(&plot), (DEFAULT_WIDTH, 480));
        let html = page(&[Job { plot: &plot, out: PathBuf::from("x.png") }]).unwrap();
        assert!(html.contains(r"a<\/script>b"));
        // plotly.js is 4.6 MB, MathJax another 2.1 MB: without LaTeX in the figure, no MathJax.
        assert!(html.contains("plotly.js v3") && html.len() < 6_000_000, "plotly.js only, no LaTeX here");
        assert!(!html.contains("a</script>b"));
    }
}

//! Builds the mdBook (`book/`) in-process, from the report's outputs.
//!
//! 1. [`generate`] turns `results/<experiment>/` into `book/src/generated/<experiment>/`: `figure.md`,
//!    the figure of `figure.json` as an HTML fragment drawn by the book's own plotly.js ([`figure`]);
//!    `table.md`, the headline numbers of `summary.json` as Markdown tables ([`table`]); the static
//!    `figure.png` when there is one; copies of `summary.json` and `config.json`. Plus
//!    `generated/plotly.min.js` (the plotly crate's embedded copy), `generated/experiments.md`
//!    (every experiment's configuration) and `generated/scaling.md` (the measured cost of a sweep,
//!    [`crate::grid::scaling`]).
//!    The chapters pull these in with mdBook's include directive, next to source code included by
//!    anchor (`// ANCHOR: name` … `// ANCHOR_END: name` in `crates/`).
//! 2. [`check::includes`] refuses a missing include file or anchor (mdBook itself only logs those).
//! 3. mdBook 0.5.4 (`mdbook-driver`) renders the book, with math pre-rendered at build time by
//!    KaTeX through mdbook-katex ([`math`]; KaTeX's CSS and fonts are shipped in
//!    `book/src/assets/katex/`).
//! 4. [`check::rendered`] refuses a rendered book that would load anything from the network, shows
//!    raw TeX or an unresolved include, has a broken internal link, or leaves a figure out.
//!
//! Every failure is one error naming what is missing and how to produce it. Book: chapter
//! "Reproduce and verify".

pub mod check;
pub mod claims;
pub mod figure;
pub mod math;
pub mod table;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::experiments::{ALL, Entry};
use crate::output::{json_text, names};

/// The folder (inside the book's `src/`) that [`generate`] owns and rewrites on every build.
pub const GENERATED: &str = "generated";

/// The appendix "Scaling out"'s measured numbers ([`crate::grid::scaling`]), written to [`GENERATED`].
pub const SCALING: &str = "scaling.md";

/// Name of the plotly.js bundle written to [`GENERATED`] (loaded in `<head>` by `theme/head.hbs`).
pub const PLOTLY_JS: &str = "plotly.min.js";

/// Builds the book at `book_root` (containing book.toml) from the report's outputs in `results`,
/// returning the directory of the rendered HTML.
pub fn build(book_root: &Path, results: &Path) -> Result<PathBuf> {
    ensure!(book_root.join("book.toml").is_file(), "{} has no book.toml", book_root.display());
    let mut book = mdbook_driver::MDBook::load(book_root)
        .map_err(|e| anyhow::anyhow!("loading the book at {}: {e:#}", book_root.display()))?;
    let src = book.source_dir();
    generate(results, &src.join(GENERATED))?;
    check::includes(&src)?;
    book.with_preprocessor(math::Math);
    let all_claims = read_claims(&src.join(GENERATED))?;
    let with_claims: Vec<&str> = ALL.iter().map(|e| e.name).filter(|e| all_claims.has_any(e)).collect();
    book.with_preprocessor(claims::ClaimDirectives(all_claims.clone()));
    book.build().map_err(|e| anyhow::anyhow!("rendering the book: {e:#}"))?;
    let html = book.build_dir_for("html");
    let figures: Vec<String> = ALL.iter().map(|e| figure::div_id(e.name)).collect();
    check::rendered(&html, &figures)?;
    claims::check_rendered(&html, &with_claims)?;
    Ok(html)
}

/// Writes everything the chapters include from `results` into `out` (replacing its previous
/// content, so nothing stale survives). Fails, naming the file, if an experiment's `summary.json`,
/// `config.json` or `figure.json` is missing or unreadable.
pub fn generate(results: &Path, out: &Path) -> Result<()> {
    ensure!(
        results.is_dir(),
        "no results directory {} (run `cargo run --release -- reproduce` first)",
        results.display()
    );
    // Build the new content beside the old one, then swap: a failed build leaves the old one intact.
    let staging = out.with_file_name(format!(".{GENERATED}.tmp-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    }
    let result = (|| {
        fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
        write(&staging.join(PLOTLY_JS), crate::output::plotly_js()?)?;
        let mut configs = Vec::new();
        for entry in ALL {
            configs.push(generate_one(entry, &results.join(entry.name), &staging.join(entry.name))?);
        }
        let src = out.parent().unwrap_or(Path::new("."));
        write(&staging.join(SCALING), &crate::grid::scaling::book_markdown(results)?)?;
        write(&staging.join("experiments.md"), &table::experiments_markdown(&configs, &figure_chapters(src)?))
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    fs::rename(&staging, out).with_context(|| format!("moving {} to {}", staging.display(), out.display()))
}

/// One experiment's generated files; returns (entry, configuration) for the experiments table.
fn generate_one(entry: &Entry, dir: &Path, out: &Path) -> Result<(Entry, Value)> {
    let name = entry.name;
    let hint = || format!("run `cargo run --release -- reproduce --only {name}` first");
    ensure!(dir.is_dir(), "missing results for `{name}`: no directory {} ({})", dir.display(), hint());
    let read = |file: &str| -> Result<String> {
        let path = dir.join(file);
        ensure!(path.is_file(), "missing {} ({})", path.display(), hint());
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let json = |file: &str| -> Result<Value> {
        let text = read(file)?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", dir.join(file).display()))
    };
    let summary = json(names::SUMMARY)?;
    let config = json(names::CONFIG)?;
    let figure_json = json(names::FIGURE_JSON)?;
    ensure!(
        figure_json.get("data").is_some_and(Value::is_array),
        "{} has no `data` array ({})",
        dir.join(names::FIGURE_JSON).display(),
        hint()
    );

    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let png = dir.join(names::PNG);
    let static_png = png.is_file();
    if static_png {
        fs::copy(&png, out.join(names::PNG)).with_context(|| format!("copying {}", png.display()))?;
    }
    let fragment = figure::fragment(name, entry.about, &figure_json, static_png)?;
    write(&out.join("figure.md"), &fragment)?;
    write(&out.join("table.md"), &table::summary_markdown(name, &summary)?)?;
    write(&out.join("claims.md"), &claims::markdown(name, &claims::read(&summary)?))?;
    write(&out.join(names::SUMMARY), &json_text(&summary))?;
    write(&out.join(names::CONFIG), &json_text(&config))?;
    Ok((*entry, config))
}

/// Every experiment's claims, from the summaries [`generate`] copied into `generated`.
fn read_claims(generated: &Path) -> Result<claims::Claims> {
    let mut all = claims::Claims::default();
    for entry in ALL {
        let path = generated.join(entry.name).join("summary.json");
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let summary: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        all.add(entry.name, claims::read(&summary)?)?;
    }
    Ok(all)
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// For each experiment, the chapter (Markdown file under `src`) that includes its figure, found by
/// reading the chapters (the first one, if several do); experiments no chapter shows are absent.
pub fn figure_chapters(src: &Path) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chapters: Vec<PathBuf> = fs::read_dir(src)
        .with_context(|| format!("listing {}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    for chapter in chapters {
        let text = fs::read_to_string(&chapter).with_context(|| format!("reading {}", chapter.display()))?;
        let file = chapter.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        for arg in check::directives(&text) {
            let Some(name) = arg.strip_prefix(&format!("{GENERATED}/")).and_then(|r| r.strip_suffix("/figure.md"))
            else {
                continue;
            };
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), file.clone()));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_chapters_are_read_from_the_includes() {
        let dir = std::env::temp_dir().join(format!("dln-book-chapters-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("01-a.md"), "{{#include generated/x/figure.md}}\n{{#include generated/x/table.md}}")
            .unwrap();
        fs::write(dir.join("02-b.md"), "{{#include generated/y/figure.md}} {{#include generated/x/figure.md}}")
            .unwrap();
        fs::write(dir.join("notes.txt"), "{{#include generated/z/figure.md}}").unwrap();
        let found = figure_chapters(&dir).unwrap();
        assert_eq!(found, [("x".to_string(), "01-a.md".to_string()), ("y".into(), "02-b.md".into())]);
        fs::remove_dir_all(&dir).unwrap();
    }
}

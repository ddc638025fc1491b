//! The built book (issue 4): built in-process from the results of every experiment's quick
//! configuration (run through the registry and written by the report's own output writer), in a
//! scratch copy of the repository's layout so that the working tree is never written.
//!
//! Checked on the rendered HTML, independently of the builder's own checks: no page or stylesheet
//! loads anything from the network; every chapter shows its experiment's figure (the figure's JSON
//! is there, drawn by the book's plotly.js loaded in `<head>` before it) and its numbers table; no
//! include directive is left; the math is rendered (KaTeX HTML + MathML, no `$$`). And the build
//! fails, with an error naming the culprit, on a missing result, a broken anchor or bad TeX.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dln_report::book;
use dln_report::experiments::{ALL, Options};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_path_buf()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("book-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.iter().any(|s| name == *s || (s.ends_with('*') && name.starts_with(s.trim_end_matches('*')))) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() { copy_dir(&src, &dst, skip) } else { fs::copy(&src, &dst).map(|_| ()).unwrap() }
    }
}

/// The book and the sources its chapters include, at the same relative places as in the repository.
fn stage_book(root: &Path) -> PathBuf {
    let book = root.join("book");
    copy_dir(&repo().join("book"), &book, &["build", "generated", ".generated.tmp-*"]);
    for krate in ["dln", "report"] {
        copy_dir(&repo().join("crates").join(krate).join("src"), &root.join("crates").join(krate).join("src"), &[]);
    }
    book
}

/// Every experiment's quick configuration, run and written exactly as `reproduce --quick` does;
/// returns each experiment's figure as JSON (what the book must embed).
fn quick_results(dir: &Path) -> Vec<(&'static str, serde_json::Value)> {
    let mut figures = Vec::new();
    for entry in ALL {
        let output = (entry.execute)(&Options { quick: true, overrides: None })
            .unwrap_or_else(|e| panic!("{}: {e:#}", entry.name));
        dln_report::output::write_experiment(&dir.join(entry.name), &output)
            .unwrap_or_else(|e| panic!("writing {}: {e:#}", entry.name));
        figures.push((entry.name, serde_json::from_str(&output.figure.to_json()).unwrap()));
    }
    figures
}

type Built = (PathBuf, Vec<(String, String)>, Vec<(&'static str, serde_json::Value)>);

/// The book built once from the quick results: (HTML directory, its pages, the figures).
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = scratch("quick");
        let results = root.join("results");
        let figures = quick_results(&results);
        let html = book::build(&stage_book(&root), &results).unwrap_or_else(|e| panic!("building the book: {e:#}"));
        let mut pages = Vec::new();
        for entry in fs::read_dir(&html).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "html") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                pages.push((name, fs::read_to_string(&path).unwrap()));
            }
        }
        pages.sort();
        (html, pages, figures)
    })
}

fn page(name: &str) -> &'static str {
    let (_, pages, _) = built();
    &pages.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no page {name}")).1
}

/// Values of `attr="…"` inside every `<tag …>` of `html`.
fn attrs(html: &str, tag: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in html.split(&format!("<{tag}")).skip(1) {
        let head = &piece[..piece.find('>').unwrap_or(piece.len())];
        if let Some(i) = head.find(&format!(" {attr}=\"")) {
            let v = &head[i + attr.len() + 3..];
            out.push(v[..v.find('"').unwrap_or(v.len())].to_string());
        }
    }
    out
}

fn remote(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    u.starts_with("http:") || u.starts_with("https:") || u.starts_with("//")
}

#[test]
fn no_page_or_stylesheet_loads_anything_from_the_network() {
    let (html, pages, _) = built();
    assert!(pages.len() > ALL.len(), "only {} pages", pages.len());
    for (name, text) in pages {
        for (tag, attr) in [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src")] {
            for url in attrs(text, tag, attr) {
                assert!(!remote(&url), "{name}: <{tag} {attr}=\"{url}\"> loads from the network");
            }
        }
        assert!(!text.contains("MathJax"), "{name}: mdBook's MathJax (a CDN script) is enabled");
    }
    let mut stack = vec![html.clone()];
    let mut sheets = 0;
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "css") {
                sheets += 1;
                let css = fs::read_to_string(&path).unwrap();
                for piece in css.split("url(").skip(1) {
                    let url = piece[..piece.find(')').unwrap()].trim_matches(['"', '\'']);
                    assert!(!remote(url), "{}: url({url}) loads from the network", path.display());
                    if !url.starts_with("data:") && !url.starts_with('#') {
                        let target = path.parent().unwrap().join(url.split(['?', '#']).next().unwrap());
                        assert!(target.is_file(), "{}: url({url}) is missing", path.display());
                    }
                }
                assert!(!css.contains("@import \"http") && !css.contains("@import url(http"), "{}", path.display());
            }
        }
    }
    assert!(sheets > 0);
    // KaTeX's fonts are served by the book.
    assert!(html.join("assets/katex/fonts/KaTeX_Main-Regular.woff2").is_file());
}

#[test]
fn every_chapter_shows_its_figure_after_plotly_is_loaded() {
    let (html, pages, figures) = built();
    let plotly = fs::read_to_string(html.join("generated/plotly.min.js")).expect("plotly.js is served by the book");
    assert!(plotly.len() > 1_000_000 && plotly.contains("plotly.js"));
    for experiment in ALL.iter().map(|e| e.name) {
        let id = format!("plot-{experiment}");
        let chapter = pages
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| n.starts_with(|c: char| c.is_ascii_digit()) && page(n).contains(&format!("id=\"{id}\"")))
            .unwrap_or_else(|| panic!("no chapter shows the figure of {experiment}"));
        let text = page(chapter);
        assert!(
            text.contains(&format!("<div class=\"dln-plot\" id=\"{id}\"")),
            "{chapter}: no figure div for {experiment}"
        );
        let call = text
            .find(&format!("dlnPlot(\"{id}\")"))
            .unwrap_or_else(|| panic!("{chapter}: {experiment} is never drawn"));
        let head_js = text.find("generated/plotly.min.js").expect("plotly.js loaded by the page");
        assert!(
            head_js < call && head_js < text.find("</head>").unwrap(),
            "{chapter}: plotly.js must load in <head>, before the figures"
        );
        // The embedded figure is the experiment's own: valid JSON with traces.
        let open = format!("<script type=\"application/json\" id=\"{id}-data\">");
        let start = text.find(&open).unwrap_or_else(|| panic!("{chapter}: no data for {experiment}")) + open.len();
        let json = &text[start..start + text[start..].find("</script>").unwrap()];
        let fig: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{chapter}/{experiment}: {e}"));
        assert!(fig["data"].as_array().is_some_and(|d| !d.is_empty()), "{chapter}: {experiment}'s figure has no trace");
        let own = &figures.iter().find(|(n, _)| *n == experiment).unwrap().1;
        assert_eq!(&fig, own, "{chapter}: the embedded figure is not exactly {experiment}'s");
        // Its headline numbers, generated from summary.json.
        assert!(text.contains(&format!("results/{experiment}/summary.json")), "{chapter}: no table for {experiment}");
        assert!(html.join(format!("generated/{experiment}/summary.json")).is_file());
    }
}

#[test]
fn includes_are_resolved_and_the_math_is_rendered() {
    let (_, pages, _) = built();
    for (name, text) in pages {
        assert!(!text.contains("{{#"), "{name}: an include directive was left in the page");
        assert!(!text.contains("$$"), "{name}: raw display TeX");
    }
    for (chapter, source) in
        [("02-setting.html", "pub fn init("), ("04-theorem2.html", "pub fn q("), ("09-beyond.html", "pub fn alpha_sq(")]
    {
        let text = page(chapter);
        assert!(text.contains(source), "{chapter}: the included source `{source}` is missing");
        assert!(!text.contains("ANCHOR"), "{chapter}: anchor markers leaked into the listing");
    }
    for chapter in ["02-setting.html", "03-theorem1.html", "04-theorem2.html", "appendix.html"] {
        let text = page(chapter);
        let katex = text.matches("class=\"katex\"").count();
        assert!(katex > 5, "{chapter}: {katex} rendered formulas");
        assert_eq!(katex, text.matches("<math").count(), "{chapter}: every formula has its MathML twin");
        assert!(text.contains("class=\"katex-display\""), "{chapter}: no display math");
    }
    // TeX survived the Markdown pass intact (the MathML annotation keeps the source).
    assert!(
        page("03-theorem1.html").contains("<annotation encoding=\"application/x-tex\">\\beta^*_\\alpha</annotation>")
    );
}

// ---- failures: a tiny results directory is enough (the build fails before or without reading more).

/// A minimal, valid results directory: one trace per figure.
fn fake_results(dir: &Path) {
    for entry in ALL {
        let d = dir.join(entry.name);
        fs::create_dir_all(&d).unwrap();
        let figure = r#"{"data":[{"type":"scatter","x":[1,2],"y":[3,4],"name":"GD"}],"layout":{"height":300}}"#;
        fs::write(d.join("figure.json"), figure).unwrap();
        let claims: Vec<serde_json::Value> = named_claims()
            .into_iter()
            .filter_map(|id| id.strip_prefix(&format!("{}.", entry.name)).map(str::to_owned))
            .map(|id| {
                serde_json::json!({"id": id, "statement": "A fake claim.", "values": {"v": 1.0}, "key": "v",
                                   "comparison": "at_most", "threshold": 2.0, "holds": true})
            })
            .collect();
        let summary = serde_json::json!({"value": 1.5, "claims": claims});
        fs::write(d.join("summary.json"), summary.to_string()).unwrap();
        fs::write(d.join("config.json"), r#"{"seed": 0}"#).unwrap();
    }
}

/// Every claim id the chapters name (`{{#claim …}}`, `{{#claimref …}}`), as `<experiment>.<id>`.
fn named_claims() -> Vec<String> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(repo().join("book/src")).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        for part in text.split("{{#claim").skip(1) {
            let part = part.strip_prefix("ref").unwrap_or(part);
            ids.push(part.split("}}").next().unwrap().trim().to_string());
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

fn build_error(name: &str, edit: impl FnOnce(&Path, &Path)) -> String {
    let root = scratch(name);
    let results = root.join("results");
    fake_results(&results);
    let book_root = stage_book(&root);
    edit(&book_root, &results);
    format!("{:#}", book::build(&book_root, &results).expect_err("the build must fail"))
}

/// Rewrites the chapter `book/src/<chapter>` with `edit` of its text.
fn edit_chapter(book: &Path, chapter: &str, edit: impl FnOnce(String) -> String) {
    let path = book.join("src").join(chapter);
    let text = edit(fs::read_to_string(&path).unwrap());
    fs::write(path, text).unwrap();
}

#[test]
fn the_fake_results_build() {
    let root = scratch("fake");
    let results = root.join("results");
    fake_results(&results);
    book::build(&stage_book(&root), &results).unwrap();
}

#[test]
fn an_unknown_claim_fails_the_build_naming_it() {
    let e = build_error("claim", |book, _| {
        let chapter = book.join("src/03-theorem1.md");
        let text = fs::read_to_string(&chapter).unwrap() + "\n{{#claim theorem1_alpha.no_such_claim}}\n";
        fs::write(chapter, text).unwrap();
    });
    assert!(e.contains("theorem1_alpha.no_such_claim") && e.contains("claim"), "{e}");
}

#[test]
fn every_claim_is_shown_beside_its_figure() {
    let (_, pages, _) = built();
    for entry in ALL {
        let anchor = format!("id=\"claims-{}\"", entry.name);
        assert!(pages.iter().any(|(_, html)| html.contains(&anchor)), "{}: no claims list in the book", entry.name);
    }
    for (name, html) in pages {
        assert!(!html.contains("{{#claim"), "{name}: an unexpanded claim directive");
        assert!(!html.contains(" › "), "{name}: a raw key path in a table");
    }
}

#[test]
fn a_missing_result_fails_the_build_naming_it() {
    let e = build_error("missing", |_, results| fs::remove_file(results.join("gain_shape/summary.json")).unwrap());
    assert!(e.contains("gain_shape") && e.contains("summary.json") && e.contains("reproduce"), "{e}");
}

#[test]
fn a_broken_anchor_fails_the_build_naming_it() {
    let e = build_error("anchor", |book, _| {
        edit_chapter(book, "04-theorem2.md", |t| t.replace("gain.rs:q}}", "gain.rs:no_such_anchor}}"));
    });
    assert!(e.contains("04-theorem2.md") && e.contains("no_such_anchor"), "{e}");
}

#[test]
fn bad_tex_fails_the_build_naming_the_chapter() {
    let e = build_error("tex", |book, _| edit_chapter(book, "13-conclusions.md", |t| t + "\n$$\\frac{1}{$$\n"));
    assert!(e.contains("KaTeX") && e.contains("Conclusions"), "{e}");
}

#[test]
fn a_broken_link_fails_the_build() {
    let e = build_error("link", |book, _| {
        edit_chapter(book, "13-conclusions.md", |t| t + "\nSee [nowhere](no-such-chapter.md).\n");
    });
    assert!(e.contains("no-such-chapter"), "{e}");
}

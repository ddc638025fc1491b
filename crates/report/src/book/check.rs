//! The book's build checks: mdBook only logs a missing include and silently includes nothing for a
//! missing anchor, and nothing in mdBook looks at what the rendered pages load. These checks turn
//! each of those into a build error.
//!
//! - [`includes`] (before rendering): every include directive of every chapter names an existing
//!   file, and an existing, non-empty `ANCHOR: name` … `ANCHOR_END: name` region.
//! - [`rendered`] (after rendering): no page or stylesheet loads anything from the network (scripts,
//!   stylesheets, fonts, images, frames); no unresolved include and no raw TeX (`$`) is left in a
//!   page's text; every relative link and resource resolves to a file of the book (and an
//!   `#anchor` to an element id of the page it names); every expected figure is on some page.
//!   Pages are parsed as a browser would (html5ever, through [`scraper`]).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use scraper::{ElementRef, Html, Selector};

/// Include directives of mdBook's links preprocessor.
const DIRECTIVES: &[&str] = &["{{#include ", "{{#rustdoc_include "];

/// Checks every include directive of the Markdown files under `src` (recursively).
pub fn includes(src: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for file in files(src, &["md"])? {
        let text = fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        for arg in directives(&text) {
            if let Err(e) = check_include(&file, &arg) {
                problems.push(format!("{}: {e}", rel(src, &file)));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { bail!("broken include(s): {}", problems.join("; ")) }
}

/// The arguments (`path[:anchor]`) of the unescaped include directives in `text`.
pub fn directives(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in DIRECTIVES {
        for (i, _) in text.match_indices(d) {
            if text[..i].ends_with('\\') {
                continue;
            }
            let rest = &text[i + d.len()..];
            if let Some(end) = rest.find("}}") {
                out.push(rest[..end].trim().to_string());
            }
        }
    }
    out
}

fn check_include(md: &Path, arg: &str) -> Result<()> {
    let (path, selector) = match arg.split_once(':') {
        Some((p, s)) => (p, Some(s)),
        None => (arg, None),
    };
    let target = md.parent().unwrap_or(Path::new(".")).join(path);
    if !target.is_file() {
        bail!("`{arg}`: no file {}", target.display());
    }
    let Some(anchor) = selector.filter(|s| !s.is_empty() && !s.chars().all(|c| c.is_ascii_digit() || c == ':')) else {
        return Ok(());
    };
    let text = fs::read_to_string(&target).with_context(|| format!("reading {}", target.display()))?;
    let is_marker = |line: &str, kind: &str| line.split_once(kind).is_some_and(|(_, name)| name.trim() == anchor);
    let start = text.lines().position(|l| is_marker(l, "ANCHOR:"));
    let end = text.lines().position(|l| is_marker(l, "ANCHOR_END:"));
    match (start, end) {
        (Some(s), Some(e)) if e > s + 1 => Ok(()),
        (Some(_), Some(_)) => bail!("`{arg}`: anchor `{anchor}` is empty"),
        _ => bail!("`{arg}`: no anchor `{anchor}` (ANCHOR: {anchor} … ANCHOR_END: {anchor}) in {}", target.display()),
    }
}

/// Elements whose text a reader does not see as prose: a `$` there is not raw TeX.
const NOT_PROSE: &[&str] = &["script", "style", "pre", "code", "math", "annotation"];

/// Checks the rendered book in `html` (see the module docs); `figures` are element ids that must
/// each appear on some page other than print.html.
pub fn rendered(html: &Path, figures: &[String]) -> Result<()> {
    let pages = files(html, &["html"])?;
    if pages.is_empty() {
        bail!("no HTML page in {}", html.display());
    }
    let mut problems = Vec::new();
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut docs = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).with_context(|| format!("reading {}", page.display()))?;
        let doc = Html::parse_document(&text);
        ids.insert(
            page.clone(),
            doc.select(&selector("[id]")).filter_map(|e| e.attr("id")).map(String::from).collect(),
        );
        docs.push((page.clone(), doc));
    }
    for (page, doc) in &docs {
        let name = rel(html, page);
        for url in remote_loads(doc) {
            problems.push(format!("{name} loads {url} from the network"));
        }
        let visible = visible_text(doc, NOT_PROSE);
        if visible.contains("{{#") {
            problems.push(format!("{name} has an unresolved include directive"));
        }
        if let Some(i) = visible.find('$') {
            let context: String = visible[i.saturating_sub(40)..].chars().take(80).collect();
            problems.push(format!("{name} shows raw TeX (a `$` in its text): …{}…", context.replace('\n', " ")));
        }
        for link in doc.select(&selector("[href], [src]")).flat_map(|e| [e.attr("href"), e.attr("src")]).flatten() {
            if let Err(e) = check_link(html, page, link, &ids) {
                problems.push(format!("{name}: {e}"));
            }
        }
    }
    for css in files(html, &["css"])? {
        let text = fs::read_to_string(&css).with_context(|| format!("reading {}", css.display()))?;
        for url in css_urls(&text) {
            if is_remote(&url) {
                problems.push(format!("{} loads {url} from the network", rel(html, &css)));
            } else if !url.starts_with("data:") {
                let target = css.parent().unwrap_or(html).join(url.split(['?', '#']).next().unwrap_or(""));
                if !target.is_file() {
                    problems.push(format!("{}: missing {url}", rel(html, &css)));
                }
            }
        }
    }
    for id in figures {
        let shown = ids.iter().any(|(p, page_ids)| !p.ends_with("print.html") && page_ids.contains(id));
        if !shown {
            problems.push(format!("no chapter shows the figure `{id}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let n = problems.len();
        problems.truncate(12);
        bail!("the rendered book has {n} problem(s): {}", problems.join("; "))
    }
}

/// A CSS selector of this module (all are constant and valid).
fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid selector")
}

/// Whether a URL points to the network (`http:`, `https:`, `ftp:` or protocol-relative `//`).
pub fn is_remote(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("http:") || u.starts_with("https:") || u.starts_with("//") || u.starts_with("ftp:")
}

fn is_external_link(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    is_remote(&u) || ["mailto:", "data:", "javascript:", "tel:"].iter().any(|s| u.starts_with(s))
}

/// URLs a page would fetch from the network when read: `src` and `srcset` of any element, `href`
/// of `<link>` (stylesheets, fonts, icons), `data` of `<object>`, and `url(…)`/`@import` inside
/// `<style>`.
pub fn remote_loads(doc: &Html) -> Vec<String> {
    let mut out = Vec::new();
    for e in doc.select(&selector("[src], [srcset], link[href], object[data]")) {
        let srcset =
            e.attr("srcset").into_iter().flat_map(|s| s.split(',').filter_map(|p| p.split_whitespace().next()));
        let href = e.attr("href").filter(|_| e.value().name() == "link");
        let data = e.attr("data").filter(|_| e.value().name() == "object");
        out.extend(
            e.attr("src").into_iter().chain(srcset).chain(href).chain(data).filter(|u| is_remote(u)).map(String::from),
        );
    }
    for style in doc.select(&selector("style")) {
        out.extend(css_urls(&style.text().collect::<String>()).into_iter().filter(|u| is_remote(u)));
    }
    out
}

/// The text a reader sees: every text node outside the elements named in `skip` (and their
/// descendants), entities decoded.
pub fn visible_text(doc: &Html, skip: &[&str]) -> String {
    fn walk(element: ElementRef, skip: &[&str], out: &mut String) {
        for child in element.children() {
            if let Some(text) = child.value().as_text() {
                out.push_str(text);
            } else if let Some(e) = ElementRef::wrap(child).filter(|e| !skip.contains(&e.value().name())) {
                walk(e, skip, out);
            }
        }
    }
    let mut out = String::new();
    walk(doc.root_element(), skip, &mut out);
    out
}

/// `url(…)` and `@import "…"` targets of a stylesheet.
fn css_urls(css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in css.match_indices("url(") {
        let rest = &css[i + 4..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].trim().trim_matches(['"', '\'']).to_string());
        }
    }
    for (i, _) in css.match_indices("@import") {
        let rest = css[i + 7..].trim_start();
        if let Some(q @ ('"' | '\'')) = rest.chars().next() {
            out.push(rest[1..].split(q).next().unwrap_or("").to_string());
        }
    }
    out
}

fn check_link(root: &Path, page: &Path, link: &str, ids: &HashMap<PathBuf, HashSet<String>>) -> Result<()> {
    let link = link.trim();
    if link.is_empty() || is_external_link(link) {
        return Ok(());
    }
    let (path, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (link, None),
    };
    let path = path.split('?').next().unwrap_or("");
    let target = if path.is_empty() {
        page.to_path_buf()
    } else if let Some(abs) = path.strip_prefix('/') {
        root.join(abs)
    } else {
        normalize(&page.parent().unwrap_or(root).join(path))
    };
    let target = if target.is_dir() { target.join("index.html") } else { target };
    if !target.starts_with(root) {
        bail!("link `{link}` leaves the book");
    }
    if !target.is_file() {
        bail!("broken link `{link}`");
    }
    if let (Some(f), Some(page_ids)) = (fragment.filter(|f| !f.is_empty()), ids.get(&target))
        && !page_ids.contains(f)
    {
        bail!("link `{link}`: no element with id `{f}` in {}", rel(root, &target));
    }
    Ok(())
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Files under `dir` (recursively, sorted) with one of the extensions.
fn files(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let path = entry.path();
        if entry.file_type().is_file() && path.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
            out.push(path.to_path_buf());
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_remote_loads_but_not_links() {
        let html = r#"<html><head><link rel="stylesheet" href="https://cdn.example/katex.css">
<script src="//cdn.example/plotly.js"></script><script>var s = "<img src='https://x'>";</script>
<style>@import "https://fonts.example/a.css"; body { background: url(local.png) }</style></head>
<body><a href="https://arxiv.org/abs/2302.08982">paper</a><img src="generated/x/figure.png"></body></html>"#;
        let mut urls = remote_loads(&Html::parse_document(html));
        urls.sort();
        assert_eq!(urls, ["//cdn.example/plotly.js", "https://cdn.example/katex.css", "https://fonts.example/a.css"]);
        assert!(!urls.iter().any(|u| u.contains("arxiv")));
    }

    #[test]
    fn visible_text_excludes_code_scripts_and_math() {
        let html = "<p>a <code>$x</code> <span class=\"katex\"><math><annotation>\\$</annotation></math></span> b</p><pre><code>$ cargo</code></pre><script>if(a$)</script>";
        assert_eq!(visible_text(&Html::parse_document(html), &["script", "pre", "code", "math"]), "a   b");
        assert!(visible_text(&Html::parse_document("<p>&#36;x$</p>"), &["code"]).contains("$x$"));
    }

    #[test]
    fn include_directives_and_anchors() {
        let dir = std::env::temp_dir().join(format!("dln-book-check-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("a.rs"),
            "x\n// ANCHOR: good\nfn f() {}\n// ANCHOR_END: good\n// ANCHOR: empty\n// ANCHOR_END: empty\n",
        )
        .unwrap();
        let md = dir.join("c.md");
        let ok = "{{#include a.rs:good}} {{#include a.rs}} {{#include a.rs:2:3}} \\{{#include missing.rs}}";
        fs::write(&md, ok).unwrap();
        includes(&dir).unwrap();
        for bad in ["{{#include missing.rs}}", "{{#include a.rs:nope}}", "{{#include a.rs:empty}}"] {
            fs::write(&md, bad).unwrap();
            let e = includes(&dir).unwrap_err().to_string();
            assert!(e.contains("c.md"), "{e}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_resolve_with_fragments() {
        let dir = std::env::temp_dir().join(format!("dln-book-links-{}", std::process::id()));
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("a.html"), "<h1 id=\"top\">A</h1><a href=\"sub/b.html#x\">b</a><a href=\"#top\">t</a>")
            .unwrap();
        fs::write(dir.join("sub/b.html"), "<p id=\"x\"><a href=\"../a.html\">a</a></p>").unwrap();
        rendered(&dir, &[]).unwrap();
        fs::write(dir.join("sub/b.html"), "<p id=\"y\"><a href=\"../c.html\">a</a></p>").unwrap();
        let e = rendered(&dir, &["plot-z".into()]).unwrap_err().to_string();
        assert!(
            e.contains("broken link `../c.html`") && e.contains("no element with id `x`") && e.contains("plot-z"),
            "{e}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}

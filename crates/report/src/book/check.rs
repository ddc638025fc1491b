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

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

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

/// Checks the rendered book in `html` (see the module docs); `figures` are element ids that must
/// each appear on some page other than print.html.
pub fn rendered(html: &Path, figures: &[String]) -> Result<()> {
    let pages = files(html, &["html"])?;
    if pages.is_empty() {
        bail!("no HTML page in {}", html.display());
    }
    let mut problems = Vec::new();
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut texts = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).with_context(|| format!("reading {}", page.display()))?;
        ids.insert(page.clone(), attribute_values(&text, "id").into_iter().collect());
        texts.push((page.clone(), text));
    }
    for (page, text) in &texts {
        let name = rel(html, page);
        for url in remote_loads(text) {
            problems.push(format!("{name} loads {url} from the network"));
        }
        let visible = strip_elements(text, &["script", "style", "pre", "code", "math", "annotation"]);
        if visible.contains("{{#") {
            problems.push(format!("{name} has an unresolved include directive"));
        }
        if let Some(i) = visible.find('$') {
            let context: String = visible[i.saturating_sub(40)..].chars().take(80).collect();
            problems.push(format!("{name} shows raw TeX (a `$` in its text): …{}…", context.replace('\n', " ")));
        }
        for link in attribute_values(text, "href").into_iter().chain(attribute_values(text, "src")) {
            if let Err(e) = check_link(html, page, &link, &ids) {
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
        let shown = texts.iter().any(|(p, t)| !p.ends_with("print.html") && t.contains(&format!("id=\"{id}\"")));
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

fn is_remote(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("http:") || u.starts_with("https:") || u.starts_with("//") || u.starts_with("ftp:")
}

fn is_external_link(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    is_remote(&u) || ["mailto:", "data:", "javascript:", "tel:"].iter().any(|s| u.starts_with(s))
}

/// URLs a page would fetch from the network when read: `src` of any element, `href` of `<link>`
/// (stylesheets, fonts, icons), `data` of `<object>`, and `url(…)`/`@import` inside `<style>`.
pub fn remote_loads(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags(html) {
        let lower = tag.to_ascii_lowercase();
        let mut urls = attribute_values(tag, "src");
        urls.extend(
            attribute_values(tag, "srcset")
                .iter()
                .flat_map(|s| s.split(',').map(|p| p.trim().split(' ').next().unwrap_or("").to_string())),
        );
        if lower.starts_with("<link") {
            urls.extend(attribute_values(tag, "href"));
        }
        if lower.starts_with("<object") {
            urls.extend(attribute_values(tag, "data"));
        }
        out.extend(urls.into_iter().filter(|u| is_remote(u)));
    }
    for style in element_contents(html, "style") {
        out.extend(css_urls(style).into_iter().filter(|u| is_remote(u)));
    }
    out
}

/// The start tags (`<name …>`) of an HTML text, outside `<script>` contents.
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    let mut offset = 0;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            rest = after;
            offset += i + 1;
            continue;
        }
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        let tag = &html[offset + i..offset + i + 1 + end];
        out.push(tag);
        let lower = tag.to_ascii_lowercase();
        let mut next = i + 1 + end;
        if lower.starts_with("<script") || lower.starts_with("<style") {
            let close = if lower.starts_with("<script") { "</script" } else { "</style" };
            next += rest[next..].to_ascii_lowercase().find(close).unwrap_or(rest.len() - next);
        }
        rest = &rest[next..];
        offset += next;
    }
    out
}

/// The values of attribute `attr` on every start tag of `html` (outside scripts).
pub fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags(html) {
        let lower = tag.to_ascii_lowercase();
        let pat = format!("{attr}=");
        let mut from = 0;
        while let Some(i) = lower[from..].find(&pat) {
            let at = from + i;
            let boundary = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
            let value_start = at + pat.len();
            from = value_start;
            if !boundary {
                continue;
            }
            let v = &tag[value_start..];
            let value = match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
                _ => v.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
            };
            out.push(decode_entities(value));
        }
    }
    out
}

fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
}

/// The contents of every `<name …>…</name>` element.
fn element_contents<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let Some(gt) = lower[start..].find('>') else { break };
        let body = start + gt + 1;
        let end = lower[body..].find(&close).map_or(html.len(), |e| body + e);
        out.push(&html[body..end]);
        from = end;
    }
    out
}

/// `html` without the named elements (and their contents) and without tags: the text a reader sees.
pub fn strip_elements(html: &str, names: &[&str]) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    'outer: while i < html.len() {
        if lower[i..].starts_with('<') {
            for name in names {
                let open = format!("<{name}");
                if lower[i..].starts_with(&open)
                    && lower[i + open.len()..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace())
                {
                    // Skip to the matching close tag, counting nested elements of the same name.
                    let close = format!("</{name}>");
                    let mut depth = 0usize;
                    let mut j = i;
                    while j < html.len() {
                        if lower[j..].starts_with(&open)
                            && lower[j + open.len()..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace())
                        {
                            depth += 1;
                            j += open.len();
                        } else if lower[j..].starts_with(&close) {
                            depth -= 1;
                            j += close.len();
                            if depth == 0 {
                                break;
                            }
                        } else {
                            j += lower[j..].chars().next().map_or(1, char::len_utf8);
                        }
                    }
                    i = j;
                    continue 'outer;
                }
            }
            // Any other tag: drop it, keep going after '>'.
            match lower[i..].find('>') {
                Some(gt) => {
                    i += gt + 1;
                    continue;
                }
                None => break,
            }
        }
        let c = html[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
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
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
                out.push(path);
            }
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
        let mut urls = remote_loads(html);
        urls.sort();
        assert_eq!(urls, ["//cdn.example/plotly.js", "https://cdn.example/katex.css", "https://fonts.example/a.css"]);
        assert!(!urls.iter().any(|u| u.contains("arxiv")));
    }

    #[test]
    fn visible_text_excludes_code_scripts_and_math() {
        let html = "<p>a <code>$x</code> <span class=\"katex\"><math><annotation>\\$</annotation></math></span> b</p><pre><code>$ cargo</code></pre><script>if(a$)</script>";
        assert_eq!(strip_elements(html, &["script", "pre", "code", "math"]), "a   b");
        assert!(strip_elements("<p>$x$</p>", &["code"]).contains('$'));
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

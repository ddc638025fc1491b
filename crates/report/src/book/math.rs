//! Math pre-rendered at build time: mdbook-katex's scanner and KaTeX renderer, wrapped so that
//!
//! - a formula KaTeX cannot render **fails the build**, naming the chapter and the TeX (mdbook-katex
//!   alone logs a warning and leaves the raw TeX in the page);
//! - the rendered HTML survives the Markdown pass that follows: KaTeX's MathML keeps the TeX source
//!   in an `<annotation>`, where `*`, `_` or `\` would otherwise be read as Markdown emphasis or
//!   escapes (corrupting the markup), and a `|` would split a table row. Every such character in the
//!   text of the rendered math is written as an HTML character reference instead.
//!
//! Settings come from `[preprocessor.katex]` in book.toml (the same table the `mdbook-katex` binary
//! reads); `no-css = true` is required, since the book ships KaTeX's stylesheet and fonts itself.

use anyhow::{Result, bail};
use mdbook_driver::book::{Book, BookItem};
use mdbook_katex::preprocess::{Render, get_render_tasks};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

/// The math preprocessor; named `katex` so that it takes the place (and the order: after `links`,
/// so included files are rendered too) of `[preprocessor.katex]` in book.toml.
pub struct Math;

impl Preprocessor for Math {
    fn name(&self) -> &str {
        "katex"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let cfg = mdbook_katex::cfg::get_config(&ctx.config)?;
        if !cfg.no_css {
            bail!(
                "book.toml: [preprocessor.katex] must set `no-css = true` (KaTeX's CSS is served by the book, never from a CDN)"
            );
        }
        let extra = cfg.build_extra_opts();
        let (inline, display) = cfg.build_opts(&ctx.root);
        let mut failures = Vec::new();
        book.for_each_mut(|item| {
            let BookItem::Chapter(ch) = item else { return };
            let mut out = String::with_capacity(ch.content.len() * 4);
            for task in get_render_tasks(&ch.content, "", &extra) {
                let (tex, is_display) = match task {
                    Render::Text(t) => {
                        out.push_str(t);
                        continue;
                    }
                    Render::InlineTask(t) => (t, false),
                    Render::DisplayTask(t) => (t, true),
                };
                let opts = if is_display { display.clone() } else { inline.clone() };
                let html = mdbook_katex::render(tex, opts, extra.clone(), is_display);
                let delim = if is_display { &extra.block_delimiter } else { &extra.inline_delimiter };
                if html == format!("{}{tex}{}", delim.left, delim.right) {
                    let short: String = tex.trim().chars().take(60).collect();
                    failures.push(format!("{}: `{short}`", ch.name));
                    out.push_str(&html);
                } else {
                    out.push_str(&markdown_safe(&html));
                }
            }
            ch.content = out;
        });
        if !failures.is_empty() {
            bail!("KaTeX could not render {} formula(s): {}", failures.len(), failures.join("; "));
        }
        Ok(book)
    }
}

/// Rendered math with every Markdown-significant character of its text (outside tags) written as a
/// character reference; tags and their attributes are untouched.
pub fn markdown_safe(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            '\\' | '*' | '_' | '`' | '[' | ']' | '|' | '~' | '$' | '{' | '}' | '#' | '!' | '^' if !in_tag => {
                out.push_str(&format!("&#{};", c as u32));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_tags_are_not() {
        let html = r#"<span class="a_b" style="x:1"><annotation encoding="application/x-tex">\beta^*_\alpha | {x}</annotation></span>"#;
        assert_eq!(
            markdown_safe(html),
            r#"<span class="a_b" style="x:1"><annotation encoding="application/x-tex">&#92;beta&#94;&#42;&#95;&#92;alpha &#124; &#123;x&#125;</annotation></span>"#
        );
    }
}

//! The book's `katex` preprocessor as a program speaking mdBook's preprocessor protocol, so that
//! `mdbook serve` (`just book-serve`) renders the math exactly as the in-process build does
//! ([`dln_report::book::math::Math`]): `just book-serve` points `preprocessor.katex.command` at it
//! through mdBook's `MDBOOK_PREPROCESSOR__KATEX__COMMAND` environment override.
//!
//! `katex_preprocessor supports RENDERER` exits 0 for `html` only; without arguments it reads
//! `[context, book]` as JSON on stdin and writes the book with rendered math to stdout.

use std::process::ExitCode;

use dln_report::book::math::Math;
use mdbook_preprocessor::Preprocessor;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, renderer] = args.as_slice()
        && command == "supports"
    {
        return if renderer == "html" { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let result = mdbook_preprocessor::parse_input(std::io::stdin().lock())
        .and_then(|(ctx, book)| Math.run(&ctx, book))
        .and_then(|book| Ok(serde_json::to_writer(std::io::stdout().lock(), &book)?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: katex preprocessor: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

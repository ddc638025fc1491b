//! Builds the book from existing results, without running any experiment (what `reproduce` does
//! last): `cargo run --release -p dln-report --example book -- [BOOK_DIR] [RESULTS_DIR]`
//! (defaults `book`, `results`). Used by `scripts/book-serve.sh` to rebuild on every edit.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let book = PathBuf::from(args.next().unwrap_or_else(|| "book".into()));
    let results = PathBuf::from(args.next().unwrap_or_else(|| "results".into()));
    match dln_report::book::build(&book, &results) {
        Ok(html) => {
            println!("book: {}", html.join("index.html").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

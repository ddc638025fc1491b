//! Builds the mdBook in-process (placeholder: being written).

use std::path::{Path, PathBuf};

/// Builds the book at `book_root` (containing book.toml) from the report's outputs in `results`,
/// returning the directory of the rendered HTML.
pub fn build(book_root: &Path, results: &Path) -> anyhow::Result<PathBuf> {
    let _ = results;
    anyhow::bail!("the book builder is not written yet ({})", book_root.display())
}

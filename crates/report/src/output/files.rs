//! Listing what a run left in a results directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Every file below `dir`, recursively, as paths relative to `dir`, sorted.
pub fn below(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_path_buf());
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
    fn lists_nested_files_relative_and_sorted() {
        let dir = std::env::temp_dir().join(format!("dln-files-below-{}", std::process::id()));
        fs::create_dir_all(dir.join("b/c")).unwrap();
        for name in ["z.txt", "b/y.txt", "b/c/x.txt"] {
            fs::write(dir.join(name), "x").unwrap();
        }
        let expected: Vec<PathBuf> = ["b/c/x.txt", "b/y.txt", "z.txt"].iter().map(PathBuf::from).collect();
        assert_eq!(below(&dir).unwrap(), expected);
        assert!(below(&dir.join("missing")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! Everything an experiment writes under `results/<experiment>/`, atomically: each file is written
//! to a temporary file in the same directory, flushed to disk (fsync) and renamed over the target,
//! so an interrupted or failed run leaves the previous version of every file intact and no partial
//! file behind.
//!
//! | file | content |
//! |---|---|
//! | `data.parquet`, `data.csv` | the tidy data (polars) |
//! | `figure.html` | the interactive figure, plotly.js embedded inline (renders with no network) |
//! | `config.json` | the configuration used |
//! | `summary.json` | the headline numbers (full precision; snapshots round them) |
//! | `figure.png` | the static figure, when Chromium is available ([`static_image`]) |

pub mod files;
pub mod static_image;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use plotly::Plot;
use polars::prelude::{CsvWriter, DataFrame, ParquetWriter, SerWriter};

use crate::experiments::Product;

/// File names inside an experiment's directory.
pub mod names {
    /// Tidy data, Parquet.
    pub const PARQUET: &str = "data.parquet";
    /// Tidy data, CSV.
    pub const CSV: &str = "data.csv";
    /// Interactive figure.
    pub const HTML: &str = "figure.html";
    /// Static figure.
    pub const PNG: &str = "figure.png";
    /// Configuration used.
    pub const CONFIG: &str = "config.json";
    /// Headline numbers.
    pub const SUMMARY: &str = "summary.json";
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path beside `path` (same directory, so the final rename is atomic), hidden and
/// unique within the machine (process id + counter).
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{unique}.tmp", std::process::id()))
}

/// Removes the temporary files that a killed earlier run left in `dir` (names as [`temp_path`]
/// makes them, of a process that no longer runs; Linux only, elsewhere nothing is removed).
/// Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        let Some((_, tag)) = stem.rsplit_once('.') else {
            continue;
        };
        let Some((pid, counter)) = tag.split_once('-') else {
            continue;
        };
        let (Ok(pid), true) = (pid.parse::<u32>(), counter.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let gone =
            cfg!(target_os = "linux") && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        if gone && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes `path` atomically with `write`, which streams into a buffered temporary file: the target
/// is replaced only once everything was written and synced; on any error the temporary file is
/// removed and the previous content of `path` (if any) is left untouched.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = temp_path(path);
    let result = (|| -> Result<()> {
        let file = File::create_new(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e.context(format!("writing {}", path.display())));
    }
    // Persist the rename itself (best effort: not every platform can open a directory).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_atomic_with`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| Ok(w.write_all(bytes)?))
}

/// Pretty JSON with a final newline; non-finite numbers become `null`.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// Writes a JSON value atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    write_atomic(path, json_text(value).as_bytes())
}

/// Writes a DataFrame as Parquet (zstd, polars' defaults; the bytes depend only on the data).
pub fn write_parquet(path: &Path, df: &DataFrame) -> Result<()> {
    write_atomic_with(path, |w| {
        ParquetWriter::new(w).finish(&mut df.clone())?;
        Ok(())
    })
}

/// Writes a DataFrame as CSV with a header.
pub fn write_csv(path: &Path, df: &DataFrame) -> Result<()> {
    write_atomic_with(path, |w| {
        CsvWriter::new(w).include_header(true).finish(&mut df.clone())?;
        Ok(())
    })
}

/// The interactive figure as a standalone HTML page with plotly.js (and MathJax) embedded inline:
/// it renders with no network.
pub fn figure_html(plot: &Plot) -> String {
    plot.to_html()
}

/// Whether an HTML page loads any script from the network (`<script src="http…">`).
pub fn loads_remote_scripts(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.match_indices("<script").any(|(i, _)| {
        let tag_end = lower[i..].find('>').map_or(lower.len(), |j| i + j);
        let tag = &lower[i..tag_end];
        tag.contains("src=\"http") || tag.contains("src='http") || tag.contains("src=http") || tag.contains("src=\"//")
    })
}

/// Writes an experiment's data, figure, configuration and summary into `dir` (created if needed),
/// each file atomically, and returns the paths written. The static image is written separately
/// ([`static_image::render_png`]), for all experiments in one browser pass.
pub fn write_experiment(dir: &Path, output: &Product) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    remove_stale_temps(dir);
    let path = |name: &str| dir.join(name);
    write_parquet(&path(names::PARQUET), &output.data)?;
    write_csv(&path(names::CSV), &output.data)?;
    let html = figure_html(&output.figure);
    anyhow::ensure!(
        !loads_remote_scripts(&html),
        "{}: the figure's HTML would load scripts from the network",
        output.name
    );
    write_atomic(&path(names::HTML), html.as_bytes())?;
    write_json(&path(names::CONFIG), &output.config)?;
    write_json(&path(names::SUMMARY), &output.summary)?;
    Ok([names::PARQUET, names::CSV, names::HTML, names::CONFIG, names::SUMMARY].iter().map(|n| path(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dln-report-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    /// Asserts that `a.txt`, holding `content`, is the only file of `dir` (no temporary file left),
    /// then removes `dir`.
    fn only_a_txt(dir: &Path, content: &[u8]) {
        assert_eq!(fs::read(dir.join("a.txt")).unwrap(), content);
        assert_eq!(entries(dir), vec!["a.txt".to_string()]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = scratch("replace");
        let p = dir.join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        only_a_txt(&dir, b"two");
    }

    #[test]
    fn failed_write_keeps_the_previous_file() {
        let dir = scratch("fail");
        let p = dir.join("a.txt");
        write_atomic(&p, b"precious").unwrap();
        let err = write_atomic_with(&p, |w| {
            w.write_all(b"half a fi")?;
            anyhow::bail!("interrupted")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("interrupted"));
        only_a_txt(&dir, b"precious");
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_removed() {
        let dir = scratch("stale");
        // Linux pids are below 2^22: 999999999 never runs. Our own temp files and others' files stay.
        let keep =
            [format!(".a.csv.{}-3.tmp", std::process::id()), "data.csv".into(), ".hidden".into(), "x.tmp".into()];
        for name in keep.iter().chain([&".data.csv.999999999-0.tmp".to_string()]) {
            fs::write(dir.join(name), "x").unwrap();
        }
        let expected = if cfg!(target_os = "linux") { 1 } else { 0 };
        assert_eq!(remove_stale_temps(&dir), expected);
        let mut keep = keep.to_vec();
        keep.sort();
        if cfg!(target_os = "linux") {
            assert_eq!(entries(&dir), keep);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn figure_html_is_offline() {
        let html = figure_html(&Plot::new());
        assert!(!loads_remote_scripts(&html));
        assert!(html.len() > 1_000_000, "plotly.js (4.6 MB) must be embedded inline");
        assert!(loads_remote_scripts(r#"<script src="https://cdn.plot.ly/plotly.min.js"></script>"#));
    }
}

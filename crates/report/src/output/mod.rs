//! Everything an experiment writes under `results/<experiment>/`, atomically: each file is written
//! to a temporary file in the same directory ([`tempfile`]), flushed to disk (fsync) and renamed over
//! the target, so an interrupted or failed run leaves the previous version of every file intact and
//! no partial file behind. A temporary file left by a killed run is removed by the next run
//! ([`remove_stale_temps`]).
//!
//! | file | content |
//! |---|---|
//! | `data.parquet`, `data.csv` | the tidy data (polars) |
//! | `figure.html` | the interactive figure; loads plotly.js from `../assets/` (works offline, also from a `file://` URL), or embeds it with `--standalone-html` ([`html`]) |
//! | `figure.json` | the figure as plotly JSON ([`plotly::Plot::to_json`]): what the book draws |
//! | `config.json` | the configuration used |
//! | `summary.json` | the headline numbers (full precision; snapshots round them) |
//! | `figure.png` | the static figure, when Chromium is available ([`static_image`]) |
//!
//! The scripts the figures load are written once per results directory, to `assets/` ([`html`]).

pub mod files;
pub mod html;
pub mod static_image;

pub use html::{figure_html, loads_remote_scripts, mathjax_js, needs_mathjax, plotly_js, write_assets};

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{CsvWriter, DataFrame, ParquetWriter, SerWriter};

use crate::experiments::Product;

/// File names inside an experiment's directory, and of the shared assets.
pub mod names {
    /// Tidy data, Parquet.
    pub const PARQUET: &str = "data.parquet";
    /// Tidy data, CSV.
    pub const CSV: &str = "data.csv";
    /// Interactive figure.
    pub const HTML: &str = "figure.html";
    /// The figure as plotly JSON.
    pub const FIGURE_JSON: &str = "figure.json";
    /// Static figure.
    pub const PNG: &str = "figure.png";
    /// Configuration used.
    pub const CONFIG: &str = "config.json";
    /// Headline numbers.
    pub const SUMMARY: &str = "summary.json";
    /// The folder of shared scripts, beside the experiments' folders.
    pub const ASSETS: &str = "assets";
    /// plotly.js, the full bundle, in [`ASSETS`].
    pub const PLOTLY_JS: &str = "plotly.min.js";
    /// plotly.js, the basic bundle (scatter, bar and pie traces), in [`ASSETS`].
    pub const PLOTLY_BASIC_JS: &str = "plotly-basic.min.js";
    /// MathJax (for LaTeX in figures), in [`ASSETS`].
    pub const MATHJAX_JS: &str = "mathjax-tex-svg.js";
}

/// How the figures are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Each `figure.html` embeds plotly.js (and MathJax) inline: one self-contained file of about
    /// 7 MB, to share a single figure. By default it loads plotly.js from `../assets/`.
    pub standalone_html: bool,
}

/// The directory that holds `path` ("." for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new temporary file in `dir` for the target `path`, named `.{name}.{pid}-{random}.tmp`: hidden,
/// and naming its process so that [`remove_stale_temps`] can tell a dead run's file from a live one.
fn temp_file(path: &Path, dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Like `File::create`: readable by others (subject to the umask), not tempfile's private 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// Removes the temporary files that a killed earlier run left in `dir` (names as `temp_file`
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
        let Some((pid, random)) = tag.split_once('-') else {
            continue;
        };
        let (Ok(pid), true) = (pid.parse::<u32>(), random.bytes().all(|b| b.is_ascii_alphanumeric())) else {
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
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Every early return drops the temporary file, which deletes it.
    let result = (|| -> Result<()> {
        let tmp = temp_file(path, &dir).with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        let mut w = BufWriter::new(tmp);
        write(&mut w)?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    result.map_err(|e| e.context(format!("writing {}", path.display())))?;
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

/// Writes an experiment's data, figure, configuration and summary into `dir` (see the module docs)
/// with the default [`WriteOptions`].
pub fn write_experiment(dir: &Path, output: &Product) -> Result<Vec<PathBuf>> {
    write_experiment_with(dir, output, WriteOptions::default())
}

/// Writes an experiment's files into `dir` (created if needed), each atomically, and the shared
/// assets into `dir/../assets` unless the figure is standalone; returns the paths written. The
/// static image is written separately ([`static_image::render_png`]), for all experiments in one
/// browser pass.
pub fn write_experiment_with(dir: &Path, output: &Product, options: WriteOptions) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    remove_stale_temps(dir);
    let path = |name: &str| dir.join(name);
    write_parquet(&path(names::PARQUET), &output.data)?;
    write_csv(&path(names::CSV), &output.data)?;
    let html = figure_html(&output.figure, options);
    anyhow::ensure!(
        !loads_remote_scripts(&html),
        "{}: the figure's HTML would load scripts from the network",
        output.name
    );
    let mut written = Vec::new();
    if !options.standalone_html {
        let results = dir.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        written = write_assets(&results.join(names::ASSETS), &output.figure)?;
    }
    write_atomic(&path(names::HTML), html.as_bytes())?;
    write_atomic(&path(names::FIGURE_JSON), format!("{}\n", output.figure.to_json()).as_bytes())?;
    write_json(&path(names::CONFIG), &output.config)?;
    write_json(&path(names::SUMMARY), &output.summary)?;
    let files = [names::PARQUET, names::CSV, names::HTML, names::FIGURE_JSON, names::CONFIG, names::SUMMARY];
    written.extend(files.iter().map(|n| path(n)));
    Ok(written)
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
            [format!(".a.csv.{}-3xY.tmp", std::process::id()), "data.csv".into(), ".hidden".into(), "x.tmp".into()];
        let stale = [".data.csv.999999999-0.tmp", ".data.csv.999999999-aB3xYz.tmp"];
        for name in keep.iter().map(String::as_str).chain(stale) {
            fs::write(dir.join(name), "x").unwrap();
        }
        let expected = if cfg!(target_os = "linux") { stale.len() } else { 0 };
        assert_eq!(remove_stale_temps(&dir), expected);
        let mut keep = keep.to_vec();
        keep.sort();
        if cfg!(target_os = "linux") {
            assert_eq!(entries(&dir), keep);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_temp_files_made_are_the_ones_recognised_as_stale() {
        let dir = scratch("named");
        let tmp = temp_file(&dir.join("data.csv"), &dir).unwrap();
        let name = tmp.path().file_name().unwrap().to_string_lossy().into_owned();
        // The same file as a dead process (pid 999999999) would have left it.
        let dead = name.replace(&format!(".{}-", std::process::id()), ".999999999-");
        assert_ne!(dead, name, "{name} names its process");
        tmp.persist(dir.join(&dead)).unwrap();
        assert_eq!(remove_stale_temps(&dir), usize::from(cfg!(target_os = "linux")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_writes_get_the_permissions_of_a_created_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        write_atomic(&dir.join("a.txt"), b"x").unwrap();
        File::create(dir.join("b.txt")).unwrap();
        let mode = |n: &str| fs::metadata(dir.join(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("a.txt"), mode("b.txt"));
        fs::remove_dir_all(&dir).unwrap();
    }
}

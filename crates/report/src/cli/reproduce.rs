//! `dln-report reproduce`: every experiment (or `--only` some) into `DIR/<experiment>/`, static
//! images in one headless-Chromium pass, then the book; per-experiment wall times in
//! `DIR/timings.json`.
//!
//! Everything that can be checked before running is checked first (experiment names, the
//! `--config` file and every override in it, `--threads`, `--require-static`), so a bad argument
//! fails in one line before any work. An experiment that fails does not stop the others; the command
//! fails at the end, naming it. Every file is written atomically ([`crate::output`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde_json::json;

use crate::experiments::{self, Entry, Options};
use crate::grid::line_col;
use crate::output::{self, names, static_image};
use crate::progress::{Mode, Progress};

/// Arguments of `reproduce` (also what `dln-report` with no subcommand runs).
#[derive(Debug, Clone, Args)]
pub struct ReproduceArgs {
    /// Run only these experiments (comma-separated; see `list`).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    /// Use each experiment's quick configuration (same code path, smaller).
    #[arg(long)]
    pub quick: bool,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: PathBuf,
    /// Worker threads for the sweeps [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Parameter overrides: a TOML file with one table per experiment, e.g. `[generalization]` `datasets = 4`, `[generalization.setting]` `alpha = 0.01`.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Do not build the book.
    #[arg(long)]
    pub no_book: bool,
    /// The book's root (with book.toml); skipped with a note if it has no book.toml.
    #[arg(long, value_name = "DIR", default_value = "book")]
    pub book: PathBuf,
    /// Fail unless every static image (figure.png) was written.
    #[arg(long, conflicts_with = "no_static")]
    pub require_static: bool,
    /// Do not write static images.
    #[arg(long)]
    pub no_static: bool,
    /// Write each figure.html self-contained (plotly.js inline, ~7 MB each) instead of loading DIR/assets/plotly.min.js.
    #[arg(long)]
    pub standalone_html: bool,
    /// No progress or report on the terminal (errors only).
    #[arg(long, short)]
    pub quiet: bool,
}

impl Default for ReproduceArgs {
    fn default() -> Self {
        Self {
            only: Vec::new(),
            quick: false,
            out: PathBuf::from("results"),
            threads: None,
            config: None,
            no_book: false,
            book: PathBuf::from("book"),
            require_static: false,
            no_static: false,
            standalone_html: false,
            quiet: false,
        }
    }
}

/// What happened to one experiment.
#[derive(Debug, Clone)]
pub struct ExperimentReport {
    /// Its name.
    pub name: &'static str,
    /// Wall time of running, plotting, summarising and writing it.
    pub elapsed: Duration,
    /// The part of `elapsed` spent writing its files.
    pub writing: Duration,
    /// Its output directory.
    pub dir: PathBuf,
    /// `None` if it succeeded, else the error (one line).
    pub error: Option<String>,
}

/// What happened to the static images.
#[derive(Debug, Clone, PartialEq)]
pub enum StaticImages {
    /// Not asked for (`--no-static`).
    Disabled,
    /// No browser on this machine (the note says how to get one).
    Unavailable(String),
    /// Written for the successful experiments; the errors of the figures that failed.
    Written {
        /// Images written.
        written: usize,
        /// `experiment: error` for each failure.
        failed: Vec<String>,
        /// Wall time of the browser pass.
        elapsed: Duration,
    },
}

/// What happened to the book.
#[derive(Debug, Clone, PartialEq)]
pub enum Book {
    /// `--no-book`.
    Disabled,
    /// No book.toml at the book root.
    Absent(PathBuf),
    /// Not built, for this reason (an experiment failed).
    Skipped(String),
    /// Built into this directory.
    Built(PathBuf, Duration),
}

/// The outcome of a `reproduce`.
#[derive(Debug, Clone)]
pub struct ReproduceReport {
    /// The output directory.
    pub out: PathBuf,
    /// One entry per experiment run, in order.
    pub experiments: Vec<ExperimentReport>,
    /// Static images.
    pub static_images: StaticImages,
    /// The book.
    pub book: Book,
    /// Worker threads of the sweeps.
    pub threads: usize,
    /// Total wall time.
    pub elapsed: Duration,
}

/// The experiments `only` names (all when empty), in the order given, without repeats.
pub fn select(only: &[String]) -> Result<Vec<Entry>> {
    if only.is_empty() {
        return Ok(experiments::ALL.to_vec());
    }
    let mut chosen: Vec<Entry> = Vec::new();
    for name in only.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let entry = experiments::find(name)?;
        if !chosen.iter().any(|e| e.name == entry.name) {
            chosen.push(entry);
        }
    }
    if chosen.is_empty() {
        bail!("--only names no experiment");
    }
    Ok(chosen)
}

/// Reads `--config FILE.toml`: one table per experiment name. Unknown names, non-table entries and
/// TOML syntax errors are one-line errors.
pub fn read_overrides(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading --config {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|s| line_col(&text, s.start))
            .map_or(String::new(), |(l, c)| format!(" at line {l}, column {c}"));
        anyhow!("--config {}: invalid TOML{at}: {}", path.display(), e.message().trim())
    })?;
    for (key, value) in &table {
        experiments::find(key).map_err(|e| anyhow!("--config {}: {e}", path.display()))?;
        if !value.is_table() {
            bail!("--config {}: `{key}` must be a table (`[{key}]`), got {}", path.display(), value.type_str());
        }
    }
    Ok(table)
}

/// The options of one experiment: quick or not, and its table of the overrides.
fn options(entry: &Entry, quick: bool, overrides: &toml::Table) -> Options {
    let table = overrides.get(entry.name).and_then(|v| v.as_table()).cloned();
    Options { quick, overrides: table }
}

/// Checks everything that can be checked before any work: the configuration of every selected
/// experiment and of every table of `--config` (types and ranges), `--threads` and the browser.
/// Returns the overrides and the browser for static images.
fn preflight(args: &ReproduceArgs, chosen: &[Entry]) -> Result<(toml::Table, Option<PathBuf>)> {
    let overrides = match &args.config {
        Some(path) => read_overrides(path)?,
        None => toml::Table::new(),
    };
    let mut to_check: Vec<Entry> = chosen.to_vec();
    for name in overrides.keys() {
        to_check.push(experiments::find(name)?);
    }
    for entry in to_check {
        (entry.config)(&options(&entry, args.quick, &overrides)).map_err(|e| {
            let file = args.config.as_deref().map_or(String::new(), |p| format!(" {}", p.display()));
            anyhow!("--config{file}: {e:#}")
        })?;
    }
    if args.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let browser = if args.no_static { None } else { static_image::find_browser()? };
    if args.require_static && browser.is_none() {
        bail!(
            "--require-static: no Chromium found (run scripts/install-chromium.sh, or set {})",
            static_image::BROWSER_ENV
        );
    }
    Ok((overrides, browser))
}

/// Builds the book after the experiments, unless disabled, an experiment failed, or (with `--only`)
/// a chapter's results are missing. Returns what happened and the build error, if any.
fn build_book(args: &ReproduceArgs, failures: usize, progress: &Progress) -> (Book, Option<anyhow::Error>) {
    if args.no_book {
        (Book::Disabled, None)
    } else if failures > 0 {
        progress.note(&format!("book: skipped, {failures} experiment(s) failed"));
        (Book::Skipped(format!("{failures} experiment(s) failed")), None)
    } else if let Some(missing) = missing_results(&args.out).filter(|_| !args.only.is_empty()) {
        // `--only` ran a subset: build the book only if every chapter's results are there.
        let why = format!("no results yet for {missing} (run `reproduce` without --only)");
        progress.note(&format!("book: skipped, {why}"));
        (Book::Skipped(why), None)
    } else if !args.book.join("book.toml").is_file() {
        progress.note(&format!("book: skipped ({} has no book.toml)", args.book.display()));
        (Book::Absent(args.book.clone()), None)
    } else {
        if args.only.is_empty()
            && let Err(e) = measure_scaling(args, progress)
        {
            return (Book::Skipped("the scaling sweep failed".into()), Some(e.context("timing the example sweep")));
        }
        let t = Instant::now();
        progress.note("book: building …");
        match crate::book::build(&args.book, &args.out) {
            Ok(dir) => (Book::Built(dir, t.elapsed()), None),
            Err(e) => (Book::Skipped("its build failed".into()), Some(e.context("building the book"))),
        }
    }
}

/// Runs the example grid of the book's appendix "Scaling out" ([`crate::grid::scaling`], embedded in
/// the binary) afresh into `OUT/sweeps/<example>/`, whose `timings.json` the book then reports.
fn measure_scaling(args: &ReproduceArgs, progress: &Progress) -> Result<()> {
    use crate::grid::{Grid, Plan, execute::run_grid, scaling};
    let dir = scaling::dir(&args.out);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    progress.note(&format!("scaling: timing the example grid {} …", scaling::EXAMPLE));
    let plan = Plan {
        grid: PathBuf::from(format!("examples/grids/{}.toml", scaling::EXAMPLE)),
        out: dir,
        threads: args.threads,
        shard: None,
        max_memory: None,
        mode: Mode::detect(args.quiet),
    };
    let report = run_grid(Grid::parse(scaling::EXAMPLE_GRID)?, "the example grid", &plan)?;
    progress.note(&format!("scaling: {}", report.line()));
    Ok(())
}

/// The command's verdict on a finished run: failed experiments, or static images missing under
/// `--require-static`, fail it.
fn verdict(report: &ReproduceReport, require_static: bool) -> Result<()> {
    let failed: Vec<String> =
        report.experiments.iter().filter_map(|e| e.error.as_ref().map(|err| format!("{} ({err})", e.name))).collect();
    if !failed.is_empty() {
        bail!("{} of {} experiments failed: {}", failed.len(), report.experiments.len(), failed.join("; "));
    }
    if let (true, StaticImages::Written { failed, .. }) = (require_static, &report.static_images) {
        anyhow::ensure!(
            failed.is_empty(),
            "--require-static: {} static image(s) failed: {}",
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

/// Runs `reproduce` (see the module docs). Progress goes to stderr unless `quiet`; the final report
/// is printed by the CLI ([`ReproduceReport::print`]).
pub fn reproduce(args: &ReproduceArgs) -> Result<ReproduceReport> {
    let start = Instant::now();
    let chosen = select(&args.only)?;
    let (overrides, browser) = preflight(args, &chosen)?;
    let pool = match args.threads {
        Some(n) => Some(rayon::ThreadPoolBuilder::new().num_threads(n).build().context("building the thread pool")?),
        None => None,
    };
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    output::remove_stale_temps(&args.out); // e.g. of timings.json, from a killed earlier run
    let progress = Progress::new(Mode::detect(args.quiet), chosen.len());

    let work = || run_all(&chosen, args, &overrides, &progress, browser.as_deref());
    let (reports, static_images) = match &pool {
        Some(pool) => pool.install(work),
        None => work(),
    };

    let failures = reports.iter().filter(|r| r.error.is_some()).count();
    let (book, book_error) = build_book(args, failures, &progress);
    let threads = pool.as_ref().map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    let report = ReproduceReport {
        out: args.out.clone(),
        experiments: reports,
        static_images,
        book,
        threads,
        elapsed: start.elapsed(),
    };
    output::write_json(&args.out.join("timings.json"), &report.timings_json())?;
    if let Some(e) = book_error {
        return Err(e);
    }
    verdict(&report, args.require_static)?;
    Ok(report)
}

/// Runs and writes the experiments one after the other (each parallel inside), then draws the
/// static images of the successful ones in one browser pass.
fn run_all(
    chosen: &[Entry],
    args: &ReproduceArgs,
    overrides: &toml::Table,
    progress: &Progress,
    browser: Option<&Path>,
) -> (Vec<ExperimentReport>, StaticImages) {
    let mut reports = Vec::with_capacity(chosen.len());
    let mut outputs = Vec::new();
    for (i, entry) in chosen.iter().enumerate() {
        let t = Instant::now();
        let handle = progress.start(i, entry.name);
        let dir = args.out.join(entry.name);
        let mut writing = Duration::ZERO;
        let result = (entry.execute)(&options(entry, args.quick, overrides)).and_then(|out| {
            let w = Instant::now();
            output::write_experiment_with(&dir, &out, output::WriteOptions { standalone_html: args.standalone_html })?;
            writing = w.elapsed();
            Ok(out)
        });
        let elapsed = t.elapsed();
        let error = match result {
            Ok(out) => {
                handle.finish(Ok(()), elapsed);
                outputs.push(out);
                None
            }
            Err(e) => {
                let msg = one_line(&e);
                handle.finish(Err(&msg), elapsed);
                Some(msg)
            }
        };
        reports.push(ExperimentReport { name: entry.name, elapsed, writing, dir, error });
    }
    let static_images = match browser {
        None if args.no_static => StaticImages::Disabled,
        None => {
            let note = format!(
                "static images: skipped, no Chromium found (run scripts/install-chromium.sh or set {}; --require-static makes this an error)",
                static_image::BROWSER_ENV
            );
            progress.note(&note);
            StaticImages::Unavailable(note)
        }
        Some(browser) => {
            let t = Instant::now();
            progress.note(&format!("static images: drawing {} figure(s) with {} …", outputs.len(), browser.display()));
            let jobs: Vec<static_image::Job> = outputs
                .iter()
                .map(|o| static_image::Job { plot: &o.figure, out: args.out.join(o.name).join(names::PNG) })
                .collect();
            let mut failed = Vec::new();
            let mut written = 0;
            match static_image::render_png(browser, &jobs) {
                Ok(results) => {
                    for (o, r) in outputs.iter().zip(results) {
                        match r {
                            Ok(()) => written += 1,
                            Err(e) => failed.push(format!("{}: {}", o.name, one_line(&e))),
                        }
                    }
                }
                Err(e) => failed.extend(outputs.iter().map(|o| format!("{}: {}", o.name, one_line(&e)))),
            }
            for f in &failed {
                progress.note(&format!("static images: FAILED {f}"));
            }
            StaticImages::Written { written, failed, elapsed: t.elapsed() }
        }
    };
    (reports, static_images)
}

/// An error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ReproduceReport {
    /// `timings.json`: wall seconds per experiment, of the static images, the book and in total.
    pub fn timings_json(&self) -> serde_json::Value {
        let experiments: Vec<_> = self
            .experiments
            .iter()
            .map(|e| {
                json!({
                    "name": e.name,
                    "seconds": e.elapsed.as_secs_f64(),
                    "writing_seconds": e.writing.as_secs_f64(),
                    "ok": e.error.is_none(),
                })
            })
            .collect();
        let static_seconds = match &self.static_images {
            StaticImages::Written { elapsed, .. } => Some(elapsed.as_secs_f64()),
            _ => None,
        };
        let book_seconds = match &self.book {
            Book::Built(_, t) => Some(t.as_secs_f64()),
            _ => None,
        };
        json!({
            "experiments": experiments,
            "static_images_seconds": static_seconds,
            "book_seconds": book_seconds,
            "total_seconds": self.elapsed.as_secs_f64(),
            "threads": self.threads,
        })
    }

    /// The human report printed at the end: one line per experiment with its wall time, then the
    /// static images and the book.
    pub fn print(&self) {
        println!("results in {}/", self.out.display());
        for e in &self.experiments {
            let status = e.error.as_deref().map_or("ok".to_string(), |err| format!("FAILED: {err}"));
            println!("  {:<22} {:>8.2} s  {status}", e.name, e.elapsed.as_secs_f64());
        }
        match &self.static_images {
            StaticImages::Disabled => println!("  static images          disabled (--no-static)"),
            StaticImages::Unavailable(_) => {
                println!("  static images          skipped: no Chromium (scripts/install-chromium.sh)")
            }
            StaticImages::Written { written, failed, elapsed } => println!(
                "  {:<22} {:>8.2} s  {written} figure.png written{}",
                "static images",
                elapsed.as_secs_f64(),
                if failed.is_empty() { String::new() } else { format!(", {} failed", failed.len()) }
            ),
        }
        match &self.book {
            Book::Disabled => println!("  book                   disabled (--no-book)"),
            Book::Absent(root) => println!("  book                   skipped: no {}/book.toml", root.display()),
            Book::Skipped(why) => println!("  book                   skipped: {why}"),
            Book::Built(dir, t) => println!("  {:<22} {:>8.2} s  {}", "book", t.as_secs_f64(), dir.display()),
        }
        println!("  {:<22} {:>8.2} s", "total", self.elapsed.as_secs_f64());
    }
}

/// The experiments (comma-separated) whose `summary.json` is missing under `out`, if any.
fn missing_results(out: &std::path::Path) -> Option<String> {
    let missing: Vec<&str> = crate::experiments::ALL
        .iter()
        .filter(|e| !out.join(e.name).join("summary.json").is_file())
        .map(|e| e.name)
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

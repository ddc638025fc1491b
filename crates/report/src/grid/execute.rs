//! Running a grid (or one shard of it) into a directory, resumably, and merging shards.
//!
//! The runs left to do are grouped by their data (runs with the same n, d, s, design, σ, mean, noise
//! and seed share X), each group cut into chunks of at most [`LOCKSTEP_RUNS`] runs advanced together
//! by [`dln::Lockstep`] (each run bitwise identical to running it alone), and the chunks run in
//! parallel ([`crate::sweep::par_map`]). The γ_max bisections that runs with `gamma_ratio` need are
//! done first, once for all the runs that share one. Every finished run is written at once to its
//! own file ([`record::write`], atomic), so an interrupted sweep loses only the runs in flight and a
//! rerun skips what is done. The table is then rebuilt from the records in grid order, so it is
//! the same whatever the thread count, the chunking, the resumes or the shards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use dln::{Lockstep, Problem};
use serde::{Deserialize, Serialize};

use super::frame::{Lists, frame};
use super::record::{self, RowRecord, fnv1a, spec_key};
use super::{Grid, Shard};
use crate::budget::{self, RunWork};
use crate::output;
use crate::progress::{Mode, Tally};
use crate::runs::{RunSpec, finish};
use crate::sweep::par_map;

/// The most runs advanced together in one lockstep chunk.
pub const LOCKSTEP_RUNS: usize = 16;

/// File names in a sweep's output directory.
pub mod names {
    /// The table, Parquet.
    pub const PARQUET: &str = "data.parquet";
    /// The table, CSV.
    pub const CSV: &str = "data.csv";
    /// The grid, its size and fingerprint, and the shard ([`super::Manifest`]).
    pub const GRID: &str = "grid.json";
    /// The cost of the runs ([`super::Timings`]).
    pub const TIMINGS: &str = "timings.json";
}

/// What `grid.json` holds: enough for `merge` to check that shards come from one grid and to
/// rebuild its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The grid as read.
    pub grid: Grid,
    /// Its number of rows.
    pub rows: usize,
    /// FNV-1a (hex) of the rows' parameters, one line each: equal iff the rows are.
    pub fingerprint: String,
    /// The shard this directory holds (`None`: every row).
    pub shard: Option<Shard>,
}

/// The fingerprint of a grid's rows.
pub fn fingerprint(rows: &[RunSpec]) -> String {
    let text: Vec<String> = rows.iter().map(spec_key).collect();
    format!("{:016x}", fnv1a(text.join("\n").as_bytes()))
}

/// The cost of a sweep's runs (`timings.json`), from the records of every run of the directory
/// (whenever they ran) and the wall time of this invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Runs in the directory's table.
    pub rows: usize,
    /// Runs this invocation ran (the others were done already).
    pub rows_run: usize,
    /// Worker threads.
    pub threads: usize,
    /// CPUs the machine offers.
    pub cpus: usize,
    /// Wall seconds of this invocation.
    pub wall_seconds: f64,
    /// Core seconds of every run of the table (engine, γ_max bisection, solves; CPU time of the
    /// threads where the system tells it, else wall time), summed.
    pub core_seconds: f64,
    /// Steps taken by every run of the table, summed.
    pub steps: u64,
    /// `core_seconds / rows`.
    pub seconds_per_run: f64,
    /// `3600 / seconds_per_run`.
    pub runs_per_core_hour: f64,
    /// `core_seconds / steps`, in nanoseconds (bisection and solves included).
    pub ns_per_step: f64,
}

impl Timings {
    /// The timings of `records`, `rows_run` of them run by this invocation in `wall` on `threads`.
    pub fn of(records: &[(usize, &RowRecord)], rows_run: usize, threads: usize, wall: Duration) -> Self {
        let core_seconds = records.iter().fold(0.0, |sum, (_, r)| sum + r.seconds);
        let steps: u64 = records.iter().map(|(_, r)| r.steps).sum();
        let rows = records.len();
        let per_run = core_seconds / rows.max(1) as f64;
        Self {
            rows,
            rows_run,
            threads,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            wall_seconds: wall.as_secs_f64(),
            core_seconds,
            steps,
            seconds_per_run: per_run,
            runs_per_core_hour: if per_run > 0.0 { 3600.0 / per_run } else { 0.0 },
            ns_per_step: if steps > 0 { core_seconds * 1e9 / steps as f64 } else { 0.0 },
        }
    }
}

/// The CPU time of the calling thread, in seconds, when the system tells it (Linux:
/// `/proc/thread-self/schedstat`, whose first field is the nanoseconds the thread has run).
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 * 1e-9)
}

/// Measures the cost of work on one thread: its CPU time where the system tells it (so that other
/// processes on a busy machine do not inflate it), else the wall time.
struct Clock {
    wall: Instant,
    cpu: Option<f64>,
}

impl Clock {
    fn start() -> Self {
        Self { wall: Instant::now(), cpu: thread_cpu_seconds() }
    }

    /// Seconds since [`Clock::start`], on the same thread.
    fn seconds(&self) -> f64 {
        match (self.cpu, thread_cpu_seconds()) {
            (Some(a), Some(b)) if b >= a => b - a,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

/// How to run a grid.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The grid file.
    pub grid: PathBuf,
    /// Output directory.
    pub out: PathBuf,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// Only this shard of the rows.
    pub shard: Option<Shard>,
    /// Memory the sweep may use (`None`: the memory available now).
    pub max_memory: Option<u64>,
    /// How progress is shown.
    pub mode: Mode,
}

/// What a sweep or a merge did.
#[derive(Debug, Clone)]
pub struct SweepReport {
    /// Output directory.
    pub out: PathBuf,
    /// Rows of the grid.
    pub grid_rows: usize,
    /// Rows in this directory's table (the shard's, or all).
    pub rows: usize,
    /// Rows run now (the others were done already, or came from shards).
    pub rows_run: usize,
    /// The cost.
    pub timings: Timings,
}

impl SweepReport {
    /// One line on what was done.
    pub fn line(&self) -> String {
        let t = &self.timings;
        format!(
            "{} of {} runs in {} ({} run now, {} done before) in {:.2} s on {} thread(s); {:.3} ms per run, {:.3e} runs per core-hour",
            self.rows,
            self.grid_rows,
            self.out.join(names::PARQUET).display(),
            self.rows_run,
            self.rows - self.rows_run,
            t.wall_seconds,
            t.threads,
            t.seconds_per_run * 1e3,
            t.runs_per_core_hour
        )
    }
}

/// The memory check of a sweep: the largest peak need of its runs ([`budget::run_need`]), times
/// the runs in flight at once (one per thread), must fit in the limit.
fn check_memory(rows: &[&RunSpec], threads: usize, max_memory: Option<u64>) -> Result<()> {
    let mut largest: Option<(budget::Need, usize, usize)> = None;
    let mut seen = std::collections::HashSet::new();
    for spec in rows {
        if seen.insert((spec.n, spec.d)) {
            let need = budget::run_need(spec.n, spec.d, RunWork { solve: true, json: false })?;
            if largest.is_none_or(|(l, _, _)| need.total > l.total) {
                largest = Some((need, spec.n, spec.d));
            }
        }
    }
    let Some((need, n, d)) = largest else { return Ok(()) };
    let at_once = threads.min(rows.len()).max(1) as u64;
    let total = need.total.checked_mul(at_once).ok_or_else(|| anyhow!("the sweep's memory count overflows 64 bits"))?;
    let need = budget::Need { total, x: need.x.saturating_mul(at_once), solver: need.solver.saturating_mul(at_once) };
    let what = format!("sweep of runs up to n = {n}, d = {d} on {at_once} thread(s)");
    budget::check(&what, &need, budget::limit(max_memory))
}

/// Runs `plan`'s grid file (or a shard of it) into `plan.out` (see the module docs).
pub fn sweep(plan: &Plan) -> Result<SweepReport> {
    let grid = Grid::read(&plan.grid)?;
    run_grid(grid, &format!("--grid {}", plan.grid.display()), plan)
}

/// Runs `grid` (named `source` in errors) as `plan` says, whatever its `grid` file.
pub fn run_grid(grid: Grid, source: &str, plan: &Plan) -> Result<SweepReport> {
    let start = Instant::now();
    let rows = grid.rows().map_err(|e| anyhow!("{source}: {e}"))?;
    let mine: Vec<usize> = (0..rows.len()).filter(|&r| plan.shard.is_none_or(|s| s.holds(r))).collect();
    ensure!(plan.threads != Some(0), "--threads must be at least 1");
    let pool = match plan.threads {
        Some(n) => Some(rayon::ThreadPoolBuilder::new().num_threads(n).build().context("building the thread pool")?),
        None => None,
    };
    let threads = pool.as_ref().map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    check_memory(&mine.iter().map(|&r| &rows[r]).collect::<Vec<_>>(), threads, plan.max_memory)?;

    let out = &plan.out;
    std::fs::create_dir_all(out.join(record::ROWS)).with_context(|| format!("creating {}", out.display()))?;
    output::remove_stale_temps(out);
    output::remove_stale_temps(&out.join(record::ROWS));
    let mut records: Vec<Option<RowRecord>> = Vec::with_capacity(mine.len());
    for &r in &mine {
        // An unreadable file (e.g. from another version) is run again and replaced.
        records.push(record::read(out, &rows[r]).ok().flatten());
    }
    let pending: Vec<(usize, &RunSpec)> =
        mine.iter().zip(&records).filter(|(_, rec)| rec.is_none()).map(|(&r, _)| (r, &rows[r])).collect();
    let work = || run_rows(&pending, out, threads, plan.mode);
    let results = match &pool {
        Some(pool) => pool.install(work),
        None => work(),
    };
    let mut failures = Vec::new();
    let position: HashMap<usize, usize> = mine.iter().enumerate().map(|(i, &r)| (r, i)).collect();
    let rows_run = pending.len();
    for (r, result) in results {
        match result {
            Ok(rec) => records[position[&r]] = Some(rec),
            Err(e) => failures.push(format!("row {r}: {}", crate::cli::one_line(&e))),
        }
    }
    if let Some(first) = failures.first() {
        bail!(
            "{} of {rows_run} runs failed (the others are saved in {}; a rerun retries only the failed ones); first: {first}",
            failures.len(),
            out.display()
        );
    }
    let done: Vec<(usize, &RowRecord)> =
        mine.iter().zip(&records).map(|(&r, rec)| (r, rec.as_ref().expect("every run has a record"))).collect();
    let manifest = Manifest { rows: rows.len(), fingerprint: fingerprint(&rows), grid, shard: plan.shard };
    let timings = Timings::of(&done, rows_run, threads, start.elapsed());
    write_outputs(out, &manifest, &done, &timings)?;
    Ok(SweepReport { out: out.clone(), grid_rows: rows.len(), rows: done.len(), rows_run, timings })
}

/// Writes the table (Parquet, CSV), `grid.json` and `timings.json` of `records`, each atomically.
fn write_outputs(out: &Path, manifest: &Manifest, records: &[(usize, &RowRecord)], timings: &Timings) -> Result<()> {
    output::write_parquet(&out.join(names::PARQUET), &frame(records, Lists::Native)?)?;
    output::write_csv(&out.join(names::CSV), &frame(records, Lists::Json)?)?;
    output::write_json(&out.join(names::GRID), &serde_json::to_value(manifest)?)?;
    output::write_json(&out.join(names::TIMINGS), &serde_json::to_value(timings)?)
}

/// A γ_max bisection: its spec ([`RunSpec::bisection`]), the runs that share it, its result and cost.
struct Bisection {
    spec: RunSpec,
    runs: usize,
    result: std::result::Result<f64, String>,
    seconds: f64,
}

/// Runs `pending` (row index, parameters) in parallel, writing each record under `out` as soon
/// as it is done; returns every row's record or error, in no particular order.
fn run_rows(pending: &[(usize, &RunSpec)], out: &Path, threads: usize, mode: Mode) -> Vec<(usize, Result<RowRecord>)> {
    // The bisections, one per distinct bisection spec, in order of first use.
    let mut bisections: Vec<Bisection> = Vec::new();
    let mut bisection_of: HashMap<String, usize> = HashMap::new();
    let mut row_bisection: Vec<Option<usize>> = Vec::with_capacity(pending.len());
    for (_, spec) in pending {
        row_bisection.push(spec.bisection().map(|b| {
            let key = spec_key(&b);
            let i = *bisection_of.entry(key).or_insert_with(|| {
                bisections.push(Bisection { spec: b, runs: 0, result: Ok(0.0), seconds: 0.0 });
                bisections.len() - 1
            });
            bisections[i].runs += 1;
            i
        }));
    }
    let unit = if bisections.is_empty() { "runs" } else { "γ_max bisections and runs" };
    let tally = Tally::new(mode, "sweep", bisections.len() + pending.len(), unit);
    let solved = par_map(&bisections, |b| {
        let clock = Clock::start();
        let result = b.spec.data().generate().map_err(anyhow::Error::from).and_then(|p| b.spec.gamma_max(&p));
        tally.inc();
        (result.map_err(|e| format!("γ_max: {}", crate::cli::one_line(&e))), clock.seconds())
    });
    for (b, (result, seconds)) in bisections.iter_mut().zip(solved) {
        (b.result, b.seconds) = (result, seconds);
    }

    // Chunks of runs that share their data, in order of first appearance.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for (i, (_, spec)) in pending.iter().enumerate() {
        let key = serde_json::to_string(&spec.data()).unwrap_or_default();
        let g = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut chunks: Vec<&[usize]> = Vec::new();
    for group in &groups {
        let size = group.len().div_ceil(threads.max(1)).clamp(1, LOCKSTEP_RUNS);
        chunks.extend(group.chunks(size));
    }
    let ctx = Chunk { pending, row_bisection: &row_bisection, bisections: &bisections, out, tally: &tally };
    par_map(&chunks, |chunk| ctx.run(chunk)).into_iter().flatten().collect()
}

/// What every chunk reads.
struct Chunk<'a> {
    pending: &'a [(usize, &'a RunSpec)],
    row_bisection: &'a [Option<usize>],
    bisections: &'a [Bisection],
    out: &'a Path,
    tally: &'a Tally,
}

impl Chunk<'_> {
    /// Runs the pending runs `ids` (which share their data) in lockstep, then solves and writes
    /// each one's record.
    fn run(&self, ids: &[usize]) -> Vec<(usize, Result<RowRecord>)> {
        let clock = Clock::start();
        let problem: Problem = match self.pending[ids[0]].1.data().generate() {
            Ok(p) => p,
            Err(e) => return ids.iter().map(|&i| (self.pending[i].0, Err(anyhow!("{e}")))).collect(),
        };
        let mut results = Vec::with_capacity(ids.len());
        // γ and γ_max of each run; runs whose bisection failed fail here.
        let mut ready = Vec::with_capacity(ids.len());
        for &i in ids {
            let (row, spec) = self.pending[i];
            let known = match self.row_bisection[i].map(|b| &self.bisections[b]) {
                None => None,
                Some(b) => match &b.result {
                    Ok(g) => Some((*g, b.seconds / b.runs as f64)),
                    Err(e) => {
                        results.push((row, Err(anyhow!("{e}"))));
                        self.tally.inc();
                        continue;
                    }
                },
            };
            let (gamma, gamma_max) = match spec.gamma(&problem, known.map(|k| k.0)) {
                Ok(g) => g,
                Err(e) => {
                    results.push((row, Err(e)));
                    self.tally.inc();
                    continue;
                }
            };
            let sgd = spec.sgd(gamma, problem.n());
            ready.push((row, spec, sgd, gamma_max, spec.alpha_vec(problem.d()), known.map_or(0.0, |k| k.1)));
        }
        let alphas: Vec<_> = ready.iter().map(|r| r.4.view()).collect();
        let runs = Lockstep::new(ready.iter().map(|r| r.2.clone()).collect()).run_alphas(&problem, &alphas);
        let engine_share = clock.seconds() / ready.len().max(1) as f64;
        for ((row, spec, sgd, gamma_max, alpha, bisection_share), run) in ready.into_iter().zip(runs) {
            let clock = Clock::start();
            let result = run.map_err(anyhow::Error::from).and_then(|run| {
                let report = finish(problem.clone(), alpha.view(), &sgd, gamma_max, run);
                let seconds = engine_share + bisection_share + clock.seconds();
                let rec = RowRecord::new(spec.clone(), &report, seconds);
                record::write(self.out, &rec)?;
                Ok(rec)
            });
            results.push((row, result));
            self.tally.inc();
        }
        results
    }
}

/// How to merge shards.
#[derive(Debug, Clone)]
pub struct MergePlan {
    /// The shards' output directories.
    pub dirs: Vec<PathBuf>,
    /// Where the merged sweep goes.
    pub out: PathBuf,
}

/// Reads a directory's `grid.json`.
fn manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(names::GRID);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (not a sweep's output directory?)", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Joins the shards in `plan.dirs` into `plan.out`: the same table, `grid.json` (without a shard)
/// and run files as an unsharded sweep of the grid writes. Fails in one line if the directories
/// come from different grids or some run is in none of them.
pub fn merge(plan: &MergePlan) -> Result<SweepReport> {
    let start = Instant::now();
    let Some(first_dir) = plan.dirs.first() else { bail!("merge needs at least one directory") };
    let first = manifest(first_dir)?;
    for dir in &plan.dirs[1..] {
        let other = manifest(dir)?;
        ensure!(
            other.grid == first.grid && other.fingerprint == first.fingerprint,
            "{} holds another grid than {}",
            dir.display(),
            first_dir.display()
        );
    }
    let rows = first.grid.rows().map_err(|e| anyhow!("{}: {e}", first_dir.join(names::GRID).display()))?;
    ensure!(
        rows.len() == first.rows && fingerprint(&rows) == first.fingerprint,
        "{}: the grid's rows differ from the ones recorded (another version of dln-report?)",
        first_dir.join(names::GRID).display()
    );
    let mut records = Vec::with_capacity(rows.len());
    let mut missing = Vec::new();
    for (r, spec) in rows.iter().enumerate() {
        let mut found = None;
        for dir in &plan.dirs {
            if let Some(rec) = record::read(dir, spec)? {
                found = Some(rec);
                break;
            }
        }
        match found {
            Some(rec) => records.push((r, rec)),
            None => missing.push(r),
        }
    }
    if let Some(&r) = missing.first() {
        let shard = first.shard.map_or(String::new(), |s| format!(" (shard {}/{})", r % s.count, s.count));
        bail!("{} of {} runs are in none of the directories; the first is row {r}{shard}", missing.len(), rows.len());
    }
    std::fs::create_dir_all(plan.out.join(record::ROWS)).with_context(|| format!("creating {}", plan.out.display()))?;
    for (_, rec) in &records {
        if record::read(&plan.out, &rec.spec).ok().flatten().as_ref() != Some(rec) {
            record::write(&plan.out, rec)?;
        }
    }
    let done: Vec<(usize, &RowRecord)> = records.iter().map(|(r, rec)| (*r, rec)).collect();
    let threads = rayon::current_num_threads();
    let timings = Timings::of(&done, 0, threads, start.elapsed());
    let manifest = Manifest { shard: None, ..first };
    write_outputs(&plan.out, &manifest, &done, &timings)?;
    Ok(SweepReport { out: plan.out.clone(), grid_rows: rows.len(), rows: done.len(), rows_run: 0, timings })
}

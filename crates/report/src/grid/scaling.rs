//! The numbers of the book's appendix "Scaling out", computed from a sweep's own `timings.json`:
//! the measured cost per run c (core seconds), runs per core-hour 3600/c, and for grids of R such
//! runs the core-hours R·c/3600, the wall time on one node of [`NODE_CORES`] cores and the nodes
//! needed to finish within a wall time T, ⌈R·c / (3600 · T · cores)⌉ (runs are independent, so
//! they spread over cores without loss beyond the last, partly filled, round).
//!
//! `reproduce` measures the example grid [`EXAMPLE`] (embedded in the binary) into
//! `results/sweeps/<EXAMPLE>/` before it builds the book.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use super::execute::{Timings, names};

/// The example grid whose timing the appendix reports (`examples/grids/<EXAMPLE>.toml`).
pub const EXAMPLE: &str = "05-gain-scale";

/// Its text.
pub const EXAMPLE_GRID: &str = include_str!("../../../../examples/grids/05-gain-scale.toml");

/// Cores per node of the planning table.
pub const NODE_CORES: usize = 64;

/// Grid sizes (runs) of the planning table.
pub const GRID_RUNS: [u64; 4] = [10_000, 100_000, 1_000_000, 10_000_000];

/// Wall times (hours) of the planning table.
pub const WALL_HOURS: [f64; 2] = [1.0, 8.0];

/// One line of the planning table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanLine {
    /// Runs in the grid (R).
    pub runs: u64,
    /// R·c / 3600.
    pub core_hours: f64,
    /// Hours on one node: core-hours / [`NODE_CORES`].
    pub hours_on_one_node: f64,
    /// Nodes to finish within each of [`WALL_HOURS`].
    pub nodes: Vec<u64>,
}

/// The appendix's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    /// Runs measured.
    pub runs: usize,
    /// Their steps in all.
    pub steps: u64,
    /// Core seconds per run, c.
    pub seconds_per_run: f64,
    /// 3600 / c.
    pub runs_per_core_hour: f64,
    /// Nanoseconds per step (bisections and solves included).
    pub ns_per_step: f64,
    /// CPUs of the machine that measured them.
    pub cpus: usize,
    /// Threads the sweep ran on.
    pub threads: usize,
    /// Wall seconds of the sweep.
    pub wall_seconds: f64,
    /// The planning table.
    pub plan: Vec<PlanLine>,
}

/// Nodes of `cores` cores that run `core_hours` of independent runs within `hours`.
pub fn nodes(core_hours: f64, cores: usize, hours: f64) -> u64 {
    (core_hours / (cores as f64 * hours)).ceil().max(1.0) as u64
}

impl Scaling {
    /// The numbers of a sweep's timings.
    pub fn of(t: &Timings) -> Self {
        let plan = GRID_RUNS
            .iter()
            .map(|&runs| {
                let core_hours = runs as f64 * t.seconds_per_run / 3600.0;
                PlanLine {
                    runs,
                    core_hours,
                    hours_on_one_node: core_hours / NODE_CORES as f64,
                    nodes: WALL_HOURS.iter().map(|&h| nodes(core_hours, NODE_CORES, h)).collect(),
                }
            })
            .collect();
        Self {
            runs: t.rows,
            steps: t.steps,
            seconds_per_run: t.seconds_per_run,
            runs_per_core_hour: t.runs_per_core_hour,
            ns_per_step: t.ns_per_step,
            cpus: t.cpus,
            threads: t.threads,
            wall_seconds: t.wall_seconds,
            plan,
        }
    }

    /// The appendix's generated Markdown: the measurement, then the planning table.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "Measured by `reproduce` on the machine that built this book ({} CPUs, {} threads): the example grid \
             `examples/grids/{EXAMPLE}.toml`, {} runs, {:.2e} steps in all, took {:.2} s of wall time.\n\n",
            self.cpus, self.threads, self.runs, self.steps as f64, self.wall_seconds
        );
        md += "| measured | value |\n|---|---|\n";
        md += &format!("| cost per run $c$ (core seconds) | {:.4} |\n", self.seconds_per_run);
        md += &format!("| runs per core-hour, $3600/c$ | {:.0} |\n", self.runs_per_core_hour);
        md += &format!("| cost per step, everything included (ns) | {:.1} |\n\n", self.ns_per_step);
        md += &format!(
            "Grids of such runs, on nodes of {NODE_CORES} cores: core-hours $R c/3600$, the wall time on one node, and \
             the nodes needed to finish within {}.\n\n",
            WALL_HOURS.iter().map(|h| format!("{h} h")).collect::<Vec<_>>().join(" or ")
        );
        md += "| runs $R$ | core-hours | hours on one node |";
        for h in WALL_HOURS {
            md += &format!(" nodes for {h} h |");
        }
        md += "\n|---:|---:|---:|";
        md += &"---:|".repeat(WALL_HOURS.len());
        md += "\n";
        for line in &self.plan {
            md += &format!("| {} | {:.3} | {:.4} |", line.runs, line.core_hours, line.hours_on_one_node);
            for n in &line.nodes {
                md += &format!(" {n} |");
            }
            md += "\n";
        }
        md
    }
}

/// What the appendix shows when no measurement is there (e.g. `book` run on results of a
/// `reproduce --no-book`).
pub fn missing_markdown(dir: &str) -> String {
    format!(
        "*No measurement yet: `{dir}/timings.json` is missing. `cargo run --release` measures it, or run \
         `cargo run --release -- sweep --grid examples/grids/{EXAMPLE}.toml --out {dir}` and rebuild the book with \
         `cargo run --release -- book`.*\n"
    )
}

/// Where `reproduce` measures the example grid, under its results directory.
pub fn dir(results: &Path) -> PathBuf {
    results.join("sweeps").join(EXAMPLE)
}

/// The appendix's generated Markdown from the results directory: the numbers of
/// `sweeps/<EXAMPLE>/timings.json`, or a note saying how to measure them when it is missing.
pub fn book_markdown(results: &Path) -> Result<String> {
    let dir = dir(results);
    let path = dir.join(names::TIMINGS);
    if !path.is_file() {
        return Ok(missing_markdown(&dir.display().to_string()));
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let timings: Timings = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Scaling::of(&timings).markdown())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_follows_from_the_cost_per_run() {
        let t = Timings {
            rows: 100,
            rows_run: 100,
            threads: 2,
            cpus: 2,
            wall_seconds: 5.0,
            core_seconds: 10.0,
            steps: 1_000_000,
            seconds_per_run: 0.1,
            runs_per_core_hour: 36_000.0,
            ns_per_step: 10_000.0,
        };
        let s = Scaling::of(&t);
        // 10 000 runs of 0.1 s: 1000 core-seconds = 0.2778 core-hours, one node for either wall time.
        assert!((s.plan[0].core_hours - 1000.0 / 3600.0).abs() < 1e-12);
        assert_eq!(s.plan[0].nodes, [1, 1]);
        // 10⁷ runs: 277.8 core-hours; within 1 h on 64 cores: ⌈4.34⌉ = 5 nodes; within 8 h: 1.
        assert_eq!(s.plan[3].nodes, [5, 1]);
        assert!((s.plan[3].hours_on_one_node - 1e6 / 3600.0 / 64.0).abs() < 1e-9);
        let md = s.markdown();
        assert!(md.contains("| 10000000 | 277.778 | 4.3403 | 5 | 1 |"), "{md}");
        assert!(md.contains("36000"));
        assert_eq!(nodes(64.0, 64, 1.0), 1);
        assert_eq!(nodes(64.0001, 64, 1.0), 2);
        assert_eq!(nodes(0.0, 64, 1.0), 1);
    }
}

//! `dln-report sweep --grid GRID.toml [--out DIR] [--threads N] [--shard I/N]` and
//! `dln-report sweep merge --out DIR SHARD_DIR...`: a grid of runs into one tidy table
//! ([`crate::grid`]).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::grid::{self, MergePlan, Plan, Shard, SweepReport};
use crate::progress::Mode;

/// Arguments of `sweep`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    /// `merge` joins shards; without it, `sweep` runs a grid.
    #[command(subcommand)]
    pub command: Option<SweepCommand>,
    /// The grid: a TOML file with `[params]` (every run) and `[axes]` (lists, combined as `combine = "product"` or "zip").
    #[arg(long, value_name = "GRID.toml", required = true)]
    pub grid: Option<PathBuf>,
    /// Output directory [default: results/sweeps/<the grid file's name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Run only shard I of N (0 ≤ I < N): the rows r with r mod N = I.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Memory the sweep may use (e.g. 8GiB) [default: the memory available now].
    #[arg(long, value_name = "SIZE", value_parser = crate::budget::parse_size)]
    pub max_memory: Option<u64>,
    /// No progress on the terminal (errors and the final line only).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Subcommands of `sweep`.
#[derive(Debug, Clone, Subcommand)]
pub enum SweepCommand {
    /// Join the output directories of a grid's shards into the table an unsharded sweep writes.
    Merge(MergeArgs),
}

/// Arguments of `sweep merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' output directories.
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged sweep goes.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

impl SweepArgs {
    /// The plan these arguments describe.
    pub fn plan(&self) -> Result<Plan> {
        let Some(grid) = self.grid.clone() else { anyhow::bail!("sweep needs --grid GRID.toml") };
        let out = self.out.clone().unwrap_or_else(|| {
            let stem = grid.file_stem().map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("results").join("sweeps").join(stem)
        });
        let mode = Mode::detect(self.quiet);
        Ok(Plan { grid, out, threads: self.threads, shard: self.shard, max_memory: self.max_memory, mode })
    }
}

/// Runs `sweep` or `sweep merge`.
pub fn execute(args: &SweepArgs) -> Result<SweepReport> {
    match &args.command {
        Some(SweepCommand::Merge(m)) => grid::merge(&MergePlan { dirs: m.dirs.clone(), out: m.out.clone() }),
        None => grid::sweep(&args.plan()?),
    }
}

//! `dln-report sweep`: a grid of runs ([`crate::runs::RunSpec`]) defined in a TOML file, run in
//! parallel (each group of runs that share X in lockstep, [`dln::Lockstep`]), one tidy row per run.
//!
//! A grid file fixes some parameters for every run and lists values for others; the runs are the
//! cartesian product of the lists (the default) or their zip (the i-th value of every list together):
//!
//! ```toml
//! combine = "product"          # or "zip"
//!
//! [params]                     # every run
//! n = 20
//! steps = 100000
//! tol = 1e-10
//!
//! [axes]                       # one list per parameter that varies
//! gamma_ratio = [0.1, 0.5, 0.9]
//! batch = [1, "n"]             # "n": GD
//! seed = [0, 1, 2, 3]
//! ```
//!
//! Any key of [`crate::runs::RunSpec`] may appear in either table (not both). The product's first
//! axis, in the order of [`crate::runs::PARAMETERS`], varies slowest and the last fastest; row `r` of
//! the grid is the same run in every shard and every rerun. Every row is expanded and checked
//! ([`Grid::rows`]) before any run, so a bad grid fails in one line naming the row and the key.
//!
//! Outputs under `--out DIR` ([`execute`]): `data.parquet` and `data.csv` (one row per run, in grid
//! order), `grid.json` (the grid, its row count and fingerprint, the shard), `timings.json`, and
//! `rows/<hash>.json`, one file per finished run keyed by the hash of its parameters: a rerun skips
//! them (resumable), and `sweep merge` joins shards from them ([`execute::merge`]).

pub mod execute;
pub mod frame;
pub mod record;
pub mod scaling;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::runs::{PARAMETERS, RunSpec};

pub use execute::{MergePlan, Plan, SweepReport, merge, sweep};

/// The most rows a grid may have.
pub const MAX_ROWS: usize = 10_000_000;

/// How the axes combine into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// Every combination of the axes' values (the last axis fastest).
    #[default]
    Product,
    /// The i-th value of every axis together (all axes of one length).
    Zip,
}

/// A grid file: fixed parameters, axes, and how the axes combine.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grid {
    /// Product or zip of the axes.
    pub combine: Combine,
    /// Parameters shared by every run.
    pub params: toml::Table,
    /// One list of values per varying parameter.
    pub axes: toml::Table,
}

/// A shard of a grid: rows r with r mod `count` = `index` (`--shard index/count`, 0-based, as
/// Slurm's `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` with `--array=0-(count-1)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 0 ≤ index < count.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Whether row `r` belongs to this shard.
    pub fn holds(&self, r: usize) -> bool {
        r % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("invalid shard `{text}`: expected I/N with 0 ≤ I < N (e.g. 0/4)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A TOML value as a grid file writes it, for messages.
fn shown(value: &toml::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 { format!("{}…", text.chars().take(40).collect::<String>()) } else { text }
}

impl Grid {
    /// Reads and parses a grid file (one-line errors naming the file, and the line for TOML
    /// syntax); the rows are checked by [`Grid::rows`].
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading --grid {}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow!("--grid {}: {e}", path.display()))
    }

    /// Parses the text of a grid file.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let at = e
                .span()
                .map(|s| line_col(text, s.start))
                .map_or(String::new(), |(l, c)| format!(" at line {l}, column {c}"));
            anyhow!("invalid grid{at}: {}", e.message().trim())
        })
    }

    /// The axes in the order of [`PARAMETERS`], each with its values; checks the keys and the
    /// shapes (lists, not empty; one length for a zip).
    fn axes(&self) -> Result<Vec<(&'static str, &Vec<toml::Value>)>> {
        for (table, keys) in [("params", &self.params), ("axes", &self.axes)] {
            if let Some(key) = keys.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
                bail!("unknown parameter `{key}` in [{table}]; expected one of {}", PARAMETERS.join(", "));
            }
        }
        if let Some(key) = self.params.keys().find(|k| self.axes.contains_key(*k)) {
            bail!("`{key}` is both in [params] and in [axes]");
        }
        let mut axes = Vec::new();
        for name in PARAMETERS {
            let Some(value) = self.axes.get(name) else { continue };
            let values =
                value.as_array().ok_or_else(|| anyhow!("[axes] `{name}` must be a list, got {}", shown(value)))?;
            if values.is_empty() {
                bail!("[axes] `{name}` is an empty list");
            }
            axes.push((name, values));
        }
        if self.combine == Combine::Zip
            && let Some(((a, va), (b, vb))) =
                axes.first().and_then(|first| axes.iter().find(|x| x.1.len() != first.1.len()).map(|x| (first, x)))
        {
            bail!("combine = \"zip\" needs axes of one length: `{a}` has {}, `{b}` has {}", va.len(), vb.len());
        }
        Ok(axes)
    }

    /// The number of rows (without expanding them).
    pub fn row_count(&self) -> Result<usize> {
        let axes = self.axes()?;
        let count = match self.combine {
            Combine::Zip => axes.first().map_or(1, |a| a.1.len()),
            Combine::Product => axes.iter().try_fold(1usize, |acc, a| acc.checked_mul(a.1.len())).unwrap_or(usize::MAX),
        };
        if count > MAX_ROWS {
            bail!("the grid has {count} rows, more than {MAX_ROWS}; split it into several grids");
        }
        Ok(count)
    }

    // ANCHOR: rows
    /// Every row, in order, as a canonical [`RunSpec`] ([`RunSpec::canonical`]), each checked
    /// ([`RunSpec::validate`]); two rows may not be the same run. The first bad row fails in one line
    /// naming the row, its axis values and the key.
    pub fn rows(&self) -> Result<Vec<RunSpec>> {
        let axes = self.axes()?;
        let count = self.row_count()?;
        let mut rows = Vec::with_capacity(count);
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(count);
        for r in 0..count {
            // Index of each axis in row r: a mixed-radix number, last axis fastest (product), or r (zip).
            let mut rest = r;
            let mut picks = vec![0; axes.len()];
            for (a, (_, values)) in axes.iter().enumerate().rev() {
                picks[a] = match self.combine {
                    Combine::Zip => r,
                    Combine::Product => {
                        let i = rest % values.len();
                        rest /= values.len();
                        i
                    }
                };
            }
            let mut table = self.params.clone();
            for ((name, values), &i) in axes.iter().zip(&picks) {
                table.insert(name.to_string(), values[i].clone());
            }
            let label = || {
                let parts: Vec<String> = axes
                    .iter()
                    .zip(&picks)
                    .map(|((name, values), &i)| format!("{name} = {}", shown(&values[i])))
                    .collect();
                if parts.is_empty() { format!("row {r}") } else { format!("row {r} ({})", parts.join(", ")) }
            };
            let spec: RunSpec = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| anyhow!("{}: {}", label(), e.message().trim()))?;
            spec.validate().map_err(|e| anyhow!("{}: {e:#}", label()))?;
            let spec = spec.canonical();
            let key = record::spec_key(&spec);
            if let Some(first) = seen.insert(key, r) {
                bail!("{} is the same run as row {first}", label());
            }
            rows.push(spec);
        }
        Ok(rows)
    }
    // ANCHOR_END: rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::Batch;

    fn err(text: &str) -> String {
        let e = Grid::parse(text).and_then(|g| g.rows()).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        e
    }

    #[test]
    fn product_varies_the_last_parameter_fastest() {
        let grid =
            Grid::parse("[params]\nsteps = 10\n[axes]\nseed = [1, 2]\nbatch = [1, \"n\"]\nalpha = [0.1, 0.2, 0.3]")
                .unwrap();
        let rows = grid.rows().unwrap();
        assert_eq!(rows.len(), 12);
        assert_eq!(grid.row_count().unwrap(), 12);
        // PARAMETERS order: alpha, batch, seed (seed fastest).
        let picks: Vec<(f64, Batch, u64)> = rows.iter().map(|r| (r.alpha, r.batch, r.seed)).collect();
        assert_eq!(picks[..3], [(0.1, Batch::Size(1), 1), (0.1, Batch::Size(1), 2), (0.1, Batch::Size(20), 1)]);
        assert_eq!(picks[11], (0.3, Batch::Size(20), 2));
        assert!(rows.iter().all(|r| r.steps == 10 && r.stepsize == Some(0.05)));
    }

    #[test]
    fn zip_takes_the_ith_values_together() {
        let grid = Grid::parse("combine = \"zip\"\n[axes]\nn = [10, 20]\nd = [15, 30]").unwrap();
        let rows = grid.rows().unwrap();
        assert_eq!(rows.iter().map(|r| (r.n, r.d)).collect::<Vec<_>>(), [(10, 15), (20, 30)]);
        assert!(err("combine = \"zip\"\n[axes]\nn = [10, 20]\nd = [15]").contains("one length"));
    }

    #[test]
    fn bad_grids_fail_in_one_line_naming_row_and_key() {
        assert!(err("[axes]\nbatch = [1, 25]").contains("row 1 (batch = 25)"));
        assert!(err("[axes]\nbatch = [1, 25]").contains("batch"));
        assert!(err("[axes]\nfoo = [1]").contains("unknown parameter `foo`"));
        assert!(err("[params]\nn = 10\n[axes]\nn = [1]").contains("both"));
        assert!(err("[axes]\nn = 10").contains("must be a list"));
        assert!(err("[axes]\nn = []").contains("empty"));
        assert!(err("[axes]\nalpha = [0.1, \"x\"]").contains("row 1"));
        assert!(err("[axes]\nbatch = [20, \"n\"]").contains("same run as row 0"));
        assert!(err("combine = \"cube\"").contains("unknown variant `cube`"));
        assert!(err("[axes]\nseed = [1,\n").contains("line"));
        assert!(err("[params]\ngamma_ratio = 0.5\ntol = 0").contains("tol"));
        let huge = format!("[axes]\nseed = [{}]\nalpha = [{}]", vec!["1"; 4000].join(","), vec!["0.1"; 4000].join(","));
        assert!(err(&huge).contains("more than"));
    }

    #[test]
    fn shards_parse_and_partition_the_rows() {
        let shard: Shard = "1/3".parse().unwrap();
        assert_eq!(shard, Shard { index: 1, count: 3 });
        assert_eq!((0..7).filter(|&r| shard.holds(r)).collect::<Vec<_>>(), [1, 4]);
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}

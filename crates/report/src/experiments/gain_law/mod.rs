//! What sets the gain's shape: the data design (the law of the coordinates of x) and the sparsity s,
//! for SGD (b = 1) and GD, each at fractions of its own γ_max.
//!
//! To second order Gain_γ(j) = Σ_k q(γ g_k,j) ≈ Σ_k (γ g_k,j)². For SGD with b = 1 a step's gradient
//! is g = x_i r_i (r_i = ⟨x_i, β⟩ − y_i), and for independent unit-variance coordinates with
//! E x_j⁴ = m₄, E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + (m₄ − 1)Δ_j² (Δ = β − β*): at the start (Δ = −β*) the
//! on/off-support ratio of the squared gradients is 1 + (m₄ − 1)/s
//! ([`dln::Design::second_order_support_ratio`]) — 1 + 2/s (Gaussian), 1 + 0.8/s (uniform), 1
//! (Rademacher). For Rademacher data x_ij² = 1, so every coordinate's step has the same size
//! |γ g_k,j| = γ|r_k| and, q being even, SGD's gain is the same on every coordinate at every order
//! — exactly flat. GD's early gradients ≈ −Σβ* = −β* point at the support: its gain piles up there.
//!
//! Each run also accumulates Σ_k (γ g_k,j)² and max_k |γ g_k,j| ([`dln::SecondOrder`]), the second-order
//! prediction from the run's own gradients: x² ≤ q(x) ≤ x² + x⁴ for x² ≤ ½, so
//! Σ(γg)² ≤ Gain ≤ (1 + m_j²) Σ(γg)² with m_j = max_k |γ g_k,j|. Every converged run's limit is
//! compared with Theorem 2's prediction. The runs are those of the shared stage
//! [`super::fraction_runs`]. Book: chapter "What sets the gain's shape"
//! (`book/src/10-gain-law.md`).

use anyhow::Result;
use dln::Design;
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::fraction_runs::{self, Row, RunsConfig};
use super::{Experiment, Setting, Validate};

pub mod claims;
mod plot;
mod summary;

pub use summary::{CellSummary, Summary};

/// The experiment.
pub struct GainLaw;

/// Parameters; `Default` is the paper's setting with every design.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, ·), α = 0.1 | n, d, α, seed, mean, noise, σ ([`Setting`]); its `s` and `design` are replaced by each cell's | |
/// | `designs` | gaussian, rademacher, uniform | laws of the coordinates of x | ≥ 1, distinct |
/// | `sparsities` | 1, 3, 6 | sparsities s of β* | each in [1, d), distinct |
/// | `runs` | 16 datasets, fractions 0.1 and 0.5, to L ≤ 1e-26 | datasets per cell, stepsizes, budget ([`RunsConfig`]) | |
///
/// SGD uses b = 1 (the second-order law is the single-sample one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design and initialisation (its `s` and `design` are replaced by each cell's).
    pub setting: Setting,
    /// The laws of the coordinates of x.
    pub designs: Vec<Design>,
    /// The sparsities s of β*.
    pub sparsities: Vec<usize>,
    /// The runs: datasets per cell, fractions of γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            designs: Design::ALL.to_vec(),
            sparsities: vec![1, 3, 6],
            runs: RunsConfig::default(),
        }
    }
}

/// Whether the values of `list` are distinct.
fn distinct<T: PartialEq>(list: &[T]) -> bool {
    (1..list.len()).all(|i| !list[..i].contains(&list[i]))
}

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate()?;
        anyhow::ensure!(!self.designs.is_empty(), "designs needs at least one design");
        anyhow::ensure!(distinct(&self.designs), "designs must be distinct");
        anyhow::ensure!(!self.sparsities.is_empty(), "sparsities needs at least one value");
        let d = self.setting.d;
        if let Some(s) = self.sparsities.iter().find(|s| !(1..d).contains(*s)) {
            anyhow::bail!(
                "sparsities must lie in [1, d) = [1, {d}) (got {s}): the on/off-support ratio needs both sides"
            );
        }
        anyhow::ensure!(distinct(&self.sparsities), "sparsities must be distinct");
        anyhow::ensure!(self.setting.n >= 2, "setting: n must be at least 2 (SGD with b = 1 < n)");
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))
    }
}

/// One (design, s) cell of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// The law of the coordinates of x.
    pub design: Design,
    /// Sparsity of β*.
    pub s: usize,
}

impl Cell {
    /// SGD's second-order on/off-support ratio at the start, 1 + (m₄ − 1)/s.
    pub fn predicted_ratio(self) -> f64 {
        self.design.second_order_support_ratio(self.s)
    }
}

impl Config {
    /// The cells, designs outer.
    pub fn cells(&self) -> Vec<Cell> {
        (self.designs.iter()).flat_map(|&design| self.sparsities.iter().map(move |&s| Cell { design, s })).collect()
    }

    /// The setting of each cell.
    pub fn settings(&self) -> Vec<Setting> {
        (self.cells().into_iter()).map(|c| Setting { design: c.design, s: c.s, ..self.setting.clone() }).collect()
    }
}

/// The runs of every cell, and the cells.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// The (design, s) cells; a row's `cell` indexes this list.
    pub cells: Vec<Cell>,
    /// The runs: cells, datasets, GD then SGD (b = 1), fractions.
    pub runs: fraction_runs::Output,
}

impl Output {
    /// The cell of a row.
    pub fn cell(&self, row: &Row) -> Cell {
        self.cells[row.cell]
    }
}

impl Experiment for GainLaw {
    experiment_items!(
        "gain_law",
        "What sets the gain's shape: Gaussian, Rademacher and uniform designs × sparsity, SGD's on/off-support ratio against 1 + (m₄ − 1)/s, and the second-order law from each run's own gradients"
    );

    fn quick() -> Config {
        let runs = RunsConfig { datasets: 4, max_epochs: 400_000, ..RunsConfig::default() };
        Config { sparsities: vec![1, 3], runs, ..Config::default() }
    }

    // ANCHOR: run
    fn run(cfg: &Config) -> Result<Output> {
        let arms = fraction_runs::gd_and_sgd(&cfg.setting, 1);
        Ok(Output { cells: cfg.cells(), runs: fraction_runs::compute(&cfg.settings(), &arms, &cfg.runs)? })
    }
    // ANCHOR_END: run

    /// Tidy frame, one row per (run, coordinate): `design, s`, then the runs' columns
    /// ([`fraction_runs::columns`]: labels, status, Theorem 2's error, risks, and per coordinate the
    /// start's squared gradient, the gain, Σ(γg)² and max|γg|).
    fn frame(out: &Output) -> Result<DataFrame> {
        let rows = &out.runs.rows;
        let mut columns = vec![
            fraction_runs::cell_column("design", rows, |c| out.cells[c].design.as_str()),
            fraction_runs::cell_column("s", rows, |c| out.cells[c].s as u64),
        ];
        columns.extend(fraction_runs::columns(rows));
        Ok(DataFrame::new_infer_height(columns)?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out, cfg))
    }
}

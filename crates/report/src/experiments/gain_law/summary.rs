//! gain_law's headline numbers: per (design, s, method, fraction), the on/off-support ratio of the
//! gain and of Σ(γg)², against SGD's second-order prediction 1 + (m₄ − 1)/s.

use serde::Serialize;

use super::{Cell, Config, Output, Row, claims};
use crate::claims::Claim;
use crate::experiments::common::{Method, Quartiles, largest};
use crate::experiments::fraction_runs::{Count, Totals, quartiles_over};
use crate::experiments::stepsize_sweep::r4;

/// The runs of one (cell, method, fraction), in order of first appearance.
pub struct Group<'a> {
    /// Its cell.
    pub cell: Cell,
    /// GD or SGD.
    pub method: Method,
    /// γ/γ_max.
    pub fraction: f64,
    /// Its runs (every status).
    pub rows: Vec<&'a Row>,
}

impl Group<'_> {
    /// Quartiles of `f` over the runs that did not diverge (non-finite values left out).
    pub fn quartiles(&self, f: impl Fn(&Row) -> f64) -> Quartiles {
        quartiles_over(self.rows.iter().copied(), f)
    }
}

/// The groups of the runs of `out`.
pub fn groups(out: &Output) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for row in &out.runs.rows {
        let key = (out.cell(row), row.method, row.fraction);
        match groups.iter_mut().find(|g| (g.cell, g.method, g.fraction) == key) {
            Some(g) => g.rows.push(row),
            None => groups.push(Group { cell: key.0, method: row.method, fraction: row.fraction, rows: vec![row] }),
        }
    }
    groups
}

/// One (design, s, method, fraction).
#[derive(Debug, Clone, Serialize)]
pub struct CellSummary {
    /// The design.
    pub design: &'static str,
    /// Sparsity s.
    pub s: usize,
    /// GD or SGD.
    pub method: &'static str,
    /// γ/γ_max.
    pub fraction: f64,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// SGD's second-order prediction 1 + (m₄ − 1)/s of the on/off-support ratio.
    pub predicted_sgd_ratio: Option<f64>,
    /// Median over datasets of the on/off-support ratio of the squared single-sample gradients at the
    /// start (the sample version of the prediction).
    pub start_ratio: Option<f64>,
    /// Median over datasets of the on/off-support ratio of the gain.
    pub gain_ratio: Option<f64>,
    /// Its first quartile.
    pub gain_ratio_q25: Option<f64>,
    /// Its third quartile.
    pub gain_ratio_q75: Option<f64>,
    /// Median of the on/off-support ratio of Σ(γg)².
    pub second_order_ratio: Option<f64>,
    /// Median of the coefficient of variation of the gain across coordinates.
    pub gain_cv: Option<f64>,
    /// Median of max_{k,j} |γ g_k,j|.
    pub largest_step: Option<f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Largest ‖β∞ − β_pred‖₂ / max(1, ‖β∞‖₂) over converged runs (Theorem 2).
    pub theorem2_largest_relative_error: Option<f64>,
    /// Per (design, s, method, fraction).
    pub cells: Vec<CellSummary>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`.
    pub fn of(out: &Output, _cfg: &Config) -> Self {
        let rows = &out.runs.rows;
        let converged: Vec<&Row> = rows.iter().filter(|r| r.converged()).collect();
        let cells = (groups(out).iter())
            .map(|g| {
                let ratio = g.quartiles(Row::gain_ratio);
                CellSummary {
                    design: g.cell.design.as_str(),
                    s: g.cell.s,
                    method: g.method.as_str(),
                    fraction: g.fraction,
                    count: Count::of(g.rows.iter().copied()),
                    predicted_sgd_ratio: r4(g.cell.predicted_ratio()),
                    start_ratio: r4(g.quartiles(Row::start_ratio).median),
                    gain_ratio: r4(ratio.median),
                    gain_ratio_q25: r4(ratio.q25),
                    gain_ratio_q75: r4(ratio.q75),
                    second_order_ratio: r4(g.quartiles(Row::second_order_ratio).median),
                    gain_cv: r4(g.quartiles(Row::gain_cv).median),
                    largest_step: r4(g.quartiles(Row::largest_step).median),
                }
            })
            .collect();
        Summary {
            totals: Totals::of(&out.runs),
            theorem2_largest_relative_error: crate::snap::rounded(
                largest(converged.iter().map(|r| r.theorem2_relative().unwrap_or(f64::INFINITY))),
                2,
            ),
            cells,
            claims: claims::claims(out),
        }
    }
}

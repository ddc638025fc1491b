//! phase_diagram's headline numbers: per (batch size, α, γ/γ_max), medians over datasets of the
//! test risk relative to gradient flow's, of each decomposition variant's, of the shares, the
//! support recovery rate, ‖β∞‖₁/‖β*‖₁ and the gain.

use serde::Serialize;

use super::{Decomposition, Extra, Output, claims};
use crate::claims::Claim;
use crate::experiments::common::{Quartiles, quartiles};
use crate::experiments::fraction_runs::{Count, Row, Totals};
use crate::experiments::stepsize_sweep::r4;

/// A cell of the diagram: (batch size as run, index of α, γ/γ_max).
pub type Cell = (usize, usize, f64);

/// The kept runs (not diverged) of `cell`, with their extras.
pub fn kept_runs(out: &Output, (batch, alpha, fraction): Cell) -> impl Iterator<Item = (&Row, &Extra)> {
    out.measured.rows().filter(move |(r, _)| r.kept() && r.batch == batch && r.cell == alpha && r.fraction == fraction)
}

/// Quartiles over the kept runs of `cell` of `f` (non-finite values and `None` left out).
pub fn over(out: &Output, cell: Cell, f: impl Fn(&Row, &Extra) -> Option<f64>) -> Quartiles {
    let values: Vec<f64> = kept_runs(out, cell).filter_map(|(r, e)| f(r, e)).filter(|v| v.is_finite()).collect();
    quartiles(&values)
}

/// `f` of a converged run's decomposition.
pub fn part(e: &Extra, f: impl Fn(&Decomposition) -> f64) -> Option<f64> {
    e.decomposition.as_ref().map(f)
}

/// The median of `f` over the kept runs of `cell`, rounded.
fn med(out: &Output, cell: Cell, f: impl Fn(&Row, &Extra) -> Option<f64>) -> Option<f64> {
    r4(over(out, cell, f).median)
}

/// One cell: medians over its datasets.
#[derive(Debug, Clone, Serialize)]
pub struct CellStat {
    /// Batch size (b = n: GD).
    pub batch: usize,
    /// α.
    pub alpha: f64,
    /// γ/γ_max.
    pub fraction: f64,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// Test risk over gradient flow's.
    pub risk_ratio: Option<f64>,
    /// The scale-only variant's risk over gradient flow's.
    pub scale_risk_ratio: Option<f64>,
    /// The shape-only variant's.
    pub shape_risk_ratio: Option<f64>,
    /// The β̃₀-free variant's.
    pub without_tilde_risk_ratio: Option<f64>,
    /// The scale's share of the change from gradient flow.
    pub share_scale: Option<f64>,
    /// The shape's share.
    pub share_shape: Option<f64>,
    /// β̃₀'s share.
    pub share_beta_tilde0: Option<f64>,
    /// Share of the runs that recover the support of β*.
    pub support_recovered: Option<f64>,
    /// ‖β∞‖₁/‖β*‖₁.
    pub l1_ratio: Option<f64>,
    /// ‖Gain‖₁.
    pub gain_l1: Option<f64>,
    /// Coefficient of variation of the gain across coordinates.
    pub gain_cv: Option<f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per (batch size, α, γ/γ_max).
    pub table: Vec<CellStat>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`.
    pub fn of(out: &Output) -> Self {
        let rows = &out.measured.runs.rows;
        let mut table = Vec::new();
        for &batch in &out.batches {
            for (a, &alpha) in out.alphas.iter().enumerate() {
                for &fraction in &out.fractions {
                    let cell = (batch, a, fraction);
                    let count =
                        Count::of(rows.iter().filter(|r| r.batch == batch && r.cell == a && r.fraction == fraction));
                    let ratio = |f: fn(&Decomposition) -> f64| {
                        med(out, cell, move |r, e| part(e, f).map(|risk| risk / r.gf_test_risk))
                    };
                    let recovered: Vec<f64> =
                        kept_runs(out, cell).filter_map(|(_, e)| e.recovers_support.map(f64::from)).collect();
                    table.push(CellStat {
                        batch,
                        alpha,
                        fraction,
                        count,
                        risk_ratio: med(out, cell, |r, _| Some(r.risk_ratio())),
                        scale_risk_ratio: ratio(|x| x.scale_risk),
                        shape_risk_ratio: ratio(|x| x.shape_risk),
                        without_tilde_risk_ratio: ratio(|x| x.without_tilde_risk),
                        share_scale: med(out, cell, |_, e| part(e, |x| x.share_scale)),
                        share_shape: med(out, cell, |_, e| part(e, |x| x.share_shape)),
                        share_beta_tilde0: med(out, cell, |_, e| part(e, |x| x.share_beta_tilde0)),
                        support_recovered: r4(recovered.iter().sum::<f64>() / recovered.len() as f64),
                        l1_ratio: med(out, cell, |_, e| e.l1_ratio),
                        gain_l1: med(out, cell, |r, _| Some(r.gain_l1())),
                        gain_cv: med(out, cell, |r, _| Some(r.gain_cv())),
                    });
                }
            }
        }
        Summary { totals: Totals::of(&out.measured.runs), table, claims: claims::claims(out) }
    }
}

//! schedules' headline numbers: per (final fraction, method, schedule), medians over datasets of
//! ‖Gain‖₁, the test risk relative to gradient flow's and the steps taken.

use serde::Serialize;

use super::{Kind, Output, claims};
use crate::claims::Claim;
use crate::experiments::common::{Method, Quartiles};
use crate::experiments::fraction_runs::{Count, Row, Totals, quartiles_over};
use crate::experiments::stepsize_sweep::r4;

/// Quartiles of `f` over the runs of (final fraction, method, schedule) that did not diverge.
pub fn over_datasets(
    out: &Output,
    (fraction, method, kind): (f64, Method, Kind),
    f: impl Fn(&Row) -> f64,
) -> Quartiles {
    let rows =
        out.runs.rows.iter().filter(|r| r.fraction == fraction && r.method == method && Kind::ALL[r.cell] == kind);
    quartiles_over(rows, f)
}

/// One (final fraction, method, schedule).
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleStat {
    /// Final γ/γ_max.
    pub fraction: f64,
    /// GD or SGD.
    pub method: &'static str,
    /// The schedule.
    pub schedule: &'static str,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// Median ‖Gain‖₁.
    pub gain_l1: Option<f64>,
    /// Its first quartile.
    pub gain_l1_q25: Option<f64>,
    /// Its third quartile.
    pub gain_l1_q75: Option<f64>,
    /// Median test risk over gradient flow's.
    pub risk_ratio: Option<f64>,
    /// Median steps.
    pub steps: Option<f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per (final fraction, method, schedule).
    pub table: Vec<ScheduleStat>,
    /// The section's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`.
    pub fn of(out: &Output) -> Self {
        let rows = &out.runs.rows;
        let mut table = Vec::new();
        for &fraction in &out.fractions {
            for method in Method::BOTH {
                for kind in Kind::ALL {
                    let key = (fraction, method, kind);
                    let count = Count::of(
                        (rows.iter())
                            .filter(|r| r.fraction == fraction && r.method == method && Kind::ALL[r.cell] == kind),
                    );
                    let gain = over_datasets(out, key, Row::gain_l1);
                    table.push(ScheduleStat {
                        fraction,
                        method: method.as_str(),
                        schedule: kind.as_str(),
                        count,
                        gain_l1: r4(gain.median),
                        gain_l1_q25: r4(gain.q25),
                        gain_l1_q75: r4(gain.q75),
                        risk_ratio: r4(over_datasets(out, key, Row::risk_ratio).median),
                        steps: r4(over_datasets(out, key, |r| r.steps as f64).median),
                    });
                }
            }
        }
        Summary { totals: Totals::of(&out.runs), table, claims: claims::claims(out) }
    }
}

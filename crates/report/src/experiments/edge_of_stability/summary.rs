//! edge_of_stability's headline numbers, rounded to [`SUMMARY_DIGITS`]: γ_max and, per run, its
//! status, final gain and sharpness, and whether its loss oscillated.

use std::collections::BTreeMap;

use dln::Status;
use serde::Serialize;

use super::{EdgeRun, Output, SUMMARY_DIGITS};
use crate::experiments::common::rounded;
use crate::snap::round_sig;

/// `x` rounded to [`SUMMARY_DIGITS`] (None if not finite).
fn r3(x: f64) -> Option<f64> {
    rounded(x, SUMMARY_DIGITS)
}

/// Headline numbers of one run (rounded to [`SUMMARY_DIGITS`]).
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// γ/γ_max.
    pub gamma_over_gamma_max: Option<f64>,
    /// γ.
    pub gamma: Option<f64>,
    /// How the run ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// ‖Gain‖₁ at the last snapshot.
    pub gain_l1: Option<f64>,
    /// Mean gain on the support of β* at the last snapshot.
    pub final_mean_gain_on_support: Option<f64>,
    /// Mean gain off the support at the last snapshot.
    pub final_mean_gain_off_support: Option<f64>,
    /// γ·S_k at the last snapshot.
    pub final_gamma_sharpness: Option<f64>,
    /// The largest γ·S_k over the snapshots.
    pub max_gamma_sharpness: Option<f64>,
    /// Whether the training loss rose between two consecutive snapshots.
    pub loss_increases_between_snapshots: bool,
}

impl RunSummary {
    fn new(run: &EdgeRun, gamma_max: f64, support: &[bool]) -> Self {
        let (_, loss) = run.series(|p| p.train_loss);
        let (_, sharp) = run.series(|p| p.gamma_sharpness);
        let (_, on) = run.mean_gain(support, true);
        let (_, off) = run.mean_gain(support, false);
        RunSummary {
            gamma_over_gamma_max: r3(run.gamma / gamma_max),
            gamma: r3(run.gamma),
            status: run.status,
            steps: round_sig(run.steps as f64, SUMMARY_DIGITS) as u64,
            gain_l1: r3(run.final_gain_l1()),
            final_mean_gain_on_support: on.last().and_then(|x| r3(*x)),
            final_mean_gain_off_support: off.last().and_then(|x| r3(*x)),
            final_gamma_sharpness: sharp.last().and_then(|x| r3(*x)),
            max_gamma_sharpness: r3(sharp.iter().copied().fold(f64::NAN, f64::max)),
            loss_increases_between_snapshots: loss.windows(2).any(|w| w[1] > w[0]),
        }
    }
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// GD's γ_max.
    pub gamma_max: Option<f64>,
    /// Per run label.
    pub runs: BTreeMap<&'static str, RunSummary>,
    /// ‖Gain‖₁ at the end of the edge run over that of the small-stepsize run.
    pub gain_l1_edge_over_small: Option<f64>,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of the two runs.
    pub fn of(out: &Output) -> Self {
        let support = out.support();
        let runs = out.runs.iter().map(|r| (r.label, RunSummary::new(r, out.gamma_max, &support))).collect();
        let [small, edge] = &out.runs;
        let gain_l1_edge_over_small = r3(edge.final_gain_l1() / small.final_gain_l1());
        Summary { gamma_max: r3(out.gamma_max), runs, gain_l1_edge_over_small, claims: super::claims::claims(out) }
    }
}

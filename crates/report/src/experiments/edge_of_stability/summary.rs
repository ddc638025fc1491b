//! edge_of_stability's headline numbers, rounded to [`SUMMARY_DIGITS`]: on dataset 0, γ_max and,
//! per run, its status, final gain and sharpness (Gauss–Newton and exact), and whether its loss
//! oscillated; over every dataset, the spread of the edge run's sharpness and gain.

use std::collections::BTreeMap;

use dln::Status;
use serde::Serialize;

use super::claims::{final_sharpness, gain_ratio, max_hessian_sharpness, max_sharpness};
use super::{EdgeRun, Output, SUMMARY_DIGITS};
use crate::experiments::common::{Spread, rounded};
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
    /// γ·λ_max(∇²F) at the last snapshot (the exact Hessian).
    pub final_gamma_hessian_sharpness: Option<f64>,
    /// The largest γ·λ_max(∇²F) over the snapshots.
    pub max_gamma_hessian_sharpness: Option<f64>,
    /// Whether the training loss rose between two consecutive snapshots.
    pub loss_increases_between_snapshots: bool,
}

impl RunSummary {
    fn new(run: &EdgeRun, gamma_max: f64, support: &[bool]) -> Self {
        let (_, loss) = run.series(|p| p.train_loss);
        let (_, sharp) = run.series(|p| p.gamma_sharpness);
        let (_, hessian) = run.series(|p| p.gamma_hessian_sharpness);
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
            final_gamma_hessian_sharpness: hessian.last().and_then(|x| r3(*x)),
            max_gamma_hessian_sharpness: r3(hessian.iter().copied().fold(f64::NAN, f64::max)),
            loss_increases_between_snapshots: loss.windows(2).any(|w| w[1] > w[0]),
        }
    }
}

/// The edge runs of every dataset, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct AcrossDatasets {
    /// Number of datasets.
    pub datasets: usize,
    /// How many edge runs converged.
    pub edge_converged: usize,
    /// GD's γ_max.
    pub gamma_max: Spread,
    /// The largest γ·S_k (Gauss–Newton) of the edge run.
    pub max_gamma_sharpness: Spread,
    /// The largest γ·λ_max(∇²F) (exact Hessian) of the edge run.
    pub max_gamma_hessian_sharpness: Spread,
    /// γ·S_k at the edge run's last snapshot.
    pub final_gamma_sharpness: Spread,
    /// ‖Gain‖₁ of the edge run over that of the small-stepsize run.
    pub gain_l1_edge_over_small: Spread,
}

impl AcrossDatasets {
    fn of(out: &Output) -> Self {
        let each = |f: &dyn Fn(&super::Dataset) -> f64| out.datasets.iter().map(f).collect::<Vec<f64>>();
        AcrossDatasets {
            datasets: out.datasets.len(),
            edge_converged: out.datasets.iter().filter(|d| d.runs[1].status == Status::Converged).count(),
            gamma_max: Spread::of(&each(&|d| d.gamma_max), SUMMARY_DIGITS),
            max_gamma_sharpness: Spread::of(&each(&|d| max_sharpness(&d.runs[1])), SUMMARY_DIGITS),
            max_gamma_hessian_sharpness: Spread::of(&each(&|d| max_hessian_sharpness(&d.runs[1])), SUMMARY_DIGITS),
            final_gamma_sharpness: Spread::of(&each(&|d| final_sharpness(&d.runs[1])), SUMMARY_DIGITS),
            gain_l1_edge_over_small: Spread::of(&each(&gain_ratio), SUMMARY_DIGITS),
        }
    }
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// GD's γ_max on dataset 0.
    pub gamma_max: Option<f64>,
    /// Per run label, on dataset 0.
    pub runs: BTreeMap<&'static str, RunSummary>,
    /// ‖Gain‖₁ at the end of the edge run over that of the small-stepsize run, on dataset 0.
    pub gain_l1_edge_over_small: Option<f64>,
    /// Every dataset's edge run, summarised.
    pub across_datasets: AcrossDatasets,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of dataset 0's two runs and of every dataset's.
    pub fn of(out: &Output) -> Self {
        let first = out.first();
        let support = first.support();
        let runs = first.runs.iter().map(|r| (r.label, RunSummary::new(r, first.gamma_max, &support))).collect();
        Summary {
            gamma_max: r3(first.gamma_max),
            runs,
            gain_l1_edge_over_small: r3(gain_ratio(first)),
            across_datasets: AcrossDatasets::of(out),
            claims: super::claims::claims(out),
        }
    }
}

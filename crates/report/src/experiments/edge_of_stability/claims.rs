//! The claims of chapter "Edge of stability", from the runs' snapshots: dataset 0's two runs, then
//! every dataset's edge run.

use super::{Dataset, EdgeRun, Output, Point};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};

/// The largest of a quantity over a run's snapshots (NaN ones skipped).
fn peak(run: &EdgeRun, value: impl Fn(&Point) -> f64) -> f64 {
    run.series(value).1.into_iter().fold(f64::NAN, f64::max)
}

/// A quantity at a run's last snapshot.
fn last(run: &EdgeRun, value: impl Fn(&Point) -> f64) -> f64 {
    run.series(value).1.last().copied().unwrap_or(f64::NAN)
}

/// The largest γ·S_k (Gauss–Newton sharpness) over a run's snapshots.
pub(super) fn max_sharpness(run: &EdgeRun) -> f64 {
    peak(run, |p| p.gamma_sharpness)
}

/// γ·S_k at a run's last snapshot.
pub(super) fn final_sharpness(run: &EdgeRun) -> f64 {
    last(run, |p| p.gamma_sharpness)
}

/// The largest γ·λ_max(∇²F) (exact Hessian) over a run's snapshots.
pub(super) fn max_hessian_sharpness(run: &EdgeRun) -> f64 {
    peak(run, |p| p.gamma_hessian_sharpness)
}

/// |λ_max(∇²F) − S_GN| / S_GN at a run's last snapshot.
fn final_hessian_gap(run: &EdgeRun) -> f64 {
    let (gn, h) = (final_sharpness(run), last(run, |p| p.gamma_hessian_sharpness));
    (h - gn).abs() / gn
}

/// How many times the training loss rises from one snapshot to the next.
fn loss_rises(run: &EdgeRun) -> usize {
    run.series(|p| p.train_loss).1.windows(2).filter(|w| w[1] > w[0]).count()
}

/// ‖Gain‖₁ at the end of a dataset's edge run over that of its small-stepsize run.
pub(super) fn gain_ratio(data: &Dataset) -> f64 {
    let [small, edge] = &data.runs;
    edge.final_gain_l1() / small.final_gain_l1()
}

// ANCHOR: claims
/// The claims, computed from the snapshots.
pub fn claims(out: &Output) -> Vec<Claim> {
    let first = out.first();
    let [small, edge] = &first.runs;
    let (edge_max, edge_final, small_max) = (max_sharpness(edge), final_sharpness(edge), max_sharpness(small));
    let (hessian_max, hessian_gap) = (max_hessian_sharpness(edge), final_hessian_gap(edge));
    let ratio = gain_ratio(first);
    let rises = loss_rises(edge) as f64;
    let (at_small, at_edge) = (fmt3(small.gamma / first.gamma_max), fmt3(edge.gamma / first.gamma_max));
    let mut claims = vec![
        Claim::at_least("edge_gain_dwarfs_small_stepsize", "gain_l1_ratio", ratio, 100.0).says(format!(
            "At {at_edge} γ_max GD ends with a gain ‖Gain‖₁ {}× that at {at_small} γ_max.",
            fmt3(ratio)
        )),
        Claim::at_least("edge_loss_oscillates", "loss_rises", rises, 1.0).says(format!(
            "At {at_edge} γ_max the training loss is not monotone: it rises between {rises} pairs of consecutive snapshots."
        )),
        Claim::at_least("sharpness_overshoots_two", "largest_gamma_sharpness", edge_max, 2.5).says(format!(
            "γ·S_k does not just climb to 2: it overshoots to {} before the run settles.",
            fmt3(edge_max)
        )),
        Claim::at_most("edge_run_settles_at_two", "final_distance_from_two", (edge_final - 2.0).abs(), 0.05)
            .with("final_gamma_sharpness", edge_final)
            .says(format!(
                "It settles where GD is just linearly stable: the last γ·S_k is {}, at the threshold 2.",
                fmt3(edge_final)
            )),
        Claim::at_most("small_stepsize_far_from_edge", "largest_gamma_sharpness", small_max, 0.5).says(format!(
            "At {at_small} γ_max, γ·S_k never exceeds {}: far from the edge, the run never feels it.",
            fmt3(small_max)
        )),
        Claim::at_most("exact_hessian_equals_gauss_newton_at_the_end", "relative_gap", hessian_gap, 1e-5).says(format!(
            "At the last snapshot (an interpolator to L ≤ tol) the exact top Hessian eigenvalue and the Gauss–Newton one agree to a relative {:.3e}.",
            hessian_gap
        )),
        Claim::at_least("exact_hessian_overshoots_two", "largest_gamma_hessian_sharpness", hessian_max, 2.0).says(
            format!(
                "The overshoot is not an artefact of dropping the residual term: the exact γ·λ_max(∇²F) reaches {}.",
                fmt3(hessian_max)
            ),
        ),
    ];
    claims.extend(across_datasets(out));
    claims
}

/// The claims on every dataset's edge run.
fn across_datasets(out: &Output) -> Vec<Claim> {
    let edges: Vec<&EdgeRun> = out.datasets.iter().map(|d| &d.runs[1]).collect();
    let count = edges.len() as f64;
    let converged = edges.iter().filter(|r| r.status == dln::Status::Converged).count() as f64;
    // `smallest`/`largest` are NaN when a run has no finite value (e.g. it diverged): the claim fails.
    let least_overshoot = smallest(edges.iter().map(|r| max_sharpness(r)));
    let worst_settle = largest(edges.iter().map(|r| (final_sharpness(r) - 2.0).abs()));
    let least_ratio = smallest(out.datasets.iter().map(gain_ratio));
    vec![
        Claim::at_least("every_edge_run_converges", "converged_edge_runs", converged, count)
            .says(format!("On each of the {count} datasets, GD at its own γ_max converges ({converged} of {count}).")),
        Claim::at_least("every_dataset_overshoots_two", "least_largest_gamma_sharpness", least_overshoot, 2.0).says(
            format!(
                "Every dataset's edge run overshoots 2: the smallest of their largest γ·S_k is {}.",
                fmt3(least_overshoot)
            ),
        ),
        Claim::at_most("every_dataset_settles_at_two", "largest_final_distance_from_two", worst_settle, 0.05).says(
            format!("Every edge run settles at the threshold: its last γ·S_k is within {} of 2.", fmt3(worst_settle)),
        ),
        Claim::at_least("every_dataset_gain_dwarfs_small_stepsize", "least_gain_l1_ratio", least_ratio, 100.0).says(
            format!("On every dataset the edge run's ‖Gain‖₁ is at least {}× the small stepsize's.", fmt3(least_ratio)),
        ),
    ]
}
// ANCHOR_END: claims

//! The claims of chapter "Edge of stability", from the two runs' snapshots.

use super::{EdgeRun, Output};
use crate::claims::{Claim, fmt3};

/// The largest γ·S_k (Gauss–Newton sharpness) over a run's snapshots.
fn max_sharpness(run: &EdgeRun) -> f64 {
    run.series(|p| p.gamma_sharpness).1.into_iter().fold(f64::NAN, f64::max)
}

/// γ·S_k at a run's last snapshot.
fn final_sharpness(run: &EdgeRun) -> f64 {
    run.series(|p| p.gamma_sharpness).1.last().copied().unwrap_or(f64::NAN)
}

/// How many times the training loss rises from one snapshot to the next.
fn loss_rises(run: &EdgeRun) -> usize {
    run.series(|p| p.train_loss).1.windows(2).filter(|w| w[1] > w[0]).count()
}

// ANCHOR: claims
/// The claims, computed from the snapshots.
pub fn claims(out: &Output) -> Vec<Claim> {
    let [small, edge] = &out.runs;
    let (edge_max, edge_final, small_max) = (max_sharpness(edge), final_sharpness(edge), max_sharpness(small));
    let gain_ratio = edge.final_gain_l1() / small.final_gain_l1();
    let rises = loss_rises(edge) as f64;
    let (at_small, at_edge) = (fmt3(small.gamma / out.gamma_max), fmt3(edge.gamma / out.gamma_max));
    vec![
        Claim::at_least("edge_gain_dwarfs_small_stepsize", "gain_l1_ratio", gain_ratio, 100.0).says(format!(
            "At {at_edge} γ_max GD ends with a gain ‖Gain‖₁ {}× that at {at_small} γ_max.",
            fmt3(gain_ratio)
        )),
        Claim::at_least("edge_loss_oscillates", "loss_rises", rises, 1.0).says(format!(
            "At {at_edge} γ_max the training loss is not monotone: it rises between {} pairs of consecutive snapshots.",
            rises
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
    ]
}
// ANCHOR_END: claims

//! `edge_of_stability`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_report::experiments::{Options, Product, find};
use dln_tests::*;

#[test]
fn edge_of_stability() {
    let output = run_named("edge_of_stability", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let s = &output.summary;
    for run in ["small", "edge"] {
        assert_eq!(get(s, &["runs", run, "status"]), "converged");
    }
    // At the edge of stability GD's gain becomes large …
    assert!(num(s, &["gain_l1_edge_over_small"]) > 10.0);
    // … while the iterates settle where γ·S just reaches the stability limit 2 (self-stabilisation),
    assert!((1.9..=2.0).contains(&num(s, &["runs", "edge", "final_gamma_sharpness"])));
    assert!(num(s, &["runs", "edge", "max_gamma_sharpness"]) > 2.0);
    assert!(num(s, &["runs", "small", "final_gamma_sharpness"]) < 1.0);
    // … after a non-monotone (oscillating) training loss; the small stepsize decreases it monotonically.
    assert_eq!(get(s, &["runs", "edge", "loss_increases_between_snapshots"]), true);
    assert_eq!(get(s, &["runs", "small", "loss_increases_between_snapshots"]), false);
}

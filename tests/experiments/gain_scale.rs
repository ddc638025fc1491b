//! `gain_scale`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_tests::*;

#[test]
fn gain_scale() {
    let output = run_named("gain_scale", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let df = &output.data;
    let sweep = strs(df, "sweep");
    // ‖Gain_γ‖₁ grows with γ, for GD and for SGD (median over datasets at each γ/γ_max).
    let stepsize = |i: usize| sweep[i] == "stepsize";
    for method in ["GD", "SGD"] {
        let g = medians_by_ratio(df, method, "gain_l1", &stepsize);
        assert!(g.len() >= 5);
        // Strictly increasing up to 0.8 γ_max (every run converges there) …
        let bulk: Vec<f64> = g.iter().filter(|p| p.0 <= 0.8).map(|p| p.1).collect();
        assert!(bulk.windows(2).all(|w| w[1] > w[0]), "{method}: ‖Gain‖₁ not increasing in γ: {g:?}");
        // … and largest at γ_max.
        assert!(g.iter().all(|p| p.1 <= g.last().unwrap().1), "{method}: ‖Gain‖₁ not largest at γ_max: {g:?}");
        // Small stepsizes: Gain ≈ Σ γ²g² is O(γ) overall — tiny compared with the edge of stability.
        assert!(g.last().unwrap().1 > 20.0 * g.first().unwrap().1);
    }
    // ‖Gain‖₁ falls with the batch size b ∈ {1, 2, 5, 10, 20} at a fixed stepsize.
    let (batch, status, gain) = (u64s(df, "batch"), strs(df, "status"), f64s(df, "gain_l1"));
    let mut by_batch: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in 0..df.height() {
        if sweep[i] == "batch" && status[i] == "converged" {
            by_batch.entry(batch[i]).or_default().push(gain[i].unwrap());
        }
    }
    assert_eq!(by_batch.keys().copied().collect::<Vec<_>>(), vec![1, 2, 5, 10, 20]);
    let medians: Vec<f64> = by_batch.into_values().map(median).collect();
    assert!(medians.windows(2).all(|w| w[1] < w[0]), "‖Gain‖₁ not decreasing in b: {medians:?}");
}

//! `gain_scale`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_tests::*;

/// Least-squares slope of ln y against ln x.
fn fitted_slope(points: &[(f64, f64)]) -> f64 {
    let m = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|(x, y)| (x.ln(), y.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    cov / lx.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
}

#[test]
fn gain_scale() {
    let output = snapshot_experiment!("gain_scale");
    let df = &output.data;
    let sweep = strs(df, "sweep");
    let stepsize = |i: usize| sweep[i] == "stepsize";
    // ‖Gain_γ‖₁ against γ/γ_max: median over datasets per grid point, for GD and SGD.
    let curves: Vec<Vec<(f64, f64)>> =
        ["GD", "SGD"].iter().map(|m| medians_by_ratio(df, m, "gain_l1", &stepsize)).collect();
    let mut rise = f64::INFINITY;
    let mut edge = f64::INFINITY;
    let (mut off_linear, mut min_slope, mut max_slope) = (0.0_f64, f64::INFINITY, 0.0_f64);
    for g in &curves {
        assert!(g.len() >= 5);
        // Strictly increasing up to 0.8 γ_max (every run converges there) and largest at γ_max.
        let bulk: Vec<f64> = g.iter().filter(|p| p.0 <= 0.8).map(|p| p.1).collect();
        rise = bulk.windows(2).map(|w| w[1] / w[0]).fold(rise, f64::min);
        assert!(g.iter().all(|p| p.1 <= g.last().unwrap().1), "‖Gain‖₁ not largest at γ_max: {g:?}");
        edge = edge.min(g.last().unwrap().1 / g[0].1);
        // Local slope at the two smallest stepsizes, and the fitted slope up to 0.75 γ_max.
        off_linear = off_linear.max(((g[1].1 / g[0].1).ln() / (g[1].0 / g[0].0).ln() - 1.0).abs());
        let macroscopic: Vec<(f64, f64)> = g.iter().copied().filter(|p| p.0 <= 0.75).collect();
        let s = fitted_slope(&macroscopic);
        (min_slope, max_slope) = (min_slope.min(s), max_slope.max(s));
    }
    // GD's γ·(steps to converge), median per grid point, relative to the smallest stepsize.
    let (m, st, r) = (strs(df, "method"), strs(df, "status"), f64s(df, "gamma_over_gamma_max"));
    let (steps, gamma) = (u64s(df, "steps"), f64s(df, "gamma"));
    let mut time: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in (0..df.height()).filter(|&i| stepsize(i) && m[i] == "GD" && st[i] == "converged") {
        time.entry(r[i].unwrap().to_bits()).or_default().push(steps[i] as f64 * gamma[i].unwrap());
    }
    let time: Vec<(f64, f64)> = time.into_iter().map(|(k, v)| (f64::from_bits(k), median(v))).collect();
    let gd_steps = time.iter().filter(|p| p.0 <= 0.75).map(|p| (p.1 / time[0].1 - 1.0).abs()).fold(0.0, f64::max);
    // ‖Gain‖₁ against the batch size b ∈ {1, 2, 5, 10, 20} at a fixed stepsize (b = n = 20 is GD).
    let (batch, gain) = (u64s(df, "batch"), f64s(df, "gain_l1"));
    let mut by_batch: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in (0..df.height()).filter(|&i| sweep[i] == "batch" && st[i] == "converged") {
        by_batch.entry(batch[i]).or_default().push(gain[i].unwrap());
    }
    assert_eq!(by_batch.keys().copied().collect::<Vec<_>>(), vec![1, 2, 5, 10, 20]);
    let medians: BTreeMap<u64, f64> = by_batch.into_iter().map(|(b, v)| (b, median(v))).collect();
    let falls = medians.values().collect::<Vec<_>>().windows(2).map(|w| w[1] / w[0]).fold(0.0, f64::max);
    // The without-replacement law: gain(b) = gain(n) + c (n − b)/(b(n − 1)), c fitted in log to b = 2, 5, 10.
    let n = 20.0;
    let factor = |b: u64| (n - b as f64) / (b as f64 * (n - 1.0));
    let gd = medians[&20];
    let c = ([2, 5, 10].iter().map(|&b| ((medians[&b] - gd) / factor(b)).ln()).sum::<f64>() / 3.0).exp();
    let deviation = [2, 5, 10].iter().map(|&b| ((gd + c * factor(b)) / medians[&b] - 1.0).abs()).fold(0.0, f64::max);
    assert_claims(
        &output,
        &[
            ("gain_grows_with_stepsize", rise),
            ("edge_gain_dwarfs_small_stepsizes", edge),
            ("gd_steps_scale_as_inverse_gamma", gd_steps),
            ("gain_linear_as_gamma_vanishes", off_linear),
            ("gain_superlinear_at_macroscopic_stepsizes", min_slope),
            ("gain_slope_below_three_halves", max_slope),
            ("gain_falls_with_batch", falls),
            ("batch_noise_law_fits_b2_to_n", deviation),
            ("batch_noise_law_misses_b1", medians[&1] / (gd + c * factor(1))),
        ],
    );
}

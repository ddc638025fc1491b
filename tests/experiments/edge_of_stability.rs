//! `edge_of_stability`: its summary snapshot and its claims, recomputed from the data.

use dln_tests::*;

#[test]
fn edge_of_stability() {
    let output = snapshot_experiment!("edge_of_stability");
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
    check_claims(&output);
}

/// The chapter's claims, recomputed from the frame (one row per run, snapshot, quantity and
/// coordinate).
fn check_claims(output: &dln_report::experiments::Product) {
    let df = &output.data;
    let (run, quantity, step, value) = (strs(df, "run"), strs(df, "quantity"), u64s(df, "step"), f64s(df, "value"));
    // (step, value) of a scalar quantity of a run, k ≥ 1, finite values, in step order.
    let series = |r: &str, q: &str| {
        let mut v: Vec<(u64, f64)> = (0..df.height())
            .filter(|&i| run[i] == r && quantity[i] == q && step[i] >= 1)
            .filter_map(|i| value[i].filter(|v| v.is_finite()).map(|v| (step[i], v)))
            .collect();
        v.sort_by_key(|p| p.0);
        v.into_iter().map(|p| p.1).collect::<Vec<f64>>()
    };
    let gain_l1 = |r: &str| {
        let last = (0..df.height()).filter(|&i| run[i] == r).map(|i| step[i]).max().unwrap();
        (0..df.height())
            .filter(|&i| run[i] == r && quantity[i] == "gain" && step[i] == last)
            .filter_map(|i| value[i].filter(|v| v.is_finite()))
            .map(f64::abs)
            .sum::<f64>()
    };
    let max = |v: Vec<f64>| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let edge_sharpness = series("edge", "gamma_sharpness");
    let rises = series("edge", "train_loss").windows(2).filter(|w| w[1] > w[0]).count() as f64;
    assert_claims(
        output,
        &[
            ("edge_gain_dwarfs_small_stepsize", gain_l1("edge") / gain_l1("small")),
            ("edge_loss_oscillates", rises),
            ("sharpness_overshoots_two", max(edge_sharpness.clone())),
            ("edge_run_settles_at_two", (edge_sharpness.last().unwrap() - 2.0).abs()),
            ("small_stepsize_far_from_edge", max(series("small", "gamma_sharpness"))),
        ],
    );
}

/// S = λ_max(X diag(w) Xᵀ/n), checked on a 2×2 design whose eigenvalues are known in closed form.
#[test]
fn sharpness_is_the_top_eigenvalue_of_the_weighted_gram_matrix() {
    use dln_report::experiments::edge_of_stability::sharpness;
    // X = [[1, 1], [1, −1]], w = (2, 1): X diag(w) Xᵀ = [[3, 1], [1, 3]], so X diag(w) Xᵀ/2 has
    // eigenvalues (3 ± 1)/2 = 2 and 1.
    let x = ndarray::array![[1.0, 1.0], [1.0, -1.0]];
    assert!((sharpness(x.view(), &[2.0, 1.0]).unwrap() - 2.0).abs() < 1e-12);
    // X = I₃: X diag(w) Xᵀ/3 = diag(w)/3, whose top eigenvalue is max(w)/3.
    let s = sharpness(ndarray::Array2::eye(3).view(), &[0.5, 2.0, 1.0]).unwrap();
    assert!((s - 2.0 / 3.0).abs() < 1e-10, "{s}");
}

/// u² + v² read off (β, Gain) equals u² + v² of the weights that produced them.
#[test]
fn weight_norms_recover_u_squared_plus_v_squared() {
    use dln_report::experiments::edge_of_stability::weight_norms;
    let (alpha, u, v) = (0.5_f64, 2.0_f64, -0.25_f64);
    // β = uv; with w± = (u ± v)/√2, α_k² = |w₊w₋| = |u² − v²|/2 and Gain = ln(α²/α_k²).
    let alpha_k2 = (u * u - v * v).abs() / 2.0;
    let snapshot = dln::Snapshot {
        step: 1,
        train_loss: 0.0,
        beta: ndarray::array![u * v],
        gain: ndarray::array![(alpha * alpha / alpha_k2).ln()],
    };
    let w = weight_norms(&snapshot, alpha);
    assert!((w[0] - (u * u + v * v)).abs() < 1e-12, "{w:?}");
}

/// A bad value in the nested setting is a one-line error naming it; so is a bad fraction.
#[test]
fn invalid_configurations_name_the_key() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::edge_of_stability::Config;
    let bad_setting = Config { setting: Setting { alpha: -1.0, ..Setting::default() }, ..Config::default() };
    assert!(config_error(&bad_setting).contains("alpha"));
    assert_rejected(
        &Config::default(),
        &[(bad_setting, "setting: "), (Config { small_fraction: 0.0, ..Config::default() }, "small_fraction")],
    );
}

//! `edge_of_stability`: its summary snapshot and its claims, recomputed from the data.

use dln_tests::*;

#[test]
fn edge_of_stability() {
    let output = snapshot_experiment!("edge_of_stability");
    let s = &output.summary;
    for run in ["small", "edge"] {
        assert_eq!(get(s, &["runs", run, "status"]), "converged");
    }
    check_claims(&output);
}

/// The chapter's claims, recomputed from the frame (one row per dataset, run, snapshot, quantity
/// and coordinate).
fn check_claims(output: &dln_report::experiments::Product) {
    let df = &output.data;
    let (dataset, run, quantity) = (u64s(df, "dataset"), strs(df, "run"), strs(df, "quantity"));
    let (step, value, status) = (u64s(df, "step"), f64s(df, "value"), strs(df, "status"));
    // (step, value) of a scalar quantity of a run of dataset `ds`, k ≥ 1, finite values, in step order.
    let series = |ds: u64, r: &str, q: &str| {
        let mut v: Vec<(u64, f64)> = (0..df.height())
            .filter(|&i| dataset[i] == ds && run[i] == r && quantity[i] == q && step[i] >= 1)
            .filter_map(|i| value[i].filter(|v| v.is_finite()).map(|v| (step[i], v)))
            .collect();
        v.sort_by_key(|p| p.0);
        v.into_iter().map(|p| p.1).collect::<Vec<f64>>()
    };
    // ‖Gain‖₁ at a run's last snapshot, summed here from dataset 0's per-coordinate gains.
    let gain_l1_coordinates = |r: &str| {
        let last = (0..df.height()).filter(|&i| dataset[i] == 0 && run[i] == r).map(|i| step[i]).max().unwrap();
        (0..df.height())
            .filter(|&i| dataset[i] == 0 && run[i] == r && quantity[i] == "gain" && step[i] == last)
            .filter_map(|i| value[i].filter(|v| v.is_finite()))
            .map(f64::abs)
            .sum::<f64>()
    };
    let max = |v: Vec<f64>| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let last = |v: Vec<f64>| *v.last().unwrap();
    let edge_sharpness = series(0, "edge", "gamma_sharpness");
    let edge_hessian = series(0, "edge", "gamma_hessian_sharpness");
    let rises = series(0, "edge", "train_loss").windows(2).filter(|w| w[1] > w[0]).count() as f64;
    // The per-coordinate sum and the frame's gain_l1 rows agree on dataset 0.
    for r in ["small", "edge"] {
        let rows = last(series(0, r, "gain_l1"));
        assert!((rows - gain_l1_coordinates(r)).abs() <= 1e-12 * rows, "{r}: {rows} vs the coordinates' sum");
    }
    let datasets: Vec<u64> = dataset.iter().copied().collect::<std::collections::BTreeSet<u64>>().into_iter().collect();
    assert!(datasets.len() >= 8, "{} datasets", datasets.len());
    let converged = datasets
        .iter()
        .filter(|&&ds| (0..df.height()).any(|i| dataset[i] == ds && run[i] == "edge" && status[i] == "converged"))
        .count() as f64;
    let each = |f: &dyn Fn(u64) -> f64| datasets.iter().map(|&ds| f(ds)).collect::<Vec<f64>>();
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let gain_ratio = |ds: u64| last(series(ds, "edge", "gain_l1")) / last(series(ds, "small", "gain_l1"));
    assert_claims(
        output,
        &[
            ("edge_gain_dwarfs_small_stepsize", gain_l1_coordinates("edge") / gain_l1_coordinates("small")),
            ("edge_loss_oscillates", rises),
            ("sharpness_overshoots_two", max(edge_sharpness.clone())),
            ("edge_run_settles_at_two", (last(edge_sharpness.clone()) - 2.0).abs()),
            ("small_stepsize_far_from_edge", max(series(0, "small", "gamma_sharpness"))),
            (
                "exact_hessian_equals_gauss_newton_at_the_end",
                (last(edge_hessian.clone()) - last(edge_sharpness.clone())).abs() / last(edge_sharpness),
            ),
            ("exact_hessian_overshoots_two", max(edge_hessian)),
            ("every_edge_run_converges", converged),
            ("every_dataset_overshoots_two", min(each(&|ds| max(series(ds, "edge", "gamma_sharpness"))))),
            (
                "every_dataset_settles_at_two",
                max(each(&|ds| (last(series(ds, "edge", "gamma_sharpness")) - 2.0).abs())),
            ),
            ("every_dataset_gain_dwarfs_small_stepsize", min(each(&gain_ratio))),
        ],
    );
}

/// The exact top Hessian eigenvalue read off a snapshot equals the one of the weights that produced
/// it, also when w₋ = (u − v)/√2 is negative (the snapshot keeps only β and |w₊w₋|).
#[test]
fn hessian_sharpness_from_a_snapshot_matches_the_weights() {
    use dln_report::experiments::edge_of_stability::hessian_sharpness;
    let problem = dln::DataConfig { n: 6, d: 4, s: 2, seed: 3, ..dln::DataConfig::default() }.generate().unwrap();
    let alpha = 0.3_f64;
    for (u, v) in [([0.9, -0.2, 0.4, 0.1], [0.5, 0.3, -0.6, 0.2]), ([0.2, 0.1, 0.05, 0.3], [0.9, 0.7, 0.4, 1.1])] {
        let (u, v) = (ndarray::Array1::from(u.to_vec()), ndarray::Array1::from(v.to_vec()));
        let net = dln::DiagonalNet { u: u.clone(), v: v.clone() };
        let expected = dln::stability::hessian_sharpness(problem.x.view(), problem.y.view(), &net).unwrap();
        // α_k² = |w₊w₋| = |u² − v²|/2 and Gain_k = ln(α²/α_k²).
        let gain = (&u * &u - &v * &v).mapv(|t| (alpha * alpha / (t.abs() / 2.0)).ln());
        let snapshot = dln::Snapshot { step: 1, train_loss: 0.0, beta: &u * &v, gain };
        let got = hessian_sharpness(&problem, &snapshot, alpha).unwrap();
        assert!((got - expected).abs() <= 1e-12 * expected.abs(), "{got} vs {expected}");
    }
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

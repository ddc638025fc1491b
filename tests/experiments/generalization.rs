//! `generalization`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::{Options, find};
use dln_tests::*;

#[test]
fn generalization() {
    let output = run_named("generalization", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let df = &output.data;
    let all = |_: usize| true;
    // The runs at γ = γ_max are the bisection's own convergent runs.
    let (r, st) = (f64s(df, "gamma_over_gamma_max"), strs(df, "status"));
    assert!((0..df.height()).filter(|&i| r[i] == Some(1.0)).all(|i| st[i] == "converged"));
    // Slides Fig. 1: SGD's median risk at its largest stepsize is below its smallest-stepsize risk;
    // GD's is not — it rises.
    let sgd = medians_by_ratio(df, "SGD", "test_risk", &all);
    let gd = medians_by_ratio(df, "GD", "test_risk", &all);
    let (sgd_small, sgd_large) = (sgd.first().unwrap().1, sgd.last().unwrap().1);
    let (gd_small, gd_large) = (gd.first().unwrap().1, gd.last().unwrap().1);
    assert!(sgd_large < 0.1 * sgd_small, "SGD: risk {sgd_small:e} → {sgd_large:e}");
    assert!(gd_large > gd_small, "GD: risk {gd_small:e} → {gd_large:e}");
    // Over the macroscopic range up to 0.8 γ_max (where every run converges; closer to γ_max SGD's
    // runs are noisy), SGD's median risk decreases and GD's increases.
    let bulk = |v: &[(f64, f64)]| v.iter().copied().filter(|p| p.0 <= 0.8).collect::<Vec<_>>();
    assert!(bulk(&sgd).windows(2).all(|w| w[1].1 < w[0].1), "SGD's median risk is not decreasing: {sgd:?}");
    assert!(bulk(&gd).windows(2).all(|w| w[1].1 > w[0].1), "GD's median risk is not increasing: {gd:?}");
    // Macroscopic stepsizes separate the methods: at γ = γ_max SGD beats GD by orders of magnitude.
    assert!(sgd_large < 1e-2 * gd_large);
    // The chapter's claims, recomputed from the data.
    let sgd_rows: Vec<usize> = (0..df.height()).filter(|&i| strs(df, "method")[i] == "SGD").collect();
    let below: Vec<usize> = sgd_rows.iter().copied().filter(|&i| r[i].unwrap() < 1.0).collect();
    let failed = below.iter().filter(|&&i| st[i] != "converged").count() as f64;
    let gd_bulk = gd.iter().rev().find(|p| p.0 <= 0.75).unwrap().1;
    assert_claims(
        &output,
        &[
            ("sgd_risk_falls", sgd_large / sgd_small),
            ("gd_risk_rises", gd_large / gd_small),
            ("gd_jump_is_near_gamma_max", gd_bulk / gd_small),
            ("sgd_beats_gd_at_gamma_max", sgd_large / gd_large),
            ("few_runs_contradict_monotonicity", failed / below.len() as f64),
        ],
    );
    // The summary agrees with the data.
    let summary = &output.summary;
    assert!(num(summary, &["risk_largest_over_smallest_stepsize", "SGD"]) < 1.0);
    assert!(num(summary, &["risk_largest_over_smallest_stepsize", "GD"]) > 1.0);
}

/// Bad configurations give one-line errors before anything runs; unknown fields are rejected.
#[test]
fn invalid_configurations_are_one_line_errors() {
    use dln_report::experiments::Validate;
    use dln_report::experiments::{
        Setting, edge_of_stability as eos, gain_scale as gsc, gain_shape as gsh, generalization as gz,
    };
    let sweep = gz::Config::default();
    let errors = [
        gz::Config { grid_lo: 2.0, ..sweep.clone() }.validate().err(),
        gz::Config { datasets: 0, ..sweep.clone() }.validate().err(),
        gz::Config { batch: 20, ..sweep.clone() }.validate().err(),
        gz::Config { extra_ratios: vec![1.5], ..sweep.clone() }.validate().err(),
        gz::Config { tol: 0.0, ..sweep.clone() }.validate().err(),
        gz::Config { setting: Setting { alpha: -1.0, ..Setting::default() }, ..sweep.clone() }.validate().err(),
        gsc::Config { batches: vec![0, 2], ..gsc::Config::default() }.validate().err(),
        gsh::Config { profile_at: 0.0, ..gsh::Config::default() }.validate().err(),
        eos::Config { edge_fraction: 1.5, ..eos::Config::default() }.validate().err(),
        eos::Config { points_per_decade: 0, ..eos::Config::default() }.validate().err(),
    ];
    for (i, err) in errors.into_iter().enumerate() {
        let err = format!("{:#}", err.unwrap_or_else(|| panic!("case {i} was accepted")));
        assert!(!err.contains('\n'), "case {i}: multi-line error {err}");
    }
    for name in ["generalization", "gain_scale", "gain_shape", "edge_of_stability"] {
        let mut config = (find(name).unwrap().config)(&Options::default()).unwrap();
        config.as_object_mut().unwrap().insert("no_such_field".into(), 1.into());
        let parsed = match name {
            "generalization" => serde_json::from_value::<gz::Config>(config).err(),
            "gain_scale" => serde_json::from_value::<gsc::Config>(config).err(),
            "gain_shape" => serde_json::from_value::<gsh::Config>(config).err(),
            _ => serde_json::from_value::<eos::Config>(config).err(),
        };
        assert!(parsed.is_some(), "{name} accepted an unknown field");
    }
}

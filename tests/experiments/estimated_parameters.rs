//! `estimated_parameters`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::Product;
use dln_tests::*;

fn check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(out: &Product) {
    let df = &out.data;
    let (dataset, method, status, risk) =
        (u64s(df, "dataset"), strs(df, "method"), strs(df, "status"), f64s(df, "test_risk"));
    let risk_of = |m: &str| {
        let i = (0..df.height()).find(|&i| dataset[i] == 0 && method[i] == m).unwrap_or_else(|| panic!("no {m} rows"));
        if m != "GF" {
            assert_eq!(status[i], "converged", "{m} must converge at the macroscopic stepsize");
        }
        risk[i].expect("finite risk")
    };
    let (gf, gd, sgd) = (risk_of("GF"), risk_of("GD"), risk_of("SGD"));
    // Slides Fig. 3, on dataset 0: at a macroscopic stepsize SGD beats gradient flow, which beats GD.
    assert!(sgd < gf && gf < gd, "expected risk(SGD) < risk(GF) < risk(GD), got {sgd:e}, {gf:e}, {gd:e}");
    assert!(gd > 10.0 * gf, "GD's risk {gd:e} should be far above gradient flow's {gf:e}");
    assert!(summary_bool(out, "/SGD/support_recovered"), "SGD recovers the support of β*");
    assert!(!summary_bool(out, "/GD/support_recovered"), "GD's estimate is pulled off the support");
    // Every coordinate of the truth is on the frame, once per estimate and dataset.
    let d = u64s(df, "coordinate").into_iter().max().map_or(0, |c| c as usize + 1);
    let datasets = dataset.iter().max().unwrap() + 1;
    assert!(datasets >= 8, "at least 8 datasets summarised");
    assert_eq!(df.height(), 3 * d * datasets as usize);
    let converged = (0..datasets)
        .filter(|&k| {
            (0..df.height()).filter(|&i| dataset[i] == k && method[i] != "GF").all(|i| status[i] == "converged")
        })
        .count();
    assert_eq!(summary_f64(out, "/across_datasets/both_converged"), converged as f64);
}

/// The chapter's claims, recomputed from the frame (one row per dataset, estimate and coordinate).
fn check_claims(out: &Product) {
    let df = &out.data;
    let (dataset, method, risk, beta, star) =
        (u64s(df, "dataset"), strs(df, "method"), f64s(df, "test_risk"), f64s(df, "beta"), f64s(df, "beta_star"));
    let datasets = dataset.iter().max().unwrap() + 1;
    let rows =
        |k: u64, m: &str| (0..df.height()).filter(|&i| dataset[i] == k && method[i] == m).collect::<Vec<usize>>();
    let risk_of = |k: u64, m: &str| risk[rows(k, m)[0]].unwrap_or(f64::INFINITY);
    let l1 = |k: u64, m: &str, off_only: bool| -> f64 {
        rows(k, m)
            .into_iter()
            .filter(|&i| !off_only || star[i].unwrap() == 0.0)
            .map(|i| beta[i].map_or(f64::INFINITY, |b| (b - if off_only { 0.0 } else { star[i].unwrap() }).abs()))
            .sum()
    };
    let norm1 = |k: u64| -> f64 { rows(k, "GF").into_iter().map(|i| star[i].unwrap().abs()).sum() };
    let per = |f: &dyn Fn(u64) -> f64| (0..datasets).map(f).collect::<Vec<f64>>();
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    assert_claims(
        out,
        &[
            ("sgd_beats_gradient_flow", median(per(&|k| risk_of(k, "SGD") / risk_of(k, "GF")))),
            ("gd_worse_than_gradient_flow", min(per(&|k| risk_of(k, "GD") / risk_of(k, "GF")))),
            ("sgd_recovers_beta_star", median(per(&|k| l1(k, "SGD", false) / norm1(k)))),
            ("gd_spreads_off_support", min(per(&|k| l1(k, "GD", true) / l1(k, "GF", true)))),
        ],
    );
}

#[test]
fn estimated_parameters() {
    let out = snapshot_experiment!("estimated_parameters");
    check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(&out);
    check_claims(&out);
}

/// The frame has one row per (dataset, estimate, coordinate), coordinates 0-based, β* and its support on every
/// estimate's rows, and a diverged run's β as nulls.
#[test]
fn frame_has_one_row_per_estimate_and_coordinate() {
    use dln_report::experiments::estimated_parameters::{DatasetFit, Estimate, frame, truth};
    let beta_star = [1.5, 0.0, -0.5];
    let gf = Estimate {
        method: "GF",
        batch: None,
        fraction: None,
        gamma_max: None,
        gamma: None,
        status: "exact".into(),
        steps: None,
        test_risk: Some(0.25),
        beta: vec![Some(1.0), Some(0.1), Some(-0.4)],
        gain: vec![None; 3],
    };
    let sgd = Estimate {
        method: "SGD",
        batch: Some(1),
        fraction: Some(0.9),
        gamma_max: Some(0.7),
        gamma: Some(0.63),
        status: "diverged".into(),
        steps: Some(17),
        test_risk: None,
        beta: vec![None; 3],
        gain: vec![None; 3],
    };
    let fits = [
        DatasetFit { dataset: 0, beta_star: beta_star.to_vec(), estimates: vec![gf.clone()] },
        DatasetFit { dataset: 1, beta_star: beta_star.to_vec(), estimates: vec![sgd] },
    ];
    let df = frame(&fits).unwrap();
    assert_eq!(u64s(&df, "dataset"), [0, 0, 0, 1, 1, 1]);
    assert_eq!(strs(&df, "method"), ["GF", "GF", "GF", "SGD", "SGD", "SGD"]);
    assert_eq!(u64s(&df, "coordinate"), [0, 1, 2, 0, 1, 2]);
    assert_eq!(f64s(&df, "beta_star"), [1.5, 0.0, -0.5, 1.5, 0.0, -0.5].map(Some));
    assert_eq!(f64s(&df, "beta"), [Some(1.0), Some(0.1), Some(-0.4), None, None, None]);
    assert_eq!(f64s(&df, "gamma"), [None, None, None, Some(0.63), Some(0.63), Some(0.63)]);
    assert_eq!(truth(&beta_star), (vec![0, 1, 2], beta_star.to_vec(), vec![true, false, true]));
}

/// A bad value in the nested sweep is a one-line error naming it; so is a fraction that is not one
/// of the sweep's ratios.
#[test]
fn invalid_configurations_name_the_key() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::estimated_parameters::Config;
    use dln_report::experiments::stepsize_sweep::SweepConfig;
    let bad_setting = Config {
        sweep: SweepConfig { setting: Setting { s: 0, ..Setting::default() }, ..SweepConfig::default() },
        ..Config::default()
    };
    assert_rejected(
        &Config::default(),
        &[(bad_setting, "sweep: setting: "), (Config { fraction: 0.77, ..Config::default() }, "fraction")],
    );
}

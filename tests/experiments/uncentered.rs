//! `uncentered`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::uncentered::Config;
use dln_report::experiments::{Product, Setting};
use dln_tests::*;

fn check_uncentered_data_makes_large_stepsizes_help_gd_too(out: &Product) {
    // Centered: large stepsizes hurt GD (heterogeneous gain) and help SGD.
    assert!(!summary_bool(out, "/gd_large_gamma_helps_centered"));
    assert!(summary_f64(out, "/centered/GD/median_risk_ratio_largest_gamma") > 1.0);
    assert!(summary_f64(out, "/centered/SGD/median_risk_ratio_largest_gamma") < 1.0);
    // Uncentered: GD's gain is much more homogeneous and large stepsizes help GD as well.
    assert!(summary_bool(out, "/gd_large_gamma_helps_uncentered"));
    assert!(summary_f64(out, "/uncentered/GD/median_risk_ratio_largest_gamma") < 1.0);
    let (cv_c, cv_u) = (
        summary_f64(out, "/centered/GD/median_gain_cv_largest_gamma"),
        summary_f64(out, "/uncentered/GD/median_gain_cv_largest_gamma"),
    );
    assert!(cv_u < 0.5 * cv_c, "GD gain CV: centered {cv_c}, uncentered {cv_u}");
    // The uncentered design is the centered one shifted: same datasets, the mean recorded per row.
    let case = strs(&out.data, "case");
    let mean = f64s(&out.data, "mean");
    assert!(case.iter().zip(&mean).all(|(c, m)| (c == "centered") == (m.unwrap() == 0.0)));
}

/// The median risk ratio of GD at the largest stepsize, recomputed from the per-coordinate frame
/// (one run per dataset: its rows at coordinate 1), equals the summary's.
fn check_uncentered_summary_matches_the_data(out: &Product) {
    let df = &out.data;
    let (case, method, fraction) = (strs(df, "case"), strs(df, "method"), f64s(df, "fraction"));
    let (coord, risk, gf) = (u64s(df, "coordinate"), f64s(df, "test_risk"), f64s(df, "gf_test_risk"));
    let last = out.config["fractions"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    for c in ["centered", "uncentered"] {
        let ratios: Vec<f64> = (0..df.height())
            .filter(|&i| case[i] == c && method[i] == "GD" && coord[i] == 1 && fraction[i] == Some(last))
            .map(|i| risk[i].unwrap() / gf[i].unwrap())
            .collect();
        assert_eq!(ratios.len() as u64, out.config["datasets"].as_u64().unwrap());
        let here = median(ratios);
        let there = summary_f64(out, &format!("/{c}/GD/median_risk_ratio_largest_gamma"));
        assert!((here - there).abs() <= 1e-12 * here, "{c}: recomputed {here} vs summary {there}");
    }
}

#[test]
fn uncentered_configuration_errors_name_the_key() {
    let centered = Config { setting: Setting { mean: 0.0, ..Config::default().setting }, ..Config::default() };
    let bad_alpha = Config { setting: Setting { alpha: -1.0, ..Config::default().setting }, ..Config::default() };
    assert_rejected(
        &Config::default(),
        &[
            (centered, "setting: mean"),
            (Config { batch: 20, ..Config::default() }, "batch"),
            (Config { fractions: vec![0.5], ..Config::default() }, "fractions"),
            (Config { datasets: 0, ..Config::default() }, "datasets"),
            (Config { rel_tol: 0.0, ..Config::default() }, "rel_tol"),
            (bad_alpha, "setting:"),
        ],
    );
}

#[test]
fn uncentered() {
    let out = snapshot_experiment!("uncentered");
    check_uncentered_data_makes_large_stepsizes_help_gd_too(&out);
    check_uncentered_summary_matches_the_data(&out);
}

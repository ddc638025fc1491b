//! `uncentered`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_report::experiments::{Options, Product, find};
use dln_tests::*;

fn check_uncentered_data_makes_large_stepsizes_help_gd_too(out: &Product) {
    assert_tidy(out);
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

#[test]
fn uncentered() {
    let out = run_named("uncentered", false);
    snapshot_summary!(out);
    check_uncentered_data_makes_large_stepsizes_help_gd_too(&out);
}

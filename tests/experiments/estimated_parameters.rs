//! `estimated_parameters`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_report::experiments::{Options, Product, find};
use dln_tests::*;

fn check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(out: &Product) {
    assert_tidy(out);
    let df = &out.data;
    let (method, status, risk) = (strs(df, "method"), strs(df, "status"), f64s(df, "test_risk"));
    let risk_of = |m: &str| {
        let i = method.iter().position(|x| x == m).unwrap_or_else(|| panic!("no {m} rows"));
        if m != "GF" {
            assert_eq!(status[i], "converged", "{m} must converge at the macroscopic stepsize");
        }
        risk[i].expect("finite risk")
    };
    let (gf, gd, sgd) = (risk_of("GF"), risk_of("GD"), risk_of("SGD"));
    // Slides Fig. 3: at a macroscopic stepsize SGD beats gradient flow, which beats GD.
    assert!(sgd < gf && gf < gd, "expected risk(SGD) < risk(GF) < risk(GD), got {sgd:e}, {gf:e}, {gd:e}");
    assert!(gd > 10.0 * gf, "GD's risk {gd:e} should be far above gradient flow's {gf:e}");
    assert!(summary_bool(out, "/SGD/support_recovered"), "SGD recovers the support of β*");
    assert!(!summary_bool(out, "/GD/support_recovered"), "GD's estimate is pulled off the support");
    // Every coordinate of the truth is on the frame, once per estimate.
    let d = u64s(df, "coordinate").into_iter().max().unwrap_or(0) as usize;
    assert_eq!(df.height(), 3 * d);
}

#[test]
fn estimated_parameters() {
    let out = run_named("estimated_parameters", false);
    snapshot_summary!(out);
    check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(&out);
}

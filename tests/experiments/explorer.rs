//! `explorer`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_report::experiments::{Options, Product, find};
use dln_tests::*;

fn check_explorer_slider_shows_exactly_one_stepsize_at_a_time(out: &Product) {
    assert_tidy(out);
    let fig: serde_json::Value = serde_json::from_str(&out.figure.to_json()).expect("figure JSON");
    let traces = fig["data"].as_array().expect("traces");
    let slider = &fig["layout"]["sliders"][0];
    let steps = slider["steps"].as_array().expect("slider steps");
    let fractions = out.config["fractions"].as_array().expect("fractions").len();
    assert_eq!(steps.len(), fractions, "one slider step per stepsize");
    let active = slider["active"].as_u64().expect("active step") as usize;
    // β*, gradient flow, then per stepsize: β (GD, SGD) and Gain (GD, SGD).
    assert_eq!(traces.len(), 2 + 4 * fractions);
    let mut shown_by = vec![0usize; traces.len()];
    for (k, step) in steps.iter().enumerate() {
        assert_eq!(step["method"], "update");
        let visible: Vec<bool> =
            step["args"][0]["visible"].as_array().expect("visible").iter().map(|v| v.as_bool().unwrap()).collect();
        assert_eq!(visible.len(), traces.len());
        assert!(visible[0] && visible[1], "β* and gradient flow always shown");
        assert_eq!(visible.iter().filter(|v| **v).count(), 2 + 4, "step {k} shows one stepsize");
        for (t, v) in visible.iter().enumerate() {
            shown_by[t] += usize::from(*v);
        }
        assert!(
            step["args"][1]["title.text"]
                .as_str()
                .is_some_and(|t| t.contains("γ_max") || t.contains("γ<sub>max</sub>"))
        );
        // The initial visibility of the traces is the active step's.
        if k == active {
            for (t, trace) in traces.iter().enumerate() {
                let initially = trace.get("visible").is_none_or(|v| v != &serde_json::json!(false));
                assert_eq!(initially, visible[t], "trace {t} at the active step");
            }
        }
    }
    assert!(shown_by[2..].iter().all(|&n| n == 1), "every per-stepsize trace belongs to exactly one step");
}

fn check_explorer_gd_worsens_and_sgd_improves_with_the_stepsize(out: &Product) {
    assert!(summary_bool(out, "/sgd_risk_falls_with_gamma"));
    assert!(summary_bool(out, "/gd_risk_rises_with_gamma"));
    // SGD's gain is more homogeneous than GD's at every converged stepsize.
    let runs = out.summary["runs"].as_array().expect("runs");
    let cv = |m: &str| -> Vec<f64> {
        runs.iter().filter(|r| r["method"] == m).map(|r| r["gain_cv"].as_f64().unwrap()).collect()
    };
    for (gd, sgd) in cv("GD").iter().zip(cv("SGD")) {
        assert!(sgd < *gd, "gain CV: SGD {sgd} vs GD {gd}");
    }
}

#[test]
fn explorer() {
    let out = run_named("explorer", false);
    snapshot_summary!(out);
    check_explorer_slider_shows_exactly_one_stepsize_at_a_time(&out);
    check_explorer_gd_worsens_and_sgd_improves_with_the_stepsize(&out);
}

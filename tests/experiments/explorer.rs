//! `explorer`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::explorer::Config;
use dln_report::experiments::{Product, Setting};
use dln_tests::*;

fn check_explorer_slider_shows_exactly_one_stepsize_at_a_time(out: &Product) {
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

/// Each run's ‖Gain‖₁ in the summary, recomputed from the per-coordinate frame.
fn check_explorer_gain_l1_matches_the_data(out: &Product) {
    let df = &out.data;
    let (method, fraction, gain) = (strs(df, "method"), f64s(df, "fraction"), f64s(df, "gain"));
    let runs = out.summary["runs"].as_array().expect("runs");
    for r in runs {
        let (m, f) = (r["method"].as_str().unwrap(), r["fraction"].as_f64());
        let rows: Vec<usize> = (0..df.height()).filter(|&i| method[i] == m && fraction[i] == f).collect();
        assert_eq!(
            rows.len() as u64,
            out.config["setting"]["d"].as_u64().unwrap(),
            "{m} at {f:?}: a row per coordinate"
        );
        let here: f64 = rows.iter().map(|&i| gain[i].unwrap().abs()).sum();
        let there = r["gain_l1"].as_f64().unwrap();
        assert!((here - there).abs() <= 1e-12 * here, "{m} at {f:?}: recomputed {here} vs summary {there}");
    }
}

#[test]
fn explorer_configuration_errors_name_the_key() {
    let uncentered = Config { setting: Setting { mean: 1.0, ..Setting::default() }, ..Config::default() };
    let noisy = Config { setting: Setting { noise: 0.1, ..Setting::default() }, ..Config::default() };
    assert_rejected(
        &Config::default(),
        &[
            (uncentered, "setting: mean"),
            (noisy, "setting: noise"),
            (Config { fractions: vec![], ..Config::default() }, "fractions"),
            (Config { fractions: vec![0.5, 0.2], ..Config::default() }, "fractions"),
            (Config { batch: 20, ..Config::default() }, "batch"),
            (Config { max_epochs: 0, ..Config::default() }, "max_epochs"),
        ],
    );
}

#[test]
fn explorer() {
    let out = snapshot_experiment!("explorer");
    check_explorer_slider_shows_exactly_one_stepsize_at_a_time(&out);
    check_explorer_gd_worsens_and_sgd_improves_with_the_stepsize(&out);
    check_explorer_gain_l1_matches_the_data(&out);
    check_claims(&out);
}

/// The section's claims, recomputed from the per-coordinate frame.
fn check_claims(out: &Product) {
    let df = &out.data;
    let (method, fraction, status) = (strs(df, "method"), f64s(df, "fraction"), strs(df, "status"));
    let (gain, risk) = (f64s(df, "gain"), f64s(df, "test_risk"));
    let fractions: Vec<f64> = out.config["fractions"].as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect();
    let rows =
        |m: &str, f: f64| (0..df.height()).filter(|&i| method[i] == m && fraction[i] == Some(f)).collect::<Vec<_>>();
    let l1 = |m: &str, f: f64| rows(m, f).into_iter().map(|i| gain[i].unwrap().abs()).sum::<f64>();
    let cv = |m: &str, f: f64| {
        let g: Vec<f64> = rows(m, f).into_iter().map(|i| gain[i].unwrap()).collect();
        let mean = g.iter().sum::<f64>() / g.len() as f64;
        (g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / g.len() as f64).sqrt() / mean
    };
    let change = |m: &str| {
        let ok: Vec<f64> = fractions.iter().copied().filter(|&f| status[rows(m, f)[0]] == "converged").collect();
        risk[rows(m, *ok.last().unwrap())[0]].unwrap() / risk[rows(m, ok[0])[0]].unwrap()
    };
    let reversals = fractions.windows(2).filter(|w| l1("SGD", w[1]) <= l1("SGD", w[0])).count();
    let uneven = fractions.iter().map(|&f| cv("GD", f) / cv("SGD", f)).fold(f64::INFINITY, f64::min);
    assert_claims(
        out,
        &[
            ("sgd_gain_grows_with_gamma", reversals as f64),
            ("gd_gain_more_uneven", uneven),
            ("gd_risk_rises", change("GD")),
            ("sgd_risk_falls", change("SGD")),
        ],
    );
}

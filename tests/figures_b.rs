//! Figures B: estimated_parameters, theorem1_alpha, theorem2_check, uncentered, explorer.
//!
//! One test per experiment: it runs once (its default configuration, or `quick()` where the default
//! is too slow for the dev profile), its rounded headline numbers are snapshotted, and its scientific
//! claims are asserted directly on the data frame (one `check_*` function per claim).

use dln_report::experiments::Output;
use dln_tests::{run_named, snapshot_summary};
use polars::prelude::{DataFrame, DataType};

// ---- helpers -------------------------------------------------------------------------------

fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name).unwrap_or_else(|e| panic!("column {name}: {e}")).f64().expect("f64 column").iter().collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .expect("column")
        .str()
        .expect("str column")
        .iter()
        .map(|s| s.expect("no null").to_string())
        .collect()
}

fn u64s(df: &DataFrame, name: &str) -> Vec<u64> {
    df.column(name).expect("column").u64().expect("u64 column").iter().map(|v| v.expect("no null")).collect()
}

/// Figures never see NaN or ±inf: diverged runs are nulls with their status.
fn assert_no_non_finite(out: &Output) {
    for col in out.data.columns() {
        if col.dtype() == &DataType::Float64 {
            let bad = col.f64().unwrap().iter().flatten().filter(|v| !v.is_finite()).count();
            assert_eq!(bad, 0, "{}: column `{}` has {bad} non-finite values", out.name, col.name());
        }
    }
}

fn summary_bool(out: &Output, pointer: &str) -> bool {
    out.summary
        .pointer(pointer)
        .and_then(|v| v.as_bool())
        .unwrap_or_else(|| panic!("{}: no boolean at {pointer}", out.name))
}

fn summary_f64(out: &Output, pointer: &str) -> f64 {
    out.summary
        .pointer(pointer)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("{}: no number at {pointer}", out.name))
}

// ---- estimated_parameters ------------------------------------------------------------------

fn check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(out: &Output) {
    assert_no_non_finite(out);
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

// ---- theorem1_alpha ------------------------------------------------------------------------

fn check_theorem1_alpha_interpolates_between_the_kernel_and_rich_regimes(out: &Output) {
    assert_no_non_finite(out);
    let df = &out.data;
    let (shape, reference) = (
        strs(df, "shape"),
        df.column("reference").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect::<Vec<_>>(),
    );
    let (alpha, dl1, dl2, residual) =
        (f64s(df, "alpha"), f64s(df, "dist_min_l1"), f64s(df, "dist_min_l2"), f64s(df, "residual"));
    let uni: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == "uniform" && !reference[i]).collect();
    assert!(uni.len() >= 20, "a fine α grid");
    let (first, last) = (uni[0], *uni.last().unwrap());
    assert!(alpha[first].unwrap() <= 1e-4 * 1.0001 && alpha[last].unwrap() >= 10.0 * 0.9999);
    // α → 0: the minimum-ℓ1 interpolator; α → ∞: the minimum-ℓ2 one (both within 1e-4 at the ends).
    assert!(dl1[first].unwrap() < 1e-4, "‖β*_α − β_ℓ1‖ at α = 1e-4: {:e}", dl1[first].unwrap());
    assert!(dl2[last].unwrap() < 1e-4, "‖β*_α − β_ℓ2‖ at α = 10: {:e}", dl2[last].unwrap());
    assert!(dl1[last].unwrap() > 1e3 * dl1[first].unwrap());
    assert!(dl2[first].unwrap() > 1e3 * dl2[last].unwrap());
    // Monotone transition, decade after decade.
    assert!(summary_bool(out, "/dist_min_l1_increases_with_alpha"));
    assert!(summary_bool(out, "/dist_min_l2_decreases_with_alpha"));
    // Every solve is feasible to rounding.
    for (i, r) in residual.iter().enumerate() {
        if let Some(r) = r {
            assert!(*r <= 1e-10, "row {i}: relative feasibility residual {r:e}");
        }
    }
}

fn check_theorem1_alpha_weighted_l1_shape_effect(out: &Output) {
    // ψ_α ~ Σ ln(1/α_i)|β_i|: a larger α on the support penalises it less (better recovery), a
    // smaller α penalises it more (worse) — at the paper's α = 0.1.
    let uniform = summary_f64(out, "/shapes/uniform/test_risk");
    let larger = summary_f64(out, "/shapes/support ×ratio/test_risk");
    let smaller = summary_f64(out, "/shapes/support ÷ratio/test_risk");
    assert!(larger < uniform && uniform < smaller, "risks: ×ratio {larger:e}, uniform {uniform:e}, ÷ratio {smaller:e}");
    assert!(summary_bool(out, "/shapes/support ×ratio/support_recovered"));
    assert!(!summary_bool(out, "/shapes/support ÷ratio/support_recovered"));
}

// ---- theorem2_check ------------------------------------------------------------------------

fn check_theorem2_is_exact_on_every_converged_run_and_beta_tilde0_matters(out: &Output) {
    assert_no_non_finite(out);
    let df = &out.data;
    let status = strs(df, "status");
    let (e2, e0, loss) = (f64s(df, "err_theorem2"), f64s(df, "err_without_tilde"), f64s(df, "train_loss"));
    let converged: Vec<usize> = (0..status.len()).filter(|&i| status[i] == "converged").collect();
    assert!(converged.len() >= df.height() - 2, "almost every run of the grid converges: {status:?}");
    for &i in &converged {
        let (a, b) = (e2[i].expect("Theorem-2 error"), e0[i].expect("error without β̃₀"));
        assert!(loss[i].unwrap() <= 1e-26, "row {i} stopped above the tolerance");
        assert!(a <= 1e-8, "row {i}: ‖β∞ − β_pred‖ = {a:e} > 1e-8");
        assert!(b > a, "row {i}: dropping β̃₀ should not improve the prediction ({b:e} ≤ {a:e})");
    }
    assert!(summary_bool(out, "/theorem2_error_le_1e-8_on_every_converged_run"));
    assert!(summary_bool(out, "/without_tilde_error_larger_on_every_converged_run"));
}

fn check_theorem2_check_gradient_flow_drifts_away_as_gamma_grows(out: &Output) {
    let df = &out.data;
    let (method, batch, status, gamma, egf) =
        (strs(df, "method"), u64s(df, "batch"), strs(df, "status"), f64s(df, "gamma"), f64s(df, "err_gf"));
    let mut series: Vec<(String, u64)> = method.iter().cloned().zip(batch.iter().copied()).collect();
    series.dedup();
    assert!(series.len() >= 3, "GD and at least two SGD batch sizes");
    for (m, b) in &series {
        let pts: Vec<(f64, f64)> = (0..method.len())
            .filter(|&i| &method[i] == m && batch[i] == *b && status[i] == "converged")
            .map(|i| (gamma[i].unwrap(), egf[i].unwrap()))
            .collect();
        assert!(pts.len() >= 4, "{m} b={b}: enough converged runs");
        // (S)GD → GF as γ → 0, and away from it as γ grows.
        assert!(pts.windows(2).all(|w| w[1].1 > w[0].1), "{m} b={b}: ‖β∞ − β*_α‖ not increasing in γ: {pts:?}");
        // First order in γ at small stepsizes (Theorem 1 as the γ → 0 limit).
        let label = format!("/series/{m} (b = {b})/gf_distance_rate_small_gamma");
        let rate = summary_f64(out, &label);
        assert!((0.8..=1.2).contains(&rate), "{m} b={b}: rate {rate}");
    }
}

// ---- uncentered ----------------------------------------------------------------------------

fn check_uncentered_data_makes_large_stepsizes_help_gd_too(out: &Output) {
    assert_no_non_finite(out);
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

// ---- explorer ------------------------------------------------------------------------------

fn check_explorer_slider_shows_exactly_one_stepsize_at_a_time(out: &Output) {
    assert_no_non_finite(out);
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

fn check_explorer_gd_worsens_and_sgd_improves_with_the_stepsize(out: &Output) {
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

// ---- the tests -----------------------------------------------------------------------------

#[test]
fn estimated_parameters() {
    let out = run_named("estimated_parameters", false);
    snapshot_summary!(out);
    check_estimated_parameters_gd_is_pulled_off_beta_star_and_sgd_recovers_it(&out);
}

#[test]
fn theorem1_alpha() {
    let out = run_named("theorem1_alpha", false);
    snapshot_summary!(out);
    check_theorem1_alpha_interpolates_between_the_kernel_and_rich_regimes(&out);
    check_theorem1_alpha_weighted_l1_shape_effect(&out);
}

#[test]
fn theorem2_check() {
    let out = run_named("theorem2_check", false);
    snapshot_summary!(out);
    check_theorem2_is_exact_on_every_converged_run_and_beta_tilde0_matters(&out);
    check_theorem2_check_gradient_flow_drifts_away_as_gamma_grows(&out);
}

#[test]
fn uncentered() {
    let out = run_named("uncentered", false);
    snapshot_summary!(out);
    check_uncentered_data_makes_large_stepsizes_help_gd_too(&out);
}

#[test]
fn explorer() {
    let out = run_named("explorer", false);
    snapshot_summary!(out);
    check_explorer_slider_shows_exactly_one_stepsize_at_a_time(&out);
    check_explorer_gd_worsens_and_sgd_improves_with_the_stepsize(&out);
}

//! Figures of the stepsize story: `generalization` (slides Fig. 1), `gain_scale`, `gain_shape`
//! (slides Fig. 2) and `edge_of_stability`. Each runs its real default configuration, pins its
//! headline numbers with a snapshot, and asserts the paper's claims directly from the data.

use std::collections::BTreeMap;

use dln_report::experiments::{Options, Output, find};
use dln_tests::{run_named, snapshot_summary};
use polars::prelude::DataFrame;
use serde_json::Value;

fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name).unwrap().f64().unwrap().iter().collect()
}

fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_owned()).collect()
}

fn u64s(df: &DataFrame, name: &str) -> Vec<u64> {
    df.column(name).unwrap().u64().unwrap().iter().map(|v| v.unwrap()).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty(), "median of nothing");
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { 0.5 * (v[m - 1] + v[m]) }
}

/// Per γ/γ_max (in increasing order): the median over datasets of `column` among the converged
/// runs of `method` (rows filtered further by `keep`), computed here independently of the report.
fn medians_by_ratio(df: &DataFrame, method: &str, column: &str, keep: &dyn Fn(usize) -> bool) -> Vec<(f64, f64)> {
    let m = strs(df, "method");
    let st = strs(df, "status");
    let r = f64s(df, "gamma_over_gamma_max");
    let v = f64s(df, column);
    let mut groups: BTreeMap<u64, (f64, Vec<f64>)> = BTreeMap::new();
    for i in 0..m.len() {
        if m[i] == method && st[i] == "converged" && keep(i) {
            let ratio = r[i].unwrap();
            groups.entry(ratio.to_bits()).or_insert((ratio, vec![])).1.push(v[i].expect("converged runs have values"));
        }
    }
    let mut out: Vec<(f64, f64)> = groups.into_values().map(|(r, v)| (r, median(v))).collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// Every row has a known status and no float column holds NaN or ±inf (diverged runs use nulls).
fn assert_tidy(output: &Output) {
    let df = &output.data;
    assert!(df.height() > 0, "{}: empty frame", output.name);
    for s in strs(df, "status") {
        assert!(["converged", "max_steps", "diverged"].contains(&s.as_str()), "{}: status {s}", output.name);
    }
    for col in df.columns() {
        if let Ok(ca) = col.f64() {
            assert!(ca.iter().flatten().all(f64::is_finite), "{}: non-finite value in `{}`", output.name, col.name());
        }
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| v.get(*k).unwrap_or_else(|| panic!("missing key {k} in {v}")))
}

fn num(v: &Value, path: &[&str]) -> f64 {
    get(v, path).as_f64().unwrap_or_else(|| panic!("{path:?} is not a number"))
}

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
    // The summary agrees with the data.
    let summary = &output.summary;
    assert!(num(summary, &["risk_largest_over_smallest_stepsize", "SGD"]) < 1.0);
    assert!(num(summary, &["risk_largest_over_smallest_stepsize", "GD"]) > 1.0);
}

#[test]
fn gain_scale() {
    let output = run_named("gain_scale", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let df = &output.data;
    let sweep = strs(df, "sweep");
    // ‖Gain_γ‖₁ grows with γ, for GD and for SGD (median over datasets at each γ/γ_max).
    let stepsize = |i: usize| sweep[i] == "stepsize";
    for method in ["GD", "SGD"] {
        let g = medians_by_ratio(df, method, "gain_l1", &stepsize);
        assert!(g.len() >= 5);
        // Strictly increasing up to 0.8 γ_max (every run converges there) …
        let bulk: Vec<f64> = g.iter().filter(|p| p.0 <= 0.8).map(|p| p.1).collect();
        assert!(bulk.windows(2).all(|w| w[1] > w[0]), "{method}: ‖Gain‖₁ not increasing in γ: {g:?}");
        // … and largest at γ_max.
        assert!(g.iter().all(|p| p.1 <= g.last().unwrap().1), "{method}: ‖Gain‖₁ not largest at γ_max: {g:?}");
        // Small stepsizes: Gain ≈ Σ γ²g² is O(γ) overall — tiny compared with the edge of stability.
        assert!(g.last().unwrap().1 > 20.0 * g.first().unwrap().1);
    }
    // ‖Gain‖₁ falls with the batch size b ∈ {1, 2, 5, 10, 20} at a fixed stepsize.
    let (batch, status, gain) = (u64s(df, "batch"), strs(df, "status"), f64s(df, "gain_l1"));
    let mut by_batch: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in 0..df.height() {
        if sweep[i] == "batch" && status[i] == "converged" {
            by_batch.entry(batch[i]).or_default().push(gain[i].unwrap());
        }
    }
    assert_eq!(by_batch.keys().copied().collect::<Vec<_>>(), vec![1, 2, 5, 10, 20]);
    let medians: Vec<f64> = by_batch.into_values().map(median).collect();
    assert!(medians.windows(2).all(|w| w[1] < w[0]), "‖Gain‖₁ not decreasing in b: {medians:?}");
}

#[test]
fn gain_shape() {
    let output = run_named("gain_shape", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let s = &output.summary;
    // SGD's gain is more homogeneous than GD's: lower coefficient of variation across coordinates,
    // at every stepsize of the grid (medians over datasets).
    let cv = |m: &str| -> Vec<f64> {
        get(s, &["heterogeneity_cv_vs_stepsize", m]).as_array().unwrap().iter().map(|p| num(p, &["median"])).collect()
    };
    let (gd, sgd) = (cv("GD"), cv("SGD"));
    assert_eq!(gd.len(), sgd.len());
    assert!(gd.iter().zip(&sgd).all(|(g, s)| s < g), "CV: GD {gd:?} vs SGD {sgd:?}");
    // GD's gain piles up on the support of β*; SGD's is spread evenly.
    let ratio = |label: &str| num(s, &["profiles", label, "support_over_off_support"]);
    assert!(ratio("GD") > 5.0, "GD support/off-support gain {}", ratio("GD"));
    assert!(ratio("SGD") < 2.0, "SGD support/off-support gain {}", ratio("SGD"));
    // At the edge of stability GD's gain becomes large.
    let on = |label: &str| num(s, &["profiles", label, "mean_gain_on_support"]);
    assert!(on("GD, edge of stability") > 10.0 * on("GD"));
    // The heterogeneity computed here from the per-coordinate frame matches the summary's median at
    // the first stepsize (independent recomputation).
    let df = &output.data;
    let (m, st, gi, ds, g) =
        (strs(df, "method"), strs(df, "status"), u64s(df, "grid_index"), u64s(df, "dataset"), f64s(df, "gain"));
    let mut runs: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in 0..df.height() {
        if m[i] == "GD" && st[i] == "converged" && gi[i] == 0 {
            runs.entry(ds[i]).or_default().push(g[i].unwrap());
        }
    }
    let cvs: Vec<f64> = runs
        .into_values()
        .map(|v| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt() / mean
        })
        .collect();
    let here = median(cvs);
    assert!((here - gd[0]).abs() <= 1e-3 * here, "CV recomputed {here} vs summary {}", gd[0]);
}

#[test]
fn edge_of_stability() {
    let output = run_named("edge_of_stability", false);
    snapshot_summary!(output);
    assert_tidy(&output);
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
}

/// Bad configurations give one-line errors before anything runs; unknown fields are rejected.
#[test]
fn invalid_configurations_are_one_line_errors() {
    use dln_report::experiments::Experiment;
    use dln_report::experiments::{
        edge_of_stability as eos, gain_scale as gsc, gain_shape as gsh, generalization as gz,
    };
    let sweep = gz::Config::default();
    let errors = [
        gz::Generalization::run(&gz::Config { grid_lo: 2.0, ..sweep.clone() }).err(),
        gz::Generalization::run(&gz::Config { datasets: 0, ..sweep.clone() }).err(),
        gz::Generalization::run(&gz::Config { batch: 20, ..sweep.clone() }).err(),
        gz::Generalization::run(&gz::Config { extra_ratios: vec![1.5], ..sweep.clone() }).err(),
        gz::Generalization::run(&gz::Config { tol: 0.0, ..sweep.clone() }).err(),
        gz::Generalization::run(&gz::Config { alpha: -1.0, ..sweep.clone() }).err(),
        gsc::GainScale::run(&gsc::Config { batches: vec![0, 2], ..gsc::Config::default() }).err(),
        gsh::GainShape::run(&gsh::Config { profile_at: 0.0, ..gsh::Config::default() }).err(),
        eos::EdgeOfStability::run(&eos::Config { edge_fraction: 1.5, ..eos::Config::default() }).err(),
        eos::EdgeOfStability::run(&eos::Config { points_per_decade: 0, ..eos::Config::default() }).err(),
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

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

/// The per-coordinate frame read back run by run: `(dataset, method, fraction)` → the run's rows.
struct Runs {
    dataset: Vec<u64>,
    method: Vec<String>,
    fraction: Vec<Option<f64>>,
    status: Vec<String>,
    gain: Vec<Option<f64>>,
    risk: Vec<Option<f64>>,
    datasets: u64,
    fractions: Vec<f64>,
}

impl Runs {
    fn of(out: &Product) -> Self {
        let df = &out.data;
        let fractions = out.config["fractions"].as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect();
        Runs {
            dataset: u64s(df, "dataset"),
            method: strs(df, "method"),
            fraction: f64s(df, "fraction"),
            status: strs(df, "status"),
            gain: f64s(df, "gain"),
            risk: f64s(df, "test_risk"),
            datasets: out.config["datasets"].as_u64().unwrap(),
            fractions,
        }
    }

    fn rows(&self, k: u64, m: &str, f: Option<f64>) -> Vec<usize> {
        (0..self.method.len())
            .filter(|&i| self.dataset[i] == k && self.method[i] == m && self.fraction[i] == f)
            .collect()
    }

    fn gain(&self, k: u64, m: &str, f: f64) -> Vec<f64> {
        self.rows(k, m, Some(f)).into_iter().map(|i| self.gain[i].unwrap()).collect()
    }

    fn l1(&self, k: u64, m: &str, f: f64) -> f64 {
        self.gain(k, m, f).iter().map(|g| g.abs()).sum()
    }

    fn cv(&self, k: u64, m: &str, f: f64) -> f64 {
        let g = self.gain(k, m, f);
        let mean = g.iter().sum::<f64>() / g.len() as f64;
        (g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / g.len() as f64).sqrt() / mean
    }

    /// The run's first row: its run-level columns.
    fn first(&self, k: u64, m: &str, f: Option<f64>) -> usize {
        self.rows(k, m, f)[0]
    }

    /// Test risk at the largest converged fraction over that at the smallest, on dataset `k`.
    fn risk_change(&self, k: u64, m: &str) -> f64 {
        let ok: Vec<f64> =
            self.fractions.iter().copied().filter(|&f| self.status[self.first(k, m, Some(f))] == "converged").collect();
        let risk = |f: f64| self.risk[self.first(k, m, Some(f))].unwrap();
        risk(*ok.last().unwrap()) / risk(ok[0])
    }
}

/// On the slider's dataset, SGD's gain is more homogeneous than GD's at every stepsize.
fn check_explorer_sgd_gain_is_more_even_on_the_shown_dataset(out: &Product) {
    let runs = out.summary["runs"].as_array().expect("runs");
    let cv = |m: &str| -> Vec<f64> {
        runs.iter().filter(|r| r["method"] == m).map(|r| r["gain_cv"].as_f64().unwrap()).collect()
    };
    assert_eq!(cv("GD").len(), Runs::of(out).fractions.len());
    for (gd, sgd) in cv("GD").iter().zip(cv("SGD")) {
        assert!(sgd < *gd, "gain CV: SGD {sgd} vs GD {gd}");
    }
}

/// Each run's ‖Gain‖₁ in the summary (dataset 0), recomputed from the per-coordinate frame.
fn check_explorer_gain_l1_matches_the_data(out: &Product) {
    let runs = Runs::of(out);
    let d = out.config["setting"]["d"].as_u64().unwrap() as usize;
    for r in out.summary["runs"].as_array().expect("runs") {
        let (m, f) = (r["method"].as_str().unwrap(), r["fraction"].as_f64().unwrap());
        assert_eq!(runs.rows(0, m, Some(f)).len(), d, "{m} at {f}: a row per coordinate");
        let (here, there) = (runs.l1(0, m, f), r["gain_l1"].as_f64().unwrap());
        assert!((here - there).abs() <= 1e-12 * here, "{m} at {f}: recomputed {here} vs summary {there}");
    }
}

/// The over-datasets table: per method and fraction, the converged count and the median risk ratio
/// to gradient flow's on the same dataset, recomputed from the frame.
fn check_explorer_over_datasets_matches_the_data(out: &Product) {
    let runs = Runs::of(out);
    let table = out.summary["over_datasets"].as_array().expect("over_datasets");
    assert_eq!(table.len(), 2 * runs.fractions.len());
    for s in table {
        let (m, f) = (s["method"].as_str().unwrap(), s["fraction"].as_f64().unwrap());
        let ks = 0..runs.datasets;
        let converged = ks.clone().filter(|&k| runs.status[runs.first(k, m, Some(f))] == "converged").count();
        assert_eq!(s["converged"].as_u64(), Some(converged as u64), "{m} at {f}");
        assert_eq!(s["datasets"].as_u64(), Some(runs.datasets), "{m} at {f}");
        let ratios: Vec<f64> = ks
            .filter_map(|k| {
                let gf = runs.risk[runs.first(k, "GF", None)].unwrap();
                runs.risk[runs.first(k, m, Some(f))].map(|r| r / gf)
            })
            .collect();
        let (here, there) = (median(ratios), s["risk_ratio"].as_f64().unwrap());
        assert!((here - there).abs() <= 1e-3 * here, "{m} at {f}: median risk ratio {here} vs summary {there}");
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
            (Config { datasets: 0, ..Config::default() }, "datasets"),
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
    check_explorer_sgd_gain_is_more_even_on_the_shown_dataset(&out);
    check_explorer_gain_l1_matches_the_data(&out);
    check_explorer_over_datasets_matches_the_data(&out);
    check_claims(&out);
}

/// The section's claims, recomputed on every dataset from the per-coordinate frame.
fn check_claims(out: &Product) {
    let runs = Runs::of(out);
    let ks = || 0..runs.datasets;
    let fr = &runs.fractions;
    let reversals: usize =
        ks().map(|k| fr.windows(2).filter(|w| runs.l1(k, "SGD", w[1]) <= runs.l1(k, "SGD", w[0])).count()).sum();
    let uneven = ks()
        .flat_map(|k| fr.iter().map(move |&f| (k, f)))
        .map(|(k, f)| runs.cv(k, "GD", f) / runs.cv(k, "SGD", f))
        .fold(f64::INFINITY, f64::min);
    let gd = ks().map(|k| runs.risk_change(k, "GD")).fold(f64::INFINITY, f64::min);
    let sgd: Vec<f64> = ks().map(|k| runs.risk_change(k, "SGD")).collect();
    let sgd_worst = sgd.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_claims(
        out,
        &[
            ("sgd_gain_grows_with_gamma", reversals as f64),
            ("gd_gain_more_uneven", uneven),
            ("gd_risk_rises", gd),
            ("sgd_risk_falls", median(sgd)),
            ("sgd_helps_on_every_dataset", sgd_worst),
        ],
    );
}

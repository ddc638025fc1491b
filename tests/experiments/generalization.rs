//! `generalization`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use dln_report::experiments::{Options, find};
use dln_report::snap::FigureEssentials;
use dln_tests::*;
use polars::prelude::{ParquetReader, SerReader};
use serde_json::Value;

#[test]
fn generalization() {
    let output = snapshot_experiment!("generalization");
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

/// The figure snapshot bites. insta's own comparison (the equality its assertion uses) accepts the
/// real figure's text against the stored `generalization__figure.snap`, and rejects a copy of the
/// figure in which GD's and SGD's median lines swapped their data; the lines that differ are the
/// points of those two traces, one line per point.
#[test]
fn figure_snapshot_fails_when_two_traces_swap_their_data() {
    use insta::internals::{SnapshotContents, TextSnapshotContents};
    use insta::{Snapshot, TextSnapshotKind};
    let output = run_named("generalization", false);
    let stored = Snapshot::from_file(&Path::new(SNAPSHOTS).join("generalization__figure.snap")).expect("snapshot");
    let matches_stored = |text: &str| {
        stored.contents() == &SnapshotContents::from(TextSnapshotContents::new(text.into(), TextSnapshotKind::File))
    };
    let text_of = |figure: &Value| FigureEssentials::from_json(figure).expect("figure essentials").to_string();
    let real: Value = serde_json::from_str(&output.figure.to_json()).expect("figure JSON");
    let real_text = text_of(&real);
    assert!(matches_stored(&real_text), "the real figure does not match its stored snapshot");

    let traces = real["data"].as_array().expect("traces");
    let median = |method: &str| {
        traces.iter().position(|t| t["name"].as_str().is_some_and(|n| n.split(' ').next() == Some(method))).unwrap()
    };
    let (gd, sgd) = (median("GD"), median("SGD"));
    assert_eq!(traces[gd]["y"].as_array().unwrap().len(), traces[sgd]["y"].as_array().unwrap().len());
    let mut tampered = real.clone();
    let data = tampered["data"].as_array_mut().unwrap();
    let gd_y = data[gd]["y"].take();
    data[gd]["y"] = data[sgd]["y"].take();
    data[sgd]["y"] = gd_y;
    let tampered_text = text_of(&tampered);
    assert!(!matches_stored(&tampered_text), "the snapshot comparison accepts swapped traces");

    let (before, after): (Vec<&str>, Vec<&str>) = (real_text.lines().collect(), tampered_text.lines().collect());
    assert_eq!(before.len(), after.len());
    // The trace whose block holds line i (blocks start with "trace k: ").
    let block = |i: usize| before[..=i].iter().filter(|l| l.starts_with("trace ")).count().checked_sub(1);
    let changed: Vec<usize> = (0..before.len()).filter(|&i| before[i] != after[i]).collect();
    assert_eq!(changed.len(), 2 * traces[gd]["y"].as_array().unwrap().len(), "one line per swapped point");
    for i in changed {
        assert!([Some(gd), Some(sgd)].contains(&block(i)), "line {i} changed outside the swapped traces");
        assert!(before[i].starts_with("  ") && !before[i].trim_start().starts_with('x'), "line {i}: {}", before[i]);
    }
}

/// The q-quantile of sorted values by linear interpolation between order statistics (NumPy's
/// default): h = (m − 1)q, v[⌊h⌋] + (h − ⌊h⌋)(v[⌊h⌋ + 1] − v[⌊h⌋]).
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let h = (v.len() - 1) as f64 * q;
    let i = h.floor() as usize;
    v.get(i + 1).map_or(v[i], |next| v[i] + (h - i as f64) * (next - v[i]))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-tests-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// The figure is checked against the tidy data, not only against itself: generalization's plotted
/// median lines and interquartile bands, read back from the `figure.json` the writer wrote, equal
/// the median and quartiles of the converged runs' test risk per γ/γ_max, recomputed here from
/// its `data.parquet`.
#[test]
fn figure_bands_are_the_quartiles_of_the_tidy_data() {
    let output = run_named("generalization", false);
    let results = scratch("figure-check");
    let dir = results.join("generalization");
    dln_report::output::write_experiment(&dir, &output).expect("written");
    let figure: Value = serde_json::from_str(&fs::read_to_string(dir.join("figure.json")).unwrap()).unwrap();
    let df = ParquetReader::new(File::open(dir.join("data.parquet")).unwrap()).finish().expect("data.parquet");
    fs::remove_dir_all(&results).unwrap();

    let (method, status, ratio, risk) =
        (strs(&df, "method"), strs(&df, "status"), f64s(&df, "gamma_over_gamma_max"), f64s(&df, "test_risk"));
    let traces = figure["data"].as_array().expect("traces");
    let numbers = |t: &Value, key: &str| -> Vec<f64> {
        t[key].as_array().expect("data array").iter().map(|v| v.as_f64().expect("a number")).collect()
    };
    for m in ["GD", "SGD"] {
        let mut groups: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
        for i in (0..df.height()).filter(|&i| method[i] == m && status[i] == "converged") {
            groups.entry(ratio[i].unwrap().to_bits()).or_default().extend(risk[i].filter(|r| r.is_finite()));
        }
        let mut expected: Vec<(f64, [f64; 3])> = groups
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(r, mut v)| {
                v.sort_by(f64::total_cmp);
                (f64::from_bits(r), [0.25, 0.5, 0.75].map(|q| quantile_sorted(&v, q)))
            })
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(expected.len() >= 10, "{m}: a point per grid stepsize");
        // The band of `m`: its legend group holds the lower edge, the upper edge (filled down to
        // the lower) and the median line (the named trace), in drawing order.
        let band: Vec<&Value> =
            traces.iter().filter(|t| t["legendgroup"].as_str().and_then(|g| g.split(' ').next()) == Some(m)).collect();
        assert_eq!(band.len(), 3, "{m}: lower edge, upper edge, median");
        assert!(band[0]["name"].is_null() && band[0]["fill"].is_null(), "{m}: lower edge first");
        assert_eq!(band[1]["fill"], "tonexty", "{m}: the upper edge fills down to the lower");
        assert!(band[2]["name"].is_string(), "{m}: the median line is named");
        for (k, trace) in [(0, band[0]), (2, band[1]), (1, band[2])] {
            let (x, y) = (numbers(trace, "x"), numbers(trace, "y"));
            assert_eq!(x, expected.iter().map(|p| p.0).collect::<Vec<_>>(), "{m}: the plotted γ/γ_max");
            for (j, (plotted, p)) in y.iter().zip(&expected).enumerate() {
                let want = p.1[k];
                assert!(
                    (plotted - want).abs() <= 1e-12 * want.abs(),
                    "{m}, point {j}, quartile {k}: {plotted} vs {want}"
                );
            }
            assert_eq!(y.len(), expected.len());
        }
    }
}

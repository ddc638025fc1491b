//! Shared helpers for the top-level tests: every experiment snapshot goes through
//! [`snapshot_summary`] (its headline numbers) and [`snapshot_figure`] (its figure's content), both
//! rounded with the report's one rounding helper and recording the configuration.

use dln_report::experiments::{Entry, Options, Product, Validate};

/// Runs a registry entry with its default configuration (or quick, if `quick`).
pub fn run_entry(entry: Entry, quick: bool) -> Product {
    (entry.execute)(&Options { quick, overrides: None }).unwrap_or_else(|e| panic!("{}: {e:#}", entry.name))
}

/// Runs the named experiment.
pub fn run_named(name: &str, quick: bool) -> Product {
    run_entry(dln_report::experiments::find(name).expect("registered experiment"), quick)
}

/// The directory of the experiment snapshots, `tests/snapshots/`.
pub const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots");

/// The insta settings of an experiment's snapshots: stored in [`SNAPSHOTS`] as
/// `<experiment>__<what>.snap`, the configuration recorded as the snapshot's `info`.
pub fn snapshot_settings(output: &Product) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_info(&output.config);
    settings.set_omit_expression(true);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(SNAPSHOTS);
    settings
}

/// Snapshots an experiment's headline numbers (rounded to fixed significant digits by the report's
/// one helper) in `tests/snapshots/<experiment>__summary.snap`. A macro so that insta records the
/// calling test.
#[macro_export]
macro_rules! snapshot_summary {
    ($output:expr) => {{
        let output: &dln_report::experiments::Product = &$output;
        $crate::snapshot_settings(output).bind(|| {
            insta::assert_json_snapshot!(
                format!("{}__summary", output.name),
                dln_report::snap::round_json(&output.summary)
            );
        });
    }};
}

/// Snapshots an experiment's figure in `tests/snapshots/<experiment>__figure.snap`: the text of its
/// [`FigureEssentials`](dln_report::snap::FigureEssentials) (layout essentials, then one block per
/// trace and one line per point, numbers rounded like the summary's).
#[macro_export]
macro_rules! snapshot_figure {
    ($output:expr) => {{
        let output: &dln_report::experiments::Product = &$output;
        $crate::snapshot_settings(output).bind(|| {
            insta::assert_snapshot!(format!("{}__figure", output.name), $crate::figure_text(output));
        });
    }};
}

/// The text an experiment's figure snapshot holds.
pub fn figure_text(output: &Product) -> String {
    dln_report::snap::figure_essentials(&output.figure)
        .unwrap_or_else(|e| panic!("{}: figure: {e:#}", output.name))
        .to_string()
}

/// Runs the named experiment with its default configuration, snapshots its summary and its figure,
/// and checks that its frame is tidy ([`assert_tidy`]); returns what it produced.
#[macro_export]
macro_rules! snapshot_experiment {
    ($name:expr) => {{
        let output = $crate::run_named($name, false);
        $crate::snapshot_summary!(output);
        $crate::snapshot_figure!(output);
        $crate::assert_tidy(&output);
        output
    }};
}

/// The one-line error with which a configuration's range check rejects `cfg`.
pub fn config_error(cfg: &impl Validate) -> String {
    let err = format!("{:#}", cfg.validate().expect_err("the configuration is rejected"));
    assert!(!err.contains('\n'), "multi-line error: {err}");
    err
}

/// Each configuration is rejected with a one-line error that starts with its key (`setting: …` for
/// the nested setting), and `valid` is accepted.
pub fn assert_rejected<C: Validate>(valid: &C, cases: &[(C, &str)]) {
    for (cfg, key) in cases {
        let err = config_error(cfg);
        assert!(err.starts_with(key), "{key}: {err}");
    }
    assert!(valid.validate().is_ok(), "the valid configuration is rejected");
}

// ---- reading frames and summaries back, independently of the report ------------------------

use polars::prelude::{DataFrame, DataType};
use serde_json::Value;
use std::collections::BTreeMap;

/// A float column (nulls as `None`).
pub fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name).unwrap_or_else(|e| panic!("column {name}: {e}")).f64().expect("f64 column").iter().collect()
}

/// A float column without nulls.
pub fn f64s_set(df: &DataFrame, name: &str) -> Vec<f64> {
    f64s(df, name).into_iter().map(|x| x.unwrap_or_else(|| panic!("column {name}: null"))).collect()
}

/// A string column (no nulls).
pub fn strs(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name).expect("column").str().expect("str column").iter().map(|s| s.expect("no null").to_owned()).collect()
}

/// An unsigned integer column (no nulls).
pub fn u64s(df: &DataFrame, name: &str) -> Vec<u64> {
    df.column(name).expect("column").u64().expect("u64 column").iter().map(|v| v.expect("no null")).collect()
}

/// Median (mean of the two middle values for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty(), "median of nothing");
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { 0.5 * (v[m - 1] + v[m]) }
}

/// Per γ/γ_max (in increasing order): the median over datasets of `column` among the converged
/// runs of `method` (rows filtered further by `keep`), computed here independently of the report.
pub fn medians_by_ratio(df: &DataFrame, method: &str, column: &str, keep: &dyn Fn(usize) -> bool) -> Vec<(f64, f64)> {
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

/// Every row has a known status (where there is a status column; "exact" for a closed-form limit such
/// as gradient flow's) and no float column holds NaN or ±inf: diverged runs are nulls with their status.
pub fn assert_tidy(output: &Product) {
    let df = &output.data;
    assert!(df.height() > 0, "{}: empty frame", output.name);
    if df.column("status").is_ok() {
        for s in strs(df, "status") {
            assert!(
                ["converged", "max_steps", "diverged", "exact"].contains(&s.as_str()),
                "{}: status {s}",
                output.name
            );
        }
    }
    for col in df.columns() {
        if col.dtype() == &DataType::Float64 {
            let bad = col.f64().unwrap().iter().flatten().filter(|v| !v.is_finite()).count();
            assert_eq!(bad, 0, "{}: column `{}` has {bad} non-finite values", output.name, col.name());
        }
    }
}

/// The value at `path` of a summary.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| v.get(*k).unwrap_or_else(|| panic!("missing key {k} in {v}")))
}

/// The number at `path` of a summary.
pub fn num(v: &Value, path: &[&str]) -> f64 {
    get(v, path).as_f64().unwrap_or_else(|| panic!("{path:?} is not a number"))
}

/// The boolean at JSON `pointer` of a summary.
pub fn summary_bool(out: &Product, pointer: &str) -> bool {
    out.summary
        .pointer(pointer)
        .and_then(|v| v.as_bool())
        .unwrap_or_else(|| panic!("{}: no boolean at {pointer}", out.name))
}

/// The number at JSON `pointer` of a summary.
pub fn summary_f64(out: &Product, pointer: &str) -> f64 {
    out.summary
        .pointer(pointer)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("{}: no number at {pointer}", out.name))
}

/// Checks an experiment's claims against values this test recomputed from the data (never the
/// experiment's own verdict): the summary has at least three claims, its claim ids are exactly the
/// recomputed ones, each recomputed value equals the claim's key value (to its 4 significant
/// digits), and each satisfies the claim's threshold.
pub fn assert_claims(out: &Product, recomputed: &[(&str, f64)]) {
    let claims = out.summary["claims"].as_array().unwrap_or_else(|| panic!("{}: no claims", out.name));
    assert!(claims.len() >= 3, "{}: {} claims, expected at least 3", out.name, claims.len());
    let ids: std::collections::BTreeSet<&str> = claims.iter().map(|c| c["id"].as_str().expect("id")).collect();
    let mine: std::collections::BTreeSet<&str> = recomputed.iter().map(|r| r.0).collect();
    assert_eq!(ids, mine, "{}: the claims and the test's recomputations differ", out.name);
    for claim in claims {
        let id = claim["id"].as_str().unwrap();
        let value = recomputed.iter().find(|r| r.0 == id).unwrap().1;
        let key = claim["key"].as_str().expect("key");
        let reported = claim["values"][key].as_f64().unwrap_or(f64::NAN);
        assert!(
            (value - reported).abs() <= 1e-3 * value.abs().max(1e-300),
            "{}.{id}: recomputed {value} but the summary says {reported}",
            out.name
        );
        let threshold = claim["threshold"].as_f64().expect("threshold");
        let holds = match claim["comparison"].as_str() {
            Some("at_most") => value <= threshold,
            Some("at_least") => value >= threshold,
            other => panic!("{}.{id}: unknown comparison {other:?}", out.name),
        };
        assert!(holds, "{}.{id}: {value} fails its threshold {threshold}: {}", out.name, claim["statement"]);
    }
}

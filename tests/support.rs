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
/// digits), and each satisfies the claim's threshold — except a finding (`"finding": true`), a
/// prediction the chapter reports as contradicted, which must still fail it.
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
        if claim["finding"].as_bool() == Some(true) {
            // A prediction reported as contradicted by the data: if it starts to hold, the chapter
            // that reports the finding must be revised.
            assert!(!holds, "{}.{id}: the finding now holds ({value} vs {threshold}): revise its chapter", out.name);
            assert_eq!(claim["holds"].as_bool(), Some(false), "{}.{id}: a finding the summary says holds", out.name);
        } else {
            assert!(holds, "{}.{id}: {value} fails its threshold {threshold}: {}", out.name, claim["statement"]);
        }
    }
}

/// One run of an experiment on `fraction_runs`, read back from its d consecutive rows of the
/// per-coordinate frame (independently of the report's typed rows).
#[derive(Debug, Clone)]
pub struct FrameRun {
    /// The values of the experiment's cell columns, as text (e.g. `["gaussian", "3"]`).
    pub labels: Vec<String>,
    pub method: String,
    pub fraction: f64,
    pub gamma: f64,
    pub gamma_max: f64,
    pub status: String,
    pub theorem2_error: Option<f64>,
    pub beta_norm: Option<f64>,
    pub test_risk: Option<f64>,
    pub gf_test_risk: f64,
    pub support: Vec<bool>,
    pub start: Vec<f64>,
    pub gain: Vec<f64>,
    pub second_order: Vec<f64>,
    pub max_step: Vec<f64>,
}

impl FrameRun {
    /// Whether it did not diverge.
    pub fn kept(&self) -> bool {
        self.status != "diverged"
    }

    /// Mean of `v` on the support over its mean off it.
    pub fn on_off(&self, v: &[f64]) -> f64 {
        let mean = |on: bool| {
            let x: Vec<f64> = v.iter().zip(&self.support).filter(|p| *p.1 == on).map(|p| *p.0).collect();
            x.iter().sum::<f64>() / x.len() as f64
        };
        mean(true) / mean(false)
    }

    /// Population coefficient of variation of the gain across coordinates.
    pub fn cv(&self) -> f64 {
        let m = self.gain.len() as f64;
        let mean = self.gain.iter().sum::<f64>() / m;
        (self.gain.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / m).sqrt() / mean
    }

    /// ‖Gain‖₁.
    pub fn gain_l1(&self) -> f64 {
        self.gain.iter().map(|g| g.abs()).sum()
    }

    /// Test risk over gradient flow's (NaN if diverged).
    pub fn risk_ratio(&self) -> f64 {
        self.test_risk.map_or(f64::NAN, |r| r / self.gf_test_risk)
    }
}

/// A column's values as text (strings, integers or floats).
fn texts(df: &DataFrame, name: &str) -> Vec<String> {
    let col = df.column(name).unwrap_or_else(|e| panic!("column {name}: {e}"));
    match col.dtype() {
        DataType::String => strs(df, name),
        DataType::UInt64 => u64s(df, name).into_iter().map(|v| v.to_string()).collect(),
        DataType::Float64 => f64s_set(df, name).into_iter().map(|v| v.to_string()).collect(),
        other => panic!("column {name}: unexpected type {other}"),
    }
}

/// The first row (coordinate 0) of each run of a per-coordinate frame, in order.
pub fn run_starts(df: &DataFrame) -> Vec<usize> {
    (u64s(df, "coordinate").iter().enumerate()).filter(|(_, c)| **c == 0).map(|p| p.0).collect()
}

/// A run-level column read once per run: `column` at the rows `starts` ([`run_starts`]).
pub fn per_run<T: Clone>(starts: &[usize], column: &[T]) -> Vec<T> {
    starts.iter().map(|&i| column[i].clone()).collect()
}

/// The runs of a `fraction_runs` frame whose cells are labelled by the columns `labels`.
pub fn frame_runs(out: &Product, labels: &[&str]) -> Vec<FrameRun> {
    let df = &out.data;
    let label_cols: Vec<Vec<String>> = labels.iter().map(|l| texts(df, l)).collect();
    let (method, fraction, status) = (strs(df, "method"), f64s_set(df, "fraction"), strs(df, "status"));
    let (gamma, gamma_max) = (f64s_set(df, "gamma"), f64s_set(df, "gamma_max"));
    let (coordinate, t2, norm) = (u64s(df, "coordinate"), f64s(df, "theorem2_error"), f64s(df, "beta_norm"));
    let (risk, gf) = (f64s(df, "test_risk"), f64s_set(df, "gf_test_risk"));
    let support: Vec<bool> = df.column("on_support").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect();
    let (gain, sq, step) = (f64s(df, "gain"), f64s(df, "second_order"), f64s(df, "max_step"));
    let start = f64s_set(df, "sq_grad_at_init");
    let mut runs: Vec<FrameRun> = Vec::new();
    for i in 0..df.height() {
        if coordinate[i] == 0 {
            runs.push(FrameRun {
                labels: label_cols.iter().map(|c| c[i].clone()).collect(),
                method: method[i].clone(),
                fraction: fraction[i],
                gamma: gamma[i],
                gamma_max: gamma_max[i],
                status: status[i].clone(),
                theorem2_error: t2[i],
                beta_norm: norm[i],
                test_risk: risk[i],
                gf_test_risk: gf[i],
                support: Vec::new(),
                start: Vec::new(),
                gain: Vec::new(),
                second_order: Vec::new(),
                max_step: Vec::new(),
            });
        }
        let run = runs.last_mut().expect("a run starts at coordinate 0");
        assert_eq!(coordinate[i] as usize, run.gain.len(), "rows of a run in coordinate order");
        run.support.push(support[i]);
        run.start.push(start[i]);
        run.gain.push(gain[i].unwrap_or(f64::NAN));
        run.second_order.push(sq[i].unwrap_or(f64::NAN));
        run.max_step.push(step[i].unwrap_or(f64::NAN));
    }
    runs
}

/// Theorem 2 on every converged run of a `fraction_runs` frame, relative to max(1, ‖β∞‖): each
/// error at most 1e-8; returns the largest, and the converged share.
pub fn theorem2_on_every_converged_run(runs: &[FrameRun]) -> (f64, f64) {
    let converged: Vec<&FrameRun> = runs.iter().filter(|r| r.status == "converged").collect();
    let relative: Vec<f64> =
        converged.iter().map(|r| r.theorem2_error.expect("error") / r.beta_norm.expect("norm").max(1.0)).collect();
    let worst = relative.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(relative.iter().all(|e| *e <= 1e-8), "Theorem 2: largest relative error {worst}");
    (worst, converged.len() as f64 / runs.len() as f64)
}

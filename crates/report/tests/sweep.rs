//! `dln-report sweep`: the same numbers as `dln-report run` for the same runs (bit for bit, read
//! back from the Parquet table), sharded + merged = unsharded byte for byte whatever the thread
//! count, resumes that skip finished runs, one-line errors before any run for a bad grid, merges
//! that refuse missing runs or mixed grids, the example grids, and the appendix's numbers.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dln_report::grid::execute::{MergePlan, Plan, Timings, names};
use dln_report::grid::{Grid, merge, record, scaling, sweep};
use dln_report::polars::prelude::{DataFrame, ParquetReader, SerReader};
use dln_report::progress::Mode;
use dln_report::runs::{RunSpec, sampling_name};
use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dln-report"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-report-sweep-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_grid(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("grid.toml");
    fs::write(&path, text).unwrap();
    path
}

fn plan(grid: &Path, out: &Path, threads: usize, shard: Option<&str>) -> Plan {
    Plan {
        grid: grid.to_path_buf(),
        out: out.to_path_buf(),
        threads: Some(threads),
        shard: shard.map(|s| s.parse().unwrap()),
        max_memory: None,
        mode: Mode::Quiet,
    }
}

fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(fs::File::open(path).unwrap()).finish().unwrap()
}

fn bytes(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts a failed command: non-zero exit, one line on stderr starting with `error:`; returns it.
fn one_line_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected failure; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {lines:?}");
    assert!(lines[0].starts_with("error: "), "{lines:?}");
    lines[0].to_string()
}

/// A grid over every kind of parameter: GD, SGD b = 1 (lockstep) and b = 5 (alone), shuffling,
/// fractions of γ_max, schedules, designs, σ, mean and noise; the last run diverges.
const MIXED: &str = r#"
combine = "zip"
[params]
tol = 1e-10
[axes]
steps     = [20000,     300000,       300000,   300000,     300000,          20000,          300000,    20000]
n         = [20,        20,           20,       20,         20,              20,             12,        20]
d         = [30,        30,           30,       30,         30,              30,             25,        30]
design    = ["gaussian", "gaussian", "gaussian", "gaussian", "rademacher",   "uniform",      "gaussian", "gaussian"]
mean      = [0.0,       0.0,          0.0,      0.0,        0.0,             1.5,            0.0,       0.0]
noise     = [0.0,       0.0,          0.0,      0.0,        0.0,             0.0,            0.1,       0.0]
sigma     = [1.0,       1.0,          1.0,      1.0,        0.5,             2.0,            1.0,       1.0]
alpha     = [0.1,       0.1,          0.1,      0.1,        0.05,            0.1,            0.2,       0.1]
batch     = ["n",       1,            1,        5,          1,               "n",            1,         "n"]
sampling  = ["iid",     "iid",        "iid",    "shuffle",  "iid",           "iid",          "iid",     "iid"]
gamma_ratio = [0.5,     0.3,          0.6,      0.5,        0.5,             0.5,            0.5,       50.0]
schedule  = ["constant", "constant",  "cosine:0.5:5000", "constant", "warm_up:100", "step_decay:0.5:2000", "constant", "constant"]
seed      = [3,         3,            3,        3,          4,               5,              6,         7]
"#;

/// `run`'s arguments for the run `spec`.
fn run_args(spec: &RunSpec) -> Vec<String> {
    let mut args: Vec<String> =
        ["run", "--json", "--design", spec.design.as_str(), "--sampling"].map(String::from).to_vec();
    args.push(sampling_name(spec.sampling).into());
    let numbers = [
        ("n", spec.n.to_string()),
        ("d", spec.d.to_string()),
        ("s", spec.s.to_string()),
        ("mean", format!("{:?}", spec.mean)),
        ("noise", format!("{:?}", spec.noise)),
        ("alpha", format!("{:?}", spec.alpha)),
        ("batch", spec.batch.to_string()),
        ("schedule", spec.schedule.to_string()),
        ("steps", spec.steps.to_string()),
        ("tol", format!("{:?}", spec.tol)),
        ("seed", spec.seed.to_string()),
        ("gamma-max-rel-tol", format!("{:?}", spec.gamma_max_rel_tol)),
    ];
    for (key, value) in numbers {
        args.push(format!("--{key}"));
        args.push(value);
    }
    if let Some(sigma) = &spec.sigma {
        args.push(format!("--sigma={}", sigma.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",")));
    }
    match (spec.gamma_ratio, spec.stepsize) {
        (Some(r), None) => args.extend(["--gamma-ratio".into(), format!("{r:?}")]),
        (None, Some(g)) => args.extend(["--stepsize".into(), format!("{g:?}")]),
        other => panic!("stepsize and ratio {other:?}"),
    }
    args
}

/// A number of `run --json` (null = not finite) against the table's, bit for bit.
fn same_number(json: &Value, table: Option<f64>, what: &str) {
    match (json.as_f64(), table) {
        (Some(a), Some(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{what}: run {a:e} vs sweep {b:e}"),
        (None, Some(b)) => assert!(json.is_null() && !b.is_finite(), "{what}: run {json} vs sweep {b}"),
        (None, None) => assert!(json.is_null(), "{what}: run {json} vs sweep null"),
        (Some(a), None) => panic!("{what}: run {a:e} vs sweep null"),
    }
}

#[test]
fn sweep_gives_the_numbers_run_gives_bit_for_bit() {
    let dir = scratch("vs-run");
    let grid = write_grid(&dir, MIXED);
    let specs = Grid::read(&grid).unwrap().rows().unwrap();
    let report = sweep(&plan(&grid, &dir.join("out"), 2, None)).unwrap();
    assert_eq!((report.rows, report.rows_run), (8, 8));
    let df = parquet(&dir.join("out").join(names::PARQUET));
    assert_eq!(df.height(), 8);
    let statuses: Vec<&str> = df.column("status").unwrap().str().unwrap().iter().map(|s| s.unwrap()).collect();
    // The last row, GD at 50 γ_max, diverges; the others do not.
    assert!(statuses[..7].iter().all(|s| *s != "diverged") && statuses[7] == "diverged", "{statuses:?}");
    for (row, spec) in specs.iter().enumerate() {
        let args = run_args(spec);
        let out = bin().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let f64_at = |name: &str| df.column(name).unwrap().f64().unwrap().get(row);
        assert_eq!(json["status"].as_str().unwrap(), statuses[row], "row {row}");
        assert_eq!(json["steps"].as_u64(), df.column("steps_taken").unwrap().u64().unwrap().get(row), "row {row}");
        assert_eq!(json["config"]["batch"].as_u64(), df.column("batch").unwrap().u64().unwrap().get(row));
        same_number(&json["config"]["stepsize"], f64_at("gamma"), &format!("row {row} gamma"));
        same_number(&json["config"]["gamma_max"], f64_at("gamma_max"), &format!("row {row} gamma_max"));
        for key in ["train_loss", "test_risk", "gain_l1", "pred_error", "gf_error"] {
            same_number(&json[key], f64_at(key), &format!("row {row} {key}"));
        }
        for key in ["beta_star", "beta", "gain", "alpha_inf", "beta_tilde0", "beta_pred", "beta_gf"] {
            let list = df.column(key).unwrap().list().unwrap().get_as_series(row);
            match list {
                None => assert!(json[key].is_null(), "row {row} {key}: run {} vs sweep null", json[key]),
                Some(s) => {
                    let values: Vec<Option<f64>> = s.f64().unwrap().iter().collect();
                    let from_run = json[key].as_array().unwrap_or_else(|| panic!("row {row} {key}: {}", json[key]));
                    assert_eq!(values.len(), from_run.len(), "row {row} {key}");
                    for (j, (a, b)) in from_run.iter().zip(values).enumerate() {
                        same_number(a, b, &format!("row {row} {key}[{j}]"));
                    }
                }
            }
        }
    }
    fs::remove_dir_all(&dir).unwrap();
}

const SMALL: &str = r#"
[params]
steps = 5000
tol = 1e-12
[axes]
batch = [1, 4, "n"]
stepsize = [0.005, 0.01]
seed = [0, 1, 2]
"#;

#[test]
fn sharded_and_merged_equals_unsharded_byte_for_byte() {
    let dir = scratch("shards");
    let grid = write_grid(&dir, SMALL);
    let whole = dir.join("whole");
    sweep(&plan(&grid, &whole, 2, None)).unwrap();
    let one_thread = dir.join("one-thread");
    sweep(&plan(&grid, &one_thread, 1, None)).unwrap();
    let mut shards = Vec::new();
    for i in 0..4 {
        let out = dir.join(format!("shard-{i}"));
        let report = sweep(&plan(&grid, &out, 1 + i % 2, Some(&format!("{i}/4")))).unwrap();
        assert_eq!(report.rows, (0..18).filter(|r| r % 4 == i).count());
        assert_eq!(parquet(&out.join(names::PARQUET)).height(), report.rows);
        shards.push(out);
    }
    shards.reverse(); // the order of the directories does not matter
    let merged = dir.join("merged");
    let report = merge(&MergePlan { dirs: shards.clone(), out: merged.clone() }).unwrap();
    assert_eq!((report.rows, report.rows_run), (18, 0));
    for name in [names::PARQUET, names::CSV, names::GRID] {
        assert!(bytes(&whole.join(name)) == bytes(&one_thread.join(name)), "{name}: 1 vs 2 threads");
        assert!(bytes(&whole.join(name)) == bytes(&merged.join(name)), "{name}: merged vs unsharded");
    }
    let df = parquet(&merged.join(names::PARQUET));
    assert_eq!(
        df.column("row").unwrap().u64().unwrap().iter().map(|v| v.unwrap()).collect::<Vec<_>>(),
        (0..18).collect::<Vec<_>>()
    );
    // A merged directory is a finished sweep: rerunning the grid there runs nothing.
    let again = sweep(&plan(&grid, &merged, 2, None)).unwrap();
    assert_eq!(again.rows_run, 0);
    assert!(bytes(&whole.join(names::PARQUET)) == bytes(&merged.join(names::PARQUET)));

    // A missing shard: one line naming the first missing row and its shard.
    let e = merge(&MergePlan { dirs: shards[..3].to_vec(), out: dir.join("partial") }).unwrap_err().to_string();
    assert!(e.contains("in none of the directories") && e.contains("row 0 (shard 0/4)") && !e.contains('\n'), "{e}");
    // Shards of another grid.
    let other = write_grid(&scratch("shards-other"), &SMALL.replace("5000", "6000"));
    sweep(&plan(&other, &dir.join("other"), 1, Some("0/4"))).unwrap();
    let e = merge(&MergePlan { dirs: vec![shards[0].clone(), dir.join("other")], out: dir.join("mixed") })
        .unwrap_err()
        .to_string();
    assert!(e.contains("another grid"), "{e}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rerun_skips_finished_runs_and_rebuilds_the_same_table() {
    let dir = scratch("resume");
    let grid = write_grid(&dir, SMALL);
    let out = dir.join("out");
    let first = sweep(&plan(&grid, &out, 2, None)).unwrap();
    assert_eq!(first.rows_run, 18);
    let table = bytes(&out.join(names::PARQUET));
    let csv = bytes(&out.join(names::CSV));
    // As if interrupted: two runs unfinished, the table not written yet, a temporary file left.
    let rows = Grid::read(&grid).unwrap().rows().unwrap();
    for spec in [&rows[3], &rows[11]] {
        fs::remove_file(record::path(&out, spec)).unwrap();
    }
    fs::remove_file(out.join(names::PARQUET)).unwrap();
    fs::write(out.join(record::ROWS).join(".x.json.999999999-0.tmp"), b"partial").unwrap();
    let second = sweep(&plan(&grid, &out, 1, None)).unwrap();
    assert_eq!((second.rows, second.rows_run), (18, 2));
    assert!(bytes(&out.join(names::PARQUET)) == table && bytes(&out.join(names::CSV)) == csv);
    let timings: Timings = serde_json::from_slice(&bytes(&out.join(names::TIMINGS))).unwrap();
    assert_eq!((timings.rows, timings.rows_run), (18, 2));
    let files = fs::read_dir(out.join(record::ROWS)).unwrap().count();
    assert_eq!(files, 18, "one file per run, the stale temporary file removed");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_grid_fails_in_one_line_before_any_run() {
    let dir = scratch("bad");
    let cases: &[(&str, &str)] = &[
        ("[axes]\nbatch = [1, 25]", "row 1 (batch = 25)"),
        ("[axes]\nstepsize = [0.1]\ngamma_ratio = [0.5]", "either"),
        ("[axes]\nspeed = [1]", "unknown parameter `speed`"),
        ("[params]\nn = \"many\"", "row 0"),
        ("[axes]\nseed = [1, 2", "invalid grid at line"),
        ("[axes]\nschedule = [\"cosine:2:10\"]", "gamma_final"),
        ("combine = \"zip\"\n[axes]\nseed = [1, 2]\nalpha = [0.1]", "one length"),
        ("[params]\nd = 4\ns = 5", "s"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let grid = dir.join(format!("bad-{i}.toml"));
        fs::write(&grid, text).unwrap();
        let out = dir.join(format!("out-{i}"));
        let result = bin().args(["sweep", "--grid"]).arg(&grid).arg("--out").arg(&out).output().unwrap();
        let line = one_line_error(&result);
        assert!(line.contains(expected) && line.contains(&format!("bad-{i}.toml")), "{text:?}: {line}");
        assert!(!out.exists(), "{text:?}: nothing is written before the grid is valid");
    }
    let out = bin().args(["sweep", "--grid", "/nonexistent/grid.toml"]).output().unwrap();
    assert!(one_line_error(&out).contains("/nonexistent/grid.toml"));
    let grid = dir.join("ok.toml");
    fs::write(&grid, "[params]\nsteps = 10").unwrap();
    for (args, expected) in [
        (vec!["--shard", "4/4"], "invalid shard"),
        (vec!["--threads", "0"], "--threads"),
        (vec!["--max-memory", "1KiB"], "--max-memory"),
    ] {
        let out =
            bin().args(["sweep", "--grid"]).arg(&grid).args(&args).arg("--out").arg(dir.join("x")).output().unwrap();
        assert!(one_line_error(&out).contains(expected), "{args:?}");
    }
    let out = bin().args(["sweep", "merge", "--out"]).arg(dir.join("m")).arg(dir.join("nothing")).output().unwrap();
    assert!(one_line_error(&out).contains("grid.json"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_command_line_runs_shards_and_merges_them() {
    let dir = scratch("cli");
    let grid = write_grid(&dir, SMALL);
    let whole =
        bin().args(["sweep", "--quiet", "--grid"]).arg(&grid).arg("--out").arg(dir.join("whole")).output().unwrap();
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let line = String::from_utf8(whole.stdout).unwrap();
    assert!(line.starts_with("sweep: 18 of 18 runs") && line.contains("18 run now"), "{line}");
    for i in 0..2 {
        let out = bin()
            .args(["sweep", "--quiet", "--threads", "1", "--shard", &format!("{i}/2"), "--grid"])
            .arg(&grid)
            .arg("--out")
            .arg(dir.join(format!("shard-{i}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = bin()
        .args(["sweep", "merge", "--out"])
        .arg(dir.join("merged"))
        .arg(dir.join("shard-0"))
        .arg(dir.join("shard-1"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in [names::PARQUET, names::CSV, names::GRID] {
        assert!(bytes(&dir.join("whole").join(name)) == bytes(&dir.join("merged").join(name)), "{name}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_example_grid_is_valid() {
    let dir = repo().join("examples/grids");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let grid = Grid::read(&dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let rows = grid.rows().unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert!(rows.len() >= 8, "{name}: {} rows", rows.len());
    }
    let embedded = Grid::parse(scaling::EXAMPLE_GRID).unwrap();
    assert_eq!(embedded, Grid::read(&dir.join(format!("{}.toml", scaling::EXAMPLE))).unwrap());
}

#[test]
fn the_appendix_reports_the_sweeps_own_timings() {
    let dir = scratch("scaling");
    let results = dir.join("results");
    assert!(scaling::book_markdown(&results).unwrap().contains("No measurement yet"));
    let grid = write_grid(&dir, SMALL);
    sweep(&plan(&grid, &scaling::dir(&results), 2, None)).unwrap();
    let timings: Timings = serde_json::from_slice(&bytes(&scaling::dir(&results).join(names::TIMINGS))).unwrap();
    // Recomputed from the run files: the core seconds and steps of every run.
    let rows = Grid::read(&grid).unwrap().rows().unwrap();
    let recs: Vec<_> = rows.iter().map(|s| record::read(&scaling::dir(&results), s).unwrap().unwrap()).collect();
    let core: f64 = recs.iter().map(|r| r.seconds).sum();
    let steps: u64 = recs.iter().map(|r| r.steps).sum();
    assert_eq!((timings.rows, timings.steps), (18, steps));
    assert!((timings.core_seconds - core).abs() <= 1e-12 * core && core > 0.0);
    assert!((timings.seconds_per_run - core / 18.0).abs() <= 1e-12 * core);
    let md = scaling::book_markdown(&results).unwrap();
    assert!(md.contains(&format!("| {:.4} |", core / 18.0)), "{md}");
    assert!(md.contains(&format!("| {:.0} |", 3600.0 / (core / 18.0))), "{md}");
    let core_hours = 1e6 * (core / 18.0) / 3600.0;
    assert!(md.contains(&format!("| 1000000 | {core_hours:.3} |")), "{md}");
    fs::remove_dir_all(&dir).unwrap();
}

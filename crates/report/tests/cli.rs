//! The `dln-report` binary: `run --json` keys and bitwise replay through `--data`, one-line errors
//! with a non-zero exit for bad arguments, `list`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dln-report"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-report-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts a failed run: non-zero exit, exactly one line on stderr starting with `error:`, nothing
/// on stdout; returns the line.
fn assert_one_line_error(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{what}: expected failure, got success; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: expected one line on stderr, got {lines:?}");
    assert!(lines[0].starts_with("error: "), "{what}: {lines:?}");
    assert!(out.stdout.is_empty(), "{what}: stdout should be empty");
    lines[0].to_string()
}

const RUN: &[&str] = &[
    "run",
    "--n",
    "20",
    "--d",
    "30",
    "--s",
    "3",
    "--alpha",
    "0.1",
    "--stepsize",
    "0.05",
    "--batch",
    "20",
    "--steps",
    "100000",
    "--tol",
    "1e-24",
    "--seed",
    "1",
    "--json",
];

const KEYS: &[&str] = &[
    "config",
    "status",
    "steps",
    "train_loss",
    "test_risk",
    "x",
    "y",
    "beta_star",
    "beta",
    "gain",
    "alpha_inf",
    "beta_tilde0",
    "beta_pred",
    "beta_gf",
];

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1, "--json prints ONE JSON object on one line");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn run_json_has_every_key_and_matches_theorem_2() {
    let v = json_of(&run(RUN));
    for key in KEYS {
        assert!(v.get(key).is_some(), "missing key `{key}`");
    }
    let config = &v["config"];
    for key in ["n", "d", "s", "alpha", "stepsize", "batch", "steps", "tol", "seed"] {
        assert!(config.get(key).is_some(), "config misses `{key}`");
    }
    assert_eq!(config["batch"], 20);
    assert_eq!(config["tol"], 1e-24);
    let (n, d) = (20, 30);
    assert_eq!(v["x"].as_array().unwrap().len(), n);
    assert!(v["x"].as_array().unwrap().iter().all(|r| r.as_array().unwrap().len() == d));
    assert_eq!(v["y"].as_array().unwrap().len(), n);
    for key in ["beta_star", "beta", "gain", "alpha_inf", "beta_tilde0", "beta_pred", "beta_gf"] {
        assert_eq!(v[key].as_array().unwrap().len(), d, "{key}");
    }
    assert!(["converged", "max_steps"].contains(&v["status"].as_str().unwrap()));
    // GD at γ = 0.05 < 2/λ_max converges to Theorem 2's prediction.
    let err = v["pred_error"].as_f64().unwrap();
    assert!(err < 1e-8, "‖β∞ − β_pred‖ = {err}");
    // α∞ < α: the gain is positive on every coordinate.
    assert!(v["alpha_inf"].as_array().unwrap().iter().all(|a| a.as_f64().unwrap() < 0.1));
}

#[test]
fn run_json_replays_bitwise_through_data() {
    let dir = scratch("replay");
    let first = json_of(&run(RUN));
    let file = dir.join("run.json");
    std::fs::write(&file, serde_json::to_string(&first).unwrap()).unwrap();
    // Same stepsize, batch, budget and sampler seed; the data come from the file.
    let mut args: Vec<&str> = vec!["run", "--alpha", "0.1", "--stepsize", "0.05", "--batch", "20", "--steps", "100000"];
    args.extend(["--tol", "1e-24", "--seed", "1", "--json", "--data", file.to_str().unwrap()]);
    let replay = json_of(&run(&args));
    for key in KEYS.iter().filter(|k| **k != "config") {
        assert_eq!(first[key], replay[key], "`{key}` differs on replay");
    }
    // SGD too (the sampler's seed is the run's --seed).
    let sgd: Vec<&str> = vec!["run", "--stepsize", "0.1", "--batch", "1", "--steps", "20000", "--seed", "7", "--json"];
    let first = json_of(&run(&sgd));
    std::fs::write(&file, serde_json::to_string(&first).unwrap()).unwrap();
    let mut args: Vec<&str> =
        vec!["run", "--stepsize", "0.1", "--batch", "1", "--steps", "20000", "--seed", "7", "--json"];
    args.extend(["--data", file.to_str().unwrap()]);
    let replay = json_of(&run(&args));
    assert_eq!(first["beta"], replay["beta"]);
    assert_eq!(first["steps"], replay["steps"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diverged_run_prints_nulls_not_nan() {
    let out = run(&["run", "--stepsize", "0.3", "--batch", "1", "--seed", "3", "--json"]);
    let v = json_of(&out);
    assert_eq!(v["status"], "diverged");
    assert_eq!(v["beta_pred"], Value::Null);
    assert_eq!(v["beta_gf"], Value::Null);
    assert!(!v["notes"].as_array().unwrap().is_empty(), "a note says why the predictions are missing");
}

#[test]
fn run_without_json_prints_a_short_summary() {
    let out = run(&["run", "--steps", "2000"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("GD, γ = 0.05"), "{text}");
    assert!(text.contains("Theorem 2") && text.lines().count() < 12, "{text}");
}

#[test]
fn bad_arguments_give_one_line_and_a_non_zero_exit() {
    let cases: &[(&str, &[&str])] = &[
        ("unknown flag", &["run", "--bogus"]),
        ("unknown subcommand", &["frobnicate"]),
        ("batch 0", &["run", "--batch", "0"]),
        ("batch > n", &["run", "--n", "10", "--batch", "11"]),
        ("alpha = 0", &["run", "--alpha", "0"]),
        ("alpha < 0", &["run", "--alpha", "-0.5"]),
        ("stepsize ≤ 0", &["run", "--stepsize", "0"]),
        ("s > d", &["run", "--d", "5", "--s", "6"]),
        ("n = 0", &["run", "--n", "0"]),
        ("not a number", &["run", "--alpha", "abc"]),
        ("bad sampling", &["run", "--sampling", "sometimes"]),
        ("missing data file", &["run", "--data", "/nonexistent/dln.json"]),
        ("data and n", &["run", "--data", "x.json", "--n", "3"]),
        ("unknown experiment", &["reproduce", "--only", "generalization,nope", "--no-book", "--no-static"]),
        ("threads 0", &["reproduce", "--threads", "0", "--no-book", "--no-static"]),
    ];
    for (what, args) in cases {
        let line = assert_one_line_error(&run(args), what);
        if *what == "unknown experiment" {
            assert!(line.contains("`nope`") && line.contains("generalization"), "{line}");
        }
    }
}

#[test]
fn bad_data_files_give_one_line() {
    let dir = scratch("bad-data");
    let cases = [
        ("invalid JSON", "{ not json"),
        ("no x", r#"{"y": [1, 2]}"#),
        ("ragged x", r#"{"x": [[1, 2], [3]], "y": [1, 2]}"#),
        ("y length", r#"{"x": [[1, 2], [3, 4]], "y": [1]}"#),
        ("null entry", r#"{"x": [[1, null], [3, 4]], "y": [1, 2]}"#),
        ("beta_star length", r#"{"x": [[1, 2], [3, 4]], "y": [1, 2], "beta_star": [1]}"#),
    ];
    for (what, text) in cases {
        let file = dir.join("data.json");
        std::fs::write(&file, text).unwrap();
        assert_one_line_error(&run(&["run", "--data", file.to_str().unwrap()]), what);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_config_files_give_one_line_before_any_work() {
    let dir = scratch("bad-config");
    let out_dir = dir.join("results");
    let cases = [
        ("bad TOML", "[generalization\nseed = 1\n"),
        ("unknown experiment table", "[nope]\nseed = 1\n"),
        ("not a table", "generalization = 3\n"),
        ("unknown key", "[generalization]\nno_such_parameter = 1\n"),
        ("wrong type", "[generalization]\nseed = \"one\"\n"),
    ];
    for (what, text) in cases {
        let file = dir.join("config.toml");
        std::fs::write(&file, text).unwrap();
        let out = run(&[
            "reproduce",
            "--config",
            file.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--no-book",
            "--no-static",
        ]);
        let line = assert_one_line_error(&out, what);
        assert!(line.contains("config"), "{what}: {line}");
        assert!(!out_dir.exists(), "{what}: nothing is written before the configuration is valid");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_names_every_experiment() {
    let out = run(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    let expected: Vec<&str> = dln_report::experiments::ALL.iter().map(|e| e.name).collect();
    assert_eq!(names, expected);
    for (line, e) in text.lines().zip(dln_report::experiments::ALL) {
        assert!(line.ends_with(e.about), "{line}");
    }
}

#[test]
fn help_exits_zero() {
    for args in [&["--help"][..], &["run", "--help"], &["reproduce", "--help"]] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn static_images_without_a_browser_are_skipped_with_one_note_or_required() {
    let dir = scratch("no-browser");
    let empty_path = dir.join("bin");
    std::fs::create_dir_all(&empty_path).unwrap();
    let out_dir = dir.join("results");
    let reproduce = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.env("PATH", &empty_path).env_remove("BROWSER_PATH");
        cmd.args(["reproduce", "--only", "theorem1_alpha", "--quick", "--no-book", "--out", out_dir.to_str().unwrap()]);
        cmd.args(extra).output().unwrap()
    };
    // Required: fails in one line before any work.
    let line = assert_one_line_error(&reproduce(&["--require-static"]), "--require-static without a browser");
    assert!(line.contains("Chromium"), "{line}");
    assert!(!out_dir.exists());
    // Not required: the run succeeds and says once that static images were skipped.
    let out = reproduce(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("static images: skipped")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(out_dir.join("theorem1_alpha").join("figure.html").is_file());
    assert!(!out_dir.join("theorem1_alpha").join("figure.png").exists());
    // A BROWSER_PATH that does not exist is an error, not a silent skip.
    let mut cmd = bin();
    cmd.env("BROWSER_PATH", dir.join("no-such-chromium"));
    cmd.args(["reproduce", "--only", "theorem1_alpha", "--quick", "--no-book", "--out", out_dir.to_str().unwrap()]);
    assert_one_line_error(&cmd.output().unwrap(), "BROWSER_PATH missing");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn book_without_results_is_one_line_error() {
    let empty = scratch("book-no-results");
    std::fs::create_dir_all(&empty).unwrap();
    let book = concat!(env!("CARGO_MANIFEST_DIR"), "/../../book");
    let out = run(&["book", "--book", book, "--out", empty.to_str().unwrap()]);
    let msg = assert_one_line_error(&out, "book without results");
    assert!(msg.contains("summary.json") || msg.contains("results"), "{msg}");
}

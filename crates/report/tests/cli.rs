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

/// MemAvailable in bytes (Linux), read independently of the binary.
fn mem_available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

#[test]
fn runs_beyond_the_memory_fail_at_once_in_one_line() {
    // More entries of X than any allocation can hold: fails at once, whatever the memory.
    let line = assert_one_line_error(&run(&["run", "--n", "1000000000", "--d", "2000000000"]), "n·d = 2e18");
    assert!(line.contains("beyond any memory"), "{line}");
    // Beyond an explicit limit: the need, X's share and the limit are named.
    let out = run(&["run", "--n", "100000", "--d", "100000", "--steps", "1", "--max-memory", "8GiB"]);
    let line = assert_one_line_error(&out, "beyond --max-memory");
    assert!(line.contains("needs about") && line.contains("X 74.5 GiB") && line.contains("8.0 GiB"), "{line}");
    // The issue's example, beyond the available memory: X alone is 8·10¹⁰ B and the n×n solver
    // buffers 4·8·10¹⁰ B more (unless this machine has that much free).
    if mem_available().is_some_and(|a| a < 400_000_000_000) {
        let line = assert_one_line_error(&run(&["run", "--n", "100000", "--d", "100000", "--steps", "1"]), "available");
        assert!(line.contains("available") && line.contains("--max-memory"), "{line}");
    }
    // A --data file beyond the limit is refused before it is read.
    let dir = scratch("budget");
    let file = dir.join("data.json");
    std::fs::write(&file, r#"{"x": [[1, 2, 3], [4, 5, 7]], "y": [1, 2]}"#).unwrap();
    let line = assert_one_line_error(
        &run(&["run", "--data", file.to_str().unwrap(), "--max-memory", "16"]),
        "--data beyond --max-memory",
    );
    assert!(line.contains("needs about") && line.contains("16 B"), "{line}");
    // A limit the run fits in lets it run; a malformed limit is a usage error.
    let v = json_of(&run(&["run", "--steps", "100", "--max-memory", "64MiB", "--json"]));
    assert_eq!(v["steps"], 100);
    assert_one_line_error(&run(&["run", "--max-memory", "lots"]), "bad --max-memory");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The vector-valued keys of `run --json`.
const VECTORS: &[&str] = &["beta", "gain", "alpha_inf", "beta_tilde0"];

#[test]
fn non_finite_results_say_diverged_in_json_and_in_text() {
    // γ = 1e300: β overflows in the first step, after which SGD's budget of one step ends
    // before its next loss check; GD checks every step.
    for batch in ["1", "2", "20"] {
        let args = ["run", "--batch", batch, "--steps", "1", "--stepsize", "1e300"];
        let v = json_of(&run(&[&args[..], &["--json"]].concat()));
        assert_eq!(v["status"], "diverged", "batch {batch}");
        assert!(v["notes"][0].as_str().unwrap().starts_with("the run diverged"), "batch {batch}: {}", v["notes"]);
        let out = run(&args);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.ends_with("diverged after 1 steps"), "batch {batch}: {text}");
        assert!(text.contains("note: the run diverged") && text.contains("‖Gain‖₁           n/a"), "{text}");
    }
    // Whatever the outcome, a null in a vector or a loss comes with the status `diverged`.
    for args in
        [&["--stepsize", "0.3", "--batch", "1", "--seed", "3"][..], &["--stepsize", "0.05"], &["--stepsize", "1e-3"]]
    {
        let v = json_of(&run(&[&["run", "--steps", "3000", "--json"][..], args].concat()));
        let has_null = |key: &str| v[key].is_null() || v[key].as_array().is_some_and(|a| a.iter().any(|x| x.is_null()));
        let nulls: Vec<&&str> = VECTORS.iter().chain(&["train_loss", "test_risk"]).filter(|k| has_null(k)).collect();
        assert!(nulls.is_empty() || v["status"] == "diverged", "{args:?}: nulls in {nulls:?}, status {}", v["status"]);
    }
}

#[test]
fn data_whose_products_overflow_is_an_input_error() {
    let dir = scratch("overflow");
    let file = dir.join("data.json");
    let cases = [
        (
            "entries of 1e308, y = 0 (converged with λ_max null)",
            r#"{"x": [[1e308, 1e308, 2], [1, 1e308, 3]], "y": [0, 0]}"#,
        ),
        ("entries of 1e200", r#"{"x": [[1e200, 1e200, 2], [1, 1e200, 3]], "y": [1, 2]}"#),
        ("‖x‖² finite, its square not", r#"{"x": [[1e153, 1, 1], [1, 1e153, 1]], "y": [1e50, 1e50]}"#),
        ("y of 1e200", r#"{"x": [[1, 2, 3], [4, 5, 7]], "y": [1e200, 1]}"#),
    ];
    for (what, text) in cases {
        std::fs::write(&file, text).unwrap();
        for json in [false, true] {
            let mut args = vec!["run", "--data", file.to_str().unwrap()];
            if json {
                args.push("--json");
            }
            let line = assert_one_line_error(&run(&args), what);
            assert!(line.contains("too large"), "{what}: {line}");
        }
    }
    // Large but usable entries are accepted.
    std::fs::write(&file, r#"{"x": [[1e70, 2, 3], [4, 1e70, 7]], "y": [1, 2]}"#).unwrap();
    let v = json_of(&run(&["run", "--data", file.to_str().unwrap(), "--steps", "10", "--json"]));
    assert!(v["lambda_max"].as_f64().is_some_and(|l| l > 1e139), "{}", v["lambda_max"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_checks_its_design_sigma_ratio_and_schedule_options_in_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--stepsize", "0.1", "--gamma-ratio", "0.5"], "--gamma-ratio"),
        (&["run", "--gamma-ratio", "0.5", "--tol", "0"], "tol"),
        (&["run", "--gamma-ratio", "-1"], "gamma_ratio"),
        (&["run", "--schedule", "linear"], "unknown schedule"),
        (&["run", "--schedule", "cosine:2:10"], "gamma_final"),
        (&["run", "--design", "cauchy"], "unknown design"),
        (&["run", "--sigma", "1,2"], "sigma"),
        (&["run", "--sigma", "0"], "sigma"),
    ];
    for (args, expected) in cases {
        let line = assert_one_line_error(&run(args), &args.join(" "));
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    // γ = ratio · γ_max, and γ_max is the largest stepsize that converges: the run at ratio 0.5 does.
    let json = json_of(&run(&["run", "--gamma-ratio", "0.5", "--tol", "1e-10", "--json", "--schedule", "warm_up:10"]));
    let (gamma, gamma_max) =
        (json["config"]["stepsize"].as_f64().unwrap(), json["config"]["gamma_max"].as_f64().unwrap());
    assert_eq!(gamma, 0.5 * gamma_max);
    assert_eq!(json["status"], "converged");
    assert_eq!(json["config"]["schedule"], "warm_up:10");
}

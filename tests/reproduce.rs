//! `reproduce` end to end, through the library entry point `dln_report::cli::reproduce`:
//! bitwise-identical outputs with 1 and 2 threads for every experiment (quick configurations),
//! the files each experiment writes, and atomicity (earlier results survive a failed run; no
//! temporary file is left behind).

use std::fs;
use std::path::{Path, PathBuf};

use dln_report::cli::{ReproduceArgs, reproduce};
use dln_report::experiments::{ALL, Options};
use dln_report::output::{loads_remote_scripts, names};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-tests-reproduce-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Quick, quiet, no book and no static images (those are checked by `just static`).
fn args(out: &Path, threads: usize) -> ReproduceArgs {
    ReproduceArgs {
        quick: true,
        out: out.to_path_buf(),
        threads: Some(threads),
        no_book: true,
        no_static: true,
        quiet: true,
        ..ReproduceArgs::default()
    }
}

/// Every file below `dir` (relative paths, sorted).
fn files(dir: &Path) -> Vec<PathBuf> {
    dln_report::output::files::below(dir).unwrap()
}

/// Every experiment reproduced (quick) once with 1 and once with 2 threads: the outputs are
/// bitwise identical, and each experiment wrote exactly its documented files (one test, so the
/// ~150 MB of outputs are removed at its end).
#[test]
fn every_experiment_reproduces_bitwise_with_one_and_two_threads() {
    let root = scratch("threads");
    let (one, two) = (root.join("one"), root.join("two"));
    reproduce(&args(&one, 1)).unwrap_or_else(|e| panic!("reproduce with 1 thread: {e:#}"));
    reproduce(&args(&two, 2)).unwrap_or_else(|e| panic!("reproduce with 2 threads: {e:#}"));

    for e in ALL {
        for name in [names::PARQUET, names::CSV, names::SUMMARY, names::CONFIG, names::HTML, names::FIGURE_JSON] {
            let a = fs::read(one.join(e.name).join(name)).unwrap();
            let b = fs::read(two.join(e.name).join(name)).unwrap();
            assert!(a == b, "{}/{name} differs between 1 and 2 threads", e.name);
        }
    }

    let mut expected: Vec<PathBuf> = vec![PathBuf::from("timings.json")];
    for e in ALL {
        for name in [names::PARQUET, names::CSV, names::HTML, names::FIGURE_JSON, names::CONFIG, names::SUMMARY] {
            expected.push(Path::new(e.name).join(name));
        }
        // Plus, once for all figures, the scripts each figure.html loads from ../assets/.
        let html = fs::read_to_string(one.join(e.name).join(names::HTML)).unwrap();
        let scripts: Vec<&str> = html.split("<script src=\"../").skip(1).filter_map(|s| s.split('"').next()).collect();
        assert!(
            scripts.first().is_some_and(|s| s.starts_with("assets/plotly")),
            "{}: figure.html loads plotly.js from ../assets/ ({scripts:?})",
            e.name
        );
        expected.extend(scripts.into_iter().map(PathBuf::from).filter(|p| !expected.contains(p)).collect::<Vec<_>>());
    }
    expected.sort();
    assert_eq!(files(&one), expected, "exactly the documented files, no temporary file left behind");
    for e in ALL {
        let dir = one.join(e.name);
        let html = fs::read_to_string(dir.join(names::HTML)).unwrap();
        assert!(!loads_remote_scripts(&html), "{}: figure.html must render offline", e.name);
        assert!(html.len() < 1_000_000, "{}: plotly.js is not embedded inline", e.name);
        let figure: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(names::FIGURE_JSON)).unwrap()).unwrap();
        assert!(figure["data"].as_array().is_some_and(|d| !d.is_empty()), "{}: figure.json has traces", e.name);
        let config: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(names::CONFIG)).unwrap()).unwrap();
        let expected = (e.config)(&Options { quick: true, overrides: None }).unwrap();
        assert_eq!(config, expected, "{}: config.json is the configuration used", e.name);
        let summary: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(names::SUMMARY)).unwrap()).unwrap();
        assert!(summary.is_object(), "{}: summary.json is an object", e.name);
        let csv = fs::read_to_string(dir.join(names::CSV)).unwrap();
        assert!(csv.lines().count() > 1, "{}: data.csv has a header and rows", e.name);
    }
    let timings: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(one.join("timings.json")).unwrap()).unwrap();
    let timed: Vec<&str> =
        timings["experiments"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(timed, ALL.iter().map(|e| e.name).collect::<Vec<_>>());
    assert_eq!(timings["threads"], 1);
    fs::remove_dir_all(&root).unwrap();
}

/// `--standalone-html`: figure.html embeds plotly.js, nothing is written to assets/.
#[test]
fn standalone_html_is_one_self_contained_file() {
    let dir = scratch("standalone");
    let first = ALL[0].name;
    reproduce(&ReproduceArgs { only: vec![first.to_string()], standalone_html: true, ..args(&dir, 1) }).unwrap();
    let html = fs::read_to_string(dir.join(first).join(names::HTML)).unwrap();
    assert!(html.len() > 4_000_000 && html.contains("plotly.js v3"), "plotly.js is embedded inline");
    assert!(!loads_remote_scripts(&html) && !html.contains("../assets/"));
    assert!(!dir.join(names::ASSETS).exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn earlier_results_survive_a_failed_run() {
    let dir = scratch("atomic");
    let first = ALL[0].name;
    let kept = dir.join(first).join(names::CSV);
    fs::create_dir_all(kept.parent().unwrap()).unwrap();
    fs::write(&kept, "earlier result\n").unwrap();
    let config = dir.join("config.toml");

    // An invalid override fails before any work.
    fs::write(&config, format!("[{first}]\nno_such_parameter = 1\n")).unwrap();
    let err =
        reproduce(&ReproduceArgs { only: vec![first.to_string()], config: Some(config.clone()), ..args(&dir, 1) })
            .expect_err("an unknown key is rejected");
    assert!(format!("{err:#}").contains("no_such_parameter"), "{err:#}");

    // A value that passes parsing but makes the experiment fail while running (its data have no
    // samples): the experiment fails, its earlier files stay as they were.
    fs::write(&config, format!("[{first}]\nn = 0\n")).unwrap();
    let err =
        reproduce(&ReproduceArgs { only: vec![first.to_string()], config: Some(config.clone()), ..args(&dir, 1) })
            .expect_err("n = 0 makes the experiment fail");
    assert!(format!("{err:#}").contains(first), "{err:#}");

    assert_eq!(fs::read_to_string(&kept).unwrap(), "earlier result\n");
    let mut left = files(&dir);
    left.retain(|p| p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".tmp")));
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    fs::remove_dir_all(&dir).unwrap();
}

/// A value out of range in the last experiment's table, or in a nested `setting` table, fails
/// before any experiment runs: one line naming the table and the key, and nothing written.
#[test]
fn a_bad_value_anywhere_in_the_config_fails_before_any_work() {
    let last = ALL.last().expect("experiments").name;
    let cases = [
        (format!("[{last}]\ntol = -1.0\n"), vec![last, "tol"]),
        ("[generalization.setting]\nalpha = -0.5\n".to_owned(), vec!["generalization", "alpha"]),
        ("[gain_scale.sweep]\ngrid_lo = 2.0\n".to_owned(), vec!["gain_scale", "grid_lo"]),
        ("[generalization]\ndatasets = \"four\"\n".to_owned(), vec!["generalization", "datasets"]),
    ];
    for (i, (toml, names)) in cases.iter().enumerate() {
        let dir = scratch(&format!("bad-config-{i}"));
        let config = dir.join("bad.toml");
        fs::write(&config, toml).unwrap();
        let out = dir.join("results");
        let err = reproduce(&ReproduceArgs { config: Some(config), ..args(&out, 1) }).expect_err("rejected");
        let msg = format!("{err:#}");
        assert!(!msg.contains('\n'), "case {i}: multi-line error: {msg}");
        for name in names {
            assert!(msg.contains(name), "case {i}: the error does not name `{name}`: {msg}");
        }
        assert!(!out.exists(), "case {i}: something was written before the configuration was rejected");
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! The notebooks (`notebooks/*.ipynb`): committed clean, thin over the crates, and — once executed by
//! `scripts/notebooks.sh` — printing exactly the report's numbers.
//!
//! Two kinds of checks:
//! - static (always, no kernel needed): every chapter has its notebook, committed with cleared outputs,
//!   using the workspace's crates by path and only the workspace's crate versions;
//! - executed (only when `DLN_NOTEBOOK_RESULTS` names the folder of executed notebooks, as
//!   `scripts/notebooks.sh` does right after executing them): every `HEADLINE <experiment> <json>` line a
//!   notebook printed equals the report's own run of that experiment — same configuration (the
//!   experiment's `quick()`), same summary after [`dln_report::snap::round_json`].
//!
//! The executed check is opt-in rather than "whenever `results/notebooks/` exists" so that a stale
//! executed copy left in a working tree never fails an unrelated `cargo test`; CI gets the real check
//! because it runs `just notebooks` (which sets the variable) after `cargo test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dln_report::experiments::{Options, find};
use dln_report::snap::round_json;
use serde_json::Value;

/// The notebooks, in the book's order, and the experiments whose headline numbers each must print.
const NOTEBOOKS: &[(&str, &[&str])] = &[
    ("01-why", &["generalization"]),
    ("03-theorem1", &["theorem1_alpha"]),
    ("04-theorem2", &["theorem2_check"]),
    ("05-gain-scale", &["gain_scale"]),
    ("06-gain-shape", &["gain_shape"]),
    ("07-edge-of-stability", &["edge_of_stability", "eos_window"]),
    ("08-estimated-parameters", &["estimated_parameters"]),
    ("09-beyond", &["uncentered", "explorer", "schedules"]),
    ("10-gain-law", &["gain_law", "anisotropy", "label_noise"]),
    ("11-phase-diagram", &["phase_diagram"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

fn notebook(name: &str) -> Value {
    read_json(&root().join("notebooks").join(format!("{name}.ipynb")))
}

fn cells(nb: &Value) -> &[Value] {
    nb["cells"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// A cell's source (a string or a list of lines in nbformat).
fn source(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

fn code_cells(nb: &Value) -> impl Iterator<Item = (usize, &Value)> {
    cells(nb).iter().enumerate().filter(|(_, c)| c["cell_type"] == "code")
}

#[test]
fn every_chapter_has_its_notebook_and_nothing_else_is_there() {
    let mut on_disk: Vec<String> = std::fs::read_dir(root().join("notebooks"))
        .expect("notebooks/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".ipynb").map(str::to_owned))
        .collect();
    on_disk.sort();
    let expected: Vec<String> = NOTEBOOKS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(on_disk, expected, "notebooks/*.ipynb must be exactly the chapters listed in tests/notebooks.rs");
    for (_, experiments) in NOTEBOOKS {
        for name in *experiments {
            find(name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// nbformat 4.5 gives every cell an `id`, unique in its notebook; Jupyter warns on a cell without one
/// and rewrites the file when it is saved.
#[test]
fn every_cell_has_a_unique_id() {
    for (name, _) in NOTEBOOKS {
        let nb = notebook(name);
        let mut seen = std::collections::BTreeSet::new();
        for (i, cell) in cells(&nb).iter().enumerate() {
            let id = cell["id"].as_str().unwrap_or_else(|| panic!("{name}: cell {i} has no id"));
            assert!(seen.insert(id.to_owned()), "{name}: cell {i} repeats the id {id:?}");
        }
    }
}

#[test]
fn committed_notebooks_have_cleared_outputs() {
    for (name, _) in NOTEBOOKS {
        let nb = notebook(name);
        assert_eq!(nb["nbformat"], 4, "{name}: nbformat 4 expected");
        assert_eq!(nb["metadata"]["kernelspec"]["name"], "rust", "{name}: the kernel must be evcxr's `rust`");
        assert!(code_cells(&nb).count() > 0, "{name}: no code cell");
        for (i, cell) in code_cells(&nb) {
            let outputs = cell["outputs"].as_array().map_or(0, Vec::len);
            assert_eq!(outputs, 0, "{name}: cell {i} has outputs; clear them (scripts/check_notebooks.py clear)");
            assert!(cell["execution_count"].is_null(), "{name}: cell {i} has an execution count; clear it");
        }
    }
}

/// `(crate, requirement)` of every `:dep crate = "requirement"` / `{ version = "…" }` / `{ path = "…" }`.
fn deps(nb: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (_, cell) in code_cells(nb) {
        for line in source(cell).lines() {
            let Some(rest) = line.trim().strip_prefix(":dep ") else { continue };
            let (krate, spec) = rest.split_once('=').unwrap_or((rest, ""));
            found.push((krate.trim().to_owned(), spec.trim().to_owned()));
        }
    }
    found
}

#[test]
fn notebooks_use_the_workspace_crates_and_versions() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("workspace Cargo.toml");
    for (name, _) in NOTEBOOKS {
        let deps = deps(&notebook(name));
        assert!(
            deps.iter().any(|(k, s)| k == "dln" && s.replace(' ', "") == r#"{path="../crates/dln"}"#),
            "{name}: must `:dep dln = {{ path = \"../crates/dln\" }}`"
        );
        for (krate, spec) in &deps {
            if spec.contains("path") {
                let expected = match krate.as_str() {
                    "dln" => "../crates/dln",
                    "dln-report" => "../crates/report",
                    other => panic!("{name}: unexpected path dependency `{other}`"),
                };
                assert!(spec.contains(expected), "{name}: `{krate}` must come from {expected}");
                continue;
            }
            // Any other crate must be a workspace dependency, with the workspace's requirement.
            let version = spec.trim_matches('"');
            let plain = format!("\n{krate} = \"{version}\"");
            let table = format!("\n{krate} = {{ version = \"{version}\"");
            assert!(
                manifest.contains(&plain) || manifest.contains(&table),
                "{name}: `:dep {krate} = {spec}` is not the workspace's requirement for `{krate}`"
            );
        }
    }
}

/// The `HEADLINE <experiment> <json>` lines of an executed notebook, by experiment.
fn headlines(nb: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for (_, cell) in code_cells(nb) {
        for output in cell["outputs"].as_array().into_iter().flatten() {
            if output["output_type"] != "stream" || output["name"] != "stdout" {
                continue;
            }
            let text = source(&serde_json::json!({ "source": output["text"] }));
            for line in text.lines() {
                let Some(rest) = line.strip_prefix("HEADLINE ") else { continue };
                let (name, json) = rest.split_once(' ').unwrap_or_else(|| panic!("malformed headline: {line}"));
                let value: Value = serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("headline of `{name}` is not JSON ({e}): {json}"));
                assert!(found.insert(name.to_owned(), value).is_none(), "`{name}` headlined twice");
            }
        }
    }
    found
}

#[test]
fn executed_notebooks_print_the_reports_numbers() {
    let Some(dir) = std::env::var_os("DLN_NOTEBOOK_RESULTS") else {
        println!(
            "note: executed-notebook comparison skipped (set by scripts/notebooks.sh / `just notebooks`, \
             which needs evcxr_jupyter and a Jupyter client)"
        );
        return;
    };
    let dir = PathBuf::from(dir);
    // scripts/notebooks.sh may execute a subset: DLN_NOTEBOOKS lists their names (all by default).
    let selected: Option<Vec<String>> =
        std::env::var("DLN_NOTEBOOKS").ok().map(|s| s.split_whitespace().map(str::to_owned).collect());
    let mut compared = 0;
    for (name, experiments) in NOTEBOOKS {
        if selected.as_ref().is_some_and(|s| !s.iter().any(|n| n == name)) {
            continue;
        }
        let path = dir.join(format!("{name}.ipynb"));
        assert!(path.exists(), "{} is missing: run `just notebooks`", path.display());
        let printed = headlines(&read_json(&path));
        let names: Vec<&str> = printed.keys().map(String::as_str).collect(); // sorted (BTreeMap)
        let mut expected = experiments.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "{name}: the experiments it headlines");
        for experiment in *experiments {
            let entry = find(experiment).expect("registered");
            let output = (entry.execute)(&Options { quick: true, overrides: None })
                .unwrap_or_else(|e| panic!("{experiment}: {e:#}"));
            let line = &printed[*experiment];
            assert_eq!(
                line["config"], output.config,
                "{name}: `{experiment}` must run the experiment's quick() configuration, unchanged"
            );
            assert_eq!(
                line["summary"],
                round_json(&output.summary),
                "{name}: `{experiment}`'s numbers differ from the report's (re-run `just notebooks` if the \
                 experiment changed)"
            );
            println!("{name}: {experiment} matches the report");
            compared += 1;
        }
    }
    assert!(compared > 0, "no notebook compared");
}

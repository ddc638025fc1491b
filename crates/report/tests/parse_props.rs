//! Malformed input never panics and always fails in one line: property tests feed `run --data`'s
//! parser ([`parse_data`]) broken JSON, and every experiment's configuration
//! ([`dln_report::experiments::find`] and `Entry::config`, what `reproduce --config` calls) broken
//! TOML tables — wrong types, ragged rows, NaN/inf strings, huge numbers, empty tables, unknown
//! keys, deep nesting; a handful of real command lines check the exit code and the single line on
//! stderr end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

use dln_report::cli::run::parse_data;
use dln_report::experiments::{ALL, Options, find};
use proptest::prelude::*;
use proptest::sample::select;

/// The error as the command line prints it must already be one line: no newline anywhere.
fn assert_one_line(e: &anyhow::Error, input: &str) -> Result<(), TestCaseError> {
    let msg = format!("{e:#}");
    prop_assert!(!msg.trim().is_empty(), "empty error for {input:?}");
    prop_assert!(!msg.contains('\n') && !msg.contains('\r'), "multi-line error {msg:?} for {input:?}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// `--data` JSON

/// One JSON token where a number belongs: valid numbers, numbers out of f64's range, NaN and
/// infinities spelled in every way JSON forbids, and values of the wrong type.
fn entry_token() -> impl Strategy<Value = String> {
    let odd = [
        "1e308",
        "-1e308",
        "1.7976931348623157e308",
        "1e400",
        "-1e999",
        "1e-400",
        "5e-324",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "\"NaN\"",
        "\"inf\"",
        "\"-Infinity\"",
        "\"1.5\"",
        "null",
        "true",
        "{}",
        "[]",
        "[1]",
        "{\"x\": 1}",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "0x10",
        "1e",
        "",
        "1 2",
    ];
    prop_oneof![
        3 => any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(|x| format!("{x:?}")),
        1 => any::<i64>().prop_map(|x| x.to_string()),
        1 => "[1-9][0-9]{20,400}",
        3 => select(odd.to_vec()).prop_map(str::to_string),
    ]
}

/// An array of `entry_token`s, or something else where an array belongs.
fn array_of_tokens() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(entry_token(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => entry_token(),
    ]
}

/// A `--data` document with every key optional, mistyped, ragged or extra.
fn data_document() -> impl Strategy<Value = String> {
    let x = prop_oneof![
        4 => prop::collection::vec(array_of_tokens(), 0..6).prop_map(|rows| format!("[{}]", rows.join(", "))),
        1 => entry_token(),
    ];
    let key = select(vec!["x", "y", "beta_star", "X", "config", "", "x "]);
    let extra = prop::collection::vec((key, array_of_tokens()), 0..3);
    (prop::option::of(x), prop::option::of(array_of_tokens()), prop::option::of(array_of_tokens()), extra).prop_map(
        |(x, y, beta_star, extra)| {
            let mut parts = Vec::new();
            for (k, v) in [("x", x), ("y", y), ("beta_star", beta_star)] {
                if let Some(v) = v {
                    parts.push(format!("\"{k}\": {v}"));
                }
            }
            parts.extend(extra.into_iter().map(|(k, v)| format!("\"{k}\": {v}")));
            format!("{{{}}}", parts.join(", "))
        },
    )
}

/// A valid document cut short, nested deeply, not an object, or any text at all.
fn broken_text() -> impl Strategy<Value = String> {
    let valid = r#"{"x": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], "y": [1.0, -2.0], "beta_star": null}"#;
    prop_oneof![
        (0..valid.len()).prop_map(move |i| valid[..i].to_string()),
        (1usize..20_000).prop_map(|depth| format!("{{\"x\": {}{}, \"y\": [1]}}", "[".repeat(depth), "]".repeat(depth))),
        (1usize..20_000).prop_map(|depth| "[".repeat(depth)),
        select(vec!["[1, 2]", "3", "\"x\"", "null", "", " ", "{}", "{\"x\": []}", "{\"x\": [[]], \"y\": []}"])
            .prop_map(str::to_string),
        ".*",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn data_documents_parse_or_fail_in_one_line(text in prop_oneof![3 => data_document(), 1 => broken_text()]) {
        match parse_data(&text, "--data data.json", 0.0) {
            Err(e) => assert_one_line(&e, &text)?,
            Ok(problem) => {
                prop_assert!(problem.n() >= 1 && problem.d() >= 1 && problem.y.len() == problem.n());
                prop_assert!(problem.x.iter().chain(&problem.y).all(|v| v.is_finite()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `--config` TOML tables

/// A TOML leaf of any type, with NaN, infinities, extreme integers and number-like strings.
fn toml_leaf() -> impl Strategy<Value = toml::Value> {
    use toml::Value as T;
    let strings = ["NaN", "nan", "inf", "-inf", "1e400", "", "1", "0.5", "generalization", "iid"];
    prop_oneof![
        any::<i64>().prop_map(T::Integer),
        select(vec![0i64, -1, 1, i64::MAX, i64::MIN, 1 << 53]).prop_map(T::Integer),
        any::<f64>().prop_map(T::Float),
        select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e308, -1e308, 5e-324, 0.0, -0.0]).prop_map(T::Float),
        select(strings.to_vec()).prop_map(|s| T::String(s.to_string())),
        any::<String>().prop_map(T::String),
        any::<bool>().prop_map(T::Boolean),
        Just(T::Datetime("1979-05-27T07:32:00Z".parse().expect("a TOML datetime"))),
        Just(T::Table(toml::Table::new())),
        Just(T::Array(Vec::new())),
    ]
}

/// Keys: every key of every experiment's configuration (at any depth), and unknown ones.
fn config_keys() -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    walk(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut keys: Vec<String> =
        ["", "no_such_key", "Seeds", "quick", "0", "a\nb", "\r", "tab\there", "ünïcode"].map(String::from).to_vec();
    for e in ALL {
        walk(&(e.config)(&Options { quick: false, overrides: None }).expect("default configuration"), &mut keys);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// A TOML tree: leaves, arrays and tables (keys real or unknown), a few levels deep.
fn toml_tree(keys: Vec<String>) -> impl Strategy<Value = toml::Value> {
    toml_leaf().prop_recursive(5, 48, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            prop::collection::btree_map(select(keys.clone()), inner, 0..4)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `table`.
fn paths(table: &toml::Table, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (k, v) in table {
        prefix.push(k.clone());
        out.push(prefix.clone());
        if let toml::Value::Table(t) = v {
            paths(t, prefix, out);
        }
        prefix.pop();
    }
}

/// Replaces the value at `path` inside `table`.
fn replace(table: &mut toml::Table, path: &[String], with: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), with);
        }
        [first, rest @ ..] => {
            if let Some(toml::Value::Table(t)) = table.get_mut(first) {
                replace(t, rest, with);
            }
        }
    }
}

/// A chain of tables `depth` deep under `key`.
fn nested(key: &str, depth: usize) -> toml::Table {
    let mut v = toml::Value::Integer(1);
    for _ in 0..depth {
        let mut t = toml::Table::new();
        t.insert(key.to_string(), v);
        v = toml::Value::Table(t);
    }
    let mut top = toml::Table::new();
    top.insert(key.to_string(), v);
    top
}

/// The overrides of one experiment: its real configuration with one value replaced, a random
/// table, an empty table, or a deep chain of tables.
fn overrides() -> impl Strategy<Value = (usize, bool, toml::Table)> {
    let keys = config_keys();
    let real = (0..ALL.len(), any::<bool>(), any::<prop::sample::Index>(), toml_tree(keys.clone())).prop_map(
        |(i, quick, at, with)| {
            let json = (ALL[i].config)(&Options { quick, overrides: None }).expect("its configuration");
            let mut table = toml::Table::try_from(&json).unwrap_or_default();
            let mut all = Vec::new();
            paths(&table, &mut Vec::new(), &mut all);
            if !all.is_empty() {
                replace(&mut table, &all[at.index(all.len())], with);
            }
            (i, quick, table)
        },
    );
    let random =
        (0..ALL.len(), any::<bool>(), prop::collection::btree_map(select(keys.clone()), toml_tree(keys.clone()), 0..5))
            .prop_map(|(i, quick, m)| (i, quick, m.into_iter().collect()));
    let deep = (0..ALL.len(), select(keys), 1usize..3_000).prop_map(|(i, key, depth)| (i, false, nested(&key, depth)));
    prop_oneof![4 => real, 3 => random, 1 => deep, 1 => (0..ALL.len()).prop_map(|i| (i, true, toml::Table::new()))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn config_tables_validate_or_fail_in_one_line((i, quick, table) in overrides()) {
        let shown = format!("{table:?}");
        let entry = find(ALL[i].name).expect("a listed experiment");
        if let Err(e) = (entry.config)(&Options { quick, overrides: Some(table) }) {
            assert_one_line(&e, &shown)?;
        }
    }

    #[test]
    fn experiment_names_resolve_or_fail_in_one_line(name in prop_oneof![select(ALL.iter().map(|e| e.name).collect::<Vec<_>>()).prop_map(String::from), ".*"]) {
        match find(&name) {
            Ok(entry) => prop_assert_eq!(entry.name, name.as_str()),
            Err(e) => assert_one_line(&e, &name)?,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// End to end

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dln-report-parse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Non-zero exit, nothing on stdout, exactly one line on stderr (an `error:`), no panic text.
fn assert_fails_in_one_line(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what}: expected failure; stderr: {stderr}");
    assert!(out.status.code().is_some(), "{what}: killed by a signal ({:?}); stderr: {stderr}", out.status);
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
    assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: stdout should be empty");
}

#[test]
fn malformed_data_files_fail_in_one_line_on_the_command_line() {
    let dir = scratch("data");
    let deep = format!("{{\"x\": {}{}, \"y\": [1]}}", "[".repeat(100_000), "]".repeat(100_000));
    let cases = [
        ("ragged rows", r#"{"x": [[1, 2], [3]], "y": [1, 2]}"#.to_string()),
        ("NaN string", r#"{"x": [[1, "NaN"]], "y": [1]}"#.to_string()),
        ("bare NaN", r#"{"x": [[1, NaN]], "y": [1]}"#.to_string()),
        ("number beyond f64", r#"{"x": [[1, 1e400]], "y": [1]}"#.to_string()),
        ("wrong type of y", r#"{"x": [[1, 2]], "y": {"a": 1}}"#.to_string()),
        ("empty x", r#"{"x": [], "y": []}"#.to_string()),
        ("deep nesting", deep),
    ];
    for (what, text) in cases {
        let file = dir.join("data.json");
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dln-report"))
            .args(["run", "--steps", "10", "--data", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert_fails_in_one_line(&out, what);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_config_files_fail_in_one_line_on_the_command_line() {
    let dir = scratch("config");
    let out_dir = dir.join("results");
    let deep_array = format!("[generalization]\nseeds = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let deep_tables = format!("[generalization.{}]\n", vec!["a"; 5_000].join("."));
    let cases = [
        ("wrong type", "[generalization]\nseed = \"one\"\n".to_string()),
        ("NaN string", "[theorem1_alpha]\nseed = \"NaN\"\n".to_string()),
        ("huge integer", "[generalization]\nseed = 99999999999999999999999\n".to_string()),
        ("unknown key", "[generalization]\nno_such_parameter = 1\n".to_string()),
        ("unknown experiment, empty table", "[nope]\n".to_string()),
        ("deeply nested array", deep_array),
        ("deeply nested tables", deep_tables),
        ("inline table instead of a value", "[generalization]\nseed = { a = 1 }\n".to_string()),
    ];
    for (what, text) in cases {
        let file = dir.join("config.toml");
        std::fs::write(&file, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dln-report"))
            .args(["reproduce", "--quick", "--only", "theorem1_alpha", "--no-book", "--no-static", "--quiet"])
            .args(["--config", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_fails_in_one_line(&out, what);
        assert!(!out_dir.exists(), "{what}: nothing is written before the configuration is valid");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

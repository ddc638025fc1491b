//! Markdown tables generated from the report's JSON (an experiment's `summary.json`, every
//! experiment's `config.json`), so that no number in the book is typed by hand.
//!
//! A summary is a JSON object; its shape decides the layout, generically:
//! - numbers, strings, booleans and short lists of them → one *quantity | value* table (nested
//!   objects of such values appear as `outer: inner` rows, every key shown as a human [`label`]);
//! - an object of objects with scalar fields (e.g. `{"GD": {"median": …}, "SGD": {…}}`) → a table
//!   with one row per outer key and one column per field;
//! - a list of objects (records) → a table with one row per record; an object of such lists → the
//!   same with the outer key as the first column.
//!
//! Numbers are rounded by the report's one helper ([`crate::snap::round_sig`] to
//! [`crate::snap::SIG_DIGITS`] digits, as the snapshots pin them); `null` (e.g. a diverged run) is
//! shown as "—".

use anyhow::{Result, bail};
use serde_json::{Map, Value};

use crate::experiments::Entry;
use crate::snap::{SIG_DIGITS, round_sig};

/// Tables with more rows than this are collapsed under their title (`<details>`).
const LONG_TABLE: usize = 12;

/// Lists longer than this are shown as their first entries, "…", and the last one.
const LIST_MAX: usize = 8;

/// A number as shown in the book (rounded to [`SIG_DIGITS`] significant digits).
pub fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let x = round_sig(n.as_f64().unwrap_or(f64::NAN), SIG_DIGITS);
    let a = x.abs();
    if x == 0.0 || (1e-4..1e6).contains(&a) { format!("{x}") } else { format!("{x:e}") }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// A scalar or a list of scalars.
fn is_flat(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(is_scalar),
        Value::Object(_) => false,
        _ => true,
    }
}

fn is_record(v: &Value) -> bool {
    matches!(v, Value::Object(o) if o.values().all(is_flat))
}

fn is_records(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(is_record))
}

/// A value as table-cell text (Markdown-safe: no `|`, no newline).
pub fn cell(v: &Value) -> String {
    let text = match v {
        Value::Null => "—".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let shown: Vec<String> = if a.len() > LIST_MAX {
                let mut head: Vec<String> = a[..LIST_MAX - 2].iter().map(cell).collect();
                head.push("…".into());
                head.push(cell(&a[a.len() - 1]));
                head
            } else {
                a.iter().map(cell).collect()
            };
            let count = if a.len() > LIST_MAX { format!(" ({} values)", a.len()) } else { String::new() };
            format!("[{}]{count}", shown.join(", "))
        }
        Value::Object(o) => serde_json::to_string(o).unwrap_or_default(),
    };
    text.replace('|', "\\|").replace('\n', " ").replace('$', "\\$")
}

fn code(key: &str) -> String {
    format!("`{key}`")
}

/// A summary key as a human label: the paper's symbols for the names the code uses (`gamma_max` →
/// "γ_max", `gain_l1` → "‖Gain‖₁", `l1_error` → "ℓ1 error ‖β − β*‖₁"), otherwise its words with
/// the symbols substituted (`median_risk_ratio_largest_gamma` → "median risk ratio largest γ"). A key
/// that is already a label (a space or a capital in it, e.g. "SGD (b = 1)") is kept.
pub fn label(key: &str) -> String {
    let known = match key {
        "gamma_max" => "γ_max",
        "gamma_over_gamma_max" | "fraction" => "γ / γ_max",
        "gamma" => "γ",
        "alpha" => "α",
        "gain_l1" => "‖Gain‖₁",
        "gain_cv" => "gain CV (std / mean over coordinates)",
        "test_risk" => "test risk R(β)",
        "l1_error" => "ℓ1 error ‖β − β*‖₁",
        "l1_norm" => "‖β‖₁",
        "off_support_l1" => "ℓ1 mass off the support of β*",
        "err_gf" => "‖β∞ − β*_α‖₂ (gradient flow)",
        "err_without_tilde" => "‖β∞ − argmin ψ_α∞‖₂ (β̃₀ dropped)",
        "dist_min_l1" => "distance to the min-ℓ1 interpolator",
        "dist_min_l2" => "distance to the min-ℓ2 interpolator",
        "q25" => "25th percentile",
        "q75" => "75th percentile",
        "max_steps" => "out of step budget",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    if key.contains(' ') || key.chars().any(char::is_uppercase) {
        return key.to_string();
    }
    let words: Vec<&str> = key
        .split('_')
        .map(|w| match w {
            "gamma" => "γ",
            "alpha" => "α",
            "beta" => "β",
            "l1" => "ℓ1",
            "l2" => "ℓ2",
            "gd" => "GD",
            "sgd" => "SGD",
            "gf" => "gradient flow",
            "cv" => "CV",
            "b1" => "b = 1",
            "eos" => "edge of stability",
            "err" => "error",
            "dist" => "distance",
            "le" => "≤",
            other => other,
        })
        .collect();
    words.join(" ")
}

fn columns<'a>(rows: impl Iterator<Item = &'a Map<String, Value>>) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    cols
}

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}

/// `{"GD": {..}, "SGD": {..}}` (every value a record) or `{"GD": [{..}], ..}` (every value records).
enum Grouped<'a> {
    Records(&'a Map<String, Value>),
    RecordLists(&'a Map<String, Value>),
}

fn grouped(v: &Value) -> Option<Grouped<'_>> {
    let Value::Object(o) = v else { return None };
    if o.is_empty() || o.values().all(is_flat) {
        return None;
    }
    if o.values().all(is_record) {
        Some(Grouped::Records(o))
    } else if o.values().all(is_records) {
        Some(Grouped::RecordLists(o))
    } else {
        None
    }
}

/// Flattens nested objects of flat values into `a › b › c` rows.
fn flatten(prefix: &str, v: &Value, rows: &mut Vec<Vec<String>>, sections: &mut Vec<String>) {
    let label = |k: &str| if prefix.is_empty() { label(k) } else { format!("{prefix}: {}", label(k)) };
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                if is_flat(v) {
                    rows.push(vec![label(k), cell(v)]);
                } else if let Some(section) = section(&label(k), v) {
                    sections.push(section);
                } else {
                    flatten(&label(k), v, rows, sections);
                }
            }
        }
        other => rows.push(vec![prefix.to_string(), cell(other)]),
    }
}

/// A table of its own for a grouped value or a list of records.
fn section(title: &str, v: &Value) -> Option<String> {
    let body = if is_records(v) {
        let Value::Array(a) = v else { return None };
        let recs: Vec<&Map<String, Value>> = a.iter().filter_map(Value::as_object).collect();
        let cols = columns(recs.iter().copied());
        let rows: Vec<Vec<String>> =
            recs.iter().map(|r| cols.iter().map(|c| r.get(c).map_or_else(String::new, cell)).collect()).collect();
        table(&cols.iter().map(|c| label(c)).collect::<Vec<_>>(), &rows)
    } else {
        match grouped(v)? {
            Grouped::Records(o) => {
                let recs: Vec<&Map<String, Value>> = o.values().filter_map(Value::as_object).collect();
                let cols = columns(recs.iter().copied());
                let mut header = vec![String::new()];
                header.extend(cols.iter().map(|c| label(c)));
                let rows: Vec<Vec<String>> = o
                    .iter()
                    .map(|(k, r)| {
                        let mut row = vec![format!("**{}**", cell(&Value::String(k.clone())))];
                        row.extend(cols.iter().map(|c| r.get(c).map_or_else(String::new, cell)));
                        row
                    })
                    .collect();
                table(&header, &rows)
            }
            Grouped::RecordLists(o) => {
                let recs: Vec<&Map<String, Value>> =
                    o.values().filter_map(Value::as_array).flatten().filter_map(Value::as_object).collect();
                let cols = columns(recs.iter().copied());
                let mut header = vec![String::new()];
                header.extend(cols.iter().map(|c| label(c)));
                let mut rows = Vec::new();
                for (k, list) in o {
                    for r in list.as_array().into_iter().flatten().filter_map(Value::as_object) {
                        let mut row = vec![format!("**{}**", cell(&Value::String(k.clone())))];
                        row.extend(cols.iter().map(|c| r.get(c).map_or_else(String::new, cell)));
                        rows.push(row);
                    }
                }
                table(&header, &rows)
            }
        }
    };
    // An HTML block is not Markdown: the title's `code` spans become <code> elements.
    let title = title
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect::<String>();
    // A long table (a per-run grid) is collapsed under its title.
    let rows = body.lines().count().saturating_sub(2);
    if rows > LONG_TABLE {
        Some(format!(
            "<details>\n<summary class=\"dln-table-title\">{title} ({rows} rows)</summary>\n\n{body}\n</details>\n"
        ))
    } else {
        Some(format!("<p class=\"dln-table-title\">{title}</p>\n\n{body}"))
    }
}

/// The Markdown of an experiment's `summary.json`.
pub fn summary_markdown(name: &str, summary: &Value) -> Result<String> {
    let Value::Object(fields) = summary else { bail!("{name}/summary.json is not a JSON object") };
    // The claims have their own list beside the figure (`claims.md`, [`super::claims`]).
    let numbers: Map<String, Value> =
        fields.iter().filter(|(k, _)| *k != "claims").map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut rows = Vec::new();
    let mut sections = Vec::new();
    flatten("", &Value::Object(numbers), &mut rows, &mut sections);
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&table(&["quantity".into(), "value".into()], &rows));
    }
    for s in sections {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&s);
    }
    out.push_str(&format!(
        "\n<p class=\"dln-table-source\">From <a href=\"generated/{name}/summary.json\"><code>results/{name}/summary.json</code></a>, \
         numbers rounded to {SIG_DIGITS} significant digits as in the snapshots.</p>\n"
    ));
    Ok(out)
}

/// Every `…seed` entry of a configuration, as `path = value` (just the value at the top level).
fn seeds(prefix: &str, v: &Value, out: &mut Vec<String>) {
    if let Value::Object(o) = v {
        for (k, v) in o {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            if k.ends_with("seed") && is_scalar(v) {
                out.push(if path == "seed" { cell(v) } else { format!("`{path}` = {}", cell(v)) });
            } else {
                seeds(&path, v, out);
            }
        }
    }
}

/// The table of every experiment (chapter "Reproduce and verify"): name, what it shows, its seed,
/// its chapter, and its full configuration.
pub fn experiments_markdown(configs: &[(Entry, Value)], chapters: &[(String, String)]) -> String {
    let mut rows = Vec::new();
    for (e, cfg) in configs {
        let mut found = Vec::new();
        seeds("", cfg, &mut found);
        let seed = if found.is_empty() { "—".to_string() } else { found.join(", ") };
        let chapter =
            chapters.iter().find(|(n, _)| n == e.name).map_or_else(|| "—".into(), |(_, c)| format!("[chapter]({c})"));
        rows.push(vec![code(e.name), cell(&Value::String(e.about.into())), seed, chapter]);
    }
    let mut out = table(&["experiment".into(), "what it shows".into(), "seed".into(), "figure".into()], &rows);
    out.push_str("\nThe configuration each figure was produced with (`results/<experiment>/config.json`):\n\n");
    for (e, cfg) in configs {
        let text = serde_json::to_string_pretty(cfg).unwrap_or_default();
        out.push_str(&format!(
            "<details>\n<summary><code>{}</code></summary>\n\n```json\n{text}\n```\n\n</details>\n\n",
            e.name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_use_the_snapshot_rounding() {
        let n = |x: f64| number(&serde_json::Number::from_f64(x).unwrap());
        assert_eq!(n(0.123456789), "0.123457");
        assert_eq!(n(3.5e-12), "3.5e-12");
        assert_eq!(n(1234567.0), "1.23457e6");
        assert_eq!(number(&serde_json::Number::from(42)), "42");
        assert_eq!(cell(&Value::Null), "—");
    }

    #[test]
    fn layouts_follow_the_shape_of_the_summary() {
        let s = json!({
            "error": 1e-12,
            "ratio": {"GD": 2.0, "SGD": 0.5},
            "runs": {"GD": {"converged": 3, "diverged": 1}, "SGD": {"converged": 4, "diverged": 0}},
            "risk": {"GD": [{"gamma": 0.1, "median": 1.0}], "SGD": [{"gamma": 0.1, "median": null}]},
            "rows": [{"a": 1, "b": [1, 2]}],
        });
        let md = summary_markdown("x", &s).unwrap();
        assert!(md.contains("| error | 1e-12 |"), "{md}");
        assert!(md.contains("| ratio: GD | 2 |"), "{md}");
        assert!(md.contains("|  | converged | diverged |\n|---|---|---|\n| **GD** | 3 | 1 |"), "{md}");
        assert!(md.contains("| **SGD** | 0.1 | — |"), "{md}");
        assert!(md.contains("| a | b |\n|---|---|\n| 1 | [1, 2] |"), "{md}");
        assert!(!md.contains('›') && !md.contains("<details>"), "{md}");
        let long = json!({"runs": (0..20).map(|i| json!({"gamma": i, "test_risk": 0.5})).collect::<Vec<_>>()});
        let md = summary_markdown("x", &long).unwrap();
        assert!(md.contains("<details>\n<summary class=\"dln-table-title\">runs (20 rows)</summary>"), "{md}");
        assert!(md.contains("| γ | test risk R(β) |"), "{md}");
        assert!(summary_markdown("x", &json!([1])).is_err());
    }

    #[test]
    fn keys_read_as_the_paper_writes_them() {
        assert_eq!(label("gamma_max"), "γ_max");
        assert_eq!(label("median_risk_ratio_largest_gamma"), "median risk ratio largest γ");
        assert_eq!(label("sgd_over_gd"), "SGD over GD");
        assert_eq!(label("SGD (b = 1)"), "SGD (b = 1)");
        assert_eq!(
            label("theorem2_error_le_1e-8_on_every_converged_run"),
            "theorem2 error ≤ 1e-8 on every converged run"
        );
    }

    #[test]
    fn seeds_are_found_at_any_depth() {
        let mut found = Vec::new();
        seeds("", &json!({"seed": 1, "sweep": {"seed": 2, "data_seed": 3}, "n": 4}), &mut found);
        assert_eq!(found, ["1", "`sweep.data_seed` = 3", "`sweep.seed` = 2"]);
    }

    #[test]
    fn long_lists_are_elided() {
        let v = Value::Array((0..20).map(|i| json!(i)).collect());
        assert_eq!(cell(&v), "[0, 1, 2, 3, 4, 5, …, 19] (20 values)");
    }
}

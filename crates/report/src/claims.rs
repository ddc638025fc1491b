//! Claims: the book's quantitative statements as data.
//!
//! Each experiment's summary carries a list of named claims `{id, statement, values, threshold,
//! holds}`: a sentence with its numbers, the measured values it rests on, and the threshold its key
//! value is compared with. The book renders them beside the figure (✓/✗), a chapter quotes one as
//! `{{#claim <experiment>.<id>}}` or links to it as `{{#claimref <experiment>.<id>}}` (the build
//! fails on an unknown id, [`crate::book::claims`]), the notebooks print them, and
//! `cargo test` recomputes every one from the tidy data independently of the experiment's own
//! verdict. A prediction the data contradict is kept, with `holds: false`, and marked a *finding*
//! ([`Claim::finding`]): the book shows it as such, and `cargo test` asserts that it still fails, so
//! the chapter's text is revisited if the data ever start to satisfy it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::snap;

/// Significant digits of a claim's values.
pub const CLAIM_DIGITS: usize = 4;

/// How a claim's key value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// value ≤ threshold.
    AtMost,
    /// value ≥ threshold.
    AtLeast,
}

/// One quantitative statement of the book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// Identifier, unique within its experiment (`{{#claim <experiment>.<id>}}` in the book).
    pub id: &'static str,
    /// The statement, with its numbers.
    pub statement: String,
    /// The measured values it rests on (rounded to [`CLAIM_DIGITS`]); `key` is compared.
    pub values: BTreeMap<&'static str, Option<f64>>,
    /// The name of the compared value in `values`.
    pub key: &'static str,
    /// How it is compared.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Whether the data satisfy it.
    pub holds: bool,
    /// A prediction stated in order to report that the data contradict it (written out only when set).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub finding: bool,
}

impl Claim {
    fn new(id: &'static str, key: &'static str, value: f64, comparison: Comparison, threshold: f64) -> Self {
        let holds = match comparison {
            Comparison::AtMost => value <= threshold,
            Comparison::AtLeast => value >= threshold,
        };
        let mut values = BTreeMap::new();
        values.insert(key, rounded(value));
        Self { id, statement: String::new(), values, key, comparison, threshold, holds, finding: false }
    }

    /// The claim `key = value ≤ threshold`.
    pub fn at_most(id: &'static str, key: &'static str, value: f64, threshold: f64) -> Self {
        Self::new(id, key, value, Comparison::AtMost, threshold)
    }

    /// The claim `key = value ≥ threshold`.
    pub fn at_least(id: &'static str, key: &'static str, value: f64, threshold: f64) -> Self {
        Self::new(id, key, value, Comparison::AtLeast, threshold)
    }

    /// Adds a value the statement cites.
    pub fn with(mut self, name: &'static str, value: f64) -> Self {
        self.values.insert(name, rounded(value));
        self
    }

    /// Marks the claim a finding: a prediction the data are reported to contradict (`holds` false).
    pub fn finding(mut self) -> Self {
        self.finding = true;
        self
    }

    /// Sets the statement (a sentence with its numbers).
    pub fn says(mut self, statement: impl Into<String>) -> Self {
        self.statement = statement.into();
        self
    }
}

fn rounded(x: f64) -> Option<f64> {
    snap::rounded(x, CLAIM_DIGITS)
}

/// The claims of a summary (`summary.json` as JSON), one line each: ✓ or ✗ and the statement.
/// Empty when it has none. The notebooks print them.
pub fn lines(summary: &serde_json::Value) -> String {
    let claims = summary.get("claims").and_then(serde_json::Value::as_array).map_or(&[][..], Vec::as_slice);
    claims
        .iter()
        .map(|c| {
            let mark = if c.get("holds").and_then(serde_json::Value::as_bool) == Some(true) { "✓" } else { "✗" };
            let statement = c.get("statement").and_then(serde_json::Value::as_str).unwrap_or("");
            format!("{mark} {statement}\n")
        })
        .collect()
}

/// `x` to 3 significant digits for a statement (scientific notation outside [1e-3, 1e4)).
pub fn fmt3(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{x:.2e}")
    } else {
        let digits = if a == 0.0 { 0 } else { (2 - a.log10().floor() as i32).max(0) as usize };
        format!("{x:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_compares_its_key_value_with_the_threshold() {
        assert!(Claim::at_most("a", "r", 0.5, 1.0).holds);
        assert!(!Claim::at_most("a", "r", 1.5, 1.0).holds);
        assert!(Claim::at_least("a", "r", 2.0, 1.0).holds);
        assert!(!Claim::at_least("a", "r", f64::NAN, 1.0).holds, "NaN never satisfies a claim");
        let c = Claim::at_least("a", "r", 1.234567, 1.0).with("other", 3.0).says("r ≥ 1");
        assert_eq!(c.values["r"], Some(1.235));
        assert_eq!(c.values["other"], Some(3.0));
        assert_eq!(c.statement, "r ≥ 1");
    }

    #[test]
    fn claims_print_one_line_each() {
        let summary = serde_json::json!({"claims": [
            Claim::at_most("a", "r", 0.5, 1.0).says("r is small."),
            Claim::at_least("b", "r", 0.5, 1.0).says("r is large."),
        ]});
        assert_eq!(lines(&summary), "✓ r is small.\n✗ r is large.\n");
        assert_eq!(lines(&serde_json::json!({"x": 1})), "");
    }

    #[test]
    fn numbers_in_statements_keep_three_significant_digits() {
        assert_eq!(fmt3(0.012345), "0.0123");
        assert_eq!(fmt3(140.7), "141");
        assert_eq!(fmt3(1.5), "1.50");
        assert_eq!(fmt3(2.5e-6), "2.50e-6");
        assert_eq!(fmt3(0.0), "0");
    }
}

//! Shared helpers for the top-level tests: every snapshot goes through [`snapshot_summary`], which
//! rounds numbers with the report's one rounding helper and records the configuration.

use dln_report::experiments::{Entry, Options, Output};

/// Runs a registry entry with its default configuration (or quick, if `quick`).
pub fn run_entry(entry: Entry, quick: bool) -> Output {
    (entry.execute)(&Options { quick, overrides: None }).unwrap_or_else(|e| panic!("{}: {e:#}", entry.name))
}

/// Runs the named experiment.
pub fn run_named(name: &str, quick: bool) -> Output {
    run_entry(dln_report::experiments::find(name).expect("registered experiment"), quick)
}

/// Snapshots an experiment's headline numbers (rounded to fixed significant digits by the report's
/// one helper) with its configuration recorded as the snapshot's `info`. A macro so that the snapshot
/// lands in `tests/snapshots/<test file>__<experiment>.snap`.
#[macro_export]
macro_rules! snapshot_summary {
    ($output:expr) => {{
        let output: &dln_report::experiments::Output = &$output;
        let mut settings = insta::Settings::clone_current();
        settings.set_info(&output.config);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_json_snapshot!(output.name, dln_report::snap::round_json(&output.summary));
        });
    }};
}

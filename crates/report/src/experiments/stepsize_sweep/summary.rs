//! The stepsize sweep's statistics: quartiles over datasets per grid point, the median lines and
//! bands of the figures, γ_max over datasets and the runs per status, rounded for the summaries.

use std::collections::BTreeMap;

use dln::Status;
use plotly::Trace;
use serde::Serialize;

use super::{SUMMARY_DIGITS, SweepRun};
use crate::experiments::common::{Method, Quartiles, finite, quartiles, rounded};
use crate::experiments::plotting::band_traces;

/// The runs of `runs` grouped by `key` (in key order), each group as its first run and the
/// quartiles of `value` over its converged runs (finite values only).
pub fn grouped<'a, K: Ord>(
    runs: impl IntoIterator<Item = &'a SweepRun>,
    key: impl Fn(&SweepRun) -> K,
    value: impl Fn(&SweepRun) -> f64,
) -> Vec<(&'a SweepRun, Quartiles)> {
    let mut groups: BTreeMap<K, (&SweepRun, Vec<f64>)> = BTreeMap::new();
    for r in runs {
        let entry = groups.entry(key(r)).or_insert((r, Vec::new()));
        if r.converged() {
            entry.1.extend(finite(value(r)));
        }
    }
    groups.into_values().map(|(first, v)| (first, quartiles(&v))).collect()
}

/// Per grid point of `method` (in grid order): γ/γ_max and the quartiles over datasets of `value`
/// among the converged runs.
pub fn stats(runs: &[SweepRun], method: Method, value: impl Fn(&SweepRun) -> f64) -> Vec<(f64, Quartiles)> {
    let of_method = runs.iter().filter(|r| r.at.method == method);
    grouped(of_method, |r| r.at.grid_index, value).into_iter().map(|(r, q)| (r.at.ratio, q)).collect()
}

/// For GD and SGD (b = `batch`), the median line and IQR band of `value` (converged runs) against
/// γ/γ_max, on axes ("x", "y"), with `hover` as hover text.
pub fn method_bands(
    runs: &[SweepRun],
    value: impl Fn(&SweepRun) -> f64 + Copy,
    batch: usize,
    hover: &str,
) -> Vec<Box<dyn Trace>> {
    let mut traces = Vec::new();
    for method in Method::BOTH {
        let (x, q): (Vec<f64>, Vec<Quartiles>) = stats(runs, method, value).into_iter().unzip();
        let name = match method {
            Method::Gd => "GD".to_owned(),
            Method::Sgd => format!("SGD (b = {batch})"),
        };
        traces.extend(band_traces(&name, method.color(), &x, &q, "x", "y", true, hover));
    }
    traces
}

/// γ_max of `method` on each dataset (in dataset order).
pub fn gamma_max_per_dataset(runs: &[SweepRun], method: Method) -> Vec<f64> {
    let mut seen = BTreeMap::new();
    for r in runs.iter().filter(|r| r.at.method == method) {
        seen.entry(r.at.dataset).or_insert(r.at.gamma_max);
    }
    seen.into_values().collect()
}

/// Number of runs per status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunCounts {
    /// Runs that reached L ≤ tol.
    pub converged: usize,
    /// Runs that used their whole step budget.
    pub max_steps: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs below γ_max (γ/γ_max < 1) that did not converge: each contradicts the bisection's
    /// assumption that convergence is monotone in γ.
    pub below_gamma_max_not_converged: usize,
}

impl RunCounts {
    /// Counts of `method`'s runs.
    pub fn of(runs: &[SweepRun], method: Method) -> Self {
        let count = |st: Status| runs.iter().filter(|r| r.at.method == method && r.status == st).count();
        let below = runs.iter().filter(|r| r.at.method == method && r.at.ratio < 1.0 && !r.converged()).count();
        Self {
            converged: count(Status::Converged),
            max_steps: count(Status::MaxSteps),
            diverged: count(Status::Diverged),
            below_gamma_max_not_converged: below,
        }
    }
}

/// Rounds to [`SUMMARY_DIGITS`] (None if not finite).
pub fn r4(x: f64) -> Option<f64> {
    rounded(x, SUMMARY_DIGITS)
}

/// Quartiles at one grid point, rounded to [`SUMMARY_DIGITS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridStat {
    /// γ/γ_max.
    pub gamma_over_gamma_max: Option<f64>,
    /// Median over datasets.
    pub median: Option<f64>,
    /// First quartile.
    pub q25: Option<f64>,
    /// Third quartile.
    pub q75: Option<f64>,
    /// Converged runs summarised.
    pub converged: usize,
}

/// A per-grid-point table of quartiles (rounded).
pub fn grid_stats(stats: &[(f64, Quartiles)]) -> Vec<GridStat> {
    stats
        .iter()
        .map(|(r, q)| GridStat {
            gamma_over_gamma_max: r4(*r),
            median: r4(q.median),
            q25: r4(q.q25),
            q75: r4(q.q75),
            converged: q.count,
        })
        .collect()
}

/// Median and quartiles of γ_max over datasets, with the per-dataset values (rounded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GammaMaxStats {
    /// Median over datasets.
    pub median: Option<f64>,
    /// First quartile.
    pub q25: Option<f64>,
    /// Third quartile.
    pub q75: Option<f64>,
    /// γ_max of each dataset.
    pub per_dataset: Vec<Option<f64>>,
}

impl GammaMaxStats {
    /// γ_max of `method` over the datasets of `runs`.
    pub fn of(runs: &[SweepRun], method: Method) -> Self {
        let per = gamma_max_per_dataset(runs, method);
        let q = quartiles(&per);
        Self { median: r4(q.median), q25: r4(q.q25), q75: r4(q.q75), per_dataset: per.iter().map(|g| r4(*g)).collect() }
    }
}

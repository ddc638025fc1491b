//! The claims of section "Stepsize schedules", from the runs.

use super::summary::over_datasets;
use super::{Kind, Output};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{Method, smallest};
use crate::experiments::fraction_runs::{self, Row};

/// The smallest spread (largest over smallest median ‖Gain‖₁ across schedules) that counts as path
/// dependence.
pub const PATH_SPREAD: f64 = 1.5;

/// Per method, at the first final fraction, the largest over the smallest median of `f` across the
/// schedules.
pub fn spreads(out: &Output, f: fn(&Row) -> f64) -> Vec<f64> {
    let fraction = out.fractions.first().copied().unwrap_or(f64::NAN);
    (Method::BOTH.iter())
        .map(|&m| {
            let medians: Vec<f64> = Kind::ALL.iter().map(|&k| over_datasets(out, (fraction, m, k), f).median).collect();
            let max = medians.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            max / smallest(medians.iter().copied())
        })
        .collect()
}

/// The median of `f` for (method, kind) at the first final fraction.
pub fn median(out: &Output, method: Method, kind: Kind, f: fn(&Row) -> f64) -> f64 {
    let fraction = out.fractions.first().copied().unwrap_or(f64::NAN);
    over_datasets(out, (fraction, method, kind), f).median
}

// ANCHOR: claims
/// The claims, computed from the runs.
pub fn claims(out: &Output) -> Vec<Claim> {
    let [converge, exact] = fraction_runs::standard_claims(&out.runs);
    let gain = spreads(out, Row::gain_l1);
    let sgd = median(out, Method::Sgd, Kind::Cosine, Row::risk_ratio)
        / median(out, Method::Sgd, Kind::Constant, Row::risk_ratio);
    let gd = median(out, Method::Gd, Kind::Cosine, Row::risk_ratio)
        / median(out, Method::Gd, Kind::Constant, Row::risk_ratio);
    vec![
        converge,
        exact,
        Claim::at_least("gain_depends_on_the_path", "smallest_spread", smallest(gain.iter().copied()), PATH_SPREAD)
            .with("gd_spread", gain[0])
            .with("sgd_spread", gain[1])
            .says(format!(
                "Schedules with the same final stepsize end with different gains: the largest median ‖Gain‖₁ across the four schedules is {}× the smallest for GD and {}× for SGD (at least {PATH_SPREAD}).",
                fmt3(gain[0]),
                fmt3(gain[1])
            )),
        Claim::at_most("cosine_helps_sgd", "risk_cosine_over_constant", sgd, 1.0).says(format!(
            "SGD annealed from the peak by a cosine ends with {}× the test risk of SGD at the constant final stepsize: the time spent at large stepsizes adds gain where it helps.",
            fmt3(sgd)
        )),
        Claim::at_least("cosine_hurts_gd", "risk_cosine_over_constant", gd, 1.0).says(format!(
            "GD annealed the same way ends with {}× the risk of constant GD: its extra gain lands on the support.",
            fmt3(gd)
        )),
    ]
}
// ANCHOR_END: claims

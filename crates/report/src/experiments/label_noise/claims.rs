//! The claims of section "Label noise", from the runs.

use super::Output;
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{Method, largest, smallest};
use crate::experiments::fraction_runs::Row;

// ANCHOR: claims
/// The claims, computed from the runs (after the two standard ones).
pub fn claims(out: &Output) -> Vec<Claim> {
    let (_, top) = out.fraction_range();
    let at_top =
        |m: Method| -> Vec<f64> { out.values.iter().map(|&v| out.median(v, m, top, Row::risk_ratio)).collect() };
    let (sgd, gd) = (at_top(Method::Sgd), at_top(Method::Gd));
    let list = |v: &[f64]| {
        (out.values.iter().zip(v))
            .map(|(n, r)| format!("{} at σ_ε = {}", fmt3(*r), fmt3(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        Claim::at_most("sgd_helps_at_every_noise", "largest_risk_ratio", largest(sgd.iter().copied()), 1.0)
            .finding()
            .says(format!(
                "The stepsize effect does not survive every noise level: at {} γ_max SGD's median test risk relative to gradient flow's is {}; at the largest noise a large stepsize no longer helps SGD.",
                fmt3(top),
                list(&sgd)
            )),
        Claim::at_least("gd_hurts_at_every_noise", "smallest_risk_ratio", smallest(gd.iter().copied()), 1.0).says(format!(
            "GD's stays above 1 ({}), by less as the noise grows: both effects fade when the interpolator also fits noise.",
            list(&gd)
        )),
    ]
}
// ANCHOR_END: claims

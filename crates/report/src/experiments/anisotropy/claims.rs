//! The claims of section "Feature scales", from the runs.

use super::Output;
use crate::claims::{Claim, fmt3};
use crate::experiments::common::Method;
use crate::experiments::fraction_runs::Row;

/// The tolerance on |slope − 2| of the gain ratio against σ_support/σ_rest (log–log).
pub const SLOPE_TOLERANCE: f64 = 0.5;

/// Per value, the median over datasets of `method`'s `f` at `fraction`.
pub fn medians(out: &Output, method: Method, fraction: f64, f: fn(&Row) -> f64) -> Vec<f64> {
    out.values.iter().map(|&v| out.median(v, method, fraction, f)).collect()
}

/// The log–log slope of `method`'s median on/off gain ratio against σ_support/σ_rest at `fraction`.
pub fn gain_slope(out: &Output, method: Method, fraction: f64) -> f64 {
    dln::log_log_slope(&out.values, &medians(out, method, fraction, Row::gain_ratio)).unwrap_or(f64::NAN)
}

// ANCHOR: claims
/// The claims, computed from the runs (after the two standard ones).
pub fn claims(out: &Output) -> Vec<Claim> {
    let (small, top) = out.fraction_range();
    let (sgd, gd) = (gain_slope(out, Method::Sgd, small), gain_slope(out, Method::Gd, small));
    let lo = out.values.first().copied().unwrap_or(f64::NAN);
    let hi = out.values.last().copied().unwrap_or(f64::NAN);
    let risk = |v: f64, m: Method| out.median(v, m, top, Row::risk_ratio);
    vec![
        Claim::at_most("sgd_gain_grows_like_variance", "slope_minus_two", (sgd - 2.0).abs(), SLOPE_TOLERANCE)
            .with("slope", sgd)
            .says(format!(
                "SGD's on/off-support gain ratio grows like (σ_support/σ_rest)²: its log–log slope against the ratio is {} at γ = {} γ_max (within {SLOPE_TOLERANCE} of 2).",
                fmt3(sgd),
                fmt3(small)
            )),
        Claim::at_most("gd_gain_grows_like_variance_too", "slope_minus_two", (gd - 2.0).abs(), SLOPE_TOLERANCE)
            .with("slope", gd)
            .says(format!(
                "So does GD's, with slope {}: its early gradient ≈ −Σβ* is σ_support² β* on the support, while off the support it is sampling noise of size ∝ σ_support‖β*‖/√n, so the squared ratio scales like σ_support² too.",
                fmt3(gd)
            )),
        Claim::at_most("sgd_helps_low_variance_support", "risk_ratio", risk(lo, Method::Sgd), 1.0).says(format!(
            "With σ_support/σ_rest = {}, SGD at {} γ_max ends with {}× gradient flow's test risk: a large stepsize helps.",
            fmt3(lo),
            fmt3(top),
            fmt3(risk(lo, Method::Sgd))
        )),
        Claim::at_least("sgd_hurts_high_variance_support", "risk_ratio", risk(hi, Method::Sgd), 1.0).says(format!(
            "With σ_support/σ_rest = {}, SGD at {} γ_max ends with {}× gradient flow's test risk: its gain piles on the support, as GD's does on isotropic data, and a large stepsize hurts.",
            fmt3(hi),
            fmt3(top),
            fmt3(risk(hi, Method::Sgd))
        )),
    ]
}
// ANCHOR_END: claims

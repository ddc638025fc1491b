//! The claims of section "The window below γ_max", from the runs.

use super::summary::{exponent, gain_medians, over};
use super::{Arm, Output};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};
use crate::experiments::fraction_runs::{self, CONVERGED};

/// The share of `arm`'s runs that converged.
fn converged(out: &Output, arm: Arm) -> f64 {
    let (mut all, mut ok) = (0usize, 0usize);
    for (r, _) in out.measured.rows().filter(|(_, e)| e.arm == arm) {
        all += 1;
        ok += usize::from(r.converged());
    }
    ok as f64 / all as f64
}

/// The medians over datasets of max_k γ·S_k of `arm`, per fraction.
fn peaks(out: &Output, arm: Arm) -> Vec<f64> {
    out.fractions.iter().map(|&f| over(out, arm, f, |_, e| e.max_gamma_sharpness).median).collect()
}

/// `arm`'s median ‖Gain‖₁ at the last fraction over the one at the first.
pub fn growth(out: &Output, arm: Arm) -> f64 {
    let g = gain_medians(out, arm);
    g.last().copied().unwrap_or(f64::NAN) / g.first().copied().unwrap_or(f64::NAN)
}

// ANCHOR: claims
/// The claims, computed from the runs.
pub fn claims(out: &Output) -> Vec<Claim> {
    let [_, exact] = fraction_runs::standard_claims(&out.measured.runs);
    let (gd, sgd, unc) = (converged(out, Arm::Gd), converged(out, Arm::Sgd), converged(out, Arm::UncenteredGd));
    let (p_gd, p_unc) = (exponent(out, Arm::Gd), exponent(out, Arm::UncenteredGd));
    let overshoot = smallest(peaks(out, Arm::Gd));
    let settles = largest(peaks(out, Arm::UncenteredGd));
    vec![
        Claim::at_least("gd_runs_converge", "converged_fraction", gd, CONVERGED)
            .with("sgd_converged_fraction", sgd)
            .with("uncentred_gd_converged_fraction", unc)
            .says(format!(
                "{} of GD's runs in the window converge (at least {}). SGD's converge less often ({}), uncentred GD's {}: near γ_max, convergence is not monotone in γ.",
                fmt3(gd),
                fmt3(CONVERGED),
                fmt3(sgd),
                fmt3(unc)
            )),
        exact,
        Claim::at_most("gd_gain_grows_toward_the_edge", "exponent", p_gd, -0.1)
            .with("growth_across_the_window", growth(out, Arm::Gd))
            .says(format!(
                "GD's median ‖Gain‖₁ grows like (1 − γ/γ_max)^p with p = {} (at most −0.1), {}× across the window: it is unbounded as γ → γ_max, but only through a slow power law.",
                fmt3(p_gd),
                fmt3(growth(out, Arm::Gd))
            )),
        Claim::at_least("gd_sharpness_overshoots_two", "smallest_median_peak", overshoot, 2.5).says(format!(
            "At every stepsize of the window, GD's γ·S_k overshoots the threshold 2 to at least {} (median over datasets; at least 2.5).",
            fmt3(overshoot)
        )),
        Claim::at_most("uncentred_gd_stays_at_two", "largest_median_peak", settles, 2.05).says(format!(
            "On uncentred data GD's γ·S_k never exceeds {} (median over datasets; at most 2.05): no overshoot.",
            fmt3(settles)
        )),
        Claim::at_least("uncentred_gd_gain_grows_slower", "exponent_difference", p_unc - p_gd, 0.05)
            .with("uncentred_exponent", p_unc)
            .with("uncentred_growth_across_the_window", growth(out, Arm::UncenteredGd))
            .says(format!(
                "Uncentred GD's gain grows more slowly towards the edge: p = {} against GD's {} ({}× across the window).",
                fmt3(p_unc),
                fmt3(p_gd),
                fmt3(growth(out, Arm::UncenteredGd))
            )),
    ]
}
// ANCHOR_END: claims

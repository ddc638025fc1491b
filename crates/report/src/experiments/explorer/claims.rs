//! The claims of section "The interactive explorer", from the runs behind the slider.

use super::{Estimate, coefficient_of_variation};
use crate::claims::{Claim, fmt3};

/// The gain of a run, if every coordinate is known.
fn gain(e: &Estimate) -> Option<Vec<f64>> {
    e.gain.iter().copied().collect()
}

/// The test risk at the largest fraction whose run converged over that at the smallest.
fn risk_change(runs: &[&Estimate]) -> f64 {
    let converged: Vec<&&Estimate> = runs.iter().filter(|e| e.status == "converged").collect();
    match (converged.first().and_then(|e| e.test_risk), converged.last().and_then(|e| e.test_risk)) {
        (Some(a), Some(b)) => b / a,
        _ => f64::NAN,
    }
}

// ANCHOR: claims
/// The claims, computed from the (S)GD runs in slider order.
pub fn claims(runs: &[&Estimate]) -> Vec<Claim> {
    let of = |m: &str| runs.iter().copied().filter(|e| e.method == m).collect::<Vec<_>>();
    let (gd, sgd) = (of("GD"), of("SGD"));
    let l1 = |e: &Estimate| gain(e).map_or(f64::NAN, |g| g.iter().map(|x| x.abs()).sum::<f64>());
    let reversals =
        sgd.windows(2).filter(|w| l1(w[1]).partial_cmp(&l1(w[0])) != Some(std::cmp::Ordering::Greater)).count() as f64;
    let cv = |e: &Estimate| gain(e).map_or(f64::NAN, |g| coefficient_of_variation(&g));
    let uneven = gd.iter().zip(&sgd).map(|(g, s)| cv(g) / cv(s)).fold(f64::INFINITY, f64::min);
    let (gd_change, sgd_change) = (risk_change(&gd), risk_change(&sgd));
    vec![
        Claim::at_most("sgd_gain_grows_with_gamma", "reversals", reversals, 0.0).says(format!(
            "Along the slider, SGD's ‖Gain‖₁ grows at every step ({} stepsizes).",
            sgd.len()
        )),
        Claim::at_least("gd_gain_more_uneven", "smallest_cv_ratio", uneven, 2.0).says(format!(
            "At every stepsize GD's gain is at least {}× as uneven across coordinates as SGD's (coefficient of variation).",
            fmt3(uneven)
        )),
        Claim::at_least("gd_risk_rises", "risk_change", gd_change, 10.0).says(format!(
            "GD's test risk grows {}× from the smallest to the largest stepsize.",
            fmt3(gd_change)
        )),
        Claim::at_most("sgd_risk_falls", "risk_change", sgd_change, 1e-3).says(format!(
            "SGD's falls to {}× its smallest-stepsize value (at the largest stepsize whose run converged).",
            fmt3(sgd_change)
        )),
    ]
}
// ANCHOR_END: claims

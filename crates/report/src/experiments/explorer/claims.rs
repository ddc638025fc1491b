//! The claims of section "The interactive explorer", from the runs on every dataset.

use super::runs;
use super::summary::{gain_cv, gain_l1};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, quartiles, smallest};
use crate::experiments::estimated_parameters::{DatasetFit, Estimate};

/// The test risk at the largest fraction whose run converged over that at the smallest.
fn risk_change(runs: &[&Estimate]) -> f64 {
    let converged: Vec<&&Estimate> = runs.iter().filter(|e| e.status == "converged").collect();
    match (converged.first().and_then(|e| e.test_risk), converged.last().and_then(|e| e.test_risk)) {
        (Some(a), Some(b)) => b / a,
        _ => f64::NAN,
    }
}

/// The runs of `method` on `fit`, in slider order.
fn of<'f>(fit: &'f DatasetFit, method: &str) -> Vec<&'f Estimate> {
    runs(fit).into_iter().filter(|e| e.method == method).collect()
}

// ANCHOR: claims
/// The claims, computed on every dataset from its (S)GD runs in slider order.
pub fn claims(datasets: &[DatasetFit]) -> Vec<Claim> {
    let n = datasets.len();
    let reversals: usize = (datasets.iter())
        .map(|fit| {
            let sgd = of(fit, "SGD");
            sgd.windows(2)
                .filter(|w| gain_l1(w[1]).partial_cmp(&gain_l1(w[0])) != Some(std::cmp::Ordering::Greater))
                .count()
        })
        .sum();
    let uneven = smallest(
        datasets
            .iter()
            .flat_map(|fit| {
                let (gd, sgd) = (of(fit, "GD"), of(fit, "SGD"));
                gd.into_iter().zip(sgd).map(|(g, s)| gain_cv(g) / gain_cv(s)).collect::<Vec<_>>()
            })
            .filter(|v| !v.is_nan()),
    );
    let gd_change = smallest(datasets.iter().map(|fit| risk_change(&of(fit, "GD"))));
    let sgd_changes: Vec<f64> = datasets.iter().map(|fit| risk_change(&of(fit, "SGD"))).collect();
    let sgd_median = quartiles(&sgd_changes).median;
    let sgd_worst = largest(sgd_changes.iter().copied());
    let sgd_rises = sgd_changes.iter().filter(|c| c.is_nan() || **c >= 1.0).count() as f64;
    vec![
        Claim::at_most("sgd_gain_grows_with_gamma", "reversals", reversals as f64, 0.0).says(format!(
            "On each of the {n} datasets, SGD's ‖Gain‖₁ grows at every step of the slider."
        )),
        Claim::at_least("gd_gain_more_uneven", "smallest_cv_ratio", uneven, 2.0).says(format!(
            "At every stepsize and on every dataset (where both runs kept finite iterates), GD's gain is at least {}× as uneven across coordinates as SGD's (coefficient of variation).",
            fmt3(uneven)
        )),
        Claim::at_least("gd_risk_rises", "smallest_risk_change", gd_change, 5.0).says(format!(
            "On every dataset, GD's test risk grows at least {}× from its smallest to its largest converged stepsize.",
            fmt3(gd_change)
        )),
        Claim::at_most("sgd_risk_falls", "median_risk_change", sgd_median, 0.01).says(format!(
            "SGD's falls: at its largest converged stepsize it is a median {}× its smallest-stepsize value over the {n} datasets.",
            fmt3(sgd_median)
        )),
        Claim::at_most("sgd_helps_on_every_dataset", "largest_risk_change", sgd_worst, 1.0)
            .with("datasets_where_it_rises", sgd_rises)
            .finding()
            .says(format!(
                "Prediction: large-step SGD lowers the test risk on every dataset. Finding: on {} of the {n} datasets its risk at the largest converged stepsize is above its smallest-stepsize value, up to {}×.",
                sgd_rises, fmt3(sgd_worst)
            )),
    ]
}
// ANCHOR_END: claims

//! The claims of chapter "Theorem 1", from the solves on every dataset.

use super::{Output, Shape};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{largest, smallest};

/// Per dataset, the test risk of `shape` at the setting's α over that of the uniform α.
pub fn risk_ratios(out: &Output, shape: Shape) -> Vec<f64> {
    let risk = |shape, k| out.reference_of(shape, k).map_or(f64::NAN, |m| m.test_risk);
    out.datasets().map(|k| risk(shape, k) / risk(Shape::Uniform, k)).collect()
}

// ANCHOR: claims
/// The claims, computed from the solves over the α grid and at the setting's α, on every dataset.
pub fn claims(out: &Output) -> Vec<Claim> {
    let alphas = out.alphas();
    let (Some(&first), Some(&last)) = (alphas.first(), alphas.last()) else { return Vec::new() };
    let uniform = |k| out.grid_of(Shape::Uniform, k).map(|p| p.measures).collect::<Vec<_>>();
    let rich = largest(out.datasets().filter_map(|k| uniform(k).first().map(|m| m.dist_min_l1)));
    let kernel = largest(out.datasets().filter_map(|k| uniform(k).last().map(|m| m.dist_min_l2)));
    let reversals: usize =
        (out.datasets()).map(|k| uniform(k).windows(2).filter(|w| w[1].dist_min_l1 < w[0].dist_min_l1).count()).sum();
    let (larger, smaller) = (risk_ratios(out, Shape::SupportLarger), risk_ratios(out, Shape::SupportSmaller));
    let median = |v: &[f64]| dln::metrics::quantile(v, 0.5);
    let datasets = out.limits.len();
    vec![
        Claim::at_most("small_alpha_is_min_l1", "largest_distance", rich, 1e-4).says(format!(
            "At α = {}, β*_α is within {} of the minimum-ℓ1 interpolator (ℓ2 distance, largest over {datasets} datasets): the rich regime.",
            fmt3(first),
            fmt3(rich)
        )),
        Claim::at_most("large_alpha_is_min_l2", "largest_distance", kernel, 1e-4).says(format!(
            "At α = {}, β*_α is within {} of the minimum-ℓ2 interpolator on every dataset: the kernel regime.",
            fmt3(last),
            fmt3(kernel)
        )),
        Claim::at_most("distance_to_min_l1_grows_with_alpha", "reversals", reversals as f64, 0.0).says(format!(
            "Over the {} values of α, on each of the {datasets} datasets, the distance to the minimum-ℓ1 interpolator never decreases as α grows.",
            alphas.len()
        )),
        Claim::at_most("larger_alpha_on_support_helps", "largest_risk_ratio", largest(larger.iter().copied()), 0.1)
            .with("median_risk_ratio", median(&larger))
            .says(format!(
                "A larger α on the support of β* (a smaller weight ln(1/α_i) there) divides the test risk by at least 10 on every dataset: by {} at the median, {} at the least.",
                fmt3(1.0 / median(&larger)),
                fmt3(1.0 / largest(larger.iter().copied()))
            )),
        Claim::at_least("smaller_alpha_on_support_hurts", "smallest_risk_ratio", smallest(smaller.iter().copied()), 2.0)
            .with("median_risk_ratio", median(&smaller))
            .says(format!(
                "A smaller α on the support at least doubles it on every dataset: it is multiplied by {} at the median, {} at the least.",
                fmt3(median(&smaller)),
                fmt3(smallest(smaller.iter().copied()))
            )),
    ]
}
// ANCHOR_END: claims

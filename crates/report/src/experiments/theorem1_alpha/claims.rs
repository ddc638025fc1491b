//! The claims of chapter "Theorem 1", from the solves.

use super::{Output, Shape};
use crate::claims::{Claim, fmt3};

// ANCHOR: claims
/// The claims, computed from the solves over the α grid and at the setting's α.
pub fn claims(out: &Output) -> Vec<Claim> {
    let grid: Vec<_> = out.grid_of(Shape::Uniform).collect();
    let (Some(first), Some(last)) = (grid.first(), grid.last()) else { return Vec::new() };
    let reversals = grid.windows(2).filter(|w| w[1].measures.dist_min_l1 < w[0].measures.dist_min_l1).count();
    let risk = |shape| out.reference_of(shape).map_or(f64::NAN, |m| m.test_risk);
    let larger = risk(Shape::SupportLarger) / risk(Shape::Uniform);
    let smaller = risk(Shape::SupportSmaller) / risk(Shape::Uniform);
    vec![
        Claim::at_most("small_alpha_is_min_l1", "distance", first.measures.dist_min_l1, 1e-4).says(format!(
            "At α = {}, β*_α is within {} of the minimum-ℓ1 interpolator (ℓ2 distance): the rich regime.",
            fmt3(first.alpha),
            fmt3(first.measures.dist_min_l1)
        )),
        Claim::at_most("large_alpha_is_min_l2", "distance", last.measures.dist_min_l2, 1e-4).says(format!(
            "At α = {}, β*_α is within {} of the minimum-ℓ2 interpolator: the kernel regime.",
            fmt3(last.alpha),
            fmt3(last.measures.dist_min_l2)
        )),
        Claim::at_most("distance_to_min_l1_grows_with_alpha", "reversals", reversals as f64, 0.0).says(format!(
            "Over the {} values of α, the distance to the minimum-ℓ1 interpolator never decreases as α grows.",
            grid.len()
        )),
        Claim::at_most("larger_alpha_on_support_helps", "risk_ratio", larger, 0.1).says(format!(
            "A larger α on the support of β* (a smaller weight ln(1/α_i) there) divides the test risk by {}.",
            fmt3(1.0 / larger)
        )),
        Claim::at_least("smaller_alpha_on_support_hurts", "risk_ratio", smaller, 2.0)
            .says(format!("A smaller α on the support multiplies it by {}.", fmt3(smaller))),
    ]
}
// ANCHOR_END: claims

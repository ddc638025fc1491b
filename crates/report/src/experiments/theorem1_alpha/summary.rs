//! theorem1_alpha's headline numbers over the datasets: the uniform-α solves at both ends of the
//! grid, the monotone kernel → rich transition, and the three shapes compared at the setting's α.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use super::{Config, EXACT_RECOVERY, Measures, Output, Shape};
use crate::experiments::common::Spread;

/// Significant digits of the spreads (exact solves: stable far beyond this across machines).
const DIGITS: usize = 4;

/// The spread over the datasets of `f` of each dataset's measures.
fn spread(all: &[&Measures], f: fn(&Measures) -> f64) -> Spread {
    Spread::of(&all.iter().map(|m| f(m)).collect::<Vec<f64>>(), DIGITS)
}

/// The uniform-α solves at one end of the grid, over the datasets.
#[derive(Debug, Clone, Serialize)]
pub struct AtAlpha {
    /// The scale α.
    pub alpha: f64,
    /// ‖β*_α − β_ℓ1‖₂.
    pub dist_min_l1: Spread,
    /// ‖β*_α − β_ℓ2‖₂.
    pub dist_min_l2: Spread,
    /// Test risk ½‖β*_α − β*‖².
    pub test_risk: Spread,
    /// Datasets on which β*_α recovers the support of β*.
    pub support_recovered: usize,
}

impl AtAlpha {
    fn of(alpha: f64, all: &[&Measures]) -> Self {
        AtAlpha {
            alpha,
            dist_min_l1: spread(all, |m| m.dist_min_l1),
            dist_min_l2: spread(all, |m| m.dist_min_l2),
            test_risk: spread(all, |m| m.test_risk),
            support_recovered: all.iter().filter(|m| m.support_recovered).count(),
        }
    }
}

/// The solves of one shape at the setting's α, over the datasets.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeSummary {
    /// Test risk ½‖β − β*‖².
    pub test_risk: Spread,
    /// ‖β‖₁.
    pub l1_norm: Spread,
    /// Datasets on which β recovers the support of β*.
    pub support_recovered: usize,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Datasets.
    pub datasets: usize,
    /// Points of the α grid (per shape and dataset).
    pub grid_points: usize,
    /// Uniform α, smallest scale.
    pub smallest_alpha: AtAlpha,
    /// Uniform α, largest scale.
    pub largest_alpha: AtAlpha,
    /// Datasets whose min-ℓ1 interpolator is β* (its risk, ~1e-33, is machine-dependent: only this
    /// count is pinned).
    pub min_l1_recovers_beta_star: usize,
    /// Test risk of the min-ℓ2 interpolator.
    pub min_l2_test_risk: Spread,
    /// The setting's α, where the shapes are compared.
    pub shapes_at_alpha: f64,
    /// Each shape at that α, by name.
    pub shapes: BTreeMap<&'static str, ShapeSummary>,
    /// Datasets on which ‖β*_α − β_ℓ1‖₂ never decreases along the grid.
    pub datasets_where_dist_min_l1_increases_with_alpha: usize,
    /// Datasets on which ‖β*_α − β_ℓ2‖₂ never increases along the grid.
    pub datasets_where_dist_min_l2_decreases_with_alpha: usize,
    /// Datasets on which a larger α on the support lowers the risk.
    pub datasets_where_support_larger_alpha_helps: usize,
    /// Datasets on which a smaller α on the support raises it.
    pub datasets_where_support_smaller_alpha_hurts: usize,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of the solves.
    pub fn of(out: &Output, cfg: &Config) -> Result<Self> {
        let alphas = out.alphas();
        let (first, last) = (alphas.first().context("empty grid")?, alphas.last().context("empty grid")?);
        let end = |j: usize| -> Vec<&Measures> {
            out.datasets().filter_map(|k| out.grid_of(Shape::Uniform, k).nth(j).map(|p| &p.measures)).collect()
        };
        let mut shapes = BTreeMap::new();
        for shape in Shape::ALL {
            let all = out.datasets().map(|k| out.reference_of(shape, k)).collect::<Result<Vec<_>>>()?;
            let summary = ShapeSummary {
                test_risk: spread(&all, |m| m.test_risk),
                l1_norm: spread(&all, |m| m.l1_norm),
                support_recovered: all.iter().filter(|m| m.support_recovered).count(),
            };
            shapes.insert(shape.as_str(), summary);
        }
        let count = |f: &dyn Fn(usize) -> bool| out.datasets().filter(|&k| f(k)).count();
        let uniform = |k: usize| -> Vec<&Measures> { out.grid_of(Shape::Uniform, k).map(|p| &p.measures).collect() };
        let risk = |shape, k| out.reference_of(shape, k).map_or(f64::NAN, |m| m.test_risk);
        let limits: Vec<&Measures> = out.limits.iter().map(|l| &l.min_l2).collect();
        Ok(Summary {
            datasets: out.limits.len(),
            grid_points: alphas.len(),
            smallest_alpha: AtAlpha::of(*first, &end(0)),
            largest_alpha: AtAlpha::of(*last, &end(alphas.len() - 1)),
            min_l1_recovers_beta_star: out.limits.iter().filter(|l| l.min_l1.test_risk < EXACT_RECOVERY).count(),
            min_l2_test_risk: spread(&limits, |m| m.test_risk),
            shapes_at_alpha: cfg.setting.alpha,
            shapes,
            datasets_where_dist_min_l1_increases_with_alpha: count(&|k| {
                uniform(k).windows(2).all(|w| w[1].dist_min_l1 >= w[0].dist_min_l1)
            }),
            datasets_where_dist_min_l2_decreases_with_alpha: count(&|k| {
                uniform(k).windows(2).all(|w| w[1].dist_min_l2 <= w[0].dist_min_l2)
            }),
            datasets_where_support_larger_alpha_helps: count(&|k| {
                risk(Shape::SupportLarger, k) < risk(Shape::Uniform, k)
            }),
            datasets_where_support_smaller_alpha_hurts: count(&|k| {
                risk(Shape::SupportSmaller, k) > risk(Shape::Uniform, k)
            }),
            claims: super::claims::claims(out),
        })
    }
}

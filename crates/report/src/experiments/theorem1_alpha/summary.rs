//! theorem1_alpha's headline numbers: the uniform-α solves at both ends of the grid, the monotone
//! kernel → rich transition, and the three shapes compared at the setting's α.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use super::{Config, EXACT_RECOVERY, Measures, Output, Point, Shape};

/// The uniform-α solve at one end of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct AtAlpha {
    /// The scale α.
    pub alpha: f64,
    /// ‖β*_α − β_ℓ1‖₂.
    pub dist_min_l1: f64,
    /// ‖β*_α − β_ℓ2‖₂.
    pub dist_min_l2: f64,
    /// Test risk ½‖β*_α − β*‖².
    pub test_risk: f64,
    /// Whether β*_α recovers the support of β*.
    pub support_recovered: bool,
}

/// The solve of one shape at the setting's α.
#[derive(Debug, Clone, Serialize)]
pub struct ShapeSummary {
    /// Test risk ½‖β − β*‖².
    pub test_risk: f64,
    /// ‖β‖₁.
    pub l1_norm: f64,
    /// Whether β recovers the support of β*.
    pub support_recovered: bool,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Points of the α grid (per shape).
    pub grid_points: usize,
    /// Uniform α, smallest scale.
    pub smallest_alpha: AtAlpha,
    /// Uniform α, largest scale.
    pub largest_alpha: AtAlpha,
    /// The min-ℓ1 interpolator is β* (its risk, ~1e-33, is machine-dependent: only this is pinned).
    pub min_l1_recovers_beta_star: bool,
    /// Test risk of the min-ℓ2 interpolator.
    pub min_l2_test_risk: f64,
    /// The setting's α, where the shapes are compared.
    pub shapes_at_alpha: f64,
    /// Each shape at that α, by name.
    pub shapes: BTreeMap<&'static str, ShapeSummary>,
    /// ‖β*_α − β_ℓ1‖₂ is monotone along the whole grid: a decade-by-decade kernel → rich transition.
    pub dist_min_l1_increases_with_alpha: bool,
    /// ‖β*_α − β_ℓ2‖₂ likewise.
    pub dist_min_l2_decreases_with_alpha: bool,
    /// A larger α on the support lowers the risk.
    pub support_larger_alpha_helps: bool,
    /// A smaller α on the support raises it.
    pub support_smaller_alpha_hurts: bool,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of the solves.
    pub fn of(out: &Output, cfg: &Config) -> Result<Self> {
        let uni: Vec<&Measures> = out.grid_of(Shape::Uniform).map(|p| &p.measures).collect();
        let at = |p: Option<&Point>| -> Result<AtAlpha> {
            let (p, m) = p.map(|p| (p, &p.measures)).context("empty grid")?;
            let (dist_min_l1, dist_min_l2, test_risk) = (m.dist_min_l1, m.dist_min_l2, m.test_risk);
            Ok(AtAlpha { alpha: p.alpha, dist_min_l1, dist_min_l2, test_risk, support_recovered: m.support_recovered })
        };
        let mut shapes = BTreeMap::new();
        for shape in Shape::ALL {
            let m = out.reference_of(shape)?;
            let (test_risk, l1_norm, support_recovered) = (m.test_risk, m.l1_norm, m.support_recovered);
            shapes.insert(shape.as_str(), ShapeSummary { test_risk, l1_norm, support_recovered });
        }
        let risk = |shape| out.reference_of(shape).map(|m| m.test_risk);
        Ok(Summary {
            grid_points: uni.len(),
            smallest_alpha: at(out.grid_of(Shape::Uniform).next())?,
            largest_alpha: at(out.grid_of(Shape::Uniform).last())?,
            min_l1_recovers_beta_star: out.min_l1.test_risk < EXACT_RECOVERY,
            min_l2_test_risk: out.min_l2.test_risk,
            shapes_at_alpha: cfg.setting.alpha,
            shapes,
            dist_min_l1_increases_with_alpha: uni.windows(2).all(|w| w[1].dist_min_l1 >= w[0].dist_min_l1),
            dist_min_l2_decreases_with_alpha: uni.windows(2).all(|w| w[1].dist_min_l2 <= w[0].dist_min_l2),
            support_larger_alpha_helps: risk(Shape::SupportLarger)? < risk(Shape::Uniform)?,
            support_smaller_alpha_hurts: risk(Shape::SupportSmaller)? > risk(Shape::Uniform)?,
            claims: super::claims::claims(out),
        })
    }
}

//! gain_shape's headline numbers and claims: the three profiles on and off the support, the
//! heterogeneity index per γ/γ_max, and SGD's on/off-support ratio against its second-order
//! prediction.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Config, Coordinate, DatasetStart, Output, heterogeneity, profile, ratio_at, selected};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{Method, PerMethod, coefficient_of_variation, quartiles, smallest};
use crate::experiments::stepsize_sweep::{GridStat, SweepRun, grid_stats, r4};

use dln::on_off_ratio;

// ANCHOR: second_order
/// The second-order prediction of SGD's on/off-support gain ratio for x ~ N(0, I):
/// 1 + 2/s ([`dln::Design::second_order_support_ratio`], E x_j⁴ = 3), s = |supp β*|. For
/// x ~ N(0, Σ), E[x_j²⟨x, Δ⟩²] = Σ_jj⟨Δ, ΣΔ⟩ + 2(ΣΔ)_j²: an even gain also needs equal diag(Σ).
pub fn second_order_ratio(beta_star: &[f64]) -> f64 {
    dln::Design::Gaussian.second_order_support_ratio(beta_star.iter().filter(|b| **b != 0.0).count())
}
// ANCHOR_END: second_order

/// Mean of the median profile over the support and off it.
fn support_means(profile: &[Coordinate]) -> (f64, f64) {
    let mean = |on: bool| {
        let v: Vec<f64> = profile.iter().filter(|p| p.on_support == on).map(|p| p.gain.median).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    (mean(true), mean(false))
}

/// One gain profile of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    /// γ/γ_max of the profile's grid point.
    pub gamma_over_gamma_max: Option<f64>,
    /// Converged runs summarised.
    pub converged_runs: usize,
    /// Mean over the support of the median gain.
    pub mean_gain_on_support: Option<f64>,
    /// Mean off the support of the median gain.
    pub mean_gain_off_support: Option<f64>,
    /// Their ratio.
    pub support_over_off_support: Option<f64>,
    /// Largest median gain.
    pub max_median_gain: Option<f64>,
    /// Coefficient of variation of the median profile.
    pub cv_of_median_profile: Option<f64>,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The three profiles, by label.
    pub profiles: BTreeMap<&'static str, ProfileSummary>,
    /// Heterogeneity index vs γ/γ_max.
    pub heterogeneity_cv_vs_stepsize: PerMethod<Vec<GridStat>>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of gain_shape's runs.
    pub fn of(out: &Output, cfg: &Config) -> Self {
        let runs = &out.runs;
        let mut profiles = BTreeMap::new();
        for (label, method, j) in cfg.profiles() {
            let prof = profile(runs, method, j);
            let (on, off) = support_means(&prof);
            let medians: Vec<f64> = prof.iter().map(|p| p.gain.median).collect();
            let summary = ProfileSummary {
                gamma_over_gamma_max: r4(ratio_at(runs, j)),
                converged_runs: selected(runs, method, j).count(),
                mean_gain_on_support: r4(on),
                mean_gain_off_support: r4(off),
                support_over_off_support: r4(on / off),
                max_median_gain: r4(medians.iter().copied().fold(f64::NAN, f64::max)),
                cv_of_median_profile: r4(coefficient_of_variation(&medians)),
            };
            profiles.insert(label, summary);
        }
        let cv = PerMethod::new(|m| grid_stats(&heterogeneity(runs, m)));
        Summary { profiles, heterogeneity_cv_vs_stepsize: cv, claims: claims(out, cfg) }
    }
}

/// The smallest, over the grid points where both methods have converged runs, of GD's median
/// coefficient of variation over SGD's (NaN if there is no such point).
fn smallest_cv_ratio(runs: &[SweepRun]) -> f64 {
    let sgd = heterogeneity(runs, Method::Sgd);
    let gd = heterogeneity(runs, Method::Gd);
    smallest(gd.into_iter().filter_map(|(r, gd)| sgd.iter().find(|p| p.0 == r).map(|p| gd.median / p.1.median)))
}

// ANCHOR: claims
/// The claims of chapter 6 ("The gain's shape"), from the runs and the datasets' starts.
fn claims(out: &Output, cfg: &Config) -> Vec<Claim> {
    let [(_, _, j), _, (_, _, top)] = cfg.profiles();
    let ratio = |method, j| {
        let prof = profile(&out.runs, method, j);
        let (median, support): (Vec<f64>, Vec<bool>) = prof.iter().map(|p| (p.gain.median, p.on_support)).unzip();
        on_off_ratio(&median, &support)
    };
    let on_support = |j| support_means(&profile(&out.runs, Method::Gd, j)).0;
    let cv = smallest_cv_ratio(&out.runs);
    let (gd, sgd, eos) = (ratio(Method::Gd, j), ratio(Method::Sgd, j), on_support(top) / on_support(j));
    let of_datasets =
        |f: &dyn Fn(&DatasetStart) -> f64| quartiles(&out.datasets.iter().map(f).collect::<Vec<_>>()).median;
    let predicted = of_datasets(&|d| second_order_ratio(&d.beta_star));
    let empirical =
        of_datasets(&|d| on_off_ratio(&d.sq_grad_at_init, &d.beta_star.iter().map(|b| *b != 0.0).collect::<Vec<_>>()));
    let per_dataset =
        quartiles(&selected(&out.runs, Method::Sgd, j).map(|r| on_off_ratio(&r.gain, &r.support)).collect::<Vec<_>>());
    let at = fmt3(ratio_at(&out.runs, j));
    vec![
        Claim::at_least("gd_gain_more_uneven_than_sgd", "smallest_cv_ratio", cv, 2.0).says(format!(
            "At every stepsize of the grid GD's median coefficient of variation of the gain across coordinates is at \
             least {} times SGD's (≥ 2).",
            fmt3(cv)
        )),
        Claim::at_least("gd_gain_piles_on_support", "on_off_ratio", gd, 5.0).says(format!(
            "At {at} γ_max GD's median gain is {} times larger on the support of β* than off it (≥ 5).",
            fmt3(gd)
        )),
        Claim::at_most("sgd_on_off_ratio_is_second_order", "relative_deviation", (sgd / predicted - 1.0).abs(), 0.25)
            .with("measured", sgd)
            .with("predicted", predicted)
            .with("per_dataset_q25", per_dataset.q25)
            .with("per_dataset_q75", per_dataset.q75)
            .with("empirical_design", empirical)
            .says(format!(
                "At {at} γ_max SGD's median gain is {} times larger on the support than off it: not flat (1). For \
                 Gaussian x, E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + 2Δ_j², which at the start (Δ = −β*) predicts \
                 1 + 2·mean_(j∈S) β*_j²/‖β*‖² = {} (median over datasets; = 1 + 2/s). The measured ratio deviates from \
                 it by a relative {} (≤ 0.25: single datasets' ratios spread from {} to {}, quartiles). Over each \
                 dataset's own samples the same expectation is {} (median).",
                fmt3(sgd),
                fmt3(predicted),
                fmt3((sgd / predicted - 1.0).abs()),
                fmt3(per_dataset.q25),
                fmt3(per_dataset.q75),
                fmt3(empirical)
            )),
        Claim::at_least("eos_gain_dwarfs_gd", "on_support_ratio", eos, 10.0).says(format!(
            "At γ_max (edge of stability) GD's mean median gain on the support is {} times that at {at} γ_max (≥ 10).",
            fmt3(eos)
        )),
    ]
}
// ANCHOR_END: claims

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_order_ratio_is_one_plus_two_over_s_whatever_the_values() {
        assert!((second_order_ratio(&[3.0, -0.1, 0.0, 0.0]) - 2.0).abs() < 1e-12);
        assert!((second_order_ratio(&[1.0, 2.0, 3.0, 0.0, 0.0]) - 5.0 / 3.0).abs() < 1e-12);
    }
}

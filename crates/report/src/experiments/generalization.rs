//! Test risk at convergence vs stepsize for GD and SGD (slides Fig. 1).
//!
//! Setting (Even, Pesme, Gunasekar & Flammarion 2023, Fig. 1): x ~ N(0, I_d), y = ⟨β*, x⟩ with β*
//! s-sparse (its first s coordinates N(0, 1)), uniform initialisation α = α·1 and
//! (n, d, s, α) = (20, 30, 3, 0.1). On each of `datasets` datasets (data seed `seed + i`) and for each
//! method — GD (b = n) and SGD (b = `batch`) — γ_max, the largest constant stepsize whose run reaches
//! L(β) ≤ `tol` within the step budget, is found by bisection ([`crate::stability::gamma_max_of`]) **on
//! that dataset** (γ_max varies by a factor ≈ 4 between datasets, so a per-dataset γ_max gives the
//! common axis γ/γ_max on which datasets can be pooled). (S)GD then runs at γ = r·γ_max for r on a
//! log grid from `grid_lo` to 1 refined by `extra_ratios` near 1 (r = 1 is the bisection's own
//! convergent run). SGD's sampler seed is the data seed, the same at every stepsize (common random
//! numbers across the grid). Runs that hit the step budget or diverge stay in the data with their
//! status and are left out of the medians (the summary counts them).
//!
//! The figure shows the exact test risk ½‖β∞ − β*‖² (x ~ N(0, I)) of the converged runs against
//! γ/γ_max: median over datasets and interquartile band. Expected (Theorem 2): SGD's risk falls as γ
//! grows (its gain is spread over every coordinate: a smaller effective α∞, closer to ℓ1), GD's
//! rises (its gain concentrates on the support of β*). Book: chapter "Why macroscopic stepsizes?" (`book/src/01-why.md`).
//!
//! The stepsize sweep ([`super::stepsize_sweep`]) is a stage shared by `gain_scale` (‖Gain‖₁ vs γ)
//! and `gain_shape` (per-coordinate gain, heterogeneity vs γ): the three figures show the same runs,
//! computed once.

use anyhow::Result;
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::Serialize;

use super::Experiment;
use super::common::{Method, PerMethod, quartiles};
use super::plotting::{log_axis_pow, vline, vline_label};
use super::stepsize_sweep::{
    self, GammaMaxStats, GridStat, RunCounts, SweepConfig, SweepRun, grid_stats, method_bands, r4,
};
use crate::claims::{Claim, fmt3};
use crate::style;

/// The experiment.
pub struct Generalization;

/// Parameters: the stepsize sweep's ([`SweepConfig`], its table documents each field).
pub type Config = SweepConfig;

/// The runs of the stepsize sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Every run (datasets outer, then GD and SGD, then increasing γ).
    pub runs: Vec<SweepRun>,
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// γ_max over datasets.
    pub gamma_max: PerMethod<GammaMaxStats>,
    /// Test risk of the converged runs per γ/γ_max.
    pub test_risk: PerMethod<Vec<GridStat>>,
    /// Median risk at the largest stepsize over that at the smallest.
    pub risk_largest_over_smallest_stepsize: PerMethod<Option<f64>>,
    /// Runs per status.
    pub runs: PerMethod<RunCounts>,
    /// The chapter's claims.
    pub claims: Vec<Claim>,
}

/// Median test risk of `method`'s converged runs at the grid point nearest below or at `ratio`,
/// over that at the smallest stepsize.
fn risk_ratio(runs: &[SweepRun], method: Method, ratio: f64) -> f64 {
    let stats = stepsize_sweep::stats(runs, method, |r| r.test_risk);
    let first = stats.first().map_or(f64::NAN, |s| s.1.median);
    let at = stats.iter().rev().find(|s| s.0 <= ratio + 1e-12).map_or(f64::NAN, |s| s.1.median);
    at / first
}

// ANCHOR: claims
/// The claims of chapter 1 ("Why macroscopic stepsizes?"), from the runs.
fn claims(runs: &[SweepRun]) -> Vec<Claim> {
    let sgd = risk_ratio(runs, Method::Sgd, 1.0);
    let gd = risk_ratio(runs, Method::Gd, 1.0);
    let gd_bulk = risk_ratio(runs, Method::Gd, 0.75);
    let gd_at_08 = risk_ratio(runs, Method::Gd, 0.8);
    let at_max = |m| stepsize_sweep::stats(runs, m, |r| r.test_risk).last().map_or(f64::NAN, |s| s.1.median);
    let sgd_over_gd = at_max(Method::Sgd) / at_max(Method::Gd);
    let below = |m| runs.iter().filter(|r| r.at.method == m && r.at.ratio < 1.0).count() as f64;
    let failed = RunCounts::of(runs, Method::Sgd).below_gamma_max_not_converged as f64;
    vec![
        Claim::at_most("sgd_risk_falls", "risk_ratio", sgd, 0.1).says(format!(
            "SGD's median test risk at γ = γ_max is {} times its risk at the smallest stepsize (≤ 0.1).",
            fmt3(sgd)
        )),
        Claim::at_least("gd_risk_rises", "risk_ratio", gd, 10.0).says(format!(
            "GD's median test risk at γ = γ_max is {} times its risk at the smallest stepsize (≥ 10).",
            fmt3(gd)
        )),
        Claim::at_most("gd_jump_is_near_gamma_max", "risk_ratio_below_0.75", gd_bulk, 1.5)
            .with("risk_ratio_at_0.8", gd_at_08)
            .says(format!(
                "Up to 0.75 γ_max GD's median risk grows only {} times (≤ 1.5); at 0.8 γ_max it is already {} \
                 times: the jump comes close to γ_max, at the edge of stability.",
                fmt3(gd_bulk),
                fmt3(gd_at_08)
            )),
        Claim::at_most("sgd_beats_gd_at_gamma_max", "sgd_over_gd", sgd_over_gd, 0.01)
            .says(format!("At γ = γ_max SGD's median test risk is {} times GD's (≤ 0.01).", fmt3(sgd_over_gd))),
        Claim::at_most("few_runs_contradict_monotonicity", "fraction", failed / below(Method::Sgd), 0.1)
            .with("runs", failed)
            .says(format!(
                "{} of {} SGD runs below γ_max did not converge (≤ 10 %): convergence is not monotone in γ, \
                 and γ_max depends on the step budget.",
                failed,
                below(Method::Sgd)
            )),
    ]
}
// ANCHOR_END: claims

impl Experiment for Generalization {
    experiment_items!(
        "generalization",
        "Test risk at convergence vs stepsize γ/γ_max for GD and SGD (b = 1): SGD's falls, GD's rises (slides Fig. 1)"
    );

    fn quick() -> Config {
        Config::quick()
    }

    fn run(cfg: &Config) -> Result<Output> {
        Ok(Output { runs: stepsize_sweep::sweep(cfg)?.to_vec() })
    }

    fn frame(out: &Output) -> Result<DataFrame> {
        stepsize_sweep::frame(&out.runs)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        let runs = &out.runs;
        let mut plot = Plot::new();
        plot.add_traces(method_bands(
            runs,
            |r| r.test_risk,
            cfg.batch,
            "γ/γ<sub>max</sub> = %{x:.3g}<br>median risk %{y:.3e}",
        ));
        let gm = |m| quartiles(&stepsize_sweep::gamma_max_per_dataset(runs, m)).median;
        let st = &cfg.setting;
        let layout = style::layout(&format!(
            "Test risk at convergence vs stepsize — (n, d, s, α) = ({}, {}, {}, {}), {} datasets",
            st.n, st.d, st.s, st.alpha, cfg.datasets
        ))
        .x_axis(style::log_axis(
            "stepsize γ / γ<sub>max</sub>  (γ<sub>max</sub>: largest convergent stepsize, per dataset and method)",
        ))
        .y_axis(log_axis_pow("test risk  ½‖β<sub>∞</sub> − β*‖²  (median, IQR band)"))
        .shapes(vec![vline(1.0, "x", "y", style::FLOW)])
        .annotations(vec![
            vline_label(
                0.0,
                "x",
                "y",
                &format!("γ<sub>max</sub> (median: GD {:.3}, SGD {:.3})", gm(Method::Gd), gm(Method::Sgd)),
                style::FLOW,
            )
            .x_anchor(plotly::common::Anchor::Right),
        ]);
        plot.set_layout(layout);
        Ok(plot)
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        let runs = &out.runs;
        let stats = PerMethod::new(|m| stepsize_sweep::stats(runs, m, |r| r.test_risk));
        let ratio = |m| {
            let s = stats.get(m);
            match (s.first(), s.last()) {
                (Some(a), Some(b)) => r4(b.1.median / a.1.median),
                _ => None,
            }
        };
        Ok(Summary {
            gamma_max: PerMethod::new(|m| GammaMaxStats::of(runs, m)),
            test_risk: PerMethod::new(|m| grid_stats(stats.get(m))),
            risk_largest_over_smallest_stepsize: PerMethod::new(ratio),
            runs: PerMethod::new(|m| RunCounts::of(runs, m)),
            claims: claims(runs),
        })
    }
}

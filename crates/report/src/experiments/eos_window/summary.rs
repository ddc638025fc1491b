//! eos_window's headline numbers: per arm, the fitted exponent of ‖Gain‖₁ against 1 − γ/γ_max and,
//! per fraction, medians over datasets.

use serde::Serialize;

use super::{Arm, Extra, Output, claims};
use crate::claims::Claim;
use crate::experiments::common::{Quartiles, quartiles};
use crate::experiments::fraction_runs::{Count, Row, Totals};
use crate::experiments::stepsize_sweep::r4;

/// Quartiles of `f` over the kept runs of (arm, fraction) (non-finite values and `None` left out).
pub fn over(out: &Output, arm: Arm, fraction: f64, f: impl Fn(&Row, &Extra) -> Option<f64>) -> Quartiles {
    let values: Vec<f64> = (out.measured.rows())
        .filter(|(r, e)| r.kept() && e.arm == arm && r.fraction == fraction)
        .filter_map(|(r, e)| f(r, e))
        .filter(|v| v.is_finite())
        .collect();
    quartiles(&values)
}

/// The median ‖Gain‖₁ per fraction of `arm`.
pub fn gain_medians(out: &Output, arm: Arm) -> Vec<f64> {
    out.fractions.iter().map(|&f| over(out, arm, f, |r, _| Some(r.gain_l1())).median).collect()
}

/// The exponent p of ‖Gain‖₁ ∝ (1 − γ/γ_max)^p, least squares on the log–log medians of `arm` (NaN
/// if fewer than two fractions have one).
pub fn exponent(out: &Output, arm: Arm) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = (out.fractions.iter().zip(gain_medians(out, arm)))
        .filter(|(_, g)| g.is_finite() && *g > 0.0)
        .map(|(f, g)| (1.0 - f, g))
        .unzip();
    dln::log_log_slope(&x, &y).unwrap_or(f64::NAN)
}

/// One (arm, fraction): medians over datasets.
#[derive(Debug, Clone, Serialize)]
pub struct PointStat {
    /// The arm.
    pub arm: &'static str,
    /// γ/γ_max.
    pub fraction: f64,
    /// Runs and converged runs.
    #[serde(flatten)]
    pub count: Count,
    /// Median ‖Gain‖₁.
    pub gain_l1: Option<f64>,
    /// Median steps with some |γg| > 1.
    pub steps_beyond_one: Option<f64>,
    /// Median of max_k γ·S_k.
    pub max_gamma_sharpness: Option<f64>,
    /// Median test risk over gradient flow's.
    pub risk_ratio: Option<f64>,
}

/// One arm's fit.
#[derive(Debug, Clone, Serialize)]
pub struct ArmStat {
    /// The arm.
    pub arm: &'static str,
    /// The fitted exponent p of ‖Gain‖₁ ∝ (1 − γ/γ_max)^p.
    pub exponent: Option<f64>,
    /// Median ‖Gain‖₁ at the last fraction over the one at the first.
    pub growth: Option<f64>,
}

/// The summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, converged runs, and where no constant stepsize converges.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per arm, the power-law fit.
    pub fits: Vec<ArmStat>,
    /// Per (arm, fraction).
    pub table: Vec<PointStat>,
    /// The section's claims.
    pub claims: Vec<Claim>,
}

impl Summary {
    /// The summary of `out`.
    pub fn of(out: &Output) -> Self {
        let fits = (Arm::ALL.iter())
            .map(|&arm| ArmStat {
                arm: arm.as_str(),
                exponent: r4(exponent(out, arm)),
                growth: r4(claims::growth(out, arm)),
            })
            .collect();
        let mut table = Vec::new();
        for arm in Arm::ALL {
            for &fraction in &out.fractions {
                let count =
                    Count::of(out.measured.rows().filter(|(r, e)| e.arm == arm && r.fraction == fraction).map(|p| p.0));
                let med = |f: &dyn Fn(&Row, &Extra) -> Option<f64>| r4(over(out, arm, fraction, f).median);
                table.push(PointStat {
                    arm: arm.as_str(),
                    fraction,
                    count,
                    gain_l1: med(&|r, _| Some(r.gain_l1())),
                    steps_beyond_one: med(&|r, _| Some(r.steps_beyond_one as f64)),
                    max_gamma_sharpness: med(&|_, e| e.max_gamma_sharpness),
                    risk_ratio: med(&|r, _| Some(r.risk_ratio())),
                });
            }
        }
        Summary { totals: Totals::of(&out.measured.runs), fits, table, claims: claims::claims(out) }
    }
}

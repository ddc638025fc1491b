//! Theorem 2's prediction taken apart: how much of the change from gradient flow the gain's scale,
//! its shape and β̃₀ each explain.
//! Book: chapter "The phase diagram" (`book/src/11-phase-diagram.md`).
//!
//! Theorem 2 gives β∞ = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀), Theorem 1 the gradient-flow limit
//! β*_α = argmin_{Xβ=y} ψ_α(β): the same problem with α∞ = α and β̃₀ = 0. In log scale
//! ln α∞² = ln α² − Gain, and the gain splits into its mean over coordinates (the *scale*: a
//! uniform change of the initialisation) and its deviation from that mean (the *shape*). Each
//! ingredient is put back alone on top of gradient flow, and the interpolator re-solved exactly:
//!
//! | variant | a² (per coordinate) | β̃₀ |
//! |---|---|---|
//! | gradient flow | α² | 0 |
//! | scale only | G(α∞²) · α²/G(α²) | 0 |
//! | shape only | α∞² · G(α²)/G(α∞²) | 0 |
//! | without β̃₀ | α∞² | 0 |
//! | Theorem 2 | α∞² | β̃₀ |
//!
//! where G is the geometric mean over coordinates. For a uniform α, "scale only" is the uniform
//! scale G(α∞²) and "shape only" keeps α∞'s profile at α's level.

use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::error::{DlnError, Result, invalid};
use crate::gain::EffectiveInit;
use crate::interpolator::BregmanSolver;

/// The five interpolators of the decomposition (see the module's table).
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    /// β*_α: gradient flow's limit (Theorem 1).
    pub gradient_flow: Array1<f64>,
    /// The gain's scale alone: a² = G(α∞²)·α²/G(α²), β̃₀ = 0.
    pub scale: Array1<f64>,
    /// The gain's shape alone: a² = α∞²·G(α²)/G(α∞²), β̃₀ = 0.
    pub shape: Array1<f64>,
    /// Scale and shape, β̃₀ dropped: a² = α∞², β̃₀ = 0.
    pub without_tilde: Array1<f64>,
    /// Theorem 2's prediction: a² = α∞², β̃₀.
    pub full: Array1<f64>,
}

/// The shares of the change Δ = β_full − β*_α that each part explains, by projection on Δ:
/// share(v) = ⟨β_v − β_ref, Δ⟩/‖Δ‖², with β_ref = β*_α for the scale and the shape, and the
/// β̃₀ share measured as ⟨β_full − β_without, Δ⟩/‖Δ‖². The three add up to 1 − `interaction`
/// (the part no single ingredient accounts for: the problem is non-linear in a² and β̃₀).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shares {
    /// ‖Δ‖₂: how far the stepsize moved the limit from gradient flow's.
    pub change: f64,
    /// The scale's share.
    pub scale: f64,
    /// The shape's share.
    pub shape: f64,
    /// β̃₀'s share.
    pub beta_tilde0: f64,
    /// 1 − (scale + shape + β̃₀).
    pub interaction: f64,
}

/// The arithmetic mean of ln v over coordinates: ln G(v).
fn mean_ln(v: ArrayView1<f64>) -> f64 {
    v.iter().map(|a| a.ln()).sum::<f64>() / v.len() as f64
}

// ANCHOR: decompose
/// The decomposition of Theorem 2's prediction for a run started at scale `alpha` that ended with
/// effective initialisation `eff`, on the interpolation constraint Xβ = y. Five exact solves of
/// [`BregmanSolver::solve`] (module table).
///
/// Errors: α or α∞² not finite and > 0 (the decomposition needs α∞ > 0, i.e. a converged run),
/// lengths that do not fit, and those of the solver.
pub fn decompose(
    solver: &BregmanSolver,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    alpha: ArrayView1<f64>,
    eff: &EffectiveInit,
) -> Result<Parts> {
    let d = alpha.len();
    if eff.alpha_inf_sq.len() != d || eff.delta.len() != d {
        return Err(DlnError::DimensionMismatch(format!(
            "α has {d} entries but α∞², δ have {}, {}",
            eff.alpha_inf_sq.len(),
            eff.delta.len()
        )));
    }
    crate::model::validate_alpha(alpha, d)?;
    if let Some(bad) = eff.alpha_inf_sq.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(invalid("alpha_inf_sq", format!("α∞² must be finite and > 0 on every coordinate, got {bad}")));
    }
    let alpha_sq = alpha.mapv(|a| a * a);
    let (ln_g_alpha, ln_g_inf) = (mean_ln(alpha_sq.view()), mean_ln(eff.alpha_inf_sq.view()));
    let scale_sq = alpha_sq.mapv(|a| (a.ln() - ln_g_alpha + ln_g_inf).exp());
    let shape_sq = eff.alpha_inf_sq.mapv(|a| (a.ln() - ln_g_inf + ln_g_alpha).exp());
    let zero = Array1::zeros(d);
    let solve = |a_sq: ArrayView1<f64>, delta: ArrayView1<f64>| -> Result<Array1<f64>> {
        Ok(solver.solve(x, y, a_sq, delta, None)?.beta)
    };
    Ok(Parts {
        gradient_flow: solve(alpha_sq.view(), zero.view())?,
        scale: solve(scale_sq.view(), zero.view())?,
        shape: solve(shape_sq.view(), zero.view())?,
        without_tilde: solve(eff.alpha_inf_sq.view(), zero.view())?,
        full: solve(eff.alpha_inf_sq.view(), eff.delta.view())?,
    })
}
// ANCHOR_END: decompose

impl Parts {
    /// The shares of the change from gradient flow ([`Shares`]); all NaN if the limit did not move
    /// (Δ = 0).
    pub fn shares(&self) -> Shares {
        let delta = &self.full - &self.gradient_flow;
        let norm_sq = delta.dot(&delta);
        let share = |from: &Array1<f64>, to: &Array1<f64>| (to - from).dot(&delta) / norm_sq;
        let scale = share(&self.gradient_flow, &self.scale);
        let shape = share(&self.gradient_flow, &self.shape);
        let beta_tilde0 = share(&self.without_tilde, &self.full);
        Shares { change: norm_sq.sqrt(), scale, shape, beta_tilde0, interaction: 1.0 - (scale + shape + beta_tilde0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataConfig, Sgd, uniform_alpha};

    fn setup() -> (crate::Problem, Array1<f64>) {
        let problem = DataConfig { n: 8, d: 12, s: 2, seed: 4, ..DataConfig::default() }.generate().unwrap();
        (problem, uniform_alpha(0.1, 12))
    }

    #[test]
    fn each_variant_is_the_interpolator_of_its_own_initialisation() {
        let (p, alpha) = setup();
        let run = Sgd::gd(0.3, p.n()).with_budget(200_000, 1e-24).run(&p, alpha.view()).unwrap();
        assert!(run.converged());
        let eff = &run.effective;
        let solver = BregmanSolver::default();
        let parts = decompose(&solver, p.x.view(), p.y.view(), alpha.view(), eff).unwrap();
        let close = |a: &Array1<f64>, b: &Array1<f64>| (a - b).iter().all(|v| v.abs() <= 1e-10);
        // Independent routes: Theorem 1 at α, Theorem 1 at the geometric mean of α∞ (uniform),
        // Theorem 2 and its β̃₀-free variant.
        let gf = solver.theorem1(p.x.view(), p.y.view(), alpha.view()).unwrap().beta;
        let g = eff.alpha_inf_sq.iter().map(|a| a.ln()).sum::<f64>() / 12.0;
        let uniform = Array1::from_elem(12, (g / 2.0).exp());
        let scale = solver.theorem1(p.x.view(), p.y.view(), uniform.view()).unwrap().beta;
        let full = solver.theorem2(p.x.view(), p.y.view(), eff).unwrap().beta;
        let without = solver.theorem2_without_tilde(p.x.view(), p.y.view(), eff).unwrap().beta;
        assert!(close(&parts.gradient_flow, &gf));
        assert!(close(&parts.scale, &scale));
        assert!(close(&parts.full, &full));
        assert!(close(&parts.without_tilde, &without));
        assert!(close(&parts.full, &run.beta), "Theorem 2 is the run's limit");
        // Shape only: α∞'s profile at α's level, so its geometric mean is α² again.
        let shape_alpha = eff.alpha_inf_sq.mapv(|a| (a.ln() - g + (0.01f64).ln()).exp().sqrt());
        let shape = solver.theorem1(p.x.view(), p.y.view(), shape_alpha.view()).unwrap().beta;
        assert!(close(&parts.shape, &shape));
    }

    #[test]
    fn a_uniform_gain_is_all_scale_and_no_shape() {
        let (p, alpha) = setup();
        // α∞ = α/e on every coordinate and β̃₀ = 0: the gain is the uniform 2, a pure scale change.
        let a_sq = alpha.mapv(|a| a * a * (-2.0f64).exp());
        let eff = EffectiveInit {
            alpha_inf_sq: a_sq,
            delta: Array1::zeros(12),
            beta_tilde0: Array1::zeros(12),
            gain: Array1::from_elem(12, 2.0),
        };
        let parts = decompose(&BregmanSolver::default(), p.x.view(), p.y.view(), alpha.view(), &eff).unwrap();
        let shares = parts.shares();
        assert!(shares.change > 1e-3, "a smaller scale moves the limit");
        assert!((shares.scale - 1.0).abs() <= 1e-9, "scale {}", shares.scale);
        assert!(shares.shape.abs() <= 1e-9 && shares.beta_tilde0.abs() <= 1e-9 && shares.interaction.abs() <= 1e-9);
    }

    #[test]
    fn shares_project_on_the_change() {
        let b = |v: [f64; 2]| Array1::from(v.to_vec());
        let parts = Parts {
            gradient_flow: b([0.0, 0.0]),
            scale: b([1.0, 5.0]),
            shape: b([0.5, 0.0]),
            without_tilde: b([1.0, 1.0]),
            full: b([2.0, 0.0]),
        };
        let s = parts.shares();
        // Δ = (2, 0), ‖Δ‖² = 4: scale 2/4, shape 1/4, β̃₀ ⟨(1, −1), Δ⟩/4 = 2/4.
        assert_eq!((s.change, s.scale, s.shape, s.beta_tilde0), (2.0, 0.5, 0.25, 0.5));
        assert_eq!(s.interaction, -0.25);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (p, alpha) = setup();
        let eff = |a: f64| EffectiveInit {
            alpha_inf_sq: Array1::from_elem(12, a),
            delta: Array1::zeros(12),
            beta_tilde0: Array1::zeros(12),
            gain: Array1::zeros(12),
        };
        let solver = BregmanSolver::default();
        assert!(decompose(&solver, p.x.view(), p.y.view(), alpha.view(), &eff(0.0)).is_err());
        assert!(decompose(&solver, p.x.view(), p.y.view(), alpha.view(), &eff(f64::NAN)).is_err());
        let short = uniform_alpha(0.1, 11);
        assert!(decompose(&solver, p.x.view(), p.y.view(), short.view(), &eff(0.01)).is_err());
    }
}

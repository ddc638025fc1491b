//! The 2-layer diagonal linear network x ↦ ⟨u ⊙ v, x⟩, weights w = (u, v) ∈ R^{2d}.
//! Book: chapter "Setting and notation".

use ndarray::{Array1, ArrayView1, Zip};

use crate::error::{DlnError, Result, check_finite, invalid};
use crate::run::Run;

/// Weights (u, v) of the diagonal network; the regression vector is β = u ⊙ v.
///
/// The engine runs the same model in the rotated weights w± = (u ± v)/√2
/// ([`DiagonalNet::to_rotated`], [`DiagonalNet::from_rotated`]). Those carry α_k² = |w₊ w₋| to
/// relative rounding, whereas (u, v) carry α_k² = |u² − v²|/2 only to a few roundings of u² + v²:
/// when α_k² ≪ |β| keep w± for anything that depends on α_k² (the gain, α∞, β̃₀).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalNet {
    /// First layer u.
    pub u: Array1<f64>,
    /// Second layer v.
    pub v: Array1<f64>,
}

/// A uniform initialisation scale α = alpha·1 of length d.
pub fn uniform_alpha(alpha: f64, d: usize) -> Array1<f64> {
    Array1::from_elem(d, alpha)
}

/// The smallest |x| whose square is a normal f64: √(f64::MIN_POSITIVE) = 2⁻⁵¹¹ ≈ 1.49e-154.
/// Below it x² is subnormal (about 16 significant digits lost) or 0.
pub const MIN_SQUARABLE: f64 = 1.4916681462400413e-154;

/// The largest |x| whose square is finite: √(f64::MAX) ≈ 1.34e154.
pub const MAX_SQUARABLE: f64 = 1.3407807929942596e154;

/// Checks that x² is a normal, finite f64 (MIN_SQUARABLE ≤ |x| ≤ MAX_SQUARABLE); `name` names x
/// in the one-line error, which states the usable range.
pub(crate) fn check_squarable(name: &'static str, x: f64) -> Result<()> {
    let a = x.abs();
    if a < MIN_SQUARABLE {
        return Err(invalid(
            name,
            format!("{x:e} is too small: its square underflows; the smallest usable value is {MIN_SQUARABLE:.3e}"),
        ));
    }
    if a > MAX_SQUARABLE {
        return Err(invalid(
            name,
            format!("{x:e} is too large: its square overflows; the largest usable value is {MAX_SQUARABLE:.3e}"),
        ));
    }
    Ok(())
}

/// Checks α ∈ R^d_{>0}, finite, with every α_i² a normal f64 (α_i ∈ [√f64::MIN_POSITIVE,
/// √f64::MAX] ≈ [1.49e-154, 1.34e154]): the engine carries α_i² through the weights, and a zero or
/// subnormal α_i² would silently give β = 0 and Gain = 0.
pub fn validate_alpha(alpha: ArrayView1<f64>, d: usize) -> Result<()> {
    if alpha.len() != d {
        return Err(invalid("alpha", format!("has length {}, expected d = {d}", alpha.len())));
    }
    if let Some(bad) = alpha.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(invalid("alpha", format!("entries must be finite and > 0, got {bad}")));
    }
    for &a in alpha {
        check_squarable("alpha", a)?;
    }
    Ok(())
}

impl DiagonalNet {
    // ANCHOR: init
    /// The paper's initialisation u₀ = √2 α, v₀ = 0, so β₀ = 0 and u₀² − v₀² = 2α².
    pub fn init(alpha: ArrayView1<f64>) -> Result<Self> {
        validate_alpha(alpha, alpha.len())?;
        Ok(Self { u: alpha.mapv(|a| std::f64::consts::SQRT_2 * a), v: Array1::zeros(alpha.len()) })
    }
    // ANCHOR_END: init

    /// β = u ⊙ v.
    pub fn beta(&self) -> Array1<f64> {
        &self.u * &self.v
    }

    // ANCHOR: alpha_sq
    /// The conserved-up-to-(1 − γ²g²) quantity: α_k² = |u_k² − v_k²| / 2 (MATH.md, "Useful exact identities").
    pub fn alpha_sq(&self) -> Array1<f64> {
        Zip::from(&self.u).and(&self.v).map_collect(|u, v| 0.5 * (u * u - v * v).abs())
    }
    // ANCHOR_END: alpha_sq

    /// The curvature weights u² + v² (per coordinate): the Gauss–Newton part of the Hessian of
    /// F(u, v) = L(u ⊙ v) is X diag(u² + v²) Xᵀ/n on the sample side (see
    /// [`crate::gauss_newton_sharpness`]).
    pub fn curvature_weights(&self) -> Array1<f64> {
        Zip::from(&self.u).and(&self.v).map_collect(|u, v| u * u + v * v)
    }

    // ANCHOR: rotated
    /// The engine's rotated weights w± = (u ± v)/√2, in which one (S)GD step is
    /// w₊ ← (1 − γg) ⊙ w₊, w₋ ← (1 + γg) ⊙ w₋ (see [`crate::optimizer`]); β = (w₊² − w₋²)/2 and
    /// α_k² = |w₊ w₋|. Returns (w₊, w₋).
    pub fn to_rotated(&self) -> (Array1<f64>, Array1<f64>) {
        let h = std::f64::consts::FRAC_1_SQRT_2;
        ((&self.u + &self.v) * h, (&self.u - &self.v) * h)
    }

    /// The network with rotated weights (w₊, w₋): u = (w₊ + w₋)/√2, v = (w₊ − w₋)/√2, computed
    /// exactly as the engine computes [`Run::u`] and [`Run::v`] (so the results agree bitwise).
    pub fn from_rotated(w_plus: ArrayView1<f64>, w_minus: ArrayView1<f64>) -> Result<Self> {
        check_pair(("w_plus", w_plus), ("w_minus", w_minus))?;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        Ok(Self { u: (&w_plus + &w_minus) * h, v: (&w_plus - &w_minus) * h })
    }
    // ANCHOR_END: rotated

    /// The network with regression vector β and α_k² = |u² − v²|/2 = `alpha_sq`, taking
    /// w₊, w₋ > 0 (which (S)GD keeps as long as every |γ_k g_k| < 1): from w₊² − w₋² = 2β and
    /// w₊ w₋ = α_k², w₊² = √(β² + α_k⁴) + β and w₋² = α_k⁴ / w₊² (no cancellation). This recovers the
    /// weights from a [`crate::Snapshot`] (β and α_k² = α² e^{−Gain}).
    ///
    /// Errors: lengths differ, entries not finite, α_k² not > 0.
    pub fn from_beta(beta: ArrayView1<f64>, alpha_sq: ArrayView1<f64>) -> Result<Self> {
        check_pair(("beta", beta), ("alpha_sq", alpha_sq))?;
        if let Some(bad) = alpha_sq.iter().find(|a| **a <= 0.0) {
            return Err(invalid("alpha_sq", format!("entries must be > 0, got {bad}")));
        }
        let (mut wp, mut wm) = (Array1::zeros(beta.len()), Array1::zeros(beta.len()));
        for (j, (&b, &a2)) in beta.iter().zip(&alpha_sq).enumerate() {
            // The larger of w₊², w₋² is √(β² + α_k⁴) + |β|; the other is α_k⁴ divided by it.
            let big = b.hypot(a2) + b.abs();
            let small = a2 / big * a2;
            let (p2, m2) = if b >= 0.0 { (big, small) } else { (small, big) };
            wp[j] = p2.sqrt();
            wm[j] = m2.sqrt();
        }
        Self::from_rotated(wp.view(), wm.view())
    }
}

/// Checks two per-coordinate arrays, each named: the same length, every entry finite.
fn check_pair(a: (&'static str, ArrayView1<f64>), b: (&'static str, ArrayView1<f64>)) -> Result<()> {
    let ((name_a, a), (name_b, b)) = (a, b);
    if a.len() != b.len() {
        return Err(DlnError::DimensionMismatch(format!(
            "{name_a} has {} entries but {name_b} has {}",
            a.len(),
            b.len()
        )));
    }
    check_finite(name_a, a.iter())?;
    check_finite(name_b, b.iter())
}

impl From<&Run> for DiagonalNet {
    /// The final weights (u, v) of a run.
    fn from(run: &Run) -> Self {
        Self { u: run.u.clone(), v: run.v.clone() }
    }
}

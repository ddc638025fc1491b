//! The 2-layer diagonal linear network x ↦ ⟨u ⊙ v, x⟩, weights w = (u, v) ∈ R^{2d}.
//! Book: chapter "Setting and notation".

use ndarray::{Array1, ArrayView1, Zip};

use crate::error::{Result, invalid};

/// Weights (u, v) of the diagonal network; the regression vector is β = u ⊙ v.
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

/// Checks α ∈ R^d_{>0}, finite.
pub fn validate_alpha(alpha: ArrayView1<f64>, d: usize) -> Result<()> {
    if alpha.len() != d {
        return Err(invalid("alpha", format!("has length {}, expected d = {d}", alpha.len())));
    }
    if let Some(bad) = alpha.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(invalid("alpha", format!("entries must be finite and > 0, got {bad}")));
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
}

//! The hyperbolic entropy (hypentropy) ψ_α and its Bregman divergence.
//! Book: chapter "Theorem 1".

use ndarray::{Array1, ArrayView1, Zip};

/// Hyperbolic entropy of scale α ∈ R^d_{>0}:
/// ψ_α(β) = ½ Σ_i ( β_i arcsinh(β_i/α_i²) − √(β_i² + α_i⁴) + α_i² ).
#[derive(Debug, Clone, PartialEq)]
pub struct Hypentropy {
    /// α² (the potential only ever needs the square).
    pub alpha_sq: Array1<f64>,
}

impl Hypentropy {
    /// ψ_α from α.
    pub fn new(alpha: ArrayView1<f64>) -> Self {
        Self { alpha_sq: alpha.mapv(|a| a * a) }
    }

    /// ψ_α from α² directly (e.g. the effective α∞²).
    pub fn from_alpha_sq(alpha_sq: Array1<f64>) -> Self {
        Self { alpha_sq }
    }

    // ANCHOR: value
    /// ψ_α(β); `√(β² + α⁴) − α²` is evaluated as `β²/(√(β² + α⁴) + α²)` to avoid cancellation.
    pub fn value(&self, beta: ArrayView1<f64>) -> f64 {
        Zip::from(&beta).and(&self.alpha_sq).fold(0.0, |acc, &b, &a2| {
            let root = b.hypot(a2);
            acc + 0.5 * (b * (b / a2).asinh() - b * b / (root + a2))
        })
    }
    // ANCHOR_END: value

    /// ∇ψ_α(β) = ½ arcsinh(β/α²).
    pub fn grad(&self, beta: ArrayView1<f64>) -> Array1<f64> {
        Zip::from(&beta).and(&self.alpha_sq).map_collect(|&b, &a2| 0.5 * (b / a2).asinh())
    }

    /// (∇ψ_α)⁻¹(z) = α² ⊙ sinh(2z).
    pub fn grad_inv(&self, z: ArrayView1<f64>) -> Array1<f64> {
        Zip::from(&z).and(&self.alpha_sq).map_collect(|&z, &a2| a2 * (2.0 * z).sinh())
    }

    // ANCHOR: bregman
    /// Bregman divergence D_ψ(β, β') = ψ(β) − ψ(β') − ⟨∇ψ(β'), β − β'⟩ (≥ 0, = 0 iff β = β').
    pub fn bregman(&self, beta: ArrayView1<f64>, beta_ref: ArrayView1<f64>) -> f64 {
        let g = self.grad(beta_ref);
        let lin: f64 = Zip::from(&g).and(&beta).and(&beta_ref).fold(0.0, |acc, g, b, r| acc + g * (b - r));
        self.value(beta) - self.value(beta_ref) - lin
    }
    // ANCHOR_END: bregman
}

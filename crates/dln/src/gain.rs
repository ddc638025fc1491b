//! Theorem 2's effective initialisation: q, q±, α∞, β̃₀ and Gain_γ.
//! Book: chapter "Theorem 2".
//!
//! With x = γ_k g_k (per coordinate):
//! q(x) = −½ ln((1 − x²)²), q±(x) = ∓2x − ln((1 ∓ x)²), so q₊ + q₋ = 2q;
//! α±,k² = α² ⊙ exp(−Σ_{l<k} q±(γ_l g_l)), α_k² = α₊,k ⊙ α₋,k, β̃₀ = ½(α₊,∞² − α₋,∞²),
//! Gain_γ = ln(α²/α∞²) = Σ_k q(γ_k g_k).
//!
//! The engine never sums logarithms: in the rotated weights w± = (u ± v)/√2 the update is
//! w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋, hence the exact identities (MATH.md)
//! α_k² = |u_k² − v_k²|/2 = |w₊ w₋|,  α₊,k² = w₊² e^{−s_k},  α₋,k² = w₋² e^{s_k},  s_k = −2 Σ_{l<k} γ_l g_l,
//! and δ_k = ln(α₊,k/α₋,k) = ln|w₊/w₋| − s_k, β̃₀ = α∞² sinh(δ∞). All use absolute values, so steps with
//! |γ g_i| ≥ 1 (edge of stability) are handled.

use ndarray::{Array1, ArrayView1, Zip};

// ANCHOR: q
/// q(x) = −½ ln((1 − x²)²) = −ln|1 − x²| (evaluated with `ln_1p` for small x).
pub fn q(x: f64) -> f64 {
    let x2 = x * x;
    if x2 < 0.5 { -(-x2).ln_1p() } else { -(1.0 - x2).abs().ln() }
}
// ANCHOR_END: q

// ANCHOR: q_pm
/// q₊(x) = −2x − ln((1 − x)²).
pub fn q_plus(x: f64) -> f64 {
    -2.0 * x - 2.0 * ln_abs_1p(-x)
}

/// q₋(x) = 2x − ln((1 + x)²).
pub fn q_minus(x: f64) -> f64 {
    2.0 * x - 2.0 * ln_abs_1p(x)
}
// ANCHOR_END: q_pm

/// ln|1 + x|, accurate for small x.
fn ln_abs_1p(x: f64) -> f64 {
    if x > -0.5 { x.ln_1p() } else { (1.0 + x).abs().ln() }
}

/// Theorem 2's effective initialisation read off the weights (w₊, w₋) and s = −2Σγg.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EffectiveInit {
    /// α∞² (per coordinate) = |w₊ w₋| = |u² − v²|/2.
    pub alpha_inf_sq: Array1<f64>,
    /// δ = ln(α₊/α₋) = ln|w₊/w₋| − s.
    pub delta: Array1<f64>,
    /// β̃₀ = ½(α₊² − α₋²) = α∞² sinh(δ).
    pub beta_tilde0: Array1<f64>,
    /// Gain_γ = ln(α²/α∞²) per coordinate.
    pub gain: Array1<f64>,
}

/// One coordinate's gain read off the rotated weights:
/// Gain(i) = ln(α_i²/α_{k,i}²) = 2 ln α_i − ln|w₊,i| − ln|w₋,i|, since α_k² = |w₊ w₋|.
#[inline]
pub fn gain_from_weights(alpha: f64, w_plus: f64, w_minus: f64) -> f64 {
    2.0 * alpha.ln() - w_plus.abs().ln() - w_minus.abs().ln()
}

impl EffectiveInit {
    // ANCHOR: from_weights
    /// From the initial scale α, the rotated weights and s_k (the exact identities above).
    pub fn from_weights(
        alpha: ArrayView1<f64>,
        w_plus: ArrayView1<f64>,
        w_minus: ArrayView1<f64>,
        s: ArrayView1<f64>,
    ) -> Self {
        let alpha_inf_sq = Zip::from(&w_plus).and(&w_minus).map_collect(|p, m| (p * m).abs());
        let delta = Zip::from(&w_plus).and(&w_minus).and(&s).map_collect(|p, m, s| (p.abs().ln() - m.abs().ln()) - s);
        let beta_tilde0 = Zip::from(&alpha_inf_sq).and(&delta).map_collect(|a2, dl| a2 * dl.sinh());
        let gain = Zip::from(&alpha).and(&w_plus).and(&w_minus).map_collect(|&a, &p, &m| gain_from_weights(a, p, m));
        Self { alpha_inf_sq, delta, beta_tilde0, gain }
    }
    // ANCHOR_END: from_weights

    /// α∞ (not squared).
    pub fn alpha_inf(&self) -> Array1<f64> {
        self.alpha_inf_sq.mapv(f64::sqrt)
    }

    /// ‖Gain_γ‖₁.
    pub fn gain_l1(&self) -> f64 {
        self.gain.iter().map(|g| g.abs()).sum()
    }

    /// Whether every entry is finite (false after divergence or when a factor 1 ± γg hit 0 exactly).
    pub fn is_finite(&self) -> bool {
        self.alpha_inf_sq.iter().chain(&self.delta).chain(&self.gain).all(|v| v.is_finite())
            && self.alpha_inf_sq.iter().all(|&a| a > 0.0)
    }
}

/// The same quantities accumulated step by step as Σ q(γg), Σ q±(γg): a test oracle only
/// (it costs three logarithms per coordinate and step). Enabled by `Sgd::track_q_sums`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QSums {
    /// Σ_k q(γ_k g_k) (this is Gain_γ).
    pub q: Array1<f64>,
    /// Σ_k q₊(γ_k g_k).
    pub q_plus: Array1<f64>,
    /// Σ_k q₋(γ_k g_k).
    pub q_minus: Array1<f64>,
}

impl QSums {
    pub(crate) fn zeros(d: usize) -> Self {
        Self { q: Array1::zeros(d), q_plus: Array1::zeros(d), q_minus: Array1::zeros(d) }
    }

    /// Adds one step's x = γ g.
    pub(crate) fn add(&mut self, gamma_g: &[f64]) {
        for (j, &x) in gamma_g.iter().enumerate() {
            self.q[j] += q(x);
            self.q_plus[j] += q_plus(x);
            self.q_minus[j] += q_minus(x);
        }
    }

    /// β̃₀ = ½(α₊² − α₋²) with α±² = α² e^{−Σq±}.
    pub fn beta_tilde0(&self, alpha: ArrayView1<f64>) -> Array1<f64> {
        Zip::from(&alpha)
            .and(&self.q_plus)
            .and(&self.q_minus)
            .map_collect(|a, qp, qm| 0.5 * a * a * ((-qp).exp() - (-qm).exp()))
    }
}

// ANCHOR: second_order
/// Gain_γ's second-order approximation accumulated step by step: Σ_k (γ_k g_k)² per coordinate
/// (q(x) = x² + x⁴/2 + O(x⁶)), with the largest step max_k |γ_k g_k| that bounds its error
/// (x² ≤ q(x) ≤ x² + x⁴ for x² ≤ ½), and the number of steps on which some coordinate moved by
/// |γ_k g_k,j| > 1 (where q(x) < x² becomes possible). One multiply–add and two comparisons per
/// coordinate and step. Enabled by `Sgd::track_second_order`. Book: chapter "What sets the gain's
/// shape".
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SecondOrder {
    /// Σ_k (γ_k g_k)².
    pub sq: Array1<f64>,
    /// max_k |γ_k g_k|.
    pub max_abs: Array1<f64>,
    /// #{k : max_j |γ_k g_k,j| > 1}.
    pub steps_beyond_one: u64,
}

impl SecondOrder {
    pub(crate) fn zeros(d: usize) -> Self {
        Self { sq: Array1::zeros(d), max_abs: Array1::zeros(d), steps_beyond_one: 0 }
    }

    /// Adds one step's x = γ g. Inlined into the engine's loops (so it is compiled with their
    /// instruction set) over plain slices; the max is a compare-and-select, which equals
    /// `f64::max` here (|x| is never −0 and the running max is never NaN) and vectorises.
    #[inline(always)]
    pub(crate) fn add(&mut self, gamma_g: &[f64]) {
        use crate::kernels::second_order_one as one;
        let mut beyond = false;
        if let (Some(sq), Some(max_abs)) = (self.sq.as_slice_mut(), self.max_abs.as_slice_mut()) {
            let d = gamma_g.len();
            let (sq, max_abs) = (&mut sq[..d], &mut max_abs[..d]);
            for j in 0..d {
                beyond |= one(&mut sq[j], &mut max_abs[j], gamma_g[j]);
            }
        } else {
            for ((s, m), &x) in self.sq.iter_mut().zip(self.max_abs.iter_mut()).zip(gamma_g) {
                beyond |= one(s, m, x);
            }
        }
        self.steps_beyond_one += u64::from(beyond);
    }
}
// ANCHOR_END: second_order

//! The curvature along a run: the Gauss–Newton sharpness and the exact top Hessian eigenvalue of
//! F(u, v) = L(u ⊙ v), both read off a snapshot (β_k, Gain_k).

use anyhow::Result;
use dln::{Problem, Snapshot};
use ndarray::{ArrayView1, ArrayView2};

// ANCHOR: sharpness
/// Sharpness S = λ_max(X diag(w) Xᵀ/n) for per-coordinate weights w = u² + v² — the top eigenvalue
/// of the Hessian Jᵀ(XᵀX/n)J of F(u, v) = L(u ⊙ v) at an interpolator (J = [diag(v), diag(u)], and
/// JJᵀ = diag(u² + v²)); away from interpolation, its Gauss–Newton part. Power iteration on the
/// n×n matrix with a fixed summation order, the same result on every machine
/// ([`dln::stability::gauss_newton_sharpness`]).
pub fn sharpness(x: ArrayView2<f64>, w: &[f64]) -> Result<f64> {
    Ok(dln::stability::gauss_newton_sharpness(x, ArrayView1::from(w))?)
}
// ANCHOR_END: sharpness

/// α_k² = α² e^{−Gain_k}: a coordinate's effective scale at a snapshot, from its gain.
fn alpha_k_sq(alpha: f64, gain: f64) -> f64 {
    alpha * alpha * (-gain).exp()
}

/// u_k² + v_k² = 2√(β_k² + α_k⁴) with α_k² = α² e^{−Gain_k} (since β = (w₊² − w₋²)/2 and
/// α_k² = |w₊w₋|), read off a snapshot.
pub fn weight_norms(snapshot: &Snapshot, alpha: f64) -> Vec<f64> {
    snapshot
        .beta
        .iter()
        .zip(&snapshot.gain)
        .map(|(b, g)| {
            let a2 = alpha_k_sq(alpha, *g);
            2.0 * (b * b + a2 * a2).sqrt()
        })
        .collect()
}

// ANCHOR: hessian_sharpness
/// λ_max(∇²F(u_k, v_k)), the exact top eigenvalue of the Hessian of F(u, v) = L(u ⊙ v) at a
/// snapshot, residual term included ([`dln::stability::hessian_sharpness`]). The weights are read
/// off (β_k, Gain_k) by [`dln::DiagonalNet::from_beta`] with α_k² = α² e^{−Gain_k}; they are the
/// run's own up to the signs of w₊ = (u + v)/√2 and w₋ = (u − v)/√2, and flipping either sign is a
/// reflection of (u, v) that leaves F, hence ∇²F's spectrum, unchanged.
pub fn hessian_sharpness(problem: &Problem, snapshot: &Snapshot, alpha: f64) -> Result<f64> {
    let alpha_sq = snapshot.gain.mapv(|g| alpha_k_sq(alpha, g));
    let net = dln::DiagonalNet::from_beta(snapshot.beta.view(), alpha_sq.view())?;
    Ok(dln::stability::hessian_sharpness(problem.x.view(), problem.y.view(), &net)?)
}
// ANCHOR_END: hessian_sharpness

//! The hyperbolic entropy ψ_α: value, gradient and inverse gradient are consistent; the Bregman
//! divergence is ≥ 0 and vanishes exactly on the diagonal; the small- and large-α asymptotics.

use dln::Hypentropy;
use ndarray::Array1;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random vector with entries of every magnitude and sign, 10^[lo, hi].
fn wide(rng: &mut ChaCha8Rng, d: usize, lo: f64, hi: f64) -> Array1<f64> {
    (0..d)
        .map(|_| {
            let m = 10f64.powf(lo + (hi - lo) * rng.random::<f64>());
            if rng.random::<bool>() { m } else { -m }
        })
        .collect()
}

/// ψ_α with α_i = 10^−8u, u uniform on [0, 1): scales across eight decades.
fn heterogeneous_psi(rng: &mut ChaCha8Rng, d: usize) -> Hypentropy {
    let alpha: Array1<f64> = (0..d).map(|_| 10f64.powf(-8.0 * rng.random::<f64>())).collect();
    Hypentropy::new(alpha.view())
}

#[test]
fn grad_inv_inverts_grad() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..20 {
        let psi = heterogeneous_psi(&mut rng, 50);
        let beta = wide(&mut rng, 50, -12.0, 3.0);
        let back = psi.grad_inv(psi.grad(beta.view()).view());
        for (b, r) in beta.iter().zip(&back) {
            assert!((b - r).abs() <= 1e-13 * b.abs(), "{b} → {r}");
        }
        // And the other way round on the dual side.
        let z: Array1<f64> = (0..50).map(|_| 20.0 * (rng.random::<f64>() - 0.5)).collect();
        let zz = psi.grad(psi.grad_inv(z.view()).view());
        for (a, b) in z.iter().zip(&zz) {
            assert!((a - b).abs() <= 1e-13 * a.abs().max(1.0), "{a} → {b}");
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..20 {
        let alpha: Array1<f64> = (0..10).map(|_| 10f64.powf(-2.0 * rng.random::<f64>())).collect();
        let psi = Hypentropy::new(alpha.view());
        let beta = wide(&mut rng, 10, -3.0, 1.0);
        let grad = psi.grad(beta.view());
        for j in 0..10 {
            let h = 1e-5 * beta[j].abs().max(alpha[j] * alpha[j]);
            let mut plus = beta.clone();
            let mut minus = beta.clone();
            plus[j] += h;
            minus[j] -= h;
            let fd = (psi.value(plus.view()) - psi.value(minus.view())) / (2.0 * h);
            let scale = grad[j].abs().max(1.0);
            assert!((fd - grad[j]).abs() <= 1e-6 * scale, "coordinate {j}: finite difference {fd} vs {}", grad[j]);
        }
    }
}

#[test]
fn value_formula_and_basic_properties() {
    let alpha = Array1::from(vec![0.1, 1.0, 2.0]);
    let psi = Hypentropy::new(alpha.view());
    assert_eq!(psi.value(Array1::zeros(3).view()), 0.0, "ψ(0) = 0");
    let beta = Array1::from(vec![0.7, -1.3, 4.0]);
    let direct: f64 = beta
        .iter()
        .zip(&alpha)
        .map(|(b, a)| {
            let a2 = a * a;
            0.5 * (b * (b / a2).asinh() - (b * b + a2 * a2).sqrt() + a2)
        })
        .sum();
    assert!((psi.value(beta.view()) - direct).abs() <= 1e-14 * direct.abs());
    // Even, and ≥ 0.
    assert_eq!(psi.value(beta.view()), psi.value((-&beta).view()));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..100 {
        let b = wide(&mut rng, 3, -10.0, 2.0);
        assert!(psi.value(b.view()) >= 0.0);
    }
    // ψ_α = Hypentropy::from_alpha_sq(α²).
    let same = Hypentropy::from_alpha_sq(alpha.mapv(|a| a * a));
    assert_eq!(same.value(beta.view()), psi.value(beta.view()));
}

#[test]
fn bregman_divergence_is_nonnegative_and_zero_on_the_diagonal() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for _ in 0..200 {
        let psi = heterogeneous_psi(&mut rng, 20);
        let b = wide(&mut rng, 20, -10.0, 1.0);
        let c = wide(&mut rng, 20, -10.0, 1.0);
        assert_eq!(psi.bregman(b.view(), b.view()), 0.0, "D(β, β) = 0 exactly");
        let dbc = psi.bregman(b.view(), c.view());
        let scale = psi.value(b.view()) + psi.value(c.view());
        assert!(dbc >= -1e-12 * scale, "D = {dbc} < 0 (scale {scale})");
        assert!(dbc > 0.0, "D(β, β') > 0 for β ≠ β'");
    }
}

#[test]
fn asymptotics_in_alpha() {
    let beta: Array1<f64> = Array1::from(vec![1.0, -0.5, 0.0, 2.0]);
    let l1: f64 = beta.iter().map(|b| b.abs()).sum();
    let l2sq = beta.dot(&beta);
    // α → 0: ψ_α(β) ~ ln(1/α²)‖β‖₁ (relative correction O(1/ln(1/α))).
    let mut previous = f64::INFINITY;
    for alpha in [1e-2, 1e-4, 1e-8, 1e-16] {
        let psi = Hypentropy::new(Array1::from_elem(4, alpha).view());
        let ratio = psi.value(beta.view()) / ((1.0 / (alpha * alpha)).ln() * 0.5 * l1);
        assert!((ratio - 1.0).abs() < previous, "ratio {ratio} at α = {alpha}");
        previous = (ratio - 1.0).abs();
    }
    assert!(previous < 0.05);
    // α → ∞: ψ_α(β) ≈ ‖β‖²/(4α²).
    let psi = Hypentropy::new(Array1::from_elem(4, 100.0).view());
    let ratio = psi.value(beta.view()) / (l2sq / (4.0 * 1e4));
    assert!((ratio - 1.0).abs() < 1e-6, "{ratio}");
}

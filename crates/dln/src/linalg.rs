//! The little dense linear algebra the solvers need: Cholesky factorisation and solves of
//! symmetric positive definite n×n systems (row-major, fixed summation order).

use ndarray::{Array1, Array2, ArrayView1};

use crate::optimizer::dot;

/// Lower-triangular Cholesky factor L of A = L Lᵀ; `None` if A is not (numerically) positive definite.
pub fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    {
        let ls = l.as_slice_mut().expect("fresh array is contiguous");
        for i in 0..n {
            for j in 0..=i {
                let s = dot(&ls[i * n..i * n + j], &ls[j * n..j * n + j]);
                let v = a[[i, j]] - s;
                if i == j {
                    if !(v > 0.0) || !v.is_finite() {
                        return None;
                    }
                    ls[i * n + i] = v.sqrt();
                } else {
                    ls[i * n + j] = v / ls[j * n + j];
                }
            }
        }
    }
    Some(l)
}

/// Solves L Lᵀ x = b.
pub fn cholesky_solve(l: &Array2<f64>, b: ArrayView1<f64>) -> Array1<f64> {
    let n = l.nrows();
    let mut z = b.to_owned();
    for i in 0..n {
        let mut s = z[i];
        for k in 0..i {
            s -= l[[i, k]] * z[k];
        }
        z[i] = s / l[[i, i]];
    }
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= l[[k, i]] * z[k];
        }
        z[i] = s / l[[i, i]];
    }
    z
}

/// Cholesky with a growing diagonal shift μ·mean(diag A) (0, 1e-14, 1e-12, …) until it succeeds.
pub fn cholesky_shifted(a: &Array2<f64>) -> Option<Array2<f64>> {
    if let Some(l) = cholesky(a) {
        return Some(l);
    }
    let n = a.nrows();
    let scale = (0..n).map(|i| a[[i, i]].abs()).sum::<f64>() / n.max(1) as f64;
    let mut mu = 1e-14;
    while mu < 1.0 {
        let mut shifted = a.clone();
        for i in 0..n {
            shifted[[i, i]] += mu * scale.max(f64::MIN_POSITIVE);
        }
        if let Some(l) = cholesky(&shifted) {
            return Some(l);
        }
        mu *= 100.0;
    }
    None
}

//! Helpers shared by the integration tests (each test file includes this module; not every file
//! uses every helper).
#![allow(dead_code)]

use dln::{DataConfig, Problem};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// ‖v‖₂.
pub fn norm(v: ArrayView1<f64>) -> f64 {
    v.dot(&v).sqrt()
}

/// ‖a − b‖₂.
pub fn dist(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    norm((a - b).view())
}

/// max_i |v_i|.
pub fn max_abs(v: ArrayView1<f64>) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// A default-law problem (x ~ N(0, I), β* with N(0, 1) values on the first s coordinates).
pub fn problem(n: usize, d: usize, s: usize, seed: u64) -> Problem {
    DataConfig { n, d, s, seed, ..DataConfig::default() }.generate().expect("valid configuration")
}

/// The reference problem of MATH.md: (n, d, s) = (20, 30, 3), β* = (1, 1, 1, 0, …).
pub fn reference_problem(seed: u64) -> Problem {
    DataConfig { values: Some(vec![1.0, 1.0, 1.0]), seed, ..DataConfig::default() }.generate().expect("valid")
}

/// max_i ‖x_i‖² (the b = 1 curvature scale).
pub fn max_row_norm_sq(x: ArrayView2<f64>) -> f64 {
    x.rows().into_iter().map(|r| r.dot(&r)).fold(0.0, f64::max)
}

/// An orthonormal basis of range(Xᵀ) ⊂ R^d (rows: the basis vectors), by modified Gram–Schmidt
/// with re-orthogonalisation — written here independently of the crate's linear algebra.
pub fn row_space_basis(x: ArrayView2<f64>) -> Vec<Array1<f64>> {
    let mut basis: Vec<Array1<f64>> = Vec::new();
    for row in x.rows() {
        let mut v = row.to_owned();
        let scale = norm(v.view());
        for _ in 0..2 {
            for b in &basis {
                let c = b.dot(&v);
                v.scaled_add(-c, b);
            }
        }
        let nv = norm(v.view());
        if nv > 1e-10 * scale {
            basis.push(v / nv);
        }
    }
    basis
}

/// An orthonormal basis of ker(X) = range(Xᵀ)^⊥ (completing the row-space basis with the
/// canonical vectors).
pub fn null_space_basis(x: ArrayView2<f64>) -> Vec<Array1<f64>> {
    let d = x.ncols();
    let mut all = row_space_basis(x);
    let rank = all.len();
    for j in 0..d {
        let mut v = Array1::<f64>::zeros(d);
        v[j] = 1.0;
        for _ in 0..2 {
            for b in &all {
                let c = b.dot(&v);
                v.scaled_add(-c, b);
            }
        }
        let nv = norm(v.view());
        if nv > 1e-8 {
            all.push(v / nv);
        }
        if all.len() == d {
            break;
        }
    }
    all.split_off(rank)
}

/// The component of v orthogonal to range(Xᵀ), relative to ‖v‖ (0 iff v ∈ range(Xᵀ)).
pub fn off_row_space(x: ArrayView2<f64>, v: ArrayView1<f64>) -> f64 {
    let mut r = v.to_owned();
    for b in row_space_basis(x) {
        let c = b.dot(&r);
        r.scaled_add(-c, &b);
    }
    norm(r.view()) / norm(v).max(f64::MIN_POSITIVE)
}

/// ‖Xβ − y‖ / ‖y‖.
pub fn rel_residual(x: ArrayView2<f64>, y: ArrayView1<f64>, beta: ArrayView1<f64>) -> f64 {
    let r = x.dot(&beta) - y;
    norm(r.view()) / norm(y)
}

/// The Display text of an error, checked to be a single line.
pub fn one_line(e: &dln::DlnError) -> String {
    let msg = e.to_string();
    assert!(!msg.is_empty() && !msg.contains('\n'), "error message is not one line: {msg:?}");
    msg
}

/// A dense matrix from rows.
pub fn matrix(rows: &[&[f64]]) -> Array2<f64> {
    let d = rows[0].len();
    Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i][j])
}

/// All eigenvalues (ascending) of a symmetric matrix by the cyclic Jacobi method — an eigen-solver
/// independent of the crate's power iteration and Lanczos. Sweeps until the off-diagonal mass is
/// below 1e-30 of the total (or 100 sweeps).
pub fn jacobi_eigenvalues(a: ArrayView2<f64>) -> Vec<f64> {
    let m = a.nrows();
    assert_eq!(m, a.ncols(), "square matrix expected");
    let mut a = a.to_owned();
    let total: f64 = a.iter().map(|v| v * v).sum();
    for _ in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|p| (0..m).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[[p, q]] * a[[p, q]])
            .sum();
        if off <= 1e-30 * total {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                let apq = a[[p, q]];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                    sign / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..m {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..m {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut eig: Vec<f64> = (0..m).map(|i| a[[i, i]]).collect();
    eig.sort_by(f64::total_cmp);
    eig
}

/// Q D Qᵀ for the Householder reflector Q = I − 2vvᵀ/(vᵀv): a symmetric matrix with spectrum `diag`.
pub fn with_spectrum(diag: &[f64], v: &[f64]) -> Array2<f64> {
    let m = diag.len();
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let q = Array2::from_shape_fn((m, m), |(i, j)| f64::from(u8::from(i == j)) - 2.0 * v[i] * v[j] / vv);
    let d = Array2::from_shape_fn((m, m), |(i, j)| if i == j { diag[i] } else { 0.0 });
    q.dot(&d).dot(&q.t())
}

/// A deterministic matrix of N(0, 1) entries (ChaCha8, `seed`).
pub fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| StandardNormal.sample(&mut rng))
}

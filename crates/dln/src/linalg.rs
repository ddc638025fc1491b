//! The little dense linear algebra the engine and the solvers need: fixed-order dot products and
//! row sweeps over a row-major X (the same result on every machine, whatever its vector width:
//! no reassociation, no fused multiply-add), the weighted Gram matrix X diag(h) Xᵀ, Cholesky
//! factorisation and solves of symmetric positive definite n×n systems, and preconditioned
//! conjugate gradients.

use std::sync::atomic::{AtomicU8, Ordering};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};

/// 0: not yet detected, 1: portable kernels only, 2: AVX kernels allowed.
static WIDE: AtomicU8 = AtomicU8::new(0);

/// Whether the engine (single runs and lockstep runs) may use its AVX kernels: true when the CPU has
/// AVX (detected at run time, no build flags) unless switched off by [`set_wide_kernels`]. The AVX
/// kernels perform the same IEEE operations in the same order as the portable ones (no FMA), so
/// every result is bitwise the same on every x86-64 machine either way.
pub fn wide_kernels() -> bool {
    match WIDE.load(Ordering::Relaxed) {
        0 => {
            #[cfg(target_arch = "x86_64")]
            let has = std::arch::is_x86_feature_detected!("avx");
            #[cfg(not(target_arch = "x86_64"))]
            let has = false;
            WIDE.store(if has { 2 } else { 1 }, Ordering::Relaxed);
            has
        }
        v => v == 2,
    }
}

/// Allows (`true`, the default where the CPU supports it) or forbids the AVX kernels —
/// for tests that check the bitwise equality of both paths, and for benchmarks.
#[doc(hidden)]
pub fn set_wide_kernels(enabled: bool) {
    #[cfg(target_arch = "x86_64")]
    let has = std::arch::is_x86_feature_detected!("avx");
    #[cfg(not(target_arch = "x86_64"))]
    let has = false;
    WIDE.store(if enabled && has { 2 } else { 1 }, Ordering::Relaxed);
}

/// ⟨a, b⟩ with four independent accumulators (vectorises; the summation order is fixed, so the
/// result is the same on every machine and thread count).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// y ← y + c x.
#[inline]
pub(crate) fn axpy(c: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += c * xi;
    }
}

/// The four dot products ⟨a_t, b⟩, t = 0..4, each with exactly [`dot`]'s summation order (so the
/// results are bitwise those of four `dot` calls), but sharing the loads of `b` and running eight
/// independent accumulator chains instead of two: at large d the residual pass becomes memory-bound
/// instead of add-latency-bound.
#[inline]
pub(crate) fn dot4(a: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
    let n = b.len();
    let (a0, a1, a2, a3) = (&a[0][..n], &a[1][..n], &a[2][..n], &a[3][..n]);
    let mut acc = [[0.0f64; 4]; 4];
    let chunks = a0
        .chunks_exact(4)
        .zip(a1.chunks_exact(4))
        .zip(a2.chunks_exact(4).zip(a3.chunks_exact(4)))
        .zip(b.chunks_exact(4));
    for (((x0, x1), (x2, x3)), y) in chunks {
        for l in 0..4 {
            acc[0][l] += x0[l] * y[l];
            acc[1][l] += x1[l] * y[l];
            acc[2][l] += x2[l] * y[l];
            acc[3][l] += x3[l] * y[l];
        }
    }
    let start = n - n % 4;
    let mut out = [0.0; 4];
    for (t, row) in [a0, a1, a2, a3].into_iter().enumerate() {
        let mut tail = 0.0;
        for (x, y) in row[start..].iter().zip(&b[start..]) {
            tail += x * y;
        }
        out[t] = (acc[t][0] + acc[t][2]) + (acc[t][1] + acc[t][3]) + tail;
    }
    out
}

/// out = X v for a row-major X (n×d, `xs.len() = n d`), four rows per sweep of v.
pub(crate) fn x_mul(xs: &[f64], d: usize, v: &[f64], out: &mut [f64]) {
    let n = out.len();
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    let mut i = 0;
    while i + 4 <= n {
        let r = dot4([row(i), row(i + 1), row(i + 2), row(i + 3)], v);
        out[i..i + 4].copy_from_slice(&r);
        i += 4;
    }
    for (k, o) in out.iter_mut().enumerate().skip(i) {
        *o = dot(row(k), v);
    }
}

/// out = Xᵀ v = Σ_i v_i x_i for a row-major X (n×d), four rows per sweep of `out`.
pub(crate) fn xt_mul(xs: &[f64], d: usize, v: &[f64], out: &mut [f64]) {
    let n = v.len();
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    let out = &mut out[..d];
    out.fill(0.0);
    let mut i = 0;
    while i + 4 <= n {
        let c = [v[i], v[i + 1], v[i + 2], v[i + 3]];
        let (x0, x1, x2, x3) = (row(i), row(i + 1), row(i + 2), row(i + 3));
        let rows = x0.iter().zip(x1).zip(x2.iter().zip(x3));
        for (o, ((a0, a1), (a2, a3))) in out.iter_mut().zip(rows) {
            *o = *o + c[0] * a0 + c[1] * a1 + c[2] * a2 + c[3] * a3;
        }
        i += 4;
    }
    for (k, &vk) in v.iter().enumerate().skip(i) {
        axpy(vk, row(k), out);
    }
}

/// Rows per block of [`weighted_gram`].
const GRAM_BLOCK: usize = 128;

/// The weighted Gram matrix X diag(h) Xᵀ (n×n, symmetric) for h ≥ 0: the lower triangle is computed
/// block row by block row as (X_I √h)(X_{≤I} √h)ᵀ with ndarray's matrix product, then mirrored:
/// about half the flops of the full product when n is large (one product when n ≤ 128).
pub fn weighted_gram(x: ArrayView2<f64>, h: ArrayView1<f64>) -> Array2<f64> {
    let n = x.nrows();
    let sqrt_h = h.mapv(f64::sqrt);
    let xs = &x * &sqrt_h.view().insert_axis(Axis(0));
    let mut gram = Array2::<f64>::zeros((n, n));
    let mut i0 = 0;
    while i0 < n {
        let i1 = (i0 + GRAM_BLOCK).min(n);
        let block = xs.slice(s![i0..i1, ..]).dot(&xs.slice(s![..i1, ..]).t());
        gram.slice_mut(s![i0..i1, ..i1]).assign(&block);
        i0 = i1;
    }
    for i in 0..n {
        for j in i + 1..n {
            gram[[i, j]] = gram[[j, i]];
        }
    }
    gram
}

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
                    if v <= 0.0 || !v.is_finite() {
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

/// Solves L Lᵀ x = b (forward substitution by rows of L, backward by columns of Lᵀ = rows of L:
/// both sweep contiguous rows).
pub fn cholesky_solve(l: &Array2<f64>, b: ArrayView1<f64>) -> Array1<f64> {
    let n = l.nrows();
    let ls = l.as_standard_layout();
    let ls: &[f64] = ls.as_slice().expect("standard layout is contiguous");
    let mut z = b.to_vec();
    for i in 0..n {
        let row = &ls[i * n..i * n + i];
        z[i] = (z[i] - dot(row, &z[..i])) / ls[i * n + i];
    }
    for i in (0..n).rev() {
        let zi = z[i] / ls[i * n + i];
        z[i] = zi;
        axpy(-zi, &ls[i * n..i * n + i], &mut z[..i]);
    }
    Array1::from(z)
}

/// out = X diag(h) Xᵀ v (the dual Hessian times v) for a row-major X (n×d): z = Xᵀv, z ⊙= h,
/// out = X z — two streaming sweeps over X. (A column-blocked single sweep from memory, with the
/// second pass from cache, measured 2× slower here: short row segments defeat the prefetchers.)
/// `scratch` has length ≥ d.
pub(crate) fn gram_vec(xs: &[f64], d: usize, h: &[f64], v: &[f64], out: &mut [f64], scratch: &mut [f64]) {
    let z = &mut scratch[..d];
    xt_mul(xs, d, v, z);
    for (zj, hj) in z.iter_mut().zip(h) {
        *zj *= hj;
    }
    x_mul(xs, d, z, out);
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

/// Preconditioned conjugate gradients for A x = b (A symmetric positive definite, given by its
/// product `apply(v, out)`: out = A v), preconditioned by M = L Lᵀ (a Cholesky factor of a nearby
/// matrix), from x = 0. Returns x once ‖b − A x‖₂ ≤ `rtol`·‖b‖₂, or `None` after `max_iter`
/// iterations or as soon as the observed contraction rate says the budget will not suffice.
/// Every iterate x_k satisfies bᵀx_k > 0 (so −x_k is a descent direction when b = −∇).
pub fn pcg(
    mut apply: impl FnMut(&[f64], &mut [f64]),
    l: &Array2<f64>,
    b: ArrayView1<f64>,
    rtol: f64,
    max_iter: usize,
) -> Option<Array1<f64>> {
    let n = b.len();
    let b_norm = b.dot(&b).sqrt();
    if b_norm == 0.0 {
        return Some(Array1::zeros(n));
    }
    let target = rtol * b_norm;
    let mut x = Array1::<f64>::zeros(n);
    let mut r = b.to_owned();
    let mut z = cholesky_solve(l, r.view());
    let mut p = z.clone();
    let mut ap = vec![0.0; n];
    let mut rz = r.dot(&z);
    for k in 1..=max_iter {
        apply(p.as_slice().expect("contiguous"), &mut ap);
        let pap: f64 = p.iter().zip(&ap).map(|(a, b)| a * b).sum();
        if !(pap > 0.0 && pap.is_finite() && rz > 0.0) {
            return None;
        }
        let step = rz / pap;
        x.scaled_add(step, &p);
        for (ri, api) in r.iter_mut().zip(&ap) {
            *ri -= step * api;
        }
        let r_norm = r.dot(&r).sqrt();
        if !r_norm.is_finite() {
            return None;
        }
        if r_norm <= target {
            return Some(x);
        }
        if k >= 3 {
            // Linear-rate forecast: give up early instead of wasting the whole budget.
            let rate = (r_norm / b_norm).powf(1.0 / k as f64);
            if rate >= 1.0 || k as f64 + (target / r_norm).ln() / rate.ln() > 1.5 * max_iter as f64 {
                return None;
            }
        }
        z = cholesky_solve(l, r.view());
        let rz_next = r.dot(&z);
        let beta = rz_next / rz;
        rz = rz_next;
        p.zip_mut_with(&z, |pi, zi| *pi = zi + beta * *pi);
    }
    None
}

//! The engine's inner kernels, each in two versions that perform the same IEEE operations in the same
//! order: a portable one (plain Rust) and, on x86-64, one written with AVX intrinsics (4-wide
//! vectors, no fused multiply-add), chosen at run time by [`crate::linalg::wide_kernels`]. The
//! results are therefore the same bit for bit on every x86-64 machine, with or without AVX.
//!
//! Shapes: slices whose length is written `dp` are zero-padded to a multiple of 4 (see
//! [`crate::engine`]); `d` is the true dimension.
//!
//! The `WIDE` parameter selects the AVX version; it is `true` only in code reached from the engine's
//! `#[target_feature(enable = "avx")]` entry points, which run only when the CPU reports AVX.

use crate::linalg;

/// ⟨a, b⟩ in [`linalg`]'s fixed order: four accumulators acc_l over j ≡ l (mod 4) in the full chunks,
/// the tail summed sequentially, then ((acc₀ + acc₂) + (acc₁ + acc₃)) + tail.
#[inline(always)]
pub(crate) fn dot<const WIDE: bool>(a: &[f64], b: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: WIDE is true only where AVX is available (module docs).
        return unsafe { avx::dot(a, b) };
    }
    linalg::dot(a, b)
}

/// The four dot products ⟨a_t, b⟩ of [`linalg::dot4`] (each in [`dot`]'s order, so bitwise four
/// `dot` calls), over the first `b.len()` entries of each row.
#[inline(always)]
pub(crate) fn dot4<const WIDE: bool>(a: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as in `dot`.
        return unsafe { avx::dot4(a, b) };
    }
    linalg::dot4(a, b)
}

/// The b = 1 step after its residual: γg_j = (c x_j) γ, w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋,
/// β = (w₊² − w₋²)/2, over `x.len()` (= dp) coordinates; with `KEEP`, γg is stored in `g`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn rank_one<const WIDE: bool, const KEEP: bool>(
    x: &[f64],
    c: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
    g: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if WIDE && x.len().is_multiple_of(4) {
        // SAFETY: as in `dot`.
        return unsafe { avx::rank_one::<KEEP>(x, c, gamma, wp, wm, beta, g) };
    }
    let d = x.len();
    let (wp, wm, beta, g) = (&mut wp[..d], &mut wm[..d], &mut beta[..d], &mut g[..d]);
    for j in 0..d {
        let gg = (c * x[j]) * gamma;
        if KEEP {
            g[j] = gg;
        }
        wp[j] *= 1.0 - gg;
        wm[j] *= 1.0 + gg;
        beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
    }
}

/// The second-order sums of [`crate::SecondOrder`] as plain slices (d entries each): Σ(γg)², max|γg|.
pub(crate) type SecondOrderSlices<'a> = (&'a mut [f64], &'a mut [f64]);

/// Adds γg = `x` to coordinate j's second-order sums ([`crate::SecondOrder::add`]'s operations: the
/// square added, the max as a compare-and-select); whether |x| > 1.
#[inline(always)]
pub(crate) fn second_order_one(sq: &mut f64, max_abs: &mut f64, x: f64) -> bool {
    *sq += x * x;
    let a = x.abs();
    *max_abs = if a > *max_abs { a } else { *max_abs };
    a > 1.0
}

/// One b = 1 step fused with the next step's residual: the update of [`rank_one`] (without storing β
/// or γg) and, from each new β_j as it is formed, ⟨x_next, β⟩ in [`dot`]'s order over the first `d`
/// coordinates. `x` and `x_next` have dp entries (a multiple of 4), zeros past d. With `TRACK`, each
/// γg_j (j < d) is also added to the second-order sums `track` (as [`second_order_one`]); the second
/// value returned is whether some |γg_j| > 1 (always false without `TRACK`). With `TRACK` but not
/// `MAX`, only Σ(γg)² is accumulated: max|γg| and the step's |γg| > 1 are left to the caller (the
/// engine derives both exactly from the residuals, see `Peaks`), `max_abs` is not touched and the
/// second value is false.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn rank_one_then_dot<const WIDE: bool, const TRACK: bool, const MAX: bool>(
    x: &[f64],
    c: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    x_next: &[f64],
    d: usize,
    track: SecondOrderSlices,
) -> (f64, bool) {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as in `dot`.
        return unsafe { avx::rank_one_then_dot::<TRACK, MAX>(x, c, gamma, wp, wm, x_next, d, track) };
    }
    let dp = x.len();
    let full = d - d % 4;
    let (sq, max_abs) = track;
    let (sq, max_abs) = match (TRACK, MAX) {
        (true, true) => (&mut sq[..d], &mut max_abs[..d]),
        (true, false) => (&mut sq[..d], &mut max_abs[..0]),
        _ => (&mut sq[..0], &mut max_abs[..0]),
    };
    // Four coordinates at a time (as the vector version), so that the loop vectorises.
    let chunks = x.chunks_exact(4).zip(wp[..dp].chunks_exact_mut(4)).zip(wm[..dp].chunks_exact_mut(4));
    let mut acc = [0.0f64; 4];
    let mut tail = 0.0;
    let mut beyond = false;
    for (m, ((x, wp), wm)) in chunks.enumerate() {
        let xn: &[f64; 4] = x_next[4 * m..4 * m + 4].try_into().expect("four entries");
        let mut prod = [0.0f64; 4];
        for q in 0..4 {
            let gg = (c * x[q]) * gamma;
            if TRACK && MAX && 4 * m + q < d {
                beyond |= second_order_one(&mut sq[4 * m + q], &mut max_abs[4 * m + q], gg);
            } else if TRACK && 4 * m + q < d {
                sq[4 * m + q] += gg * gg;
            }
            wp[q] *= 1.0 - gg;
            wm[q] *= 1.0 + gg;
            prod[q] = xn[q] * (0.5 * (wp[q] * wp[q] - wm[q] * wm[q]));
        }
        if 4 * m < full {
            for q in 0..4 {
                acc[q] += prod[q];
            }
        } else {
            for &p in &prod[..d - full] {
                tail += p;
            }
        }
    }
    ((acc[0] + acc[2]) + (acc[1] + acc[3]) + tail, beyond)
}

/// [`crate::optimizer::multiplicative_step`] from the unscaled gradient `g` (all of its entries).
#[inline(always)]
pub(crate) fn multiplicative_step<const WIDE: bool, const KEEP: bool>(
    g: &mut [f64],
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if WIDE && g.len().is_multiple_of(4) {
        // SAFETY: as in `dot`.
        return unsafe { avx::multiplicative_step::<KEEP>(g, gamma, wp, wm, beta) };
    }
    crate::optimizer::multiplicative_step::<KEEP>(g, gamma, wp, wm, beta);
}

/// r_i = ⟨x_i, β⟩ − y_i for the rows 0..np of the column-major X (`xc[j·np + i]`, np a multiple of 4),
/// four rows per vector, each lane in [`dot`]'s order; `beta` has d entries. AVX only: the portable
/// engine sums rows with [`linalg::dot4`], which vectorises better without AVX.
///
/// # Safety
/// The CPU has AVX.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn residuals_by_columns(xc: &[f64], np: usize, beta: &[f64], y: &[f64], r: &mut [f64]) {
    // SAFETY: the caller's contract.
    unsafe { avx::residuals_by_columns(xc, np, beta, y, r) }
}

/// g = Σ_t c_t x_{i_t} over the rows `idx` of the row-major X (`xr`, rows of `g.len()` = dp entries),
/// from g = 0 and sequentially in t for every coordinate; the caller forms c_t = r_t / b.
#[inline(always)]
pub(crate) fn gradient<const WIDE: bool>(xr: &[f64], idx: &[usize], c: &[f64], g: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if WIDE && g.len().is_multiple_of(4) {
        // SAFETY: as in `dot`.
        return unsafe { avx::gradient(xr, idx, c, g) };
    }
    let dp = g.len();
    let row = |i: usize| &xr[i * dp..(i + 1) * dp];
    g.fill(0.0);
    // Four rows per sweep of g: (((g + c₀x₀) + c₁x₁) + c₂x₂) + c₃x₃ is the sequential order.
    let mut quads = idx.chunks_exact(4).zip(c.chunks_exact(4));
    for (q, c) in &mut quads {
        let (x0, x1, x2, x3) = (row(q[0]), row(q[1]), row(q[2]), row(q[3]));
        for (j, gj) in g.iter_mut().enumerate() {
            *gj = *gj + c[0] * x0[j] + c[1] * x1[j] + c[2] * x2[j] + c[3] * x3[j];
        }
    }
    let done = idx.len() - idx.len() % 4;
    for (&i, &ct) in idx[done..].iter().zip(&c[done..]) {
        for (gj, xj) in g.iter_mut().zip(row(i)) {
            *gj += ct * xj;
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx {
    //! The AVX versions, on raw pointers: each function checks every length it relies on once, on
    //! entry, and then every load and store is in bounds by construction.
    use std::arch::x86_64::*;

    /// (a₀ + a₂) + (a₁ + a₃) of the lanes of `v`.
    #[inline]
    #[target_feature(enable = "avx")]
    fn pair_sum(v: __m256d) -> f64 {
        let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        _mm_cvtsd_f64(s) + _mm_cvtsd_f64(_mm_unpackhi_pd(s, s))
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let full = n - n % 4;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm256_setzero_pd();
        let mut j = 0;
        while j < full {
            // SAFETY: j + 4 ≤ full ≤ both lengths.
            let (x, y) = unsafe { (_mm256_loadu_pd(pa.add(j)), _mm256_loadu_pd(pb.add(j))) };
            acc = _mm256_add_pd(acc, _mm256_mul_pd(x, y));
            j += 4;
        }
        let mut tail = 0.0;
        for (x, y) in a[full..n].iter().zip(&b[full..n]) {
            tail += x * y;
        }
        pair_sum(acc) + tail
    }

    /// w₊, w₋, β from γg = `gg` at offset j (both paths of the multiplicative update).
    ///
    /// # Safety
    /// j + 4 ≤ the length of each array behind the pointers.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn update(gg: __m256d, wp: *mut f64, wm: *mut f64, beta: *mut f64, j: usize) {
        let (one, half) = (_mm256_set1_pd(1.0), _mm256_set1_pd(0.5));
        // SAFETY: the caller's contract.
        unsafe {
            let p = _mm256_mul_pd(_mm256_loadu_pd(wp.add(j)), _mm256_sub_pd(one, gg));
            let m = _mm256_mul_pd(_mm256_loadu_pd(wm.add(j)), _mm256_add_pd(one, gg));
            _mm256_storeu_pd(wp.add(j), p);
            _mm256_storeu_pd(wm.add(j), m);
            _mm256_storeu_pd(beta.add(j), _mm256_mul_pd(half, _mm256_sub_pd(_mm256_mul_pd(p, p), _mm256_mul_pd(m, m))));
        }
    }

    /// For each block of four coordinates j < d (d a multiple of 4): γg = `gg(j)`, stored at `pg` + j
    /// if `KEEP`, then the [`update`] of w₊, w₋ and β.
    ///
    /// # Safety
    /// d ≤ the length of each array behind the pointers (`pg` only if `KEEP`), and `gg(j)` reads
    /// nothing past j + 4.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn update_blocks<const KEEP: bool>(
        d: usize,
        gg: impl Fn(usize) -> __m256d,
        pg: *mut f64,
        (pp, pm, pb): (*mut f64, *mut f64, *mut f64),
    ) {
        let mut j = 0;
        while j < d {
            let gg = gg(j);
            // SAFETY: j + 4 ≤ d (a multiple of 4) ≤ every length: the caller's contract.
            unsafe {
                if KEEP {
                    _mm256_storeu_pd(pg.add(j), gg);
                }
                update(gg, pp, pm, pb, j);
            }
            j += 4;
        }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn rank_one<const KEEP: bool>(
        x: &[f64],
        c: f64,
        gamma: f64,
        wp: &mut [f64],
        wm: &mut [f64],
        beta: &mut [f64],
        g: &mut [f64],
    ) {
        let d = x.len();
        assert!(d.is_multiple_of(4) && wp.len() >= d && wm.len() >= d && beta.len() >= d && (!KEEP || g.len() >= d));
        let (c, gamma, px) = (_mm256_set1_pd(c), _mm256_set1_pd(gamma), x.as_ptr());
        // SAFETY: j + 4 ≤ d = x.len() in `gg`, and d ≤ every length (checked above).
        let gg = |j: usize| _mm256_mul_pd(_mm256_mul_pd(c, unsafe { _mm256_loadu_pd(px.add(j)) }), gamma);
        let state = (wp.as_mut_ptr(), wm.as_mut_ptr(), beta.as_mut_ptr());
        // SAFETY: as above.
        unsafe { update_blocks::<KEEP>(d, gg, g.as_mut_ptr(), state) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    #[allow(clippy::too_many_arguments)]
    pub fn rank_one_then_dot<const TRACK: bool, const MAX: bool>(
        x: &[f64],
        c: f64,
        gamma: f64,
        wp: &mut [f64],
        wm: &mut [f64],
        x_next: &[f64],
        d: usize,
        track: super::SecondOrderSlices,
    ) -> (f64, bool) {
        let dp = x.len();
        assert!(dp.is_multiple_of(4) && d <= dp && wp.len() >= dp && wm.len() >= dp && x_next.len() >= dp);
        let (sq, max_abs) = track;
        assert!(!TRACK || (sq.len() >= d && (!MAX || max_abs.len() >= d)));
        let full = d - d % 4;
        let (c, gamma) = (_mm256_set1_pd(c), _mm256_set1_pd(gamma));
        let (one, half, sign) = (_mm256_set1_pd(1.0), _mm256_set1_pd(0.5), _mm256_set1_pd(-0.0));
        let (px, pn, pp, pm) = (x.as_ptr(), x_next.as_ptr(), wp.as_mut_ptr(), wm.as_mut_ptr());
        let (ps, pa) = (sq.as_mut_ptr(), max_abs.as_mut_ptr());
        let mut acc = _mm256_setzero_pd();
        let mut above = _mm256_setzero_pd();
        let mut last = [0.0f64; 4];
        let mut last_gg = [0.0f64; 4];
        let mut j = 0;
        while j < dp {
            // SAFETY: j + 4 ≤ dp ≤ every length of x, x_next, wp, wm, and j + 4 ≤ full ≤ d ≤ the
            // lengths of sq and max_abs where they are read (checked above).
            unsafe {
                let gg = _mm256_mul_pd(_mm256_mul_pd(c, _mm256_loadu_pd(px.add(j))), gamma);
                if TRACK {
                    if j < full {
                        // Σ(γg)² += γg·γg; max|γg| by compare-and-select (vmaxpd returns its second
                        // operand unless the first is greater: `if a > m { a } else { m }`).
                        let s = _mm256_add_pd(_mm256_loadu_pd(ps.add(j)), _mm256_mul_pd(gg, gg));
                        _mm256_storeu_pd(ps.add(j), s);
                        if MAX {
                            let a = _mm256_andnot_pd(sign, gg);
                            _mm256_storeu_pd(pa.add(j), _mm256_max_pd(a, _mm256_loadu_pd(pa.add(j))));
                            above = _mm256_or_pd(above, _mm256_cmp_pd::<_CMP_GT_OQ>(a, one));
                        }
                    } else if j == full {
                        _mm256_storeu_pd(last_gg.as_mut_ptr(), gg);
                    }
                }
                let p = _mm256_mul_pd(_mm256_loadu_pd(pp.add(j)), _mm256_sub_pd(one, gg));
                let m = _mm256_mul_pd(_mm256_loadu_pd(pm.add(j)), _mm256_add_pd(one, gg));
                _mm256_storeu_pd(pp.add(j), p);
                _mm256_storeu_pd(pm.add(j), m);
                let beta = _mm256_mul_pd(half, _mm256_sub_pd(_mm256_mul_pd(p, p), _mm256_mul_pd(m, m)));
                let prod = _mm256_mul_pd(_mm256_loadu_pd(pn.add(j)), beta);
                if j < full {
                    acc = _mm256_add_pd(acc, prod);
                } else if j == full {
                    _mm256_storeu_pd(last.as_mut_ptr(), prod);
                }
            }
            j += 4;
        }
        let mut beyond = _mm256_movemask_pd(above) != 0;
        if TRACK {
            for (q, &gg) in last_gg[..d - full].iter().enumerate() {
                if MAX {
                    beyond |= super::second_order_one(&mut sq[full + q], &mut max_abs[full + q], gg);
                } else {
                    sq[full + q] += gg * gg;
                }
            }
        }
        let mut tail = 0.0;
        for &p in &last[..d - full] {
            tail += p;
        }
        (pair_sum(acc) + tail, beyond)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn multiplicative_step<const KEEP: bool>(
        g: &mut [f64],
        gamma: f64,
        wp: &mut [f64],
        wm: &mut [f64],
        beta: &mut [f64],
    ) {
        assert!(g.len().is_multiple_of(4) && wp.len() >= g.len() && wm.len() >= g.len() && beta.len() >= g.len());
        let (gamma, pg) = (_mm256_set1_pd(gamma), g.as_mut_ptr());
        // SAFETY: j + 4 ≤ g.len() in `gg`, which reads γg's block before `update_blocks` stores it.
        let gg = |j: usize| _mm256_mul_pd(unsafe { _mm256_loadu_pd(pg.add(j)) }, gamma);
        let state = (wp.as_mut_ptr(), wm.as_mut_ptr(), beta.as_mut_ptr());
        // SAFETY: g.len() ≤ every length (checked above).
        unsafe { update_blocks::<KEEP>(g.len(), gg, pg, state) }
    }

    /// Σ_{j<d} term(j) lane by lane in [`super::dot`]'s order: four accumulators over j ≡ l (mod 4) in
    /// the full blocks of four, the tail summed sequentially, then ((acc₀ + acc₂) + (acc₁ + acc₃)) + tail.
    /// `term` is called once per j, in increasing j.
    #[inline]
    #[target_feature(enable = "avx")]
    pub(crate) fn sum_in_order(d: usize, mut term: impl FnMut(usize) -> __m256d) -> __m256d {
        let full = d - d % 4;
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut j = 0;
        while j < full {
            for (q, acc_q) in acc.iter_mut().enumerate() {
                *acc_q = _mm256_add_pd(*acc_q, term(j + q));
            }
            j += 4;
        }
        let mut tail = _mm256_setzero_pd();
        for j in full..d {
            tail = _mm256_add_pd(tail, term(j));
        }
        _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(acc[0], acc[2]), _mm256_add_pd(acc[1], acc[3])), tail)
    }

    /// Four rows against one `b`: the loads of `b` shared, one accumulator per row, each row's sum
    /// finished as in [`dot`].
    #[inline]
    #[target_feature(enable = "avx")]
    pub fn dot4(a: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
        let n = b.len();
        assert!(a.iter().all(|row| row.len() >= n));
        let full = n - n % 4;
        let (pa, pb) = (a.map(|row| row.as_ptr()), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut j = 0;
        while j < full {
            // SAFETY: j + 4 ≤ full ≤ n ≤ every length (checked above).
            unsafe {
                let y = _mm256_loadu_pd(pb.add(j));
                for (acc_t, p) in acc.iter_mut().zip(pa) {
                    *acc_t = _mm256_add_pd(*acc_t, _mm256_mul_pd(_mm256_loadu_pd(p.add(j)), y));
                }
            }
            j += 4;
        }
        let mut out = [0.0; 4];
        for (t, row) in a.iter().enumerate() {
            let mut tail = 0.0;
            for (x, y) in row[full..n].iter().zip(&b[full..n]) {
                tail += x * y;
            }
            out[t] = pair_sum(acc[t]) + tail;
        }
        out
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn residuals_by_columns(xc: &[f64], np: usize, beta: &[f64], y: &[f64], r: &mut [f64]) {
        let d = beta.len();
        assert!(np.is_multiple_of(4) && xc.len() >= d * np && y.len() >= np && r.len() >= np);
        let (px, pb, py, pr) = (xc.as_ptr(), beta.as_ptr(), y.as_ptr(), r.as_mut_ptr());
        let mut i0 = 0;
        while i0 < np {
            // SAFETY: j < d = beta.len(), and every column offset j·np + i0 with i0 + 4 ≤ np is in
            // bounds (checked above).
            unsafe {
                let term =
                    |j: usize| _mm256_mul_pd(_mm256_loadu_pd(px.add(j * np + i0)), _mm256_broadcast_sd(&*pb.add(j)));
                let sum = sum_in_order(d, term);
                _mm256_storeu_pd(pr.add(i0), _mm256_sub_pd(sum, _mm256_loadu_pd(py.add(i0))));
            }
            i0 += 4;
        }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn gradient(xr: &[f64], idx: &[usize], c: &[f64], g: &mut [f64]) {
        const BLOCK: usize = 8;
        let dp = g.len();
        let rows = xr.len() / dp.max(1);
        assert!(dp.is_multiple_of(4) && c.len() >= idx.len() && idx.iter().all(|&i| i < rows));
        let (px, pg) = (xr.as_ptr(), g.as_mut_ptr());
        if dp > 64 * BLOCK {
            // Wide rows: stream X row by row (short column blocks of long rows defeat the
            // prefetchers), four rows per sweep of g, each coordinate still summed in row order.
            g.fill(0.0);
            let mut quads = idx.chunks_exact(4);
            let mut t = 0;
            for q in &mut quads {
                let cs = [0, 1, 2, 3].map(|l| _mm256_broadcast_sd(&c[t + l]));
                let rows = [0, 1, 2, 3].map(|l| {
                    // SAFETY: q[l] < rows, so the row starts inside X.
                    unsafe { px.add(q[l] * dp) }
                });
                let mut j = 0;
                while j < dp {
                    // SAFETY: j + 4 ≤ dp: inside each row and inside g.
                    unsafe {
                        let mut acc = _mm256_loadu_pd(pg.add(j));
                        for l in 0..4 {
                            acc = _mm256_add_pd(acc, _mm256_mul_pd(cs[l], _mm256_loadu_pd(rows[l].add(j))));
                        }
                        _mm256_storeu_pd(pg.add(j), acc);
                    }
                    j += 4;
                }
                t += 4;
            }
            for &i in quads.remainder() {
                let ct = _mm256_broadcast_sd(&c[t]);
                let mut j = 0;
                while j < dp {
                    // SAFETY: as above.
                    unsafe {
                        let x = _mm256_loadu_pd(px.add(i * dp + j));
                        _mm256_storeu_pd(pg.add(j), _mm256_add_pd(_mm256_loadu_pd(pg.add(j)), _mm256_mul_pd(ct, x)));
                    }
                    j += 4;
                }
                t += 1;
            }
            return;
        }
        let mut j0 = 0;
        // Eight vectors of g stay in registers over all the rows (eight independent sums), then the
        // rest one vector at a time.
        while j0 + 4 * BLOCK <= dp {
            let mut acc = [_mm256_setzero_pd(); BLOCK];
            for (&i, ct) in idx.iter().zip(c) {
                let c = _mm256_broadcast_sd(ct);
                // SAFETY: i < rows and j0 + 4·BLOCK ≤ dp, so every load is inside row i.
                let row = unsafe { px.add(i * dp + j0) };
                for (q, acc_q) in acc.iter_mut().enumerate() {
                    *acc_q = _mm256_add_pd(*acc_q, _mm256_mul_pd(c, unsafe { _mm256_loadu_pd(row.add(4 * q)) }));
                }
            }
            for (q, acc_q) in acc.iter().enumerate() {
                // SAFETY: j0 + 4q + 4 ≤ dp = g.len().
                unsafe { _mm256_storeu_pd(pg.add(j0 + 4 * q), *acc_q) };
            }
            j0 += 4 * BLOCK;
        }
        while j0 < dp {
            let mut acc = _mm256_setzero_pd();
            for (&i, ct) in idx.iter().zip(c) {
                // SAFETY: i < rows and j0 + 4 ≤ dp.
                let x = unsafe { _mm256_loadu_pd(px.add(i * dp + j0)) };
                acc = _mm256_add_pd(acc, _mm256_mul_pd(_mm256_broadcast_sd(ct), x));
            }
            // SAFETY: j0 + 4 ≤ dp = g.len().
            unsafe { _mm256_storeu_pd(pg.add(j0), acc) };
            j0 += 4;
        }
    }
}

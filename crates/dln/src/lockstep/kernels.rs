//! The lockstep kernels: one vector of [`W`] runs (lane l = run l), each lane performing exactly the
//! single-run engine's operations in the same order (see [`crate::kernels`]): a portable version and
//! an AVX one with intrinsics (no fused multiply-add), bitwise the same.
//!
//! State arrays are slices of [`V`] indexed by coordinate j (or row i); X is the engine's padded
//! row-major copy (rows of `dp` entries), whose entries are broadcast to every lane.

use super::{V, W};
use crate::engine::Data;

/// Per lane ⟨x, β⟩ in [`crate::linalg`]'s dot order, x given per lane (`x[j][l]`), over `beta.len()` = d
/// coordinates: acc_q over j ≡ q (mod 4) in the full chunks, the tail sequentially,
/// ((acc₀ + acc₂) + (acc₁ + acc₃)) + tail.
#[inline(always)]
pub(super) fn dot(x: &[V], beta: &[V]) -> V {
    let d = beta.len();
    let full = d - d % 4;
    let mut acc = [[0.0; W]; 4];
    for m in (0..full).step_by(4) {
        for (q, acc_q) in acc.iter_mut().enumerate() {
            for l in 0..W {
                acc_q[l] += x[m + q][l] * beta[m + q][l];
            }
        }
    }
    let mut tail = [0.0; W];
    for j in full..d {
        for l in 0..W {
            tail[l] += x[j][l] * beta[j][l];
        }
    }
    std::array::from_fn(|l| (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]) + tail[l])
}

/// The second-order sums of one vector of lanes, d entries each: Σ(γg)² and max|γg| per coordinate
/// and lane ([`crate::SecondOrder`]); empty slices when they are not tracked.
pub(super) type Track<'a> = (&'a mut [V], &'a mut [V]);

/// Per lane l, whether some |γg_j| > 1 this step (counted into `steps_beyond_one`).
pub(super) type Beyond = [bool; W];

/// Adds the lanes' γg of coordinate j to its second-order sums ([`crate::kernels::second_order_one`]
/// lane by lane).
#[inline(always)]
fn track_lanes(sq: &mut V, max_abs: &mut V, gg: V, beyond: &mut Beyond) {
    for l in 0..W {
        beyond[l] |= crate::kernels::second_order_one(&mut sq[l], &mut max_abs[l], gg[l]);
    }
}

/// The b = 1 step of every lane fused with the next residual's dot product: with x the lanes' rows
/// of this step and x' those of the next, γg_j = (r x_j) γ, w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋,
/// β_j = (w₊² − w₋²)/2, and ⟨x', β⟩ summed as [`dot`] sums; over d coordinates (β is not stored).
/// `x(j)`, `x_next(j)` give the lanes' entries of coordinate j. With `TRACK`, each γg_j is added to
/// the second-order sums `track` (the single-run engine's order: before the update of w±).
#[inline(always)]
fn step_then_dot<const TRACK: bool>(
    x: impl Fn(usize) -> V,
    x_next: impl Fn(usize) -> V,
    r: V,
    gamma: V,
    (wp, wm): (&mut [V], &mut [V]),
    (sq, max_abs): Track,
) -> (V, Beyond) {
    let d = wp.len();
    let full = d - d % 4;
    let mut beyond = [false; W];
    let mut term = |j: usize| -> V {
        let (xj, xn) = (x(j), x_next(j));
        let gg: V = std::array::from_fn(|l| (r[l] * xj[l]) * gamma[l]);
        if TRACK {
            track_lanes(&mut sq[j], &mut max_abs[j], gg, &mut beyond);
        }
        std::array::from_fn(|l| {
            wp[j][l] *= 1.0 - gg[l];
            wm[j][l] *= 1.0 + gg[l];
            xn[l] * (0.5 * (wp[j][l] * wp[j][l] - wm[j][l] * wm[j][l]))
        })
    };
    let mut acc = [[0.0; W]; 4];
    for m in (0..full).step_by(4) {
        for (q, acc_q) in acc.iter_mut().enumerate() {
            let t = term(m + q);
            for l in 0..W {
                acc_q[l] += t[l];
            }
        }
    }
    let mut tail = [0.0; W];
    for j in full..d {
        let t = term(j);
        for l in 0..W {
            tail[l] += t[l];
        }
    }
    let dots = std::array::from_fn(|l| (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]) + tail[l]);
    (dots, beyond)
}

/// [`step_then_dot`] for lanes that all read row `x` this step and row `x_next` next (d entries each).
#[inline(always)]
pub(super) fn step_then_dot_shared<const WIDE: bool, const TRACK: bool>(
    x: &[f64],
    x_next: &[f64],
    r: V,
    gamma: V,
    state: (&mut [V], &mut [V]),
    track: Track,
) -> (V, Beyond) {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: WIDE is true only where AVX is available (see `crate::kernels`).
        return unsafe { avx::step_then_dot::<TRACK>(avx::Rows::Shared(x, x_next), r, gamma, state, track) };
    }
    step_then_dot::<TRACK>(|j| [x[j]; W], |j| [x_next[j]; W], r, gamma, state, track)
}

/// [`step_then_dot_shared`] for two vectors at once (the same rows for all eight lanes: each row entry
/// is read once for both).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn step_then_dot_shared2<const WIDE: bool, const TRACK: bool>(
    x: &[f64],
    x_next: &[f64],
    r: [V; 2],
    gamma: [V; 2],
    state: [(&mut [V], &mut [V]); 2],
    track: [Track; 2],
) -> [(V, Beyond); 2] {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::step_then_dot2::<TRACK>((x, x_next), (r, gamma), state, track) };
    }
    let ([s0, s1], [t0, t1]) = (state, track);
    [
        step_then_dot_shared::<false, TRACK>(x, x_next, r[0], gamma[0], s0, t0),
        step_then_dot_shared::<false, TRACK>(x, x_next, r[1], gamma[1], s1, t1),
    ]
}

/// [`step_then_dot`] for lanes with their own rows, gathered per coordinate in `x`, `x_next`.
#[inline(always)]
pub(super) fn step_then_dot_gathered<const WIDE: bool, const TRACK: bool>(
    x: &[V],
    x_next: &[V],
    r: V,
    gamma: V,
    state: (&mut [V], &mut [V]),
    track: Track,
) -> (V, Beyond) {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::step_then_dot::<TRACK>(avx::Rows::Gathered(x, x_next), r, gamma, state, track) };
    }
    step_then_dot::<TRACK>(|j| x[j], |j| x_next[j], r, gamma, state, track)
}

/// `out[j]` = (x_{i₀ j}, …, x_{i₃ j}) for j < dp: the lanes' rows, one vector per coordinate.
#[inline(always)]
pub(super) fn gather<const WIDE: bool>(data: &Data, idx: [usize; W], out: &mut [V]) {
    let rows: [&[f64]; W] = idx.map(|i| data.row(i));
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::gather(rows, out) };
    }
    for (j, o) in out.iter_mut().enumerate().take(data.dp) {
        *o = rows.map(|row| row[j]);
    }
}

/// β_j = (w₊² − w₋²)/2 for every lane.
#[inline(always)]
pub(super) fn beta(wp: &[V], wm: &[V], beta: &mut [V]) {
    for ((b, p), m) in beta.iter_mut().zip(wp).zip(wm) {
        for l in 0..W {
            b[l] = 0.5 * (p[l] * p[l] - m[l] * m[l]);
        }
    }
}

/// Per lane r_i = ⟨x_i, β⟩ − y_i for every row (x_i broadcast to the lanes) and Σ_i r_i² summed in
/// order: [`crate::engine::Data::residuals`] lane by lane, bit for bit. `beta` has d entries.
#[inline(always)]
pub(super) fn residuals<const WIDE: bool>(data: &Data, beta: &[V], r: &mut [V]) -> V {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::residuals(data, beta, r) };
    }
    let mut loss = [0.0; W];
    for (i, ri) in r[..data.n].iter_mut().enumerate() {
        let x = data.row(i);
        let full = data.d - data.d % 4;
        let mut acc = [[0.0; W]; 4];
        for m in (0..full).step_by(4) {
            for (q, acc_q) in acc.iter_mut().enumerate() {
                for l in 0..W {
                    acc_q[l] += x[m + q] * beta[m + q][l];
                }
            }
        }
        let mut tail = [0.0; W];
        for (j, b) in beta.iter().enumerate().skip(full) {
            for l in 0..W {
                tail[l] += x[j] * b[l];
            }
        }
        for l in 0..W {
            ri[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]) + tail[l] - data.y[i];
            loss[l] += ri[l] * ri[l];
        }
    }
    loss
}

/// [`residuals`] of two vectors at once (each entry of X broadcast once for both).
#[inline(always)]
pub(super) fn residuals2<const WIDE: bool>(data: &Data, beta: [&[V]; 2], r: [&mut [V]; 2]) -> [V; 2] {
    let [r0, r1] = r;
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::residuals2(data, beta, [r0, r1]) };
    }
    [residuals::<false>(data, beta[0], r0), residuals::<false>(data, beta[1], r1)]
}

/// [`gradient`] of two vectors at once.
#[inline(always)]
pub(super) fn gradient2<const WIDE: bool>(data: &Data, c: [&[V]; 2], g: [&mut [V]; 2]) {
    let [g0, g1] = g;
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::gradient2(data, c, [g0, g1]) };
    }
    gradient::<false>(data, c[0], g0);
    gradient::<false>(data, c[1], g1);
}

/// Per lane g_j = Σ_i c_i x_{ij} from 0, sequentially in i, for j < `g.len()` = d.
#[inline(always)]
pub(super) fn gradient<const WIDE: bool>(data: &Data, c: &[V], g: &mut [V]) {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::gradient(data, c, g) };
    }
    for (j, gj) in g.iter_mut().enumerate() {
        let mut s = [0.0; W];
        for (i, ci) in c[..data.n].iter().enumerate() {
            let x = data.xr[i * data.dp + j];
            for l in 0..W {
                s[l] += ci[l] * x;
            }
        }
        *gj = s;
    }
}

/// Per lane the multiplicative step from the unscaled gradient: γg, w₊ ← (1 − γg) w₊,
/// w₋ ← (1 + γg) w₋, β = (w₊² − w₋²)/2 — [`crate::optimizer::multiplicative_step`] lane by lane;
/// with `TRACK`, each γg_j is also added to the second-order sums `track`.
#[inline(always)]
pub(super) fn update<const WIDE: bool, const TRACK: bool>(
    g: &[V],
    gamma: V,
    (wp, wm, beta): (&mut [V], &mut [V], &mut [V]),
    track: Track,
) -> Beyond {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: as above.
        return unsafe { avx::update::<TRACK>(g, gamma, (wp, wm, beta), track) };
    }
    let (sq, max_abs) = track;
    let mut beyond = [false; W];
    for j in 0..g.len() {
        let gg: V = std::array::from_fn(|l| g[j][l] * gamma[l]);
        if TRACK {
            track_lanes(&mut sq[j], &mut max_abs[j], gg, &mut beyond);
        }
        for l in 0..W {
            wp[j][l] *= 1.0 - gg[l];
            wm[j][l] *= 1.0 + gg[l];
            beta[j][l] = 0.5 * (wp[j][l] * wp[j][l] - wm[j][l] * wm[j][l]);
        }
    }
    beyond
}

#[cfg(target_arch = "x86_64")]
mod avx {
    //! The AVX versions: one `__m256d` per [`V`]. Every function checks the lengths it relies on
    //! on entry; loads and stores are then in bounds by construction.
    use std::arch::x86_64::*;

    use super::{Beyond, Track, V, W};
    use crate::engine::Data;

    #[inline]
    #[target_feature(enable = "avx")]
    fn ld(v: &V) -> __m256d {
        // SAFETY: a V is four contiguous f64.
        unsafe { _mm256_loadu_pd(v.as_ptr()) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    fn st(v: &mut V, x: __m256d) {
        // SAFETY: a V is four contiguous f64.
        unsafe { _mm256_storeu_pd(v.as_mut_ptr(), x) }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    fn bc(x: &f64) -> __m256d {
        _mm256_broadcast_sd(x)
    }

    /// Σ_{j<d} term(j) lane by lane in the dot order ([`crate::kernels::avx::sum_in_order`]).
    use crate::kernels::avx::sum_in_order;

    /// [`sum_in_order`] of two vectors' terms at once: `terms(j)` gives both, once per j in
    /// increasing j.
    #[inline]
    #[target_feature(enable = "avx")]
    fn sum_in_order2(d: usize, mut terms: impl FnMut(usize) -> (__m256d, __m256d)) -> (__m256d, __m256d) {
        let full = d - d % 4;
        let (mut a0, mut a1) = ([_mm256_setzero_pd(); 4], [_mm256_setzero_pd(); 4]);
        let mut j = 0;
        while j < full {
            for q in 0..4 {
                let (t0, t1) = terms(j + q);
                a0[q] = _mm256_add_pd(a0[q], t0);
                a1[q] = _mm256_add_pd(a1[q], t1);
            }
            j += 4;
        }
        let (mut tail0, mut tail1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        for j in full..d {
            let (t0, t1) = terms(j);
            tail0 = _mm256_add_pd(tail0, t0);
            tail1 = _mm256_add_pd(tail1, t1);
        }
        let combine = |a: [__m256d; 4], tail| {
            _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a[0], a[2]), _mm256_add_pd(a[1], a[3])), tail)
        };
        (combine(a0, tail0), combine(a1, tail1))
    }

    /// [`super::track_lanes`]: Σ(γg)² += γg·γg, max|γg| by compare-and-select (vmaxpd returns its
    /// second operand unless the first is greater: `if a > m { a } else { m }`); the mask of the
    /// lanes with |γg| > 1.
    #[inline]
    #[target_feature(enable = "avx")]
    fn track(gg: __m256d, sq: &mut V, max_abs: &mut V) -> __m256d {
        st(sq, _mm256_add_pd(ld(sq), _mm256_mul_pd(gg, gg)));
        let a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), gg);
        st(max_abs, _mm256_max_pd(a, ld(max_abs)));
        _mm256_cmp_pd::<_CMP_GT_OQ>(a, _mm256_set1_pd(1.0))
    }

    /// The lanes set in a comparison mask.
    #[inline]
    #[target_feature(enable = "avx")]
    fn lanes(mask: __m256d) -> Beyond {
        let bits = _mm256_movemask_pd(mask);
        std::array::from_fn(|l| bits >> l & 1 == 1)
    }

    fn out(v: __m256d) -> V {
        let mut o = [0.0; W];
        // SAFETY: `o` is four contiguous f64.
        unsafe { _mm256_storeu_pd(o.as_mut_ptr(), v) };
        o
    }

    /// Where the lanes' rows come from.
    pub enum Rows<'a> {
        /// One row for every lane (this step's, the next step's), d entries each.
        Shared(&'a [f64], &'a [f64]),
        /// Rows gathered per coordinate.
        Gathered(&'a [V], &'a [V]),
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn step_then_dot<const TRACK: bool>(
        rows: Rows,
        r: V,
        gamma: V,
        (wp, wm): (&mut [V], &mut [V]),
        (sq, max_abs): Track,
    ) -> (V, Beyond) {
        let d = wp.len();
        assert!(wm.len() >= d && (!TRACK || (sq.len() >= d && max_abs.len() >= d)));
        match rows {
            Rows::Shared(x, x_next) => assert!(x.len() >= d && x_next.len() >= d),
            Rows::Gathered(x, x_next) => assert!(x.len() >= d && x_next.len() >= d),
        }
        let (r, gamma) = (ld(&r), ld(&gamma));
        let (p, m, ps, pa) = (wp.as_mut_ptr(), wm.as_mut_ptr(), sq.as_mut_ptr(), max_abs.as_mut_ptr());
        let mut above = _mm256_setzero_pd();
        // The update of coordinate j and its term x'_j β_j of the next residual.
        let term = |j: usize| {
            // SAFETY: j < d ≤ every length (checked above; `sq` and `max_abs` only with TRACK).
            unsafe {
                let (xj, xn) = match rows {
                    Rows::Shared(x, x_next) => (bc(x.get_unchecked(j)), bc(x_next.get_unchecked(j))),
                    Rows::Gathered(x, x_next) => (ld(x.get_unchecked(j)), ld(x_next.get_unchecked(j))),
                };
                update_term::<TRACK>(r, gamma, (xj, xn), (p.add(j), m.add(j)), (ps.add(j), pa.add(j)), &mut above)
            }
        };
        let sum = sum_in_order(d, term);
        (out(sum), lanes(above))
    }

    /// One lane vector's update of coordinate j (w± at `p`, `m`) and its term x'_j β_j; with `TRACK`,
    /// γg is first added to the sums at `s`, `a` and its |γg| > 1 mask or-ed into `above`.
    ///
    /// # Safety
    /// `p` and `m` (and with `TRACK`, `s` and `a`) are valid for reads and writes of one V.
    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn update_term<const TRACK: bool>(
        r: __m256d,
        gamma: __m256d,
        (xj, xn): (__m256d, __m256d),
        (p, m): (*mut V, *mut V),
        (s, a): (*mut V, *mut V),
        above: &mut __m256d,
    ) -> __m256d {
        let one = _mm256_set1_pd(1.0);
        // SAFETY: the caller's contract.
        let (p, m) = unsafe { (&mut *p, &mut *m) };
        let gg = _mm256_mul_pd(_mm256_mul_pd(r, xj), gamma);
        if TRACK {
            // SAFETY: the caller's contract.
            *above = _mm256_or_pd(*above, track(gg, unsafe { &mut *s }, unsafe { &mut *a }));
        }
        let pn = _mm256_mul_pd(ld(p), _mm256_sub_pd(one, gg));
        let mn = _mm256_mul_pd(ld(m), _mm256_add_pd(one, gg));
        st(p, pn);
        st(m, mn);
        let b = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_sub_pd(_mm256_mul_pd(pn, pn), _mm256_mul_pd(mn, mn)));
        _mm256_mul_pd(xn, b)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn step_then_dot2<const TRACK: bool>(
        (x, x_next): (&[f64], &[f64]),
        (r, gamma): ([V; 2], [V; 2]),
        state: [(&mut [V], &mut [V]); 2],
        track: [Track; 2],
    ) -> [(V, Beyond); 2] {
        let [(wp0, wm0), (wp1, wm1)] = state;
        let [(sq0, ma0), (sq1, ma1)] = track;
        let d = wp0.len();
        assert!(wm0.len() >= d && wp1.len() >= d && wm1.len() >= d && x.len() >= d && x_next.len() >= d);
        assert!(!TRACK || [&sq0, &ma0, &sq1, &ma1].iter().all(|t| t.len() >= d));
        let (r0, r1, g0, g1) = (ld(&r[0]), ld(&r[1]), ld(&gamma[0]), ld(&gamma[1]));
        let (p0, m0, p1, m1) = (wp0.as_mut_ptr(), wm0.as_mut_ptr(), wp1.as_mut_ptr(), wm1.as_mut_ptr());
        let (s0, a0, s1, a1) = (sq0.as_mut_ptr(), ma0.as_mut_ptr(), sq1.as_mut_ptr(), ma1.as_mut_ptr());
        let (mut above0, mut above1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        // SAFETY: j < d ≤ every length (checked above; the sums only with TRACK); the slices are
        // distinct.
        let terms = |j: usize| unsafe {
            let (xj, xn) = (bc(x.get_unchecked(j)), bc(x_next.get_unchecked(j)));
            let t0 =
                update_term::<TRACK>(r0, g0, (xj, xn), (p0.add(j), m0.add(j)), (s0.add(j), a0.add(j)), &mut above0);
            let t1 =
                update_term::<TRACK>(r1, g1, (xj, xn), (p1.add(j), m1.add(j)), (s1.add(j), a1.add(j)), &mut above1);
            (t0, t1)
        };
        let (sum0, sum1) = sum_in_order2(d, terms);
        [(out(sum0), lanes(above0)), (out(sum1), lanes(above1))]
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn gather(rows: [&[f64]; W], out: &mut [V]) {
        let dp = out.len();
        assert!(dp.is_multiple_of(4) && rows.iter().all(|row| row.len() >= dp));
        let p = rows.map(|row| row.as_ptr());
        let mut j = 0;
        while j < dp {
            // SAFETY: j + 4 ≤ dp ≤ every row's and `out`'s length (checked above).
            unsafe {
                let (a, b) = (_mm256_loadu_pd(p[0].add(j)), _mm256_loadu_pd(p[1].add(j)));
                let (c, d) = (_mm256_loadu_pd(p[2].add(j)), _mm256_loadu_pd(p[3].add(j)));
                // (a₀ b₀ a₂ b₂), (a₁ b₁ a₃ b₃), (c₀ d₀ c₂ d₂), (c₁ d₁ c₃ d₃) → columns.
                let (t0, t1) = (_mm256_unpacklo_pd(a, b), _mm256_unpackhi_pd(a, b));
                let (t2, t3) = (_mm256_unpacklo_pd(c, d), _mm256_unpackhi_pd(c, d));
                st(out.get_unchecked_mut(j), _mm256_permute2f128_pd(t0, t2, 0x20));
                st(out.get_unchecked_mut(j + 1), _mm256_permute2f128_pd(t1, t3, 0x20));
                st(out.get_unchecked_mut(j + 2), _mm256_permute2f128_pd(t0, t2, 0x31));
                st(out.get_unchecked_mut(j + 3), _mm256_permute2f128_pd(t1, t3, 0x31));
            }
            j += 4;
        }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn residuals(data: &Data, beta: &[V], r: &mut [V]) -> V {
        let (n, d, dp) = (data.n, data.d, data.dp);
        assert!(beta.len() >= d && r.len() >= n && data.xr.len() >= n * dp && data.y.len() >= n);
        let mut loss = _mm256_setzero_pd();
        for i in 0..n {
            // SAFETY: i < n and j < d ≤ dp: inside row i of X; j < d ≤ beta.len() (checked above).
            unsafe {
                let x = data.xr.as_ptr().add(i * dp);
                let term = |j: usize| _mm256_mul_pd(bc(&*x.add(j)), ld(beta.get_unchecked(j)));
                let ri = _mm256_sub_pd(sum_in_order(d, term), bc(data.y.get_unchecked(i)));
                st(r.get_unchecked_mut(i), ri);
                loss = _mm256_add_pd(loss, _mm256_mul_pd(ri, ri));
            }
        }
        out(loss)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn gradient(data: &Data, c: &[V], g: &mut [V]) {
        const BLOCK: usize = 8;
        let (n, dp, d) = (data.n, data.dp, g.len());
        assert!(d <= dp && c.len() >= n && data.xr.len() >= n * dp);
        let x = data.xr.as_ptr();
        let mut j0 = 0;
        // Eight coordinates at a time: eight independent sums over the rows.
        while j0 + BLOCK <= d {
            let mut acc = [_mm256_setzero_pd(); BLOCK];
            for (i, ci) in c[..n].iter().enumerate() {
                let ci = ld(ci);
                for (q, acc_q) in acc.iter_mut().enumerate() {
                    // SAFETY: i < n, j0 + q < d ≤ dp: inside row i of X.
                    let xv = unsafe { bc(&*x.add(i * dp + j0 + q)) };
                    *acc_q = _mm256_add_pd(*acc_q, _mm256_mul_pd(ci, xv));
                }
            }
            for (q, acc_q) in acc.iter().enumerate() {
                st(&mut g[j0 + q], *acc_q);
            }
            j0 += BLOCK;
        }
        for (j, gj) in g.iter_mut().enumerate().skip(j0) {
            let mut acc = _mm256_setzero_pd();
            for (i, ci) in c[..n].iter().enumerate() {
                // SAFETY: i < n, j < d ≤ dp.
                let xv = unsafe { bc(&*x.add(i * dp + j)) };
                acc = _mm256_add_pd(acc, _mm256_mul_pd(ld(ci), xv));
            }
            st(gj, acc);
        }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn residuals2(data: &Data, beta: [&[V]; 2], r: [&mut [V]; 2]) -> [V; 2] {
        let (n, d, dp) = (data.n, data.d, data.dp);
        let [r0, r1] = r;
        assert!(beta[0].len() >= d && beta[1].len() >= d && r0.len() >= n && r1.len() >= n);
        assert!(data.xr.len() >= n * dp && data.y.len() >= n);
        let (b0, b1) = (beta[0].as_ptr(), beta[1].as_ptr());
        let (mut loss0, mut loss1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        for i in 0..n {
            // SAFETY: i < n, j < d ≤ dp: inside row i of X and inside both β (checked above).
            unsafe {
                let x = data.xr.as_ptr().add(i * dp);
                let terms = |j: usize| {
                    let xv = bc(&*x.add(j));
                    (_mm256_mul_pd(xv, ld(&*b0.add(j))), _mm256_mul_pd(xv, ld(&*b1.add(j))))
                };
                let (sum0, sum1) = sum_in_order2(d, terms);
                let y = bc(data.y.get_unchecked(i));
                let (ri0, ri1) = (_mm256_sub_pd(sum0, y), _mm256_sub_pd(sum1, y));
                st(r0.get_unchecked_mut(i), ri0);
                st(r1.get_unchecked_mut(i), ri1);
                loss0 = _mm256_add_pd(loss0, _mm256_mul_pd(ri0, ri0));
                loss1 = _mm256_add_pd(loss1, _mm256_mul_pd(ri1, ri1));
            }
        }
        [out(loss0), out(loss1)]
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn gradient2(data: &Data, c: [&[V]; 2], g: [&mut [V]; 2]) {
        const BLOCK: usize = 4;
        let [g0, g1] = g;
        let (n, dp, d) = (data.n, data.dp, g0.len());
        assert!(d <= dp && g1.len() >= d && c[0].len() >= n && c[1].len() >= n && data.xr.len() >= n * dp);
        let x = data.xr.as_ptr();
        let (c0, c1) = (&c[0][..n], &c[1][..n]);
        let mut j0 = 0;
        // Four coordinates of both vectors at a time: eight independent sums over the rows.
        while j0 + BLOCK <= d {
            let (mut a0, mut a1) = ([_mm256_setzero_pd(); BLOCK], [_mm256_setzero_pd(); BLOCK]);
            for (i, (c0, c1)) in c0.iter().zip(c1).enumerate() {
                let (c0, c1) = (ld(c0), ld(c1));
                for q in 0..BLOCK {
                    // SAFETY: i < n, j0 + q < d ≤ dp: inside row i of X.
                    let xv = unsafe { bc(&*x.add(i * dp + j0 + q)) };
                    a0[q] = _mm256_add_pd(a0[q], _mm256_mul_pd(c0, xv));
                    a1[q] = _mm256_add_pd(a1[q], _mm256_mul_pd(c1, xv));
                }
            }
            for q in 0..BLOCK {
                st(&mut g0[j0 + q], a0[q]);
                st(&mut g1[j0 + q], a1[q]);
            }
            j0 += BLOCK;
        }
        for j in j0..d {
            let (mut a0, mut a1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            for (i, (c0, c1)) in c0.iter().zip(c1).enumerate() {
                // SAFETY: i < n, j < d ≤ dp.
                let xv = unsafe { bc(&*x.add(i * dp + j)) };
                a0 = _mm256_add_pd(a0, _mm256_mul_pd(ld(c0), xv));
                a1 = _mm256_add_pd(a1, _mm256_mul_pd(ld(c1), xv));
            }
            st(&mut g0[j], a0);
            st(&mut g1[j], a1);
        }
    }

    #[inline]
    #[target_feature(enable = "avx")]
    pub fn update<const TRACK: bool>(
        g: &[V],
        gamma: V,
        (wp, wm, beta): (&mut [V], &mut [V], &mut [V]),
        (sq, max_abs): Track,
    ) -> Beyond {
        let d = g.len();
        assert!(wp.len() >= d && wm.len() >= d && beta.len() >= d && (!TRACK || (sq.len() >= d && max_abs.len() >= d)));
        let gamma = ld(&gamma);
        let (one, half) = (_mm256_set1_pd(1.0), _mm256_set1_pd(0.5));
        let (pg, pp, pm, pb) = (g.as_ptr(), wp.as_mut_ptr(), wm.as_mut_ptr(), beta.as_mut_ptr());
        let (ps, pa) = (sq.as_mut_ptr(), max_abs.as_mut_ptr());
        let mut above = _mm256_setzero_pd();
        for j in 0..d {
            // SAFETY: j < d ≤ every length (checked above; the sums only with TRACK); the slices
            // are distinct.
            unsafe {
                let gg = _mm256_mul_pd(ld(&*pg.add(j)), gamma);
                if TRACK {
                    above = _mm256_or_pd(above, track(gg, &mut *ps.add(j), &mut *pa.add(j)));
                }
                let p = _mm256_mul_pd(ld(&*pp.add(j)), _mm256_sub_pd(one, gg));
                let m = _mm256_mul_pd(ld(&*pm.add(j)), _mm256_add_pd(one, gg));
                st(&mut *pp.add(j), p);
                st(&mut *pm.add(j), m);
                st(&mut *pb.add(j), _mm256_mul_pd(half, _mm256_sub_pd(_mm256_mul_pd(p, p), _mm256_mul_pd(m, m))));
            }
        }
        lanes(above)
    }
}

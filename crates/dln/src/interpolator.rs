//! Interpolators of S = {β : Xβ = y}: Theorems 1 and 2's Bregman interpolators (dual Newton),
//! and the minimum-ℓ1 and minimum-ℓ2 interpolators. Book: chapters "Theorem 1" and "Theorem 2".
//!
//! The minimiser of D_{ψ_a}(β, β̃₀) over S is β = a² ⊙ sinh(Xᵀλ + δ) with δ = arcsinh(β̃₀/a²),
//! where λ ∈ R^n minimises the smooth convex dual
//!   Φ(λ) = Σ_i a_i² cosh((Xᵀλ)_i + δ_i) − yᵀλ,  ∇Φ = Xβ − y,  ∇²Φ = X diag(a² cosh(Xᵀλ + δ)) Xᵀ.
//! Damped Newton on Φ converges to machine precision in tens of iterations. Every a² cosh / a² sinh
//! is evaluated as exp(ln a² + |t|)(1 ± e^{−2|t|})/2, so a down to 1e-8 (a² = 1e-16) never underflows
//! the product and an overshooting trial step gives Φ = +∞ (rejected by the line search) instead of NaN.
//! Theorem 1's β*_α is the case a = α, δ = 0.
//!
//! Cost. The line search moves along z = Xᵀλ + t XᵀΔ, so each trial costs O(d), not a pass over X.
//! The n×n Hessian costs n²d/2 (its lower triangle, by blocks); for n ≥ 32 the Newton system is
//! first solved by conjugate gradients preconditioned with the last Cholesky factor (each product
//! X diag(h) Xᵀv is one sweep over X), and a fresh Hessian is formed only when they stall — so near
//! the solution, and for moderate a, a whole solve needs one or two Hessians. Far from the solution
//! at small a (the damped phase), every iteration forms one.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Zip};

use crate::error::{DlnError, Result, check_finite, invalid};
use crate::gain::EffectiveInit;
use crate::linalg::{cholesky, cholesky_shifted, cholesky_solve, gram_vec, pcg, weighted_gram, x_mul, xt_mul};

/// Damped-Newton solver for argmin_{Xβ=y} D_{ψ_a}(β, β̃₀).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `tol` | 1e-14 | stop once ‖Xβ − y‖₂ ≤ tol · max(‖y‖₂, 1e-300) | > 0 |
/// | `max_iter` | 200 | Newton iterations | ≥ 1 |
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BregmanSolver {
    /// Relative feasibility tolerance.
    pub tol: f64,
    /// Iteration budget.
    pub max_iter: usize,
}

impl Default for BregmanSolver {
    fn default() -> Self {
        Self { tol: 1e-14, max_iter: 200 }
    }
}

/// A solved interpolation problem.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Solution {
    /// The interpolator β = a² ⊙ sinh(Xᵀλ + δ).
    pub beta: Array1<f64>,
    /// The dual variable λ.
    pub lambda: Array1<f64>,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Relative feasibility residual ‖Xβ − y‖₂ / ‖y‖₂.
    pub residual: f64,
}

/// a² cosh t and a² sinh t from ln a², overflow-safe: exp(ln a² + |t|)(1 ± e^{−2|t|})/2
/// (+∞ rather than NaN when the product overflows).
#[inline]
fn scaled_cosh_sinh(ln_a_sq: f64, t: f64) -> (f64, f64) {
    let e = (ln_a_sq + t.abs()).exp();
    let tail = (-2.0 * t.abs()).exp();
    (0.5 * e * (1.0 + tail), 0.5 * e * (1.0 - tail) * t.signum())
}

/// The dual Φ(λ) = Σ_i a_i² cosh((Xᵀλ)_i + δ_i) − yᵀλ of one problem.
struct Dual<'a> {
    /// X, row-major (n×d).
    xs: &'a [f64],
    d: usize,
    y: ArrayView1<'a, f64>,
    ln_a_sq: Vec<f64>,
    delta: Vec<f64>,
}

/// Φ and its derived quantities at one λ.
struct Point {
    lambda: Array1<f64>,
    /// z = Xᵀλ (computed from λ, never accumulated).
    z: Vec<f64>,
    phi: f64,
    /// Σ a² cosh + |yᵀλ|: the magnitude of the terms of Φ, for its rounding allowance.
    scale: f64,
    /// β = a² sinh(z + δ).
    beta: Array1<f64>,
    /// h = a² cosh(z + δ) (the Hessian's weights).
    h: Array1<f64>,
}

/// Φ along a line λ + tΔ (see [`Dual::line`]).
struct LinePoint {
    t: f64,
    phi: f64,
    scale: f64,
}

impl Dual<'_> {
    fn at(&self, lambda: Array1<f64>) -> Point {
        let mut z = vec![0.0; self.d];
        xt_mul(self.xs, self.d, lambda.as_slice().expect("contiguous"), &mut z);
        let mut beta = Array1::zeros(self.d);
        let mut h = Array1::zeros(self.d);
        let mut sum_cosh = 0.0;
        for j in 0..self.d {
            let (c, s) = scaled_cosh_sinh(self.ln_a_sq[j], z[j] + self.delta[j]);
            h[j] = c;
            beta[j] = s;
            sum_cosh += c;
        }
        let ylam = self.y.dot(&lambda);
        Point { lambda, z, phi: sum_cosh - ylam, scale: sum_cosh + ylam.abs(), beta, h }
    }

    /// φ(t) = Φ(λ + tΔ) from z = Xᵀλ and w = XᵀΔ: O(d), no pass over X.
    fn line(&self, p: &Point, w: &[f64], ydir: f64, t: f64) -> LinePoint {
        let ylam = self.y.dot(&p.lambda) + t * ydir;
        let mut sum_cosh = 0.0;
        for (((&la, &z), &w), &dl) in self.ln_a_sq.iter().zip(&p.z).zip(w).zip(&self.delta) {
            sum_cosh += scaled_cosh_sinh(la, z + t * w + dl).0;
        }
        LinePoint { t, phi: sum_cosh - ylam, scale: sum_cosh + ylam.abs() }
    }

    /// The step length along the descent direction Δ: the largest t ∈ {1, ½, ¼, …} with sufficient
    /// (Armijo) decrease — t = 1, the Newton step, near the solution. Far from the solution at
    /// small a the Newton step overshoots by orders of magnitude (Φ overflows to +∞ and is
    /// rejected); every trial costs O(d), no pass over X. (Measured: searching for longer steps
    /// within [t, 2t], or for a Wolfe point, takes more Newton iterations at small a, not fewer.)
    /// `None` if no t gives a decrease beyond rounding.
    fn step_length(&self, p: &Point, dir: &Array1<f64>, w: &[f64]) -> Option<LinePoint> {
        const ARMIJO: f64 = 1e-4;
        let ydir = self.y.dot(dir);
        let slope = -ydir + p.beta.iter().zip(w).map(|(b, w)| b * w).sum::<f64>();
        if slope.is_nan() || slope >= 0.0 {
            return None;
        }
        let mut t = 1.0;
        while t > 0.0 {
            let lp = self.line(p, w, ydir, t);
            let allowance = 64.0 * f64::EPSILON * p.scale.max(lp.scale);
            if lp.phi.is_finite() && lp.phi <= p.phi + ARMIJO * t * slope + allowance {
                return Some(lp);
            }
            t *= 0.5;
        }
        None
    }
}

/// The dual Newton iteration's bookkeeping of progress: the best residual and dual value seen, and
/// how many iterations in a row made no progress.
struct Stall {
    best_res: f64,
    best_phi: f64,
    prev_res: f64,
    stalls: usize,
}

impl Stall {
    fn new() -> Self {
        Self { best_res: f64::INFINITY, best_phi: f64::INFINITY, prev_res: f64::INFINITY, stalls: 0 }
    }

    /// Records an iterate of residual `res` and dual value `phi` (scale `scale`).
    fn record(&mut self, res: f64, phi: f64, scale: f64) {
        let progress = res < self.best_res * 0.999 || phi < self.best_phi - 1e-12 * scale.max(f64::MIN_POSITIVE);
        self.best_res = self.best_res.min(res);
        self.best_phi = self.best_phi.min(phi);
        self.stalls = if progress { 0 } else { self.stalls + 1 };
        self.prev_res = res;
    }
}

impl BregmanSolver {
    /// Checks the shapes and values of [`BregmanSolver::solve`]'s inputs and the solver's settings.
    fn check_inputs(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        a_sq: ArrayView1<f64>,
        delta: ArrayView1<f64>,
        lambda0: Option<&ArrayView1<f64>>,
    ) -> Result<()> {
        let (n, d) = x.dim();
        if y.len() != n {
            return Err(DlnError::DimensionMismatch(format!("X has {n} rows but y has {} entries", y.len())));
        }
        check_columns(d, &[("a²", a_sq.len()), ("δ", delta.len())])?;
        if let Some(l0) = lambda0 {
            if l0.len() != n {
                return Err(DlnError::DimensionMismatch(format!("λ₀ has {} entries, expected n = {n}", l0.len())));
            }
            check_finite("lambda0", l0.iter())?;
        }
        if self.tol.is_nan() || self.tol <= 0.0 || self.max_iter == 0 {
            return Err(invalid("tol", "solver needs tol > 0 and max_iter ≥ 1"));
        }
        if let Some(bad) = a_sq.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
            return Err(invalid("alpha", format!("scale a² must be finite and > 0, got {bad}")));
        }
        check_finite("X", x.iter())?;
        check_finite("y", y.iter())?;
        check_finite("delta", delta.iter())
    }

    /// The Newton direction Δ of (X diag(h) Xᵀ) Δ = −∇Φ at `cur`. For large n, first try conjugate
    /// gradients preconditioned by the last Cholesky `factor` (each product costs two sweeps over X,
    /// the Hessian n/2 of them); a fresh Hessian (and factor) only when they do not converge quickly.
    /// Skipped after a strongly damped step (h moved too far from the factor's weights). Forcing term
    /// η = res (balanced against Newton's quadratic term), but never tighter than the tolerance needs:
    /// the next residual is ≈ η·res.
    #[allow(clippy::too_many_arguments)]
    fn newton_direction(
        &self,
        x: ArrayView2<f64>,
        xs: &[f64],
        cur: &Point,
        grad: &Array1<f64>,
        res: f64,
        factor: &mut Option<Array2<f64>>,
        damped: bool,
        scratch: &mut [f64],
    ) -> Result<Array1<f64>> {
        let (n, d) = x.dim();
        // A Hessian costs ≈ n/4 Hessian-vector products: worth trying CG only for large n.
        let cg_budget = (n / 16).min(30);
        if let (Some(l), true) = (factor.as_ref(), cg_budget >= 2 && !damped) {
            let h = cur.h.as_slice().expect("contiguous");
            let eta = res.max(0.25 * self.tol / res).min(0.1);
            let rhs = -grad;
            if let Some(dir) = pcg(|v, out| gram_vec(xs, d, h, v, out, scratch), l, rhs.view(), eta, cg_budget) {
                return Ok(dir);
            }
        }
        let hess = weighted_gram(x, cur.h.view());
        let l = cholesky(&hess).or_else(|| cholesky_shifted(&hess)).ok_or_else(|| DlnError::NotConverged {
            method: "Bregman interpolator (dual Newton)",
            reason: "the dual Hessian X diag(a² cosh) Xᵀ is singular (are the rows of X dependent?)".into(),
        })?;
        let dir = -cholesky_solve(&l, grad.view());
        *factor = Some(l);
        Ok(dir)
    }

    /// argmin_{Xβ=y} D_{ψ_a}(β, β̃₀) given a² (> 0) and δ = arcsinh(β̃₀/a²); `lambda0` warm-starts the dual.
    pub fn solve(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        a_sq: ArrayView1<f64>,
        delta: ArrayView1<f64>,
        lambda0: Option<ArrayView1<f64>>,
    ) -> Result<Solution> {
        self.check_inputs(x, y, a_sq, delta, lambda0.as_ref())?;
        let (n, d) = x.dim();
        let x_std = x.as_standard_layout();
        let xs: &[f64] = x_std.as_slice().expect("standard layout is contiguous");
        let dual = Dual { xs, d, y, ln_a_sq: a_sq.iter().map(|a| a.ln()).collect(), delta: delta.to_vec() };
        let y_norm = y.dot(&y).sqrt().max(1e-300);
        let mut cur = dual.at(lambda0.map_or_else(|| Array1::zeros(n), |l| l.to_owned()));
        let mut iterations = 0;
        let mut stall = Stall::new();
        let mut factor: Option<Array2<f64>> = None;
        let mut last_t = 1.0;
        let mut scratch = vec![0.0; d];
        let mut w = vec![0.0; d];
        let mut grad = Array1::<f64>::zeros(n);
        loop {
            // ∇Φ = Xβ − y.
            x_mul(xs, d, cur.beta.as_slice().expect("contiguous"), grad.as_slice_mut().expect("contiguous"));
            grad -= &y;
            let res = grad.dot(&grad).sqrt() / y_norm;
            if !res.is_finite() {
                return Err(DlnError::NotConverged {
                    method: "Bregman interpolator (dual Newton)",
                    reason: format!("non-finite residual after {iterations} iterations (a² cosh overflowed)"),
                });
            }
            let near_floor = res <= 1e3 * self.tol && res > 0.5 * stall.prev_res;
            if res <= self.tol || near_floor {
                // Converged, or at the rounding floor just above the tolerance (a Newton step no
                // longer halves the residual): accept, the residual is reported.
                return Ok(Solution { beta: cur.beta, lambda: cur.lambda, iterations, residual: res });
            }
            stall.record(res, cur.phi, cur.scale);
            if iterations >= self.max_iter || stall.stalls > 8 {
                return Err(DlnError::NotConverged {
                    method: "Bregman interpolator (dual Newton)",
                    reason: format!("relative residual {res:.3e} after {iterations} iterations"),
                });
            }
            let step_dir = self.newton_direction(x, xs, &cur, &grad, res, &mut factor, last_t < 0.1, &mut scratch)?;
            xt_mul(xs, d, step_dir.as_slice().expect("contiguous"), &mut w);
            iterations += 1;
            match dual.step_length(&cur, &step_dir, &w) {
                Some(lp) => {
                    last_t = lp.t;
                    let mut next = cur.lambda.clone();
                    next.scaled_add(lp.t, &step_dir);
                    cur = dual.at(next);
                }
                // No decrease beyond rounding along a descent direction: the floor. One more look at
                // the residual above, then stop.
                None => stall.stalls = usize::MAX / 2,
            }
        }
    }

    // ANCHOR: theorem1
    /// Theorem 1: β*_α = argmin_{Xβ=y} ψ_α(β) (a = α, δ = 0).
    pub fn theorem1(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, alpha: ArrayView1<f64>) -> Result<Solution> {
        crate::model::validate_alpha(alpha, alpha.len())?;
        let a_sq = alpha.mapv(|a| a * a);
        let delta = Array1::zeros(alpha.len());
        self.solve(x, y, a_sq.view(), delta.view(), None)
    }
    // ANCHOR_END: theorem1

    // ANCHOR: theorem2
    /// Theorem 2: β∞ = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) (a² = α∞², δ = ln(α₊/α₋)).
    pub fn theorem2(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, eff: &EffectiveInit) -> Result<Solution> {
        self.solve(x, y, eff.alpha_inf_sq.view(), eff.delta.view(), None)
    }
    // ANCHOR_END: theorem2

    /// Theorem 2 with β̃₀ ignored: argmin_{Xβ=y} ψ_{α∞}(β).
    pub fn theorem2_without_tilde(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        eff: &EffectiveInit,
    ) -> Result<Solution> {
        let delta = Array1::zeros(eff.delta.len());
        self.solve(x, y, eff.alpha_inf_sq.view(), delta.view(), None)
    }
}

/// Checks that each per-coordinate array, given as (name, length), has one entry per column of X
/// (`d` of them).
fn check_columns(d: usize, arrays: &[(&str, usize)]) -> Result<()> {
    match arrays.iter().find(|(_, len)| *len != d) {
        None => Ok(()),
        Some((name, len)) => {
            Err(DlnError::DimensionMismatch(format!("X has {d} columns but {name} has {len} entries")))
        }
    }
}

/// Stationarity residual of a candidate Bregman interpolator: the component of
/// ∇ψ_a(β) − ∇ψ_a(β̃₀) = ½(arcsinh(β/a²) − δ) outside range(Xᵀ), relative to its norm.
/// Zero exactly at the solution (with Xβ = y); an independent check of [`BregmanSolver::solve`].
pub fn kkt_residual(
    x: ArrayView2<f64>,
    a_sq: ArrayView1<f64>,
    delta: ArrayView1<f64>,
    beta: ArrayView1<f64>,
) -> Result<f64> {
    check_columns(x.ncols(), &[("a²", a_sq.len()), ("δ", delta.len()), ("β", beta.len())])?;
    let v = Zip::from(&beta).and(&a_sq).and(&delta).map_collect(|b, a2, dl| 0.5 * ((b / a2).asinh() - dl));
    let gram = x.dot(&x.t());
    let l = cholesky(&gram).ok_or_else(|| DlnError::DimensionMismatch("X Xᵀ is singular".into()))?;
    let coef = cholesky_solve(&l, x.dot(&v).view());
    let proj = x.t().dot(&coef);
    let diff = &v - &proj;
    Ok(diff.dot(&diff).sqrt() / v.dot(&v).sqrt().max(1.0))
}

/// The minimum-ℓ2 interpolator β = Xᵀ(XXᵀ)⁻¹y (the kernel-regime limit, α → ∞).
pub fn min_l2(x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<Array1<f64>> {
    if y.len() != x.nrows() {
        return Err(DlnError::DimensionMismatch(format!("X has {} rows but y has {} entries", x.nrows(), y.len())));
    }
    check_finite("X", x.iter())?;
    check_finite("y", y.iter())?;
    let gram = x.dot(&x.t());
    let l = cholesky(&gram)
        .ok_or_else(|| DlnError::DimensionMismatch("X Xᵀ is singular: rows of X are dependent".into()))?;
    Ok(x.t().dot(&cholesky_solve(&l, y)))
}

/// The minimum-ℓ1 interpolator argmin_{Xβ=y} ‖β‖₁ (the rich-regime limit, α → 0): the LP
/// min Σ(p + m) s.t. X(p − m) = y, p, m ≥ 0 (microlp's simplex), then polished on its support by
/// least squares so that Xβ = y holds to rounding.
pub fn min_l1(x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<Array1<f64>> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem as Lp};
    let (n, d) = x.dim();
    if y.len() != n {
        return Err(DlnError::DimensionMismatch(format!("X has {n} rows but y has {} entries", y.len())));
    }
    check_finite("X", x.iter())?;
    check_finite("y", y.iter())?;
    let mut lp = Lp::new(OptimizationDirection::Minimize);
    let p: Vec<_> = (0..d).map(|_| lp.add_var(1.0, (0.0, f64::INFINITY))).collect();
    let m: Vec<_> = (0..d).map(|_| lp.add_var(1.0, (0.0, f64::INFINITY))).collect();
    for i in 0..n {
        let mut row = Vec::with_capacity(2 * d);
        for j in 0..d {
            row.push((p[j], x[[i, j]]));
            row.push((m[j], -x[[i, j]]));
        }
        lp.add_constraint(&row, ComparisonOp::Eq, y[i]);
    }
    let sol = lp
        .solve()
        .map_err(|e| DlnError::NotConverged { method: "min-ℓ1 LP", reason: e.to_string() })?
        .into_solution()
        .map_err(|_| DlnError::NotConverged {
            method: "min-ℓ1 LP", reason: "interrupted before a solution".into()
        })?;
    let beta: Array1<f64> = (0..d).map(|j| sol.var_value(p[j]) - sol.var_value(m[j])).collect();
    // Polish on the support (a basic solution has at most n non-zeros).
    let support: Vec<usize> = (0..d).filter(|&j| beta[j].abs() > 1e-9).collect();
    if support.is_empty() || support.len() > n {
        return Ok(beta);
    }
    let xs = x.select(ndarray::Axis(1), &support);
    let normal: Array2<f64> = xs.t().dot(&xs);
    match cholesky(&normal) {
        Some(l) => {
            let bs = cholesky_solve(&l, xs.t().dot(&y).view());
            let mut polished = Array1::zeros(d);
            for (k, &j) in support.iter().enumerate() {
                polished[j] = bs[k];
            }
            Ok(polished)
        }
        None => Ok(beta),
    }
}

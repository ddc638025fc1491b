//! Curvature and stability: one power iteration, the sharpness of F(u, v) = L(u ⊙ v) (its
//! Gauss–Newton part and the exact top eigenvalue of the full Hessian), and the largest convergent
//! constant stepsize γ_max found by bisection.
//! Book: chapter "Edge of stability" (`book/src/07-edge-of-stability.md`).
//!
//! Every computation here runs in a fixed summation order (no BLAS-backed products), so its result
//! is bitwise the same on every machine.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::data::Problem;
use crate::error::{DlnError, Result, check_finite, invalid};
use crate::model::DiagonalNet;
use crate::optimizer::{Schedule, Sgd};
use crate::run::{Run, Status};

/// At most this many steps of [`power_iteration`].
pub const POWER_MAX_ITERATIONS: usize = 10_000;

/// [`power_iteration`] stops once |λ_k − λ_{k−1}| ≤ `POWER_REL_TOL` · |λ_k|.
pub const POWER_REL_TOL: f64 = 1e-13;

/// The outcome of [`power_iteration`].
#[derive(Debug, Clone, PartialEq)]
pub struct PowerIteration {
    /// The last Rayleigh quotient λ_k = z_kᵀ v_k, z_k = M v_k (0 if some M v_k = 0).
    pub eigenvalue: f64,
    /// The unit vector v_{k+1} = z_k/‖z_k‖ (the last iterate).
    pub eigenvector: Array1<f64>,
    /// Number of matrix–vector products made.
    pub iterations: usize,
    /// Whether the stopping rule was met (or M v_k = 0) within [`POWER_MAX_ITERATIONS`].
    pub converged: bool,
}

// ANCHOR: power_iteration
/// Power iteration on a symmetric matrix M (m×m): v₀ = (1/√m)·1, z_k = M v_k,
/// λ_k = z_kᵀ v_k (the Rayleigh quotient), v_{k+1} = z_k/‖z_k‖; stops once
/// |λ_k − λ_{k−1}| ≤ 10⁻¹³ |λ_k| (λ_{−1} = 0), or when z_k = 0 (then λ = 0), or after 10 000
/// products (then `converged` is false and the last λ_k is returned). Every sum runs in index order.
///
/// It finds the eigenvalue of largest modulus whose eigenvector is not orthogonal to 1; for a
/// positive semi-definite M that is λ_max (generically). Convergence is geometric with ratio
/// (λ₂/λ₁)², so a small spectral gap makes it slow.
///
/// Errors: M not square, empty, or not finite.
pub fn power_iteration(m: ArrayView2<f64>) -> Result<PowerIteration> {
    let (rows, cols) = m.dim();
    if rows != cols || rows == 0 {
        return Err(DlnError::DimensionMismatch(format!(
            "power iteration needs a non-empty square matrix, got {rows}×{cols}"
        )));
    }
    check_finite("power iteration matrix", m.iter())?;
    let n = rows;
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut lambda = 0.0;
    for k in 1..=POWER_MAX_ITERATIONS {
        let z: Vec<f64> = (0..n).map(|i| (0..n).map(|j| m[[i, j]] * v[j]).sum()).collect();
        let next: f64 = z.iter().zip(&v).map(|(a, b)| a * b).sum();
        let norm = z.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Ok(PowerIteration {
                eigenvalue: 0.0,
                eigenvector: Array1::from(v),
                iterations: k,
                converged: true,
            });
        }
        v = z.iter().map(|a| a / norm).collect();
        if (next - lambda).abs() <= POWER_REL_TOL * next.abs() {
            return Ok(PowerIteration {
                eigenvalue: next,
                eigenvector: Array1::from(v),
                iterations: k,
                converged: true,
            });
        }
        lambda = next;
    }
    Ok(PowerIteration {
        eigenvalue: lambda,
        eigenvector: Array1::from(v),
        iterations: POWER_MAX_ITERATIONS,
        converged: false,
    })
}
// ANCHOR_END: power_iteration

// ANCHOR: gauss_newton_sharpness
/// Gauss–Newton sharpness S_GN = λ_max(X diag(w) Xᵀ/n) for per-coordinate weights w = u² + v²
/// ([`DiagonalNet::curvature_weights`]).
///
/// The Hessian of F(u, v) = L(u ⊙ v) is ∇²F = J (XᵀX/n) Jᵀ + [[0, diag(g)], [diag(g), 0]] with
/// J = [diag(v); diag(u)] and g = Xᵀ(Xβ − y)/n. Its first (Gauss–Newton) term has the non-zero
/// eigenvalues of X JᵀJ Xᵀ/n = X diag(u² + v²) Xᵀ/n, an n×n matrix; at an interpolator (g = 0) it is
/// the whole Hessian, elsewhere see [`hessian_sharpness`]. Computed by [`power_iteration`] on that
/// n×n matrix, entries M_ik = (Σ_j x_ij w_j x_kj)/n summed in order j = 0, 1, …. If the stopping rule
/// is not met within the iteration budget, the last Rayleigh quotient is returned.
///
/// Errors: `w` not of length d, X or w not finite, w negative.
pub fn gauss_newton_sharpness(x: ArrayView2<f64>, w: ArrayView1<f64>) -> Result<f64> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(DlnError::DimensionMismatch(format!("X is {n}×{d}; it needs at least one row and column")));
    }
    if w.len() != d {
        return Err(DlnError::DimensionMismatch(format!("X has {d} columns but w has {} entries", w.len())));
    }
    check_finite("X", x.iter())?;
    check_finite("w", w.iter())?;
    if let Some(bad) = w.iter().find(|v| **v < 0.0) {
        return Err(invalid("w", format!("curvature weights u² + v² must be ≥ 0, got {bad}")));
    }
    let mut m = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for k in 0..=i {
            let v: f64 = (0..d).map(|j| x[[i, j]] * w[j] * x[[k, j]]).sum::<f64>() / n as f64;
            m[[i, k]] = v;
            m[[k, i]] = v;
        }
    }
    Ok(power_iteration(m.view())?.eigenvalue)
}
// ANCHOR_END: gauss_newton_sharpness

/// Checks that X (n×d), y (n) and the network (d) fit together and are finite.
fn check_network_problem(x: ArrayView2<f64>, y: ArrayView1<f64>, net: &DiagonalNet) -> Result<()> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(DlnError::DimensionMismatch(format!("X is {n}×{d}; it needs at least one row and column")));
    }
    if y.len() != n {
        return Err(DlnError::DimensionMismatch(format!("X has {n} rows but y has {} entries", y.len())));
    }
    if net.u.len() != d || net.v.len() != d {
        return Err(DlnError::DimensionMismatch(format!(
            "X has {d} columns but the network has u, v of lengths {}, {}",
            net.u.len(),
            net.v.len()
        )));
    }
    check_finite("X", x.iter())?;
    check_finite("y", y.iter())?;
    check_finite("u", net.u.iter())?;
    check_finite("v", net.v.iter())
}

// ANCHOR: hessian
/// The Hessian ∇²F of F(u, v) = L(u ⊙ v) = (1/2n)‖X(u ⊙ v) − y‖² at w = (u, v), as a dense 2d×2d
/// matrix in the order (u₁ … u_d, v₁ … v_d). With A = XᵀX/n and g = Xᵀr/n, r = X(u ⊙ v) − y:
///
/// ∂²F/∂u_j∂u_l = v_j A_jl v_l,  ∂²F/∂v_j∂v_l = u_j A_jl u_l,  ∂²F/∂u_j∂v_l = v_j A_jl u_l + δ_jl g_j.
///
/// The δ_jl g_j term (the residual term) vanishes at an interpolator. Sums run in index order.
///
/// Errors: sizes that do not fit, non-finite entries.
pub fn hessian(x: ArrayView2<f64>, y: ArrayView1<f64>, net: &DiagonalNet) -> Result<Array2<f64>> {
    check_network_problem(x, y, net)?;
    let (n, d) = x.dim();
    let inv_n = 1.0 / n as f64;
    let (u, v) = (&net.u, &net.v);
    let r: Vec<f64> = (0..n).map(|i| (0..d).map(|j| x[[i, j]] * (u[j] * v[j])).sum::<f64>() - y[i]).collect();
    let g: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[[i, j]] * r[i]).sum::<f64>() * inv_n).collect();
    let mut h = Array2::<f64>::zeros((2 * d, 2 * d));
    for j in 0..d {
        for l in 0..=j {
            let a = (0..n).map(|i| x[[i, j]] * x[[i, l]]).sum::<f64>() * inv_n;
            h[[j, l]] = v[j] * a * v[l];
            h[[l, j]] = h[[j, l]];
            h[[d + j, d + l]] = u[j] * a * u[l];
            h[[d + l, d + j]] = h[[d + j, d + l]];
            h[[j, d + l]] = v[j] * a * u[l];
            h[[d + l, j]] = h[[j, d + l]];
            h[[l, d + j]] = v[l] * a * u[j];
            h[[d + j, l]] = h[[l, d + j]];
        }
        h[[j, d + j]] += g[j];
        h[[d + j, j]] += g[j];
    }
    Ok(h)
}
// ANCHOR_END: hessian

// ANCHOR: hessian_sharpness
/// The exact sharpness λ_max(∇²F(w)): the largest (algebraic) eigenvalue of the full Hessian of
/// F(u, v) = L(u ⊙ v) at w = (u, v) ([`hessian`]), residual term included. Away from interpolators
/// ∇²F is indefinite (its residual block [[0, diag(g)], [diag(g), 0]] has eigenvalues ±g_j), so the
/// power iteration (which finds the largest |λ|) does not apply; at an interpolator the value equals
/// [`gauss_newton_sharpness`] with w = u² + v².
///
/// Method: Lanczos with full re-orthogonalisation (two Gram–Schmidt passes per step) from the
/// start vector (1/√2d)·1, run for all m = 2d steps, restarting from the canonical vector farthest
/// from the basis when the Krylov space closes early. This is an orthogonal tridiagonalisation
/// QᵀHQ = T, so T has H's eigenvalues up to rounding (~ε‖H‖); the largest is found by bisection on
/// Sturm counts of T down to adjacent floating-point numbers. Cost O(d²(n + d)).
///
/// Errors: sizes that do not fit, non-finite entries.
pub fn hessian_sharpness(x: ArrayView2<f64>, y: ArrayView1<f64>, net: &DiagonalNet) -> Result<f64> {
    let h = hessian(x, y, net)?;
    let (alpha, beta) = lanczos_tridiagonal(h.view());
    Ok(tridiagonal_max_eigenvalue(&alpha, &beta))
}
// ANCHOR_END: hessian_sharpness

/// Full Lanczos tridiagonalisation of the symmetric m×m matrix `h`: the diagonal α (m entries) and
/// off-diagonal β (m − 1 entries) of T = QᵀHQ (see [`hessian_sharpness`]).
fn lanczos_tridiagonal(h: ArrayView2<f64>) -> (Vec<f64>, Vec<f64>) {
    let m = h.nrows();
    let scale = h.rows().into_iter().map(|r| r.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max);
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(m);
    let (mut alpha, mut beta) = (Vec::with_capacity(m), Vec::with_capacity(m));
    let mut q = vec![1.0 / (m as f64).sqrt(); m];
    for j in 0..m {
        let mut w: Vec<f64> = (0..m).map(|i| (0..m).map(|l| h[[i, l]] * q[l]).sum()).collect();
        let a = dot(&q, &w);
        alpha.push(a);
        basis.push(q);
        if j + 1 == m {
            break;
        }
        orthogonalise(&mut w, &basis);
        let norm = dot(&w, &w).sqrt();
        if norm > 1e-10 * scale && norm > 0.0 {
            q = w.iter().map(|v| v / norm).collect();
            beta.push(norm);
        } else {
            // The Krylov space is invariant: continue from a fresh direction orthogonal to it.
            q = fresh_direction(m, &basis);
            beta.push(dot(&q, &w));
        }
    }
    (alpha, beta)
}

/// w ← w − Σ_i (q_iᵀw) q_i, twice (enough for orthogonality to working precision).
fn orthogonalise(w: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for q in basis {
            let c = dot(q, w);
            for (wi, qi) in w.iter_mut().zip(q) {
                *wi -= c * qi;
            }
        }
    }
}

/// The canonical vector e_k with the largest component orthogonal to `basis`, orthogonalised and
/// normalised (the first such k on ties). Needs fewer than m basis vectors.
fn fresh_direction(m: usize, basis: &[Vec<f64>]) -> Vec<f64> {
    let mut best: (f64, Vec<f64>) = (-1.0, Vec::new());
    for k in 0..m {
        let mut e = vec![0.0; m];
        e[k] = 1.0;
        orthogonalise(&mut e, basis);
        let norm = dot(&e, &e).sqrt();
        if norm > best.0 {
            best = (norm, e);
        }
    }
    let (norm, e) = best;
    e.iter().map(|v| v / norm).collect()
}

/// Σ a_i b_i in index order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Number of eigenvalues of the symmetric tridiagonal T = tridiag(β, α, β) below `x` (Sturm count
/// from the LDLᵀ pivots of T − x I; a zero pivot is nudged to −`pivmin`).
fn sturm_count(alpha: &[f64], beta: &[f64], x: f64, pivmin: f64) -> usize {
    let mut count = 0;
    let mut p = 1.0;
    for (i, a) in alpha.iter().enumerate() {
        let b2 = if i == 0 { 0.0 } else { beta[i - 1] * beta[i - 1] };
        p = a - x - if i == 0 { 0.0 } else { b2 / p };
        if p.abs() < pivmin {
            p = -pivmin;
        }
        if p < 0.0 {
            count += 1;
        }
    }
    count
}

/// The largest eigenvalue of tridiag(β, α, β), by bisection on Sturm counts inside the Gershgorin
/// interval until the bracket holds adjacent floating-point numbers.
fn tridiagonal_max_eigenvalue(alpha: &[f64], beta: &[f64]) -> f64 {
    let m = alpha.len();
    let off = |i: usize| {
        let left = if i == 0 { 0.0 } else { beta[i - 1].abs() };
        let right = if i + 1 == m { 0.0 } else { beta[i].abs() };
        left + right
    };
    let mut hi = (0..m).map(|i| alpha[i] + off(i)).fold(f64::NEG_INFINITY, f64::max);
    let mut lo = (0..m).map(|i| alpha[i] - off(i)).fold(f64::INFINITY, f64::min);
    let scale = lo.abs().max(hi.abs());
    if scale == 0.0 {
        return 0.0;
    }
    let pivmin = f64::MIN_POSITIVE.max(scale * f64::EPSILON * f64::EPSILON);
    // Widen so that count(lo) < m ≤ count(hi) holds strictly.
    let pad = 2.0 * f64::EPSILON * scale + pivmin;
    (lo, hi) = (lo - pad, hi + pad);
    loop {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if sturm_count(alpha, beta, mid, pivmin) == m { hi = mid } else { lo = mid }
    }
    0.5 * (lo + hi)
}

/// The classical stepsize scale b / mean_i ‖x_i‖² = (b · n) / Σ_ij x_ij² of mini-batch SGD with batch
/// size b, the one starting point of every γ_max bisection. The sum runs over X in row-major order
/// (the same on every machine), and the start is b · (n / Σ_ij x_ij²): for b = 1 exactly the
/// single-sample scale n / Σ_ij x_ij².
/// For GD (b = n) it is n / tr(XᵀX/n) ∈ [1/λ_max, n/λ_max] (λ_max ≤ tr ≤ n·λ_max): near GD's own
/// scale rather than at a stepsize far too small to converge within a tight budget.
pub fn bisection_start(problem: &Problem, batch: usize) -> f64 {
    let sq: f64 = problem.x.iter().map(|v| v * v).sum();
    // b · (n / Σ‖x_i‖²): for b = 1 exactly n / Σ‖x_i‖², the scale of single-sample SGD.
    batch as f64 * (problem.n() as f64 / sq)
}

/// Runs `template` at the constant stepsize γ (its schedule replaced by `Schedule::Constant(γ)`).
pub fn run_at(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, gamma: f64) -> Result<Run> {
    let sgd = Sgd { stepsize: Schedule::Constant(gamma), ..template.clone() };
    sgd.run(problem, alpha)
}

/// Whether `template` at the constant stepsize γ converges (training loss ≤ `template.tol` within
/// `template.max_steps`).
pub fn converges(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, gamma: f64) -> Result<bool> {
    Ok(run_at(problem, alpha, template, gamma)?.status == Status::Converged)
}

/// The result of a γ_max bisection: the bracket it ended with.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GammaMax {
    /// The largest stepsize seen to converge.
    pub gamma_max: f64,
    /// The smallest stepsize seen not to converge (> `gamma_max`, within the relative tolerance).
    pub fails_at: f64,
    /// Number of runs made.
    pub evaluations: usize,
}

/// How one trial run of a γ_max search ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trial {
    /// It converged.
    Converged,
    /// It failed for a reason a smaller stepsize may cure (divergence, or a predicate that only
    /// says "no").
    Failed,
    /// It ran out of step budget with training loss `progress` × its initial loss.
    OutOfBudget {
        /// L(β_K)/L(β₀) at the end of the budget.
        progress: f64,
    },
}

/// A run that reduced its loss to this fraction of the initial one made steady progress: if half
/// its stepsize makes less, the budget limits it, not the stepsize (see [`bisect_gamma_max_trials`]).
pub const STEADY_PROGRESS: f64 = 1e-3;

// ANCHOR: gamma_max
/// The bracket search behind [`gamma_max`], for any predicate `converges(γ)`: doubling from
/// `start` while it holds (or halving while it does not), at most 60 times each, then bisection on a
/// log scale (mid = √(lo·hi)) until hi/lo ≤ 1 + `rel_tol`.
///
/// Assumption: `converges` is monotone — true below a threshold, false above. Then the threshold
/// lies in [`gamma_max`, `fails_at`]. If it is not monotone, the result is *one* crossing point of
/// the predicate, not necessarily the first or the last.
///
/// Errors: `start` or `rel_tol` not finite and > 0; no crossing found: the predicate holds up to
/// start·2⁶⁰ ([`DlnError::NotConverged`]) or fails down to start·2⁻⁶⁰
/// ([`DlnError::NoConvergentStepsize`]); an error of the predicate.
pub fn bisect_gamma_max(start: f64, rel_tol: f64, mut converges: impl FnMut(f64) -> Result<bool>) -> Result<GammaMax> {
    bisect_gamma_max_trials(start, rel_tol, |g| Ok(if converges(g)? { Trial::Converged } else { Trial::Failed }))
}

/// [`bisect_gamma_max`] on trials that also say how a failure ended. One more way to stop: while
/// halving, if the trial at γ ran out of budget after steady progress (loss ≤
/// [`STEADY_PROGRESS`] × its initial loss) and the trial at γ/2 ran out of budget with less
/// progress, the search ends with [`DlnError::NoConvergentStepsize`]: smaller stepsizes only move
/// slower (small initialisations, whose last phase contracts at a rate ∝ α², end this way).
pub fn bisect_gamma_max_trials(
    start: f64,
    rel_tol: f64,
    mut trial: impl FnMut(f64) -> Result<Trial>,
) -> Result<GammaMax> {
    if !(start.is_finite() && start > 0.0) {
        return Err(invalid("start", format!("the bisection's start must be finite and > 0, got {start}")));
    }
    if !(rel_tol.is_finite() && rel_tol > 0.0) {
        return Err(invalid("rel_tol", format!("must be finite and > 0, got {rel_tol}")));
    }
    let mut evaluations = 0;
    let mut test = |g: f64| {
        evaluations += 1;
        trial(g)
    };
    let not_bracketed = |reason: String| DlnError::NotConverged { method: "gamma_max bisection", reason };
    let (mut lo, mut hi) = (start, start);
    let first = test(start)?;
    if first == Trial::Converged {
        for _ in 0..60 {
            hi *= 2.0;
            if test(hi)? != Trial::Converged {
                break;
            }
            lo = hi;
        }
        if lo == hi {
            return Err(not_bracketed(format!("every stepsize up to {hi:.3e} converged")));
        }
    } else {
        let mut previous = first;
        for _ in 0..60 {
            lo /= 2.0;
            let now = test(lo)?;
            if now == Trial::Converged {
                break;
            }
            if let (Trial::OutOfBudget { progress: before }, Trial::OutOfBudget { progress: after }) = (previous, now)
                && before <= STEADY_PROGRESS
                && after > before
            {
                return Err(DlnError::NoConvergentStepsize { smallest: lo });
            }
            previous = now;
            hi = lo;
        }
        if lo == hi {
            return Err(DlnError::NoConvergentStepsize { smallest: lo });
        }
    }
    while hi / lo > 1.0 + rel_tol {
        let mid = (lo * hi).sqrt();
        if mid <= lo || mid >= hi {
            break;
        }
        if test(mid)? == Trial::Converged { lo = mid } else { hi = mid }
    }
    Ok(GammaMax { gamma_max: lo, fails_at: hi, evaluations })
}

/// The trial of `template` at the constant stepsize γ: [`Trial::OutOfBudget`] with L(β_K)/L(β₀) if
/// the budget ran out, [`Trial::Failed`] if it diverged.
pub fn trial(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, gamma: f64) -> Result<Trial> {
    let run = run_at(problem, alpha, template, gamma)?;
    Ok(match run.status {
        Status::Converged => Trial::Converged,
        Status::Diverged => Trial::Failed,
        Status::MaxSteps => {
            let initial = problem.y.iter().map(|v| v * v).sum::<f64>() / (2.0 * problem.n() as f64);
            Trial::OutOfBudget { progress: run.train_loss / initial }
        }
    })
}

/// γ_max of `template`: the largest constant stepsize at which it converges (training loss ≤
/// `template.tol` within `template.max_steps` steps), to relative precision `rel_tol`, by
/// [`bisect_gamma_max_trials`] from [`bisection_start`]`(problem, template.batch)` on [`trial`]s.
/// Runs are deterministic (the template's seed), so γ_max is too.
///
/// Caveats:
/// - The bisection assumes convergence is monotone in γ. It need not be: SGD's trajectory changes
///   with γ, so a run somewhat below γ_max can still diverge (check the runs you use).
/// - γ_max depends on the step budget: near the threshold convergence slows down (at GD's
///   linear threshold the contraction factor tends to 1), so a larger `max_steps` or a looser `tol`
///   gives a larger γ_max.
///
/// Errors: those of [`bisect_gamma_max`] and of the runs ([`Sgd::run`]).
pub fn gamma_max_search(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Result<GammaMax> {
    gamma_max_search_by(problem, template, rel_tol, |g| trial(problem, alpha, template, g))
}

/// [`gamma_max_search`] with its trials made by `trial` (which must be [`trial`] at each γ, or a
/// cache of it): the one start [`bisection_start`]`(problem, template.batch)` and
/// [`bisect_gamma_max_trials`].
pub fn gamma_max_search_by(
    problem: &Problem,
    template: &Sgd,
    rel_tol: f64,
    trial: impl FnMut(f64) -> Result<Trial>,
) -> Result<GammaMax> {
    bisect_gamma_max_trials(bisection_start(problem, template.batch), rel_tol, trial)
}

/// [`gamma_max_search`]'s γ_max alone.
pub fn gamma_max(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Result<f64> {
    Ok(gamma_max_search(problem, alpha, template, rel_tol)?.gamma_max)
}
// ANCHOR_END: gamma_max

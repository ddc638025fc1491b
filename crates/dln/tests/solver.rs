//! The interpolator solvers: the Bregman interpolator argmin_{Xβ=y} D_{ψ_a}(β, β̃₀) by dual Newton
//! (Theorems 1 and 2), checked against an independent certificate of optimality — feasibility plus
//! stationarity on ker X (a null-space basis computed here by Gram–Schmidt) plus the primal
//! objective at other feasible points — for heterogeneous a ∈ [1e-8, 1] and random δ; warm starts
//! from the engine's dual variable; and the minimum-ℓ1 and minimum-ℓ2 interpolators as the α → 0
//! and α → ∞ limits.

mod common;

use common::{dist, matrix, norm, null_space_basis, off_row_space, problem, rel_residual};
use dln::{
    BregmanSolver, DlnError, Hypentropy, Problem, Sgd, Solution, Status, kkt_residual, min_l1, min_l2, uniform_alpha,
};
use ndarray::{Array1, ArrayView1};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// ∇ψ_a(β) − ∇ψ_a(β̃₀) = ½(arcsinh(β/a²) − δ), computed here from the formula.
fn stationarity_vector(a_sq: ArrayView1<f64>, delta: ArrayView1<f64>, beta: ArrayView1<f64>) -> Array1<f64> {
    ndarray::Zip::from(&beta).and(&a_sq).and(&delta).map_collect(|b, a2, dl| 0.5 * ((b / a2).asinh() - dl))
}

/// Checks that `sol` is THE minimiser of D_{ψ_a}(·, β̃₀) on {Xβ = y}: feasible, stationary on ker X
/// (so, by strict convexity, optimal), no worse than other feasible points, and the crate's own KKT
/// residual agrees.
fn certify(problem: &Problem, a_sq: &Array1<f64>, delta: &Array1<f64>, sol: &Solution, what: &str) {
    let (x, y) = (problem.x.view(), problem.y.view());
    assert!(sol.residual <= 1e-12, "{what}: reported residual {:e}", sol.residual);
    let res = rel_residual(x, y, sol.beta.view());
    assert!(res <= 1e-12, "{what}: relative residual ‖Xβ − y‖/‖y‖ = {res:e}");

    let v = stationarity_vector(a_sq.view(), delta.view(), sol.beta.view());
    let off = off_row_space(x, v.view());
    let worst_null = null_space_basis(x).iter().map(|u| u.dot(&v).abs()).fold(0.0, f64::max) / norm(v.view()).max(1.0);
    let kkt = kkt_residual(x, a_sq.view(), delta.view(), sol.beta.view()).unwrap();
    eprintln!(
        "{what}: {} iterations, residual {res:.1e}, off range(Xᵀ) {off:.1e}, max |⟨v, ker X⟩| {worst_null:.1e}, kkt {kkt:.1e}",
        sol.iterations
    );
    assert!(worst_null <= 1e-9, "{what}: not stationary on ker X ({worst_null:e})");
    assert!(kkt <= 1e-9, "{what}: kkt_residual {kkt:e}");

    // Primal check: D(β) ≤ D at other feasible points (ground truth, min-ℓ2, random null-space moves).
    let psi = Hypentropy::from_alpha_sq(a_sq.clone());
    let beta_tilde0 = ndarray::Zip::from(a_sq).and(delta).map_collect(|a2, dl| a2 * dl.sinh());
    let objective = |b: &Array1<f64>| psi.bregman(b.view(), beta_tilde0.view());
    let d_sol = objective(&sol.beta);
    let slack = 1e-9 * d_sol.abs().max(1.0);
    for (name, other) in [("β*", problem.beta_star.clone()), ("min-ℓ2", min_l2(x, y).unwrap())] {
        assert!(
            d_sol <= objective(&other) + slack,
            "{what}: D(solution) = {d_sol} > D({name}) = {}",
            objective(&other)
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let scale = norm(sol.beta.view()).max(1e-3);
    for u in null_space_basis(x).iter().take(8) {
        for eps in [1e-2, 1e-4] {
            let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
            let moved = &sol.beta + &(u * (sign * eps * scale));
            assert!(d_sol <= objective(&moved) + slack, "{what}: a feasible move lowers D");
        }
    }
}

#[test]
fn theorem1_solutions_are_certified_optimal_across_scales() {
    let solver = BregmanSolver::default();
    for (seed, (n, d, s)) in [(0u64, (20usize, 30usize, 3usize)), (1, (10, 40, 2)), (2, (40, 100, 5))] {
        let problem = problem(n, d, s, seed);
        for alpha in [10.0, 1.0, 0.1, 1e-3, 1e-6, 1e-8] {
            let a = uniform_alpha(alpha, d);
            let sol = solver.theorem1(problem.x.view(), problem.y.view(), a.view()).unwrap();
            let a_sq = a.mapv(|v| v * v);
            certify(&problem, &a_sq, &Array1::zeros(d), &sol, &format!("Theorem 1, seed {seed}, α = {alpha:e}"));
        }
    }
}

#[test]
fn heterogeneous_scales_in_1e_8_to_1_with_random_delta() {
    let solver = BregmanSolver::default();
    for seed in 0..6u64 {
        let (n, d) = if seed < 4 { (20, 30) } else { (60, 150) };
        let problem = problem(n, d, 3, 100 + seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // a log-uniform in [1e-8, 1] per coordinate; δ = arcsinh(β̃₀/a²) with random signs and sizes.
        let a_sq: Array1<f64> = (0..d).map(|_| 10f64.powf(-8.0 * rng.random::<f64>()).powi(2)).collect();
        let delta: Array1<f64> = (0..d).map(|_| 3.0 * (rng.random::<f64>() - 0.5)).collect();
        let sol = solver.solve(problem.x.view(), problem.y.view(), a_sq.view(), delta.view(), None).unwrap();
        certify(&problem, &a_sq, &delta, &sol, &format!("heterogeneous a, seed {seed}, (n, d) = ({n}, {d})"));
        // A second start (a random dual point) reaches the same interpolator.
        let lambda0: Array1<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
        let again =
            solver.solve(problem.x.view(), problem.y.view(), a_sq.view(), delta.view(), Some(lambda0.view())).unwrap();
        let gap = dist(&sol.beta, &again.beta) / norm(sol.beta.view());
        assert!(gap <= 1e-10, "seed {seed}: two starts disagree by {gap:e}");
    }
}

#[test]
fn large_problem_takes_the_preconditioned_cg_path_and_stays_exact() {
    // n ≥ 32 uses conjugate gradients preconditioned by the last Cholesky factor.
    let problem = problem(160, 480, 10, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let a_sq: Array1<f64> = (0..480).map(|_| 10f64.powf(-4.0 * rng.random::<f64>()).powi(2)).collect();
    let delta: Array1<f64> = (0..480).map(|_| rng.random::<f64>() - 0.5).collect();
    let sol =
        BregmanSolver::default().solve(problem.x.view(), problem.y.view(), a_sq.view(), delta.view(), None).unwrap();
    certify(&problem, &a_sq, &delta, &sol, "(n, d) = (160, 480), a ∈ [1e-4, 1]");
    for alpha in [0.1, 1e-5] {
        let a = uniform_alpha(alpha, 480);
        let sol = BregmanSolver::default().theorem1(problem.x.view(), problem.y.view(), a.view()).unwrap();
        certify(
            &problem,
            &a.mapv(|v| v * v),
            &Array1::zeros(480),
            &sol,
            &format!("(160, 480) Theorem 1, α = {alpha:e}"),
        );
    }
}

#[test]
fn warm_start_from_the_engine_dual_variable_is_already_the_solution() {
    // β_k = α_k² sinh(Xᵀλ_k + δ_k) holds exactly along the run, so at convergence the engine's λ is
    // the dual solution of the Theorem-2 problem.
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, 30);
    let solver = BregmanSolver::default();
    for sgd in [Sgd::gd(0.5 / problem.lambda_max(), 20), Sgd::sgd(0.01, 1)] {
        let run = sgd.with_budget(2_000_000, 1e-24).run(&problem, alpha.view()).unwrap();
        assert_eq!(run.status, Status::Converged);
        let eff = &run.effective;
        let (x, y) = (problem.x.view(), problem.y.view());
        let cold = solver.theorem2(x, y, eff).unwrap();
        let warm = solver.solve(x, y, eff.alpha_inf_sq.view(), eff.delta.view(), Some(run.lambda.view())).unwrap();
        eprintln!("cold {} iterations, warm {} iterations", cold.iterations, warm.iterations);
        assert!(warm.iterations <= 2, "warm start took {} iterations", warm.iterations);
        assert!(warm.iterations < cold.iterations);
        assert!(dist(&warm.beta, &cold.beta) <= 1e-10 * norm(cold.beta.view()));
        assert!(dist(&warm.lambda, &run.lambda) <= 1e-6 * norm(run.lambda.view()));
    }
}

#[test]
fn min_l1_is_feasible_and_the_small_alpha_limit() {
    // ψ_α(β) = ln(1/α²)‖β‖₁ + O(‖β‖₁ ln‖β‖) as α → 0: the ℓ1 excess of β*_α shrinks like 1/ln(1/α)
    // in general, and β*_α → β_ℓ1 fast when the ℓ1 minimiser is sharp (exact recovery, seed 0).
    for (seed, (n, d, s)) in [(0u64, (20usize, 30usize, 3usize)), (3, (15, 40, 6)), (4, (30, 60, 12))] {
        let problem = problem(n, d, s, seed);
        let (x, y) = (problem.x.view(), problem.y.view());
        let l1 = min_l1(x, y).unwrap();
        let res = rel_residual(x, y, l1.view());
        assert!(res <= 1e-10, "min-ℓ1 residual {res:e}");
        let l1_norm = l1.mapv(f64::abs).sum();
        assert!(l1_norm <= problem.beta_star.mapv(f64::abs).sum() + 1e-9, "β* is feasible");
        let mut previous = f64::INFINITY;
        let mut last_gap = f64::INFINITY;
        for alpha in [0.3, 0.1, 1e-2, 1e-4, 1e-8] {
            let t1 = BregmanSolver::default().theorem1(x, y, uniform_alpha(alpha, d).view()).unwrap();
            let excess = t1.beta.mapv(f64::abs).sum() - l1_norm;
            last_gap = dist(&t1.beta, &l1);
            eprintln!("seed {seed}: α = {alpha:e}: ‖β*_α‖₁ − ‖β_ℓ1‖₁ = {excess:.2e}, ‖β*_α − β_ℓ1‖ = {last_gap:.2e}");
            assert!(excess >= -1e-9 * l1_norm, "‖min-ℓ1‖₁ = {l1_norm} > ‖β*_α‖₁ at α = {alpha}");
            assert!(excess <= previous + 1e-9 * l1_norm, "the ℓ1 excess must shrink as α → 0");
            previous = excess;
        }
        assert!(previous <= 2e-3 * l1_norm, "seed {seed}: ℓ1 excess {previous:e} at α = 1e-8");
        if seed == 0 {
            assert!(dist(&l1, &problem.beta_star) <= 1e-9, "exact recovery");
            assert!(last_gap <= 1e-9, "sharp ℓ1 minimiser: β*_α → β_ℓ1 ({last_gap:e})");
        }
    }
}

#[test]
fn min_l2_is_the_large_alpha_limit() {
    let problem = problem(20, 30, 3, 0);
    let (x, y) = (problem.x.view(), problem.y.view());
    let l2 = min_l2(x, y).unwrap();
    assert!(rel_residual(x, y, l2.view()) <= 1e-12);
    assert!(off_row_space(x, l2.view()) <= 1e-12, "min-ℓ2 lies in range(Xᵀ)");
    let mut previous = f64::INFINITY;
    for alpha in [1.0, 3.0, 10.0, 100.0] {
        let t1 = BregmanSolver::default().theorem1(x, y, uniform_alpha(alpha, 30).view()).unwrap();
        let gap = dist(&t1.beta, &l2) / norm(l2.view());
        eprintln!("α = {alpha}: ‖β*_α − β_ℓ2‖/‖β_ℓ2‖ = {gap:.2e}");
        assert!(gap < previous);
        previous = gap;
    }
    assert!(previous <= 1e-6, "at α = 100: {previous:e}");
    // Any other interpolator has a larger ℓ2 norm.
    let l1 = min_l1(x, y).unwrap();
    assert!(norm(l2.view()) <= norm(l1.view()));
}

#[test]
fn dependent_rows_give_an_error_or_a_certified_answer_never_a_panic() {
    // Duplicate row with inconsistent labels: no interpolator exists.
    let x = matrix(&[&[1.0, 2.0, 0.5, -1.0], &[1.0, 2.0, 0.5, -1.0], &[0.0, 1.0, -1.0, 2.0]]);
    let y = Array1::from(vec![1.0, 2.0, 0.5]);
    let a = uniform_alpha(0.1, 4);
    let err = BregmanSolver::default().theorem1(x.view(), y.view(), a.view()).unwrap_err();
    assert!(matches!(err, DlnError::NotConverged { .. }), "{err:?}");
    assert!(min_l2(x.view(), y.view()).is_err());
    // Consistent labels: solvable although X Xᵀ is singular.
    let y = Array1::from(vec![1.0, 1.0, 0.5]);
    if let Ok(sol) = BregmanSolver::default().theorem1(x.view(), y.view(), a.view()) {
        assert!(rel_residual(x.view(), y.view(), sol.beta.view()) <= 1e-10);
    }
}

//! The reference numbers of MATH.md: GD at γ = 0.5/λmax(XᵀX/n) on (n, d, s, α) = (20, 30, 3, 0.1)
//! with β* = (1, 1, 1, 0, …) converges and matches Theorem 2 to ~1e-9; ignoring β̃₀ costs ~1e-4;
//! Theorem 1's interpolator is ~1e-3 away.

use dln::{BregmanSolver, DataConfig, Sgd, Status, uniform_alpha};

fn norm(v: &ndarray::Array1<f64>) -> f64 {
    v.dot(v).sqrt()
}

#[test]
fn gd_matches_theorem2_on_the_reference_problem() {
    let cfg = DataConfig { values: Some(vec![1.0, 1.0, 1.0]), seed: 0, ..DataConfig::default() };
    let problem = cfg.generate().unwrap();
    let alpha = uniform_alpha(0.1, problem.d());
    let gamma = 0.5 / problem.lambda_max();
    let run = Sgd::gd(gamma, problem.n()).with_budget(1_000_000, 1e-24).run(&problem, alpha.view()).unwrap();
    assert_eq!(run.status, Status::Converged, "loss {}", run.train_loss);
    let solver = BregmanSolver::default();
    let pred = solver.theorem2(problem.x.view(), problem.y.view(), &run.effective).unwrap();
    let no_tilde = solver.theorem2_without_tilde(problem.x.view(), problem.y.view(), &run.effective).unwrap();
    let gf = solver.theorem1(problem.x.view(), problem.y.view(), alpha.view()).unwrap();
    let e_pred = norm(&(&run.beta - &pred.beta));
    let e_no_tilde = norm(&(&run.beta - &no_tilde.beta));
    let e_gf = norm(&(&run.beta - &gf.beta));
    eprintln!(
        "steps {} |b-pred| {e_pred:.3e} |b-no_tilde| {e_no_tilde:.3e} |b-gf| {e_gf:.3e} iters {}",
        run.steps, pred.iterations
    );
    assert!(e_pred <= 1e-8 * norm(&run.beta).max(1.0));
    assert!(e_no_tilde > 100.0 * e_pred);
    assert!(e_gf > e_no_tilde);
}

//! Bad inputs: one test per validation rule. Each must give the specific typed error (never a
//! panic) whose message is a single line naming the problem.

mod common;

use common::{matrix, one_line, problem};
use dln::{
    BregmanSolver, DataConfig, DiagonalNet, DlnError, Problem, Record, Schedule, Sgd, kkt_residual, min_l1, min_l2,
    uniform_alpha, validate_alpha,
};
use ndarray::{Array1, Array2};

/// Asserts `InvalidParameter { name }` with a one-line message; returns the message.
fn invalid(result: Result<impl std::fmt::Debug, DlnError>, name: &str) -> String {
    match result {
        Err(e @ DlnError::InvalidParameter { name: got, .. }) if got == name => one_line(&e),
        other => panic!("expected InvalidParameter {{ name: {name:?} }}, got {other:?}"),
    }
}

fn mismatch(result: Result<impl std::fmt::Debug, DlnError>) -> String {
    match result {
        Err(e @ DlnError::DimensionMismatch(_)) => one_line(&e),
        other => panic!("expected DimensionMismatch, got {other:?}"),
    }
}

fn non_finite(result: Result<impl std::fmt::Debug, DlnError>, what: &str) -> String {
    match result {
        Err(e @ DlnError::NonFinite(w)) if w == what => one_line(&e),
        other => panic!("expected NonFinite({what:?}), got {other:?}"),
    }
}

// ---- DataConfig::validate (also reached through generate) ----

fn cfg() -> DataConfig {
    DataConfig::default()
}

#[test]
fn data_n_zero() {
    invalid(DataConfig { n: 0, ..cfg() }.generate(), "n");
}

#[test]
fn data_d_zero() {
    invalid(DataConfig { d: 0, s: 0, ..cfg() }.validate(), "d");
}

#[test]
fn data_sparsity_above_dimension() {
    let msg = invalid(DataConfig { s: 31, ..cfg() }.generate(), "s");
    assert!(msg.contains("31") && msg.contains("30"), "{msg}");
}

#[test]
fn data_mean_not_finite() {
    invalid(DataConfig { mean: f64::NAN, ..cfg() }.validate(), "mean");
    invalid(DataConfig { mean: f64::INFINITY, ..cfg() }.validate(), "mean");
}

#[test]
fn data_noise_negative_or_not_finite() {
    invalid(DataConfig { noise: -0.1, ..cfg() }.validate(), "noise");
    invalid(DataConfig { noise: f64::NAN, ..cfg() }.validate(), "noise");
    invalid(DataConfig { noise: f64::INFINITY, ..cfg() }.validate(), "noise");
}

#[test]
fn data_sigma_wrong_length() {
    invalid(DataConfig { sigma: Some(vec![1.0; 29]), ..cfg() }.validate(), "sigma");
}

#[test]
fn data_sigma_not_positive() {
    let mut sigma = vec![1.0; 30];
    sigma[4] = 0.0;
    invalid(DataConfig { sigma: Some(sigma.clone()), ..cfg() }.validate(), "sigma");
    sigma[4] = f64::NAN;
    invalid(DataConfig { sigma: Some(sigma), ..cfg() }.validate(), "sigma");
}

#[test]
fn data_support_wrong_length() {
    invalid(DataConfig { support: Some(vec![0, 1]), ..cfg() }.validate(), "support");
}

#[test]
fn data_support_out_of_range() {
    invalid(DataConfig { support: Some(vec![0, 1, 30]), ..cfg() }.validate(), "support");
}

#[test]
fn data_support_duplicates() {
    invalid(DataConfig { support: Some(vec![4, 2, 4]), ..cfg() }.validate(), "support");
}

#[test]
fn data_values_wrong_length() {
    invalid(DataConfig { values: Some(vec![1.0; 4]), ..cfg() }.validate(), "values");
}

#[test]
fn data_values_not_finite() {
    invalid(DataConfig { values: Some(vec![1.0, f64::NAN, 1.0]), ..cfg() }.validate(), "values");
}

#[test]
fn data_valid_edge_cases_are_accepted() {
    DataConfig { n: 1, d: 1, s: 1, ..cfg() }.generate().unwrap();
    DataConfig { s: 0, ..cfg() }.generate().unwrap();
    DataConfig { s: 30, ..cfg() }.generate().unwrap();
}

// ---- Problem::new ----

#[test]
fn problem_empty_matrix() {
    mismatch(Problem::new(Array2::zeros((0, 3)), Array1::zeros(0), None));
    mismatch(Problem::new(Array2::zeros((2, 0)), Array1::zeros(2), None));
}

#[test]
fn problem_label_length() {
    mismatch(Problem::new(Array2::ones((3, 5)), Array1::zeros(4), None));
}

#[test]
fn problem_beta_star_length() {
    mismatch(Problem::new(Array2::ones((3, 5)), Array1::zeros(3), Some(Array1::zeros(4))));
}

#[test]
fn problem_non_finite_data() {
    let mut x = Array2::<f64>::ones((3, 5));
    x[[1, 2]] = f64::NAN;
    non_finite(Problem::new(x, Array1::zeros(3), None), "X");
    let mut y = Array1::<f64>::zeros(3);
    y[0] = f64::INFINITY;
    non_finite(Problem::new(Array2::ones((3, 5)), y, None), "y");
    let mut b = Array1::<f64>::zeros(5);
    b[4] = f64::NEG_INFINITY;
    non_finite(Problem::new(Array2::ones((3, 5)), Array1::zeros(3), Some(b)), "beta_star");
}

// ---- Sgd::validate (also reached through run) ----

fn run(sgd: Sgd) -> Result<dln::Run, DlnError> {
    let p = problem(20, 30, 3, 0);
    sgd.run(&p, uniform_alpha(0.1, 30).view())
}

#[test]
fn sgd_gamma_not_positive_or_not_finite() {
    for g in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        invalid(run(Sgd::sgd(g, 1)), "gamma");
        invalid(Sgd::gd(g, 20).validate(20), "gamma");
    }
}

#[test]
fn sgd_batch_zero() {
    let msg = invalid(run(Sgd::sgd(0.01, 0)), "batch");
    assert!(msg.contains("1 ≤ b ≤ n = 20"), "{msg}");
}

#[test]
fn sgd_batch_above_n() {
    invalid(run(Sgd::sgd(0.01, 21)), "batch");
}

#[test]
fn sgd_tol_negative_or_not_finite() {
    for tol in [-1e-30, f64::NAN, f64::INFINITY] {
        invalid(run(Sgd::sgd(0.01, 1).with_budget(10, tol)), "tol");
    }
}

#[test]
fn sgd_check_every_zero() {
    invalid(run(Sgd { check_every: Some(0), ..Sgd::sgd(0.01, 1) }), "check_every");
}

#[test]
fn sgd_divergence_factor_at_most_one() {
    for f in [1.0, 0.5, f64::NAN] {
        invalid(run(Sgd { divergence_factor: f, ..Sgd::sgd(0.01, 1) }), "divergence_factor");
    }
}

#[test]
fn sgd_record_every_zero() {
    invalid(run(Sgd::sgd(0.01, 1).with_record(Record::Every(0))), "record");
}

#[test]
fn schedule_step_decay_rules() {
    let base = Sgd::sgd(0.01, 1);
    invalid(
        run(Sgd { stepsize: Schedule::StepDecay { gamma: -1.0, factor: 0.5, every: 10 }, ..base.clone() }),
        "gamma",
    );
    invalid(
        run(Sgd { stepsize: Schedule::StepDecay { gamma: 0.01, factor: 0.0, every: 10 }, ..base.clone() }),
        "factor",
    );
    invalid(
        run(Sgd { stepsize: Schedule::StepDecay { gamma: 0.01, factor: 1.5, every: 10 }, ..base.clone() }),
        "factor",
    );
    invalid(run(Sgd { stepsize: Schedule::StepDecay { gamma: 0.01, factor: 0.5, every: 0 }, ..base }), "every");
}

#[test]
fn schedule_warm_up_rules() {
    let base = Sgd::sgd(0.01, 1);
    invalid(run(Sgd { stepsize: Schedule::WarmUp { gamma: f64::NAN, steps: 10 }, ..base.clone() }), "gamma");
    invalid(run(Sgd { stepsize: Schedule::WarmUp { gamma: 0.01, steps: 0 }, ..base }), "steps");
}

#[test]
fn schedule_custom_returning_a_bad_stepsize_mid_run() {
    let sgd = Sgd { stepsize: Schedule::custom(|k| if k < 5 { 0.01 } else { -1.0 }), ..Sgd::sgd(0.01, 1) };
    let msg = invalid(run(sgd.with_budget(100, 0.0)), "gamma");
    assert!(msg.contains("γ_5"), "{msg}");
}

// ---- α ----

#[test]
fn alpha_wrong_length() {
    let p = problem(20, 30, 3, 0);
    invalid(Sgd::gd(0.01, 20).run(&p, uniform_alpha(0.1, 29).view()), "alpha");
    invalid(validate_alpha(uniform_alpha(0.1, 3).view(), 4), "alpha");
}

#[test]
fn alpha_not_positive_or_not_finite() {
    let p = problem(20, 30, 3, 0);
    for bad in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let mut alpha = uniform_alpha(0.1, 30);
        alpha[7] = bad;
        invalid(Sgd::gd(0.01, 20).run(&p, alpha.view()), "alpha");
        invalid(DiagonalNet::init(alpha.view()), "alpha");
    }
}

// ---- Interpolator solvers ----

fn xy() -> (Array2<f64>, Array1<f64>) {
    let p = problem(5, 8, 2, 0);
    (p.x, p.y)
}

#[test]
fn solver_scale_not_positive_or_not_finite() {
    let (x, y) = xy();
    for bad in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
        let mut a_sq = Array1::from_elem(8, 0.01);
        a_sq[3] = bad;
        invalid(
            BregmanSolver::default().solve(x.view(), y.view(), a_sq.view(), Array1::zeros(8).view(), None),
            "alpha",
        );
        let mut alpha = uniform_alpha(0.1, 8);
        alpha[3] = bad;
        invalid(BregmanSolver::default().theorem1(x.view(), y.view(), alpha.view()), "alpha");
    }
}

#[test]
fn solver_dimension_mismatch() {
    let (x, y) = xy();
    let s = BregmanSolver::default();
    let (a, z) = (Array1::from_elem(8, 0.01), Array1::<f64>::zeros(8));
    mismatch(s.solve(x.view(), Array1::zeros(4).view(), a.view(), z.view(), None));
    mismatch(s.solve(x.view(), y.view(), Array1::from_elem(7, 0.01).view(), z.view(), None));
    mismatch(s.solve(x.view(), y.view(), a.view(), Array1::zeros(9).view(), None));
    mismatch(s.solve(x.view(), y.view(), a.view(), z.view(), Some(Array1::zeros(4).view())));
}

#[test]
fn solver_non_finite_inputs() {
    let (x, y) = xy();
    let s = BregmanSolver::default();
    let (a, z) = (Array1::from_elem(8, 0.01), Array1::<f64>::zeros(8));
    let mut bad_x = x.clone();
    bad_x[[0, 0]] = f64::NAN;
    non_finite(s.solve(bad_x.view(), y.view(), a.view(), z.view(), None), "X");
    let mut bad_y = y.clone();
    bad_y[1] = f64::INFINITY;
    non_finite(s.solve(x.view(), bad_y.view(), a.view(), z.view(), None), "y");
    let mut bad_d = z.clone();
    bad_d[2] = f64::NAN;
    non_finite(s.solve(x.view(), y.view(), a.view(), bad_d.view(), None), "delta");
    let mut l0 = Array1::<f64>::zeros(5);
    l0[0] = f64::NAN;
    non_finite(s.solve(x.view(), y.view(), a.view(), z.view(), Some(l0.view())), "lambda0");
}

#[test]
fn solver_tolerance_and_budget() {
    let (x, y) = xy();
    let alpha = uniform_alpha(0.1, 8);
    for solver in [
        BregmanSolver { tol: 0.0, ..BregmanSolver::default() },
        BregmanSolver { tol: f64::NAN, ..BregmanSolver::default() },
        BregmanSolver { max_iter: 0, ..BregmanSolver::default() },
    ] {
        invalid(solver.theorem1(x.view(), y.view(), alpha.view()), "tol");
    }
}

#[test]
fn solver_budget_exhausted_is_not_converged() {
    let (x, y) = xy();
    let solver = BregmanSolver { max_iter: 1, ..BregmanSolver::default() };
    match solver.theorem1(x.view(), y.view(), uniform_alpha(1e-6, 8).view()) {
        Err(e @ DlnError::NotConverged { .. }) => {
            one_line(&e);
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
}

#[test]
fn min_l1_min_l2_and_kkt_bad_shapes_and_values() {
    let (x, y) = xy();
    mismatch(min_l1(x.view(), Array1::zeros(4).view()));
    mismatch(min_l2(x.view(), Array1::zeros(6).view()));
    let mut bad_y = y.clone();
    bad_y[0] = f64::NAN;
    non_finite(min_l1(x.view(), bad_y.view()), "y");
    non_finite(min_l2(x.view(), bad_y.view()), "y");
    let (a, z) = (Array1::from_elem(8, 0.01), Array1::<f64>::zeros(8));
    mismatch(kkt_residual(x.view(), a.view(), z.view(), Array1::zeros(7).view()));
    // Dependent rows: X Xᵀ singular.
    let xd = matrix(&[&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]]);
    mismatch(min_l2(xd.view(), Array1::from(vec![1.0, 2.0]).view()));
}

// ---- scale guards: squares that would underflow or overflow ----

#[test]
fn alpha_whose_square_underflows_or_overflows() {
    let p = problem(20, 30, 3, 0);
    for bad in [1e-300, 1e-160, dln::MIN_SQUARABLE * (1.0 - f64::EPSILON), 1e155, 1e300] {
        let mut alpha = uniform_alpha(0.1, 30);
        alpha[7] = bad;
        let msg = invalid(Sgd::gd(0.01, 20).run(&p, alpha.view()), "alpha");
        let bound = if bad < 1.0 { "1.492e-154" } else { "1.341e154" };
        assert!(msg.contains(bound), "the error names the usable bound: {msg}");
        invalid(DiagonalNet::init(alpha.view()), "alpha");
        invalid(validate_alpha(alpha.view(), 30), "alpha");
    }
    // The bounds themselves are usable: their squares are normal and finite.
    let edge = Array1::from(vec![dln::MIN_SQUARABLE, dln::MAX_SQUARABLE]);
    validate_alpha(edge.view(), 2).unwrap();
    assert!(dln::MIN_SQUARABLE.powi(2).is_normal() && dln::MAX_SQUARABLE.powi(2).is_finite());
    assert!((dln::MIN_SQUARABLE * (1.0 - f64::EPSILON)).powi(2) < f64::MIN_POSITIVE);
}

#[test]
fn sigma_noise_and_mean_whose_square_underflows_or_overflows() {
    for bad in [1e-160, 1e155] {
        let bound = if bad < 1.0 { "1.492e-154" } else { "1.341e154" };
        let mut sigma = vec![1.0; 30];
        sigma[3] = bad;
        let msg = invalid(DataConfig { sigma: Some(sigma), ..cfg() }.validate(), "sigma");
        assert!(msg.contains(bound), "{msg}");
        invalid(DataConfig { sigma: Some(vec![bad]), ..cfg() }.generate(), "sigma");
        let msg = invalid(DataConfig { noise: bad, ..cfg() }.generate(), "noise");
        assert!(msg.contains(bound), "{msg}");
        let msg = invalid(DataConfig { mean: -bad, ..cfg() }.generate(), "mean");
        assert!(msg.contains(bound), "{msg}");
    }
    // Zero noise and zero mean are exact, not underflowed: accepted.
    DataConfig { noise: 0.0, mean: 0.0, ..cfg() }.generate().unwrap();
    DataConfig { noise: 1e-150, mean: -1e150, sigma: Some(vec![1e-150]), ..cfg() }.validate().unwrap();
}

#[test]
fn sigma_is_one_value_or_d_values() {
    let msg = invalid(DataConfig { sigma: Some(vec![1.0, 2.0]), ..cfg() }.validate(), "sigma");
    assert!(msg.contains("expected 1 (broadcast) or d = 30"), "{msg}");
    invalid(DataConfig { sigma: Some(vec![]), ..cfg() }.validate(), "sigma");
    invalid(DataConfig { sigma: Some(vec![-1.0]), ..cfg() }.validate(), "sigma");
    DataConfig { sigma: Some(vec![2.0]), ..cfg() }.generate().unwrap();
    DataConfig { sigma: Some(vec![2.0; 30]), ..cfg() }.generate().unwrap();
}

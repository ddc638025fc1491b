//! Curvature and γ_max (`dln::stability`) against independent computations: a Jacobi eigen-solver,
//! finite differences of the gradient, a threshold derived by hand, and synthetic predicates.

mod common;

use common::{gaussian_matrix, jacobi_eigenvalues, one_line, problem, with_spectrum};
use dln::{
    DiagonalNet, DlnError, Problem, Sgd, Status, bisect_gamma_max, bisection_start, gamma_max, gamma_max_search,
    gauss_newton_sharpness, hessian, hessian_sharpness, power_iteration, run_at, uniform_alpha,
};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, array};

fn max_eig(a: ArrayView2<f64>) -> f64 {
    *jacobi_eigenvalues(a).last().unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

// ---- the test's own eigen-solver ----

#[test]
fn jacobi_recovers_a_known_spectrum() {
    let spectrum = [4.0, -2.5, 1.0, 0.25, 0.0, -7.0];
    let a = with_spectrum(&spectrum, &[1.0, -2.0, 0.5, 3.0, 1.5, -1.0]);
    let mut want = spectrum.to_vec();
    want.sort_by(f64::total_cmp);
    for (got, want) in jacobi_eigenvalues(a.view()).iter().zip(&want) {
        assert!((got - want).abs() < 1e-13, "{got} vs {want}");
    }
}

// ---- power iteration ----

#[test]
fn power_iteration_finds_the_top_eigenpair_of_a_psd_matrix() {
    let v = [0.3, 1.0, -0.7, 0.2, 0.9];
    let a = with_spectrum(&[5.0, 3.0, 1.0, 0.5, 0.0], &v);
    let p = power_iteration(a.view()).unwrap();
    assert!(p.converged && p.iterations > 1 && p.iterations < 1000, "{p:?}");
    assert!((p.eigenvalue - 5.0).abs() < 1e-12, "{}", p.eigenvalue);
    // Top eigenvector: Q e₁ = e₁ − 2 v v₁/(vᵀv), up to sign.
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let e1: Array1<f64> = (0..5).map(|i| f64::from(u8::from(i == 0)) - 2.0 * v[i] * v[0] / vv).collect();
    let cos = e1.dot(&p.eigenvector).abs() / e1.dot(&e1).sqrt();
    assert!(1.0 - cos < 1e-10, "cos = {cos}");
}

#[test]
fn power_iteration_of_zero_is_zero_and_bad_matrices_are_errors() {
    let p = power_iteration(Array2::<f64>::zeros((3, 3)).view()).unwrap();
    assert_eq!((p.eigenvalue, p.converged, p.iterations), (0.0, true, 1));
    for m in [Array2::<f64>::zeros((2, 3)), Array2::<f64>::zeros((0, 0))] {
        match power_iteration(m.view()) {
            Err(e @ DlnError::DimensionMismatch(_)) => drop(one_line(&e)),
            other => panic!("expected DimensionMismatch, got {other:?}"),
        }
    }
    let nan = array![[1.0, f64::NAN], [f64::NAN, 1.0]];
    assert!(matches!(power_iteration(nan.view()), Err(DlnError::NonFinite(_))));
}

// ---- Gauss–Newton sharpness ----

/// λ_max(diag(√w) XᵀX/n diag(√w)), the d×d matrix with the same non-zero spectrum as
/// X diag(w) Xᵀ/n, by Jacobi.
fn gauss_newton_by_jacobi(x: ArrayView2<f64>, w: ArrayView1<f64>) -> f64 {
    let n = x.nrows() as f64;
    let sw = w.mapv(f64::sqrt);
    let xs = &x * &sw.view().insert_axis(ndarray::Axis(0));
    max_eig((xs.t().dot(&xs) / n).view())
}

#[test]
fn gauss_newton_sharpness_matches_a_dense_eigen_solve() {
    for seed in 0..4 {
        let x = gaussian_matrix(12, 18, seed);
        let w = gaussian_matrix(1, 18, 100 + seed).row(0).mapv(|z| z * z + 0.1);
        let s = gauss_newton_sharpness(x.view(), w.view()).unwrap();
        let want = gauss_newton_by_jacobi(x.view(), w.view());
        assert!(rel(s, want) < 1e-11, "seed {seed}: {s} vs {want}");
    }
}

#[test]
fn lambda_max_is_the_unit_weight_sharpness() {
    let p = problem(20, 30, 3, 5);
    let want = gauss_newton_by_jacobi(p.x.view(), Array1::ones(30).view());
    assert!(rel(p.lambda_max(), want) < 1e-11, "{} vs {want}", p.lambda_max());
}

#[test]
fn gauss_newton_sharpness_bad_inputs() {
    let x = gaussian_matrix(3, 4, 0);
    assert!(matches!(gauss_newton_sharpness(x.view(), Array1::ones(3).view()), Err(DlnError::DimensionMismatch(_))));
    let mut w = Array1::ones(4);
    w[2] = -1.0;
    match gauss_newton_sharpness(x.view(), w.view()) {
        Err(e @ DlnError::InvalidParameter { name: "w", .. }) => drop(one_line(&e)),
        other => panic!("expected InvalidParameter w, got {other:?}"),
    }
    w[2] = f64::INFINITY;
    assert!(matches!(gauss_newton_sharpness(x.view(), w.view()), Err(DlnError::NonFinite(_))));
}

// ---- the full Hessian ----

/// ∇F(u, v) = (g ⊙ v, g ⊙ u), g = Xᵀ(X(u ⊙ v) − y)/n, written out independently.
fn gradient(x: ArrayView2<f64>, y: ArrayView1<f64>, w: &Array1<f64>) -> Array1<f64> {
    let d = x.ncols();
    let (u, v) = (w.slice(ndarray::s![..d]), w.slice(ndarray::s![d..]));
    let r = x.dot(&(&u * &v)) - y;
    let g = x.t().dot(&r) / x.nrows() as f64;
    ndarray::concatenate![ndarray::Axis(0), &g * &v, &g * &u]
}

/// The Hessian by central differences of [`gradient`] (step h), symmetrised.
fn hessian_by_differences(x: ArrayView2<f64>, y: ArrayView1<f64>, net: &DiagonalNet, h: f64) -> Array2<f64> {
    let w = ndarray::concatenate![ndarray::Axis(0), net.u, net.v];
    let m = w.len();
    let mut out = Array2::zeros((m, m));
    for k in 0..m {
        let (mut plus, mut minus) = (w.clone(), w.clone());
        plus[k] += h;
        minus[k] -= h;
        let col = (gradient(x, y, &plus) - gradient(x, y, &minus)) / (2.0 * h);
        out.column_mut(k).assign(&col);
    }
    (&out + &out.t()) / 2.0
}

/// A point far from any interpolator: X 8×10, random (u, v) and labels.
fn off_interpolation(seed: u64) -> (Array2<f64>, Array1<f64>, DiagonalNet) {
    let x = gaussian_matrix(8, 10, seed);
    let y = gaussian_matrix(1, 8, seed + 50).row(0).mapv(|v| 3.0 * v);
    let uv = gaussian_matrix(2, 10, seed + 90);
    (x, y, DiagonalNet { u: uv.row(0).to_owned(), v: uv.row(1).to_owned() })
}

#[test]
fn hessian_matches_finite_differences_of_the_gradient() {
    for seed in 0..3 {
        let (x, y, net) = off_interpolation(seed);
        let h = hessian(x.view(), y.view(), &net).unwrap();
        let fd = hessian_by_differences(x.view(), y.view(), &net, 1e-5);
        let err = (&h - &fd).mapv(f64::abs).fold(0.0, |a: f64, b| a.max(*b));
        let scale = h.mapv(f64::abs).fold(0.0, |a: f64, b| a.max(*b));
        // Central differences: O(h²) truncation plus O(ε/h) rounding, both ≪ 1e-7 here.
        assert!(err < 1e-7 * scale, "seed {seed}: max |H − H_fd| = {err:e} (scale {scale})");
        assert_eq!(h, h.t(), "the Hessian is symmetric");
    }
}

#[test]
fn hessian_sharpness_is_the_top_algebraic_eigenvalue_off_interpolation() {
    for seed in 0..3 {
        let (x, y, net) = off_interpolation(seed);
        let s = hessian_sharpness(x.view(), y.view(), &net).unwrap();
        let eig = jacobi_eigenvalues(hessian(x.view(), y.view(), &net).unwrap().view());
        let (lo, hi) = (eig[0], *eig.last().unwrap());
        assert!(lo < 0.0, "the test point must make the Hessian indefinite: λ_min = {lo}");
        assert!((s - hi).abs() < 1e-12 * hi.abs().max(lo.abs()), "seed {seed}: {s} vs {hi}");
        let fd = max_eig(hessian_by_differences(x.view(), y.view(), &net, 1e-5).view());
        assert!(rel(s, fd) < 1e-7, "seed {seed}: {s} vs finite differences {fd}");
        // Away from interpolation the residual term matters: the Gauss–Newton value is different.
        let gn = gauss_newton_sharpness(x.view(), net.curvature_weights().view()).unwrap();
        assert!(rel(gn, s) > 1e-3, "seed {seed}: Gauss–Newton {gn} vs exact {s}");
    }
}

#[test]
fn hessian_sharpness_equals_gauss_newton_at_an_interpolator() {
    for seed in 0..3 {
        let x = gaussian_matrix(10, 16, seed);
        let uv = gaussian_matrix(2, 16, seed + 7);
        let net = DiagonalNet { u: uv.row(0).to_owned(), v: uv.row(1).to_owned() };
        let beta = net.beta();
        // y = X(u ⊙ v) summed in index order, so the residual is exactly 0.
        let y: Array1<f64> = x.rows().into_iter().map(|r| (0..16).map(|j| r[j] * beta[j]).sum()).collect();
        let s = hessian_sharpness(x.view(), y.view(), &net).unwrap();
        let gn = gauss_newton_sharpness(x.view(), net.curvature_weights().view()).unwrap();
        assert!(rel(s, gn) < 1e-12, "seed {seed}: exact {s} vs Gauss–Newton {gn}");
    }
}

#[test]
fn hessian_sharpness_reaches_eigenvectors_orthogonal_to_the_start_vector() {
    // At u = v = 0 the Hessian is [[0, diag(g)], [diag(g), 0]] with eigenvalues ±g_j; the vectors
    // (a, a) reached from the start vector 1 only see +g_j, so a negative g_j of largest modulus is
    // found only after the Krylov space closes and Lanczos restarts.
    let x: Array2<f64> = array![[1.0, 0.5, -0.2], [0.3, -1.0, 0.4]];
    let y: Array1<f64> = array![1.0, -2.0];
    let g = x.t().dot(&y) / -2.0; // Xᵀ(0 − y)/n
    let top = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    assert!(g.iter().any(|v| *v == -top), "the construction needs the largest |g_j| to be negative: {g}");
    let net = DiagonalNet { u: Array1::zeros(3), v: Array1::zeros(3) };
    let s = hessian_sharpness(x.view(), y.view(), &net).unwrap();
    assert!((s - top).abs() < 1e-14, "{s} vs max_j |g_j| = {top}");
}

#[test]
fn hessian_bad_inputs() {
    let (x, y, net) = off_interpolation(0);
    let short = DiagonalNet { u: Array1::zeros(9), v: Array1::zeros(9) };
    assert!(matches!(hessian_sharpness(x.view(), y.view(), &short), Err(DlnError::DimensionMismatch(_))));
    assert!(matches!(hessian(x.view(), y.slice(ndarray::s![..7]), &net), Err(DlnError::DimensionMismatch(_))));
    let mut bad = net.clone();
    bad.v[3] = f64::NAN;
    match hessian_sharpness(x.view(), y.view(), &bad) {
        Err(e @ DlnError::NonFinite("v")) => drop(one_line(&e)),
        other => panic!("expected NonFinite(v), got {other:?}"),
    }
}

// ---- γ_max ----

#[test]
fn bisection_brackets_a_monotone_threshold() {
    let threshold = 0.3712;
    for start in [1e-3, 0.2, 0.3712, 5.0, 1e4] {
        let mut calls = 0;
        let gm = bisect_gamma_max(start, 1e-6, |g| {
            calls += 1;
            Ok(g <= threshold)
        })
        .unwrap();
        assert!(gm.gamma_max <= threshold && threshold < gm.fails_at, "start {start}: {gm:?}");
        assert!(gm.fails_at / gm.gamma_max <= 1.0 + 1e-6, "start {start}: {gm:?}");
        assert_eq!(gm.evaluations, calls);
    }
}

#[test]
fn bisection_finds_one_crossing_of_a_non_monotone_predicate() {
    // Converges on (0, 1] ∪ [2, 3]: which crossing is found depends on the start.
    let pred = |g: f64| Ok(g <= 1.0 || (2.0..=3.0).contains(&g));
    let from_below = bisect_gamma_max(0.75, 1e-9, pred).unwrap();
    assert!((from_below.gamma_max - 1.0).abs() < 1e-8, "{from_below:?}");
    let from_above = bisect_gamma_max(2.5, 1e-9, pred).unwrap();
    assert!((from_above.gamma_max - 3.0).abs() < 3e-8, "{from_above:?}");
}

#[test]
fn halving_stops_when_only_the_budget_limits_the_runs() {
    use dln::{Trial, bisect_gamma_max_trials};
    // A budget-limited model: a trial at γ ends at progress e^{−K γ} (slower as γ shrinks), never
    // below the tolerance; the search stops after the second halving instead of the sixtieth.
    let slow = |g: f64| Ok(Trial::OutOfBudget { progress: (-100.0 * g).exp() });
    match bisect_gamma_max_trials(1.0, 1e-3, slow) {
        Err(DlnError::NoConvergentStepsize { smallest }) => assert_eq!(smallest, 0.5),
        other => panic!("expected NoConvergentStepsize, got {other:?}"),
    }
    // Oscillations (little progress) keep it halving, down to the stable range.
    let mut calls = 0;
    let unstable_above = |g: f64| {
        calls += 1;
        Ok(if g <= 0.01 { Trial::Converged } else { Trial::OutOfBudget { progress: 0.1 + g } })
    };
    let gm = bisect_gamma_max_trials(1.0, 1e-3, unstable_above).unwrap();
    assert!(gm.gamma_max <= 0.01 && 0.01 < gm.fails_at, "{gm:?}");
    // Steady progress that improves as γ shrinks is an instability being cured: no stop.
    let improving = |g: f64| Ok(if g <= 0.1 { Trial::Converged } else { Trial::OutOfBudget { progress: 1e-4 * g } });
    let gm = bisect_gamma_max_trials(1.0, 1e-3, improving).unwrap();
    assert!(gm.gamma_max <= 0.1 && 0.1 < gm.fails_at, "{gm:?}");
}

#[test]
fn a_small_initialisation_has_no_convergent_stepsize_within_a_small_budget() {
    // α = 0.01: the last phase contracts at a rate ∝ α², so 20 000 steps do not reach 1e-12 at any
    // stepsize, and the search says so after a few trials.
    let problem = dln::DataConfig { n: 10, d: 15, s: 2, seed: 2, ..dln::DataConfig::default() }.generate().unwrap();
    let alpha = dln::uniform_alpha(0.01, 15);
    let sgd = Sgd::sgd(1.0, 1).with_budget(20_000, 1e-12).with_seed(1);
    let start = bisection_start(&problem, 1);
    let mut trials = Vec::new();
    let result = dln::bisect_gamma_max_trials(start, 0.02, |g| {
        let t = dln::stability::trial(&problem, alpha.view(), &sgd, g)?;
        trials.push(t);
        Ok(t)
    });
    assert!(matches!(result, Err(DlnError::NoConvergentStepsize { .. })), "{result:?} after {trials:?}");
    assert!(trials.len() <= 6, "{trials:?}");
}

#[test]
fn bisection_errors() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        match bisect_gamma_max(bad, 1e-3, |_| Ok(true)) {
            Err(e @ DlnError::InvalidParameter { name: "start", .. }) => drop(one_line(&e)),
            other => panic!("expected InvalidParameter start, got {other:?}"),
        }
        match bisect_gamma_max(1.0, bad, |_| Ok(true)) {
            Err(e @ DlnError::InvalidParameter { name: "rel_tol", .. }) => drop(one_line(&e)),
            other => panic!("expected InvalidParameter rel_tol, got {other:?}"),
        }
    }
    match bisect_gamma_max(1.0, 1e-3, |_| Ok(true)) {
        Err(e @ DlnError::NotConverged { .. }) => drop(one_line(&e)),
        other => panic!("expected NotConverged, got {other:?}"),
    }
    match bisect_gamma_max(1.0, 1e-3, |_| Ok(false)) {
        Err(e @ DlnError::NoConvergentStepsize { smallest }) => {
            drop(one_line(&e));
            assert_eq!(smallest, 2f64.powi(-60), "halved 60 times from 1");
        }
        other => panic!("expected NoConvergentStepsize, got {other:?}"),
    }
    let failing = bisect_gamma_max(1.0, 1e-3, |_| Err(DlnError::NonFinite("probe")));
    assert_eq!(failing, Err(DlnError::NonFinite("probe")));
}

#[test]
fn bisection_start_is_b_over_the_mean_squared_row_norm() {
    let p = problem(20, 30, 3, 2);
    // Σ_j ‖X_{·j}‖² column by column (another summation order than the crate's).
    let sq: f64 = p.x.columns().into_iter().map(|c| c.dot(&c)).sum();
    for b in [1, 5, 20] {
        let want = b as f64 / (sq / 20.0);
        assert!(rel(bisection_start(&p, b), want) < 1e-13, "b = {b}");
    }
}

/// GD on the 1-D problem x = 2, y = 3/4 (n = d = 1), from a tiny α. With w₋ ≈ 0 the iterates
/// follow t = β/β* ↦ t (1 + c − c t)², c = γxy, whose fixed point t = 1 is stable iff
/// |1 − 2c| < 1, i.e. γ < 1/(xy) = 2/3 — the 2/S rule for the sharpness S = x²(u² + v²) ≈ 2x|β*| = 3
/// at the interpolator. Above it the orbit oscillates or escapes, so no run converges; below it,
/// convergence from loss ~ y² to 1e-20 takes ≈ ln(1e10)/(2ε) steps at c = 1 − ε, so with 10⁵ steps
/// γ_max ≥ (2/3)(1 − 2·10⁻⁴).
fn scalar_problem() -> Problem {
    Problem::new(array![[2.0]], array![0.75], None).unwrap()
}

#[test]
fn gamma_max_matches_the_derived_threshold_of_a_scalar_problem() {
    let p = scalar_problem();
    let alpha = uniform_alpha(1e-3, 1);
    let template = Sgd::gd(1.0, 1).with_budget(100_000, 1e-20);
    let gm = gamma_max_search(&p, alpha.view(), &template, 1e-6).unwrap();
    let threshold = 2.0 / 3.0;
    assert!(gm.gamma_max < threshold, "{gm:?}");
    assert!(gm.gamma_max > threshold * (1.0 - 5e-4), "{gm:?}");
    assert_eq!(gamma_max(&p, alpha.view(), &template, 1e-6).unwrap(), gm.gamma_max);
    // A smaller budget cannot wait for the slow convergence near the threshold: smaller γ_max.
    let short = gamma_max(&p, alpha.view(), &template.clone().with_budget(1_000, 1e-20), 1e-6).unwrap();
    assert!(short < gm.gamma_max * (1.0 - 1e-3), "budget 1e3: {short}, budget 1e5: {}", gm.gamma_max);
}

#[test]
fn gamma_max_brackets_real_runs() {
    let p = problem(20, 30, 3, 1);
    let alpha = uniform_alpha(0.1, 30);
    for template in [Sgd::gd(1.0, 20).with_budget(20_000, 1e-16), Sgd::sgd(1.0, 1).with_budget(200_000, 1e-8)] {
        let gm = gamma_max_search(&p, alpha.view(), &template, 1e-2).unwrap();
        assert_eq!(run_at(&p, alpha.view(), &template, gm.gamma_max).unwrap().status, Status::Converged);
        assert_ne!(run_at(&p, alpha.view(), &template, gm.fails_at).unwrap().status, Status::Converged);
        assert!(gm.fails_at > gm.gamma_max && gm.fails_at / gm.gamma_max <= 1.01, "{gm:?}");
        // The run at γ uses a constant stepsize γ whatever the template's schedule.
        let run = run_at(&p, alpha.view(), &template, 0.5 * gm.gamma_max).unwrap();
        let direct = Sgd { stepsize: dln::Schedule::Constant(0.5 * gm.gamma_max), ..template.clone() };
        assert_eq!(run, direct.run(&p, alpha.view()).unwrap());
    }
}

//! The gain and the effective initialisation: the closed form read off the weights
//! (α_k² = |u_k² − v_k²|/2 = |w₊ w₋|, Gain = ln(α²/α_k²), β̃₀ = α_k² sinh δ_k) against the accumulated
//! oracle Σ q(γ_k g_k), Σ q±(γ_k g_k) — also at the edge of stability, where some |γ g_i| > 1.

mod common;

use common::{dist, max_abs, norm, problem, reference_problem};
use dln::{BregmanSolver, DataConfig, Problem, Run, Sgd, Status, q, q_minus, q_plus, uniform_alpha};
use ndarray::{Array1, ArrayView1};

/// Closed form vs accumulated Σq: Gain, δ = ln(α₊/α₋) = ½(Σq₋ − Σq₊), α∞² = α² e^{−Σq}, β̃₀;
/// and the exact representation β = α∞² sinh(s + δ).
fn check_identities(run: &Run, alpha: ArrayView1<f64>, what: &str) {
    let oracle = run.q_sums.as_ref().expect("track_q_sums was set");
    let eff = &run.effective;
    let scale = max_abs(eff.gain.view()).max(f64::MIN_POSITIVE);
    let gain_err = max_abs((&eff.gain - &oracle.q).view()) / scale;
    assert!(gain_err <= 1e-10, "{what}: gain vs Σq, relative error {gain_err:e}");

    let delta_oracle = (&oracle.q_minus - &oracle.q_plus) * 0.5;
    let delta_err = max_abs((&eff.delta - &delta_oracle).view()) / max_abs(delta_oracle.view()).max(1.0);
    assert!(delta_err <= 1e-10, "{what}: δ vs ½(Σq₋ − Σq₊): {delta_err:e}");

    let a_inf_sq_oracle = ndarray::Zip::from(&alpha).and(&oracle.q).map_collect(|a, q| a * a * (-q).exp());
    let a_err = max_abs(((&eff.alpha_inf_sq - &a_inf_sq_oracle) / &a_inf_sq_oracle).view());
    assert!(a_err <= 1e-10, "{what}: α∞² vs α² e^(−Σq): {a_err:e}");

    // q₊ + q₋ = 2q, summed.
    let sum_err = max_abs((&oracle.q_plus + &oracle.q_minus - &oracle.q * 2.0).view()) / scale;
    assert!(sum_err <= 1e-10, "{what}: Σq₊ + Σq₋ vs 2Σq: {sum_err:e}");

    // β̃₀ = α∞² sinh δ: an absolute error ε in δ (≤ 1e-11 here: Σq± accumulates a rounding of
    // ~eps·|γg| per step, q±(x) = ∓2x − 2 ln|1 ∓ x| cancelling to O(x²)) moves it by α∞² cosh(δ) ε.
    let bt_oracle = oracle.beta_tilde0(alpha);
    let mut bt_err = 0.0f64;
    for j in 0..bt_oracle.len() {
        let err = (eff.beta_tilde0[j] - bt_oracle[j]).abs();
        let tol = 1e-12 * bt_oracle[j].abs() + 1e-11 * eff.alpha_inf_sq[j] * eff.delta[j].cosh();
        assert!(err <= tol, "{what}: β̃₀[{j}] = {} vs ½α²(e^(−Σq₊) − e^(−Σq₋)) = {}", eff.beta_tilde0[j], bt_oracle[j]);
        bt_err = bt_err.max(err);
    }

    let z = &run.s + &eff.delta;
    let beta_repr = ndarray::Zip::from(&eff.alpha_inf_sq).and(&z).map_collect(|a2, z| a2 * z.sinh());
    let repr_err = dist(&beta_repr, &run.beta) / norm(run.beta.view()).max(1e-300);
    assert!(repr_err <= 1e-12, "{what}: β vs α∞² sinh(s + δ): {repr_err:e}");
    eprintln!("{what}: max|Gain| = {scale:.3e}, rel. errors gain {gain_err:.1e}, δ {delta_err:.1e}, β̃₀ {bt_err:.1e}");
}

fn tracked(sgd: Sgd) -> Sgd {
    Sgd { track_q_sums: true, ..sgd }
}

#[test]
fn q_functions_match_their_definitions() {
    // Away from 0 the definitions can be evaluated directly without cancellation.
    for x in [-3.0f64, -1.5, -0.9, -0.3, -0.01, 0.01, 0.3, 0.9, 1.5, 3.0] {
        let q_def = -0.5 * ((1.0 - x * x) * (1.0 - x * x)).ln();
        let qp_def = -2.0 * x - ((1.0 - x) * (1.0 - x)).ln();
        let qm_def = 2.0 * x - ((1.0 + x) * (1.0 + x)).ln();
        assert!((q(x) - q_def).abs() <= 1e-12 * q_def.abs().max(1e-300), "q({x})");
        assert!((q_plus(x) - qp_def).abs() <= 1e-12 * qp_def.abs().max(1.0), "q₊({x})");
        assert!((q_minus(x) - qm_def).abs() <= 1e-12 * qm_def.abs().max(1.0), "q₋({x})");
        assert!((q_plus(x) + q_minus(x) - 2.0 * q(x)).abs() <= 1e-12 * q(x).abs().max(1.0), "q₊ + q₋ = 2q at {x}");
    }
    // Small x, against the series q(x) = x² + x⁴/2 + …, q±(x) = x² ± (2/3)x³ + x⁴/2 + …
    for x in [-1e-4f64, -1e-7, 1e-9, 1e-6, 1e-4] {
        let (x2, x3, x4) = (x * x, x * x * x, x * x * x * x);
        assert!((q(x) - (x2 + x4 / 2.0)).abs() <= 1e-14 * x2, "q({x})");
        assert!((q_plus(x) - (x2 + 2.0 * x3 / 3.0 + x4 / 2.0)).abs() <= 1e-6 * x2, "q₊({x})");
        assert!((q_minus(x) - (x2 - 2.0 * x3 / 3.0 + x4 / 2.0)).abs() <= 1e-6 * x2, "q₋({x})");
    }
    assert_eq!(q(0.0), 0.0);
    // A step can lower the gain: q(x) = −ln|1 − x²| < 0 for |x| > √2.
    assert!(q(1.2) > 0.0 && q(1.5) < 0.0 && q(-1.5) < 0.0);
}

#[test]
fn closed_form_gain_equals_accumulated_q_for_gd_and_sgd() {
    let problem = reference_problem(0);
    let alpha = uniform_alpha(0.1, problem.d());
    let lmax = problem.lambda_max();
    for (what, sgd) in [
        ("GD γ = 0.5/λmax", Sgd::gd(0.5 / lmax, 20)),
        ("GD γ = 1.5/λmax", Sgd::gd(1.5 / lmax, 20)),
        ("SGD b = 1", Sgd::sgd(0.02, 1)),
        ("SGD b = 5", Sgd::sgd(0.03, 5)),
    ] {
        let run = tracked(sgd.with_budget(2_000_000, 1e-24).with_seed(1)).run(&problem, alpha.view()).unwrap();
        assert_eq!(run.status, Status::Converged, "{what}");
        check_identities(&run, alpha.view(), what);
    }
    // Heterogeneous α and uncentered data.
    let problem = DataConfig { n: 12, d: 25, s: 2, mean: 1.0, seed: 4, ..DataConfig::default() }.generate().unwrap();
    let alpha: Array1<f64> = (0..25).map(|j| 10f64.powf(-2.0 + j as f64 / 12.0)).collect();
    let run = tracked(Sgd::gd(0.5 / problem.lambda_max(), 12).with_budget(2_000_000, 1e-24))
        .run(&problem, alpha.view())
        .unwrap();
    assert_eq!(run.status, Status::Converged);
    check_identities(&run, alpha.view(), "GD, heterogeneous α, uncentered");
}

/// Plain GD in the original weights (u, v) with the simultaneous update, written independently of
/// the engine; returns the first step with max_i |γ g_i| > 1 and the largest |γ g_i| seen.
fn first_unstable_step(problem: &Problem, alpha: ArrayView1<f64>, gamma: f64, steps: u64) -> (Option<u64>, f64) {
    let n = problem.n() as f64;
    let mut u = alpha.mapv(|a| std::f64::consts::SQRT_2 * a);
    let mut v = Array1::<f64>::zeros(alpha.len());
    let mut first = None;
    let mut largest = 0.0f64;
    for k in 0..steps {
        let beta = &u * &v;
        let r = problem.x.dot(&beta) - &problem.y;
        let gg = problem.x.t().dot(&r) * (gamma / n);
        let m = max_abs(gg.view());
        largest = largest.max(m);
        if m > 1.0 && first.is_none() {
            first = Some(k);
        }
        let u_next = &u - &(&gg * &v);
        v = &v - &(&gg * &u);
        u = u_next;
    }
    (first, largest)
}

#[test]
fn gain_identity_and_theorem2_hold_at_the_edge_of_stability() {
    // GD at 3/λmax on this problem oscillates: some steps have |γ g_i| > 1 (a factor 1 ∓ γg_i < 0
    // flips the sign of w±), the gain grows to ~40 on some coordinates, and GD still converges.
    let problem = DataConfig { seed: 3, values: Some(vec![1.0; 3]), ..DataConfig::default() }.generate().unwrap();
    let alpha = uniform_alpha(0.1, problem.d());
    let gamma = 3.0 / problem.lambda_max();
    let run = tracked(Sgd::gd(gamma, 20).with_budget(1_000_000, 1e-24)).run(&problem, alpha.view()).unwrap();
    assert_eq!(run.status, Status::Converged);
    let (first, largest) = first_unstable_step(&problem, alpha.view(), gamma, run.steps);
    eprintln!("edge of stability: first |γg| > 1 at step {first:?}, max |γg| = {largest:.3}, {} steps", run.steps);
    assert!(first.is_some(), "this run was meant to have |γ g_i| > 1 (max {largest})");
    assert!(run.effective.gain.iter().any(|g| *g > 10.0), "EoS gain should be large");
    check_identities(&run, alpha.view(), "GD at the edge of stability");
    let pred = BregmanSolver::default().theorem2(problem.x.view(), problem.y.view(), &run.effective).unwrap();
    let e = dist(&run.beta, &pred.beta);
    eprintln!("edge of stability: |β∞ − β_pred| = {e:.2e}");
    assert!(e <= 1e-8 * norm(run.beta.view()).max(1.0));

    // Stopped right after the first unstable step, the identity already holds.
    let k = first.unwrap() + 1;
    let short = tracked(Sgd::gd(gamma, 20).with_budget(k, 0.0)).run(&problem, alpha.view()).unwrap();
    assert_eq!((short.status, short.steps), (Status::MaxSteps, k));
    check_identities(&short, alpha.view(), "GD stopped after the first |γg| > 1");
}

#[test]
fn gain_identity_holds_for_finitely_many_steps_before_divergence() {
    let problem = problem(20, 30, 3, 1);
    let alpha = uniform_alpha(0.1, problem.d());
    let gamma = 40.0 / problem.lambda_max();
    let (first, largest) = first_unstable_step(&problem, alpha.view(), gamma, 1);
    assert_eq!(first, Some(0), "max |γg| = {largest}");
    // The first steps have |γg| ≫ 1; the run diverges a few steps later. Before it does, the
    // identities hold.
    let mut checked = 0;
    for k in 1..=6 {
        let short = tracked(Sgd::gd(gamma, 20).with_budget(k, 0.0)).run(&problem, alpha.view()).unwrap();
        if short.status == Status::MaxSteps && short.effective.is_finite() {
            check_identities(&short, alpha.view(), &format!("GD with |γg| ≫ 1, {k} steps"));
            checked += 1;
        }
    }
    assert!(checked >= 1, "no finite run to check");
    let long = tracked(Sgd::gd(gamma, 20).with_budget(100_000, 1e-24)).run(&problem, alpha.view()).unwrap();
    assert_eq!(long.status, Status::Diverged);
}

#[test]
fn larger_stepsize_gives_larger_gain_and_larger_batch_smaller_gain() {
    // The qualitative statements of MATH.md on one problem.
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, problem.d());
    let lmax = problem.lambda_max();
    let gain = |sgd: Sgd| {
        let run = sgd.with_budget(4_000_000, 1e-22).with_seed(9).run(&problem, alpha.view()).unwrap();
        assert_eq!(run.status, Status::Converged);
        run.effective.gain_l1()
    };
    let (g1, g2, g3) = (gain(Sgd::gd(0.2 / lmax, 20)), gain(Sgd::gd(0.5 / lmax, 20)), gain(Sgd::gd(1.0 / lmax, 20)));
    assert!(g1 < g2 && g2 < g3, "GD gain vs γ: {g1} {g2} {g3}");
    let gamma = 0.01;
    let (b1, b5, b20) = (gain(Sgd::sgd(gamma, 1)), gain(Sgd::sgd(gamma, 5)), gain(Sgd::gd(gamma, 20)));
    assert!(b1 > b5 && b5 > b20, "gain vs batch at fixed γ: {b1} {b5} {b20}");
}

#[test]
fn second_order_sums_match_the_gradients_of_the_recorded_trajectory() {
    // GD recorded at every step: the gradient g_k = Xᵀ(Xβ_k − y)/n is recomputed from each
    // snapshot's β_k, independently of the engine's kernels.
    let problem = problem(12, 20, 3, 4);
    let alpha = uniform_alpha(0.1, problem.d());
    let gamma = 0.5 / problem.lambda_max();
    let sgd = Sgd { track_second_order: true, ..Sgd::gd(gamma, problem.n()) };
    let run = sgd.with_budget(300, 0.0).with_record(dln::Record::Every(1)).run(&problem, alpha.view()).unwrap();
    let oracle = run.second_order.as_ref().expect("track_second_order was set");
    let steps: Vec<&dln::Snapshot> = run.history.iter().filter(|s| s.step < 300).collect();
    assert_eq!(steps.len(), 300, "β_0 … β_299 recorded");
    let (mut sq, mut max) = (Array1::<f64>::zeros(problem.d()), Array1::<f64>::zeros(problem.d()));
    for snap in steps {
        let r = problem.x.dot(&snap.beta) - &problem.y;
        let x = problem.x.t().dot(&r) * (gamma / problem.n() as f64);
        sq += &x.mapv(|v| v * v);
        max.zip_mut_with(&x, |m, v| *m = m.max(v.abs()));
    }
    let rel = |a: &Array1<f64>, b: &Array1<f64>| max_abs((a - b).view()) / max_abs(b.view());
    assert_eq!(oracle.steps_beyond_one, 0, "steps of at most 1 at half the linear threshold");
    assert!(rel(&oracle.sq, &sq) <= 1e-12, "Σ(γg)²: {:e}", rel(&oracle.sq, &sq));
    assert!(rel(&oracle.max_abs, &max) <= 1e-12, "max|γg|: {:e}", rel(&oracle.max_abs, &max));
    // Gain = Σ q(γg) ≥ Σ (γg)² (q(x) − x² = x⁴/2 + … ≥ 0), with equality to second order.
    let gain = &run.effective.gain;
    assert!(gain.iter().zip(&oracle.sq).all(|(g, s)| *g >= *s * (1.0 - 1e-12)));
    let bound = max.iter().fold(0.0f64, |m, v| m.max(*v)).powi(2);
    assert!(rel(gain, &oracle.sq) <= bound, "Gain vs Σ(γg)²: {:e} > max|γg|² = {bound:e}", rel(gain, &oracle.sq));
}

#[test]
fn steps_beyond_one_are_counted_from_the_recorded_trajectory() {
    // GD from a large start (α = 1) at 1.9/λ_max: its first steps move coordinates by more than 1.
    // The count is recomputed from each recorded β_k, independently of the engine.
    let problem = problem(12, 20, 3, 4);
    let alpha = uniform_alpha(1.0, problem.d());
    let gamma = 1.9 / problem.lambda_max();
    let sgd = Sgd { track_second_order: true, ..Sgd::gd(gamma, problem.n()) };
    let run = sgd.with_budget(200, 0.0).with_record(dln::Record::Every(1)).run(&problem, alpha.view()).unwrap();
    let oracle = run.second_order.as_ref().expect("track_second_order was set");
    let count = (run.history.iter().filter(|s| s.step < run.steps))
        .filter(|snap| {
            let r = problem.x.dot(&snap.beta) - &problem.y;
            let x = problem.x.t().dot(&r) * (gamma / problem.n() as f64);
            x.iter().any(|v| v.abs() > 1.0)
        })
        .count() as u64;
    assert!(count > 0, "the start makes steps beyond 1");
    assert_eq!(oracle.steps_beyond_one, count);
}

#[test]
fn sgd_b1_second_order_sums_are_the_same_fused_or_step_by_step_with_or_without_avx() {
    // SGD b = 1 with only the second-order sums tracked runs them fused into its one sweep per step;
    // at a constant stepsize max|γg| and the steps beyond 1 then come from the residuals, at any other
    // schedule (here one that returns the same γ at every step) per coordinate in the sweep. With
    // the Σq oracle also on, it runs step by step (update, then `SecondOrder::add`). All of them, with
    // the AVX and the portable kernels, must give the same sums bit for bit. d = 30 is not a multiple
    // of 4 (a partial last block), and the large start (α = 1) makes steps beyond 1.
    let problem = problem(12, 30, 3, 4);
    let alpha = uniform_alpha(1.0, problem.d());
    let max_row_sq = problem.x.rows().into_iter().map(|x| x.dot(&x)).fold(0.0, f64::max);
    let gamma = 2.5 / max_row_sq;
    let fused = Sgd { track_second_order: true, ..Sgd::sgd(gamma, 1).with_seed(7) }.with_budget(5_000, 0.0);
    let stepwise = Sgd { track_q_sums: true, ..fused.clone() };
    let scheduled = Sgd { stepsize: dln::Schedule::custom(move |_| gamma), ..fused.clone() };
    let runs = |wide: bool| {
        dln::linalg::set_wide_kernels(wide);
        let out = [&fused, &stepwise, &scheduled].map(|sgd| sgd.run(&problem, alpha.view()).unwrap());
        dln::linalg::set_wide_kernels(true);
        out
    };
    let [a, b, f] = runs(true);
    let [c, e, h] = runs(false);
    let sums = |r: &dln::Run| r.second_order.clone().expect("tracked");
    assert!(a.status != Status::Diverged && a.beta.iter().all(|b| b.is_finite()), "{}", a.status);
    let beyond = sums(&a).steps_beyond_one;
    assert!(beyond > 1 && beyond < a.steps, "several steps, not all, go beyond 1: {beyond} of {}", a.steps);
    assert!(sums(&a).sq.iter().all(|v| *v > 0.0));
    let others = [
        ("step by step", &b),
        ("fused per coordinate", &f),
        ("fused, portable", &c),
        ("step by step, portable", &e),
        ("fused per coordinate, portable", &h),
    ];
    for (name, other) in others {
        assert_eq!(sums(&a), sums(other), "second-order sums: fused AVX vs {name}");
        assert_eq!(a.beta, other.beta, "β: fused AVX vs {name}");
        assert_eq!(a.steps, other.steps);
    }
}

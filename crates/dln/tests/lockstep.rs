//! Lockstep runs are the single runs, bit for bit: for GD and SGD b = 1, grids of stepsizes, seeds,
//! budgets, tolerances and initialisations, with K not a multiple of the vector width, and runs that
//! converge, diverge or run out of budget at different steps. Also the fall-back for runs that do not
//! fit the lockstep kernels, and per-run errors. Every grid runs twice: as given, and with the
//! second-order sums tracked (Σ(γg)², max|γg| and the steps beyond |γg| = 1, bit for bit).

mod common;

use common::problem;
use dln::{DlnError, Lockstep, Problem, Record, Run, Sampling, Schedule, Sgd, Status, uniform_alpha};
use ndarray::{Array1, ArrayView1};

fn bits(v: &Array1<f64>) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every number of two runs, compared bit for bit (NaN included).
fn assert_same(a: &Run, b: &Run, what: &str) {
    assert_eq!((a.status, a.steps), (b.status, b.steps), "{what}");
    assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits(), "{what}: loss {} vs {}", a.train_loss, b.train_loss);
    for (name, x, y) in [
        ("beta", &a.beta, &b.beta),
        ("u", &a.u, &b.u),
        ("v", &a.v, &b.v),
        ("alpha", &a.alpha, &b.alpha),
        ("s", &a.s, &b.s),
        ("lambda", &a.lambda, &b.lambda),
        ("alpha_inf_sq", &a.effective.alpha_inf_sq, &b.effective.alpha_inf_sq),
        ("delta", &a.effective.delta, &b.effective.delta),
        ("beta_tilde0", &a.effective.beta_tilde0, &b.effective.beta_tilde0),
        ("gain", &a.effective.gain, &b.effective.gain),
    ] {
        assert_eq!(bits(x), bits(y), "{what}: {name}");
    }
    assert_eq!(a.q_sums, b.q_sums, "{what}");
    match (&a.second_order, &b.second_order) {
        (Some(x), Some(y)) => {
            assert_eq!(bits(&x.sq), bits(&y.sq), "{what}: Σ(γg)²");
            assert_eq!(bits(&x.max_abs), bits(&y.max_abs), "{what}: max|γg|");
            assert_eq!(x.steps_beyond_one, y.steps_beyond_one, "{what}: steps beyond one");
        }
        (None, None) => {}
        _ => panic!("{what}: second-order sums on one side only"),
    }
    assert_eq!(a.history, b.history, "{what}");
}

/// Runs `runs` in lockstep and one by one (from `alphas`), checks they agree, and returns the statuses;
/// then the same with the second-order sums tracked.
fn check(problem: &Problem, runs: Vec<Sgd>, alphas: &[Array1<f64>], what: &str) -> Vec<(Status, u64)> {
    let tracked: Vec<Sgd> = runs.iter().map(|sgd| Sgd { track_second_order: true, ..sgd.clone() }).collect();
    let statuses = check_once(problem, tracked, alphas, &format!("{what} (tracked)"));
    assert_eq!(statuses, check_once(problem, runs, alphas, what), "tracking does not change the runs");
    statuses
}

fn check_once(problem: &Problem, runs: Vec<Sgd>, alphas: &[Array1<f64>], what: &str) -> Vec<(Status, u64)> {
    let views: Vec<ArrayView1<f64>> = alphas.iter().map(|a| a.view()).collect();
    let together = Lockstep::new(runs.clone()).run_alphas(problem, &views);
    assert_eq!(together.len(), runs.len());
    let mut out = Vec::new();
    for (i, (sgd, got)) in runs.iter().zip(together).enumerate() {
        let alone = sgd.run(problem, views[i]).unwrap();
        let got = got.unwrap();
        assert_eq!(got.second_order.is_some(), sgd.track_second_order, "{what}, run {i}");
        assert_same(&got, &alone, &format!("{what}, run {i}"));
        out.push((got.status, got.steps));
    }
    out
}

fn same_alpha(alpha: f64, d: usize, k: usize) -> Vec<Array1<f64>> {
    vec![uniform_alpha(alpha, d); k]
}

#[test]
fn sgd_stepsize_grids_match_single_runs() {
    let p = problem(20, 30, 3, 11);
    // From tiny (runs out of budget) through converging to divergent stepsizes.
    let all: Vec<f64> = (0..13).map(|i| 0.005 * 1.55f64.powi(i)).collect();
    let template = Sgd::sgd(0.0, 1).with_budget(30_000, 1e-8).with_seed(3);
    for k in [1usize, 3, 4, 5, 7, 13] {
        let gammas = &all[all.len() - k..];
        let runs = Lockstep::stepsizes(&template, gammas).runs().to_vec();
        let statuses = check(&p, runs, &same_alpha(0.1, 30, k), &format!("SGD K = {k}"));
        if k == 13 {
            eprintln!("{statuses:?}");
            for status in [Status::Converged, Status::Diverged, Status::MaxSteps] {
                assert!(statuses.iter().any(|s| s.0 == status), "the grid has a {status} run: {statuses:?}");
            }
            let mut steps: Vec<u64> = statuses.iter().map(|s| s.1).collect();
            steps.dedup();
            assert!(steps.len() >= 8, "the runs stop at different steps: {statuses:?}");
        }
    }
}

#[test]
fn sgd_seed_grids_match_single_runs() {
    let p = problem(12, 25, 2, 5);
    for sampling in [Sampling::Iid, Sampling::Shuffle] {
        let template = Sgd { sampling, ..Sgd::sgd(0.02, 1).with_budget(40_000, 1e-16) };
        // Repeated seeds share a sampler, distinct ones are gathered per lane.
        let seeds = [1u64, 2, 3, 2, 5, 8, 13, 21, 1];
        let runs = Lockstep::seeds(&template, &seeds).runs().to_vec();
        check(&p, runs, &same_alpha(0.05, 25, seeds.len()), &format!("{sampling:?} seeds"));
    }
}

#[test]
fn gd_stepsize_grids_match_single_runs() {
    let p = problem(20, 30, 3, 2);
    let gamma_max = 2.0 / p.lambda_max();
    let template = Sgd::gd(0.0, 20).with_budget(20_000, 1e-20);
    let fractions: Vec<f64> = (0..11).map(|i| 0.2 * 1.6f64.powi(i)).collect();
    for k in [1usize, 2, 4, 6, 11] {
        let gammas: Vec<f64> = fractions[fractions.len() - k..].iter().map(|f| f * gamma_max).collect();
        let runs = Lockstep::stepsizes(&template, &gammas).runs().to_vec();
        let statuses = check(&p, runs, &same_alpha(0.1, 30, k), &format!("GD K = {k}"));
        if k == 11 {
            eprintln!("{statuses:?}");
            assert!(statuses.iter().any(|s| s.0 == Status::Converged));
            assert!(statuses.iter().any(|s| s.0 == Status::Diverged));
        }
    }
}

#[test]
fn weights_collapsing_through_the_subnormal_range_are_flushed_as_in_single_runs() {
    // GD past its threshold on the default data: weights collapse to zero at different steps in
    // different lanes (flushed every 16 steps in both engines), and the runs oscillate on.
    let p = dln::DataConfig::default().generate().unwrap();
    let gammas = [2.3, 2.4, 2.5, 2.6, 2.7, 2.8];
    let runs = Lockstep::stepsizes(&Sgd::gd(0.0, 20).with_budget(20_000, 0.0), &gammas).runs().to_vec();
    check(&p, runs.clone(), &same_alpha(0.1, 30, gammas.len()), "GD past γ_max");
    let collapsed =
        runs.iter().filter(|sgd| !sgd.run(&p, uniform_alpha(0.1, 30).view()).unwrap().effective.is_finite());
    assert!(collapsed.count() >= 3, "most runs have a collapsed coordinate");
}

#[test]
fn budgets_tolerances_initialisations_and_schedules_per_run() {
    let p = problem(16, 21, 2, 4);
    let gamma = 0.5 / p.lambda_max();
    for template in [Sgd::gd(gamma, 16), Sgd::sgd(0.02, 1).with_seed(9)] {
        let runs: Vec<Sgd> = vec![
            template.clone().with_budget(0, 1e-20),
            template.clone().with_budget(1, 1e-20),
            template.clone().with_budget(17, 0.0),
            template.clone().with_budget(5_000, 1e-3),
            template.clone().with_budget(50_000, 1e-18),
            Sgd { divergence_factor: 1.5, ..template.clone().with_budget(5_000, 0.0) },
            Sgd {
                stepsize: Schedule::WarmUp { gamma: 1.5 * template.stepsize.base(), steps: 300 },
                ..template.clone()
            },
            Sgd {
                stepsize: Schedule::Cosine { gamma: 2.0 * template.stepsize.base(), gamma_final: 1e-3, steps: 999 },
                ..template.clone()
            },
            Sgd { stepsize: Schedule::custom(move |k| 0.01 * (1.0 + (k % 3) as f64)), ..template.clone() },
            template.clone().with_budget(3_000, 1e-20),
        ];
        let alphas: Vec<Array1<f64>> =
            (0..runs.len()).map(|i| Array1::from_shape_fn(21, |j| 0.01 + 0.01 * ((i + j) % 7) as f64)).collect();
        let statuses = check(&p, runs, &alphas, &format!("batch {}", template.batch));
        eprintln!("{statuses:?}");
    }
}

#[test]
fn runs_that_do_not_fit_run_alone_and_errors_stay_per_run() {
    let p = problem(10, 14, 2, 6);
    let alpha = uniform_alpha(0.1, 14);
    let bad_schedule =
        Sgd { stepsize: Schedule::custom(|k| if k < 50 { 0.01 } else { f64::NAN }), ..Sgd::sgd(0.01, 1) };
    let runs = vec![
        Sgd::sgd(0.01, 1).with_budget(2_000, 1e-12),
        Sgd::sgd(0.01, 4).with_budget(2_000, 1e-12),
        Sgd::sgd(0.01, 1).with_budget(2_000, 1e-12).with_record(Record::Every(100)),
        Sgd { track_q_sums: true, ..Sgd::gd(0.01, 10).with_budget(2_000, 1e-12) },
        Sgd::sgd(-1.0, 1),
        Sgd::sgd(0.01, 11),
        bad_schedule.clone().with_budget(1_000, 0.0),
        Sgd { check_every: Some(7), ..Sgd::sgd(0.01, 1).with_budget(2_000, 1e-12) },
        Sgd::gd(0.01, 10).with_budget(2_000, 1e-12),
        // Tracked and untracked runs of one kernel run as two lane sets.
        Sgd { track_second_order: true, ..Sgd::gd(0.02, 10).with_budget(2_000, 1e-12) },
        Sgd { track_second_order: true, ..Sgd::sgd(0.02, 1).with_budget(2_000, 1e-12) },
        Sgd { track_second_order: true, ..Sgd::sgd(0.01, 1).with_budget(2_000, 1e-12) },
    ];
    let together = Lockstep::new(runs.clone()).run(&p, alpha.view());
    for (i, (sgd, got)) in runs.iter().zip(together).enumerate() {
        match (got, sgd.run(&p, alpha.view())) {
            (Ok(a), Ok(b)) => assert_same(&a, &b, &format!("run {i}")),
            (Err(a), Err(b)) => assert_eq!(a, b, "run {i}"),
            (a, b) => panic!("run {i}: {a:?} vs {b:?}"),
        }
    }
    // One initialisation per run, or every run fails with a one-line error.
    let short = Lockstep::new(runs.clone()).run_alphas(&p, &[alpha.view()]);
    assert_eq!(short.len(), runs.len());
    assert!(short.iter().all(|r| matches!(r, Err(DlnError::DimensionMismatch(_)))));
    assert!(Lockstep::new(Vec::new()).run(&p, alpha.view()).is_empty());
}

#[test]
fn portable_and_avx_lockstep_kernels_agree() {
    // On a CPU without AVX both take the portable path and the test is trivially true.
    let p = problem(20, 30, 3, 8);
    let alpha = uniform_alpha(0.1, 30);
    let gamma_max = 2.0 / p.lambda_max();
    // Nine GD runs: two vectors as a pair, the third alone.
    let fractions = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    let gd = Lockstep::stepsizes(&Sgd::gd(0.0, 20).with_budget(5_000, 1e-20), &fractions.map(|f| f * gamma_max));
    // Seeds that repeat share vectors whose lanes gather their rows; the others run alone.
    let sgd = Lockstep::seeds(&Sgd::sgd(0.03, 1).with_budget(20_000, 1e-20), &[1, 2, 1, 2, 3, 3, 4]);
    // Eleven lanes: two vectors run as a pair, the third alone.
    let gammas: Vec<f64> = (0..11).map(|i| 0.004 * (1.0 + i as f64)).collect();
    let sgd_grid = Lockstep::stepsizes(&Sgd::sgd(0.0, 1).with_budget(20_000, 1e-20).with_seed(4), &gammas);
    let tracked =
        |l: &Lockstep| Lockstep::new(l.runs().iter().map(|s| Sgd { track_second_order: true, ..s.clone() }).collect());
    let all = [tracked(&gd), tracked(&sgd), tracked(&sgd_grid), gd, sgd, sgd_grid];
    for lockstep in all {
        dln::linalg::set_wide_kernels(false);
        let portable = lockstep.run(&p, alpha.view());
        dln::linalg::set_wide_kernels(true);
        let wide = lockstep.run(&p, alpha.view());
        for (a, b) in portable.iter().zip(&wide) {
            assert_same(a.as_ref().unwrap(), b.as_ref().unwrap(), "portable vs AVX");
        }
    }
}

/// A run whose loss is not finite when its step budget runs out has diverged: it never ends as
/// `max_steps` with a NaN or infinite loss, whatever the budget (every budget up to past the step
/// where the weights blow up), alone or in lockstep, for SGD b = 1, mini-batches and GD.
#[test]
fn a_non_finite_loss_at_the_budget_is_divergence() {
    let p = problem(20, 30, 3, 5);
    let alpha = same_alpha(0.1, p.d(), 1);
    let gammas = [5.0, 50.0, 1e3, 1e6, 1e30];
    let mut diverged = 0;
    for batch in [1, 5, p.n()] {
        for &gamma in &gammas {
            for max_steps in 0..40 {
                let sgd = Sgd::sgd(gamma, batch).with_seed(3).with_budget(max_steps, 1e-24);
                let alone = sgd.run(&p, alpha[0].view()).unwrap();
                let what = format!("b = {batch}, γ = {gamma}, budget {max_steps}");
                assert!(
                    alone.train_loss.is_finite() || alone.status == Status::Diverged,
                    "{what}: {} with loss {}",
                    alone.status,
                    alone.train_loss
                );
                diverged += usize::from(alone.status == Status::Diverged);
                let together = Lockstep::new(vec![sgd.clone(); 3]).run_alphas(&p, &[alpha[0].view(); 3]);
                for got in together {
                    assert_same(&got.unwrap(), &alone, &what);
                }
            }
        }
    }
    assert!(diverged > 100, "the grid must reach divergence ({diverged} runs did)");
}

//! The (S)GD engine itself: agreement with a plain implementation in the original weights (u, v),
//! the documented batch sampling (checked step by step from recorded snapshots), stopping rules,
//! recording, divergence without panics, and bitwise determinism.

mod common;

use common::{dist, max_abs, norm, problem};
use dln::{DataConfig, Problem, Record, Run, Sampling, Schedule, Sgd, Snapshot, Status, uniform_alpha};
use ndarray::{Array1, ArrayView1};

/// K steps of GD in (u, v) with the simultaneous update u ← u − γ g v, v ← v − γ g u, written
/// independently of the engine. Returns (β, s = −2Σγg, Gain = ln(2α²/|u² − v²|)).
fn plain_gd(
    problem: &Problem,
    alpha: ArrayView1<f64>,
    gamma: f64,
    steps: u64,
) -> (Array1<f64>, Array1<f64>, Array1<f64>) {
    let n = problem.n() as f64;
    let mut u = alpha.mapv(|a| std::f64::consts::SQRT_2 * a);
    let mut v = Array1::<f64>::zeros(alpha.len());
    let mut s = Array1::<f64>::zeros(alpha.len());
    for _ in 0..steps {
        let r = problem.x.dot(&(&u * &v)) - &problem.y;
        let gg = problem.x.t().dot(&r) * (gamma / n);
        s.scaled_add(-2.0, &gg);
        let u_next = &u - &(&gg * &v);
        v = &v - &(&gg * &u);
        u = u_next;
    }
    let gain =
        ndarray::Zip::from(&alpha).and(&u).and(&v).map_collect(|a, u, v| (2.0 * a * a / (u * u - v * v).abs()).ln());
    (&u * &v, s, gain)
}

#[test]
fn gd_agrees_with_a_plain_implementation_in_u_v() {
    let problem = problem(20, 30, 3, 4);
    let alpha: Array1<f64> = (0..30).map(|j| 0.05 + 0.01 * j as f64).collect();
    let gamma = 0.8 / problem.lambda_max();
    for steps in [1u64, 10, 3000] {
        let run = Sgd::gd(gamma, 20).with_budget(steps, 0.0).run(&problem, alpha.view()).unwrap();
        assert_eq!((run.status, run.steps), (Status::MaxSteps, steps));
        let (beta, s, gain) = plain_gd(&problem, alpha.view(), gamma, steps);
        let e_beta = dist(&run.beta, &beta) / norm(beta.view());
        let e_s = dist(&run.s, &s) / norm(s.view());
        let e_gain = max_abs((&run.effective.gain - &gain).view()) / max_abs(gain.view());
        let e_uv = dist(&(&run.u * &run.v), &run.beta) / norm(beta.view());
        eprintln!("{steps} steps: β {e_beta:.1e}, s {e_s:.1e}, gain {e_gain:.1e}");
        assert!(
            e_beta <= 1e-12 && e_s <= 1e-12 && e_gain <= 1e-9 && e_uv <= 1e-14,
            "{steps} steps: {e_beta} {e_s} {e_gain} {e_uv}"
        );
        // s = Xᵀλ with the engine's λ.
        assert!(dist(&problem.x.t().dot(&run.lambda), &run.s) <= 1e-14 * norm(run.s.view()));
    }
}

/// The batches the engine used, recovered from consecutive snapshots: for each step, the set B
/// (|B| = b) whose update β_k → β_{k+1} matches (w± reconstructed from β_k and α_k² = α² e^{−Gain_k}).
fn recovered_batches(problem: &Problem, alpha: f64, gamma: f64, b: usize, history: &[Snapshot]) -> Vec<Vec<usize>> {
    let n = problem.n();
    let subsets: Vec<Vec<usize>> = (0..1usize << n)
        .filter(|m| m.count_ones() as usize == b)
        .map(|m| (0..n).filter(|i| m >> i & 1 == 1).collect())
        .collect();
    let mut out = Vec::new();
    for pair in history.windows(2) {
        let (now, next) = (&pair[0], &pair[1]);
        assert_eq!(next.step, now.step + 1);
        let a2 = now.gain.mapv(|g| alpha * alpha * (-g).exp());
        let root = ndarray::Zip::from(&now.beta).and(&a2).map_collect(|b, a2| b.hypot(*a2));
        let wp2 = &root + &now.beta;
        let wm2 = &root - &now.beta;
        let r = problem.x.dot(&now.beta) - &problem.y;
        let matches: Vec<&Vec<usize>> = subsets
            .iter()
            .filter(|set| {
                let mut gg = Array1::<f64>::zeros(problem.d());
                for &i in set.iter() {
                    gg.scaled_add(gamma * r[i] / b as f64, &problem.x.row(i));
                }
                let beta =
                    0.5 * (&wp2 * &gg.mapv(|x| (1.0 - x) * (1.0 - x)) - &wm2 * &gg.mapv(|x| (1.0 + x) * (1.0 + x)));
                dist(&beta, &next.beta) <= 1e-10 * norm(next.beta.view()).max(1e-12)
            })
            .collect();
        assert_eq!(matches.len(), 1, "step {}: {} candidate batches match", now.step, matches.len());
        out.push(matches[0].clone());
    }
    out
}

fn recorded(problem: &Problem, alpha: f64, sgd: Sgd, steps: u64) -> Run {
    let run = sgd
        .with_budget(steps, 0.0)
        .with_record(Record::Every(1))
        .run(problem, uniform_alpha(alpha, problem.d()).view())
        .unwrap();
    assert_eq!(run.history.len() as u64, steps + 1);
    run
}

#[test]
fn shuffle_sampling_visits_every_sample_once_per_epoch() {
    let problem = DataConfig { n: 6, d: 12, s: 2, seed: 2, ..DataConfig::default() }.generate().unwrap();
    for b in [1usize, 2, 3] {
        let run = recorded(&problem, 0.2, Sgd { sampling: Sampling::Shuffle, ..Sgd::sgd(0.02, b).with_seed(5) }, 24);
        let batches = recovered_batches(&problem, 0.2, 0.02, b, &run.history);
        let per_epoch = 6 / b;
        for (e, epoch) in batches.chunks(per_epoch).enumerate() {
            let mut seen: Vec<usize> = epoch.iter().flatten().copied().collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..6).collect::<Vec<_>>(), "b = {b}, epoch {e}: {epoch:?}");
        }
    }
    // b = 4 does not divide n = 6: one batch per epoch, the 2 left-over samples sit it out.
    let run = recorded(&problem, 0.2, Sgd { sampling: Sampling::Shuffle, ..Sgd::sgd(0.02, 4).with_seed(5) }, 12);
    for set in recovered_batches(&problem, 0.2, 0.02, 4, &run.history) {
        assert_eq!(set.len(), 4);
    }
}

#[test]
fn iid_sampling_draws_distinct_indices_and_varies_across_steps() {
    let problem = DataConfig { n: 6, d: 12, s: 2, seed: 2, ..DataConfig::default() }.generate().unwrap();
    let run = recorded(&problem, 0.2, Sgd::sgd(0.02, 2).with_seed(9), 60);
    let batches = recovered_batches(&problem, 0.2, 0.02, 2, &run.history);
    let mut counts = [0usize; 6];
    for set in &batches {
        assert_eq!(set.len(), 2);
        for &i in set {
            counts[i] += 1;
        }
    }
    assert!(counts.iter().all(|&c| c > 0), "every sample is drawn at some point: {counts:?}");
    // Not epoch-structured: some window of 3 consecutive batches repeats an index.
    assert!(batches.chunks(3).any(|w| {
        let mut all: Vec<usize> = w.iter().flatten().copied().collect();
        all.sort_unstable();
        all.windows(2).any(|p| p[0] == p[1])
    }));
}

#[test]
fn same_seed_is_bitwise_identical_and_seeds_matter() {
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, 30);
    for sampling in [Sampling::Iid, Sampling::Shuffle] {
        let sgd = Sgd { sampling, track_q_sums: true, ..Sgd::sgd(0.02, 3).with_budget(20_000, 1e-20).with_seed(42) }
            .with_record(Record::LogSpaced(4));
        let (a, b) = (sgd.run(&problem, alpha.view()).unwrap(), sgd.run(&problem, alpha.view()).unwrap());
        assert_eq!(a, b, "same seed, same run");
        let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.beta), bits(&b.beta));
        assert_eq!(bits(&a.effective.gain), bits(&b.effective.gain));
        let c = sgd.clone().with_seed(43).run(&problem, alpha.view()).unwrap();
        assert_ne!(bits(&a.beta), bits(&c.beta), "another seed, another trajectory");
    }
    // The problem generator too.
    assert_eq!(problem, common::problem(20, 30, 3, 0));
}

#[test]
fn iid_and_shuffle_both_converge() {
    let problem = problem(20, 30, 3, 1);
    let alpha = uniform_alpha(0.1, 30);
    for sampling in [Sampling::Iid, Sampling::Shuffle] {
        for b in [1, 4, 7] {
            let run = Sgd { sampling, ..Sgd::sgd(0.01, b).with_budget(3_000_000, 1e-22).with_seed(1) }
                .run(&problem, alpha.view())
                .unwrap();
            assert_eq!(run.status, Status::Converged, "{sampling:?} b = {b}");
            assert!(run.train_loss <= 1e-22);
            // Recomputed independently (residuals of size 1e-11 carry ~1e-4 relative rounding).
            assert!(problem.train_loss(run.beta.view()) <= 1.01e-22);
        }
    }
}

#[test]
fn huge_stepsizes_diverge_without_panicking() {
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, 30);
    let lmax = problem.lambda_max();
    for (what, sgd) in [
        ("GD", Sgd::gd(100.0 / lmax, 20)),
        ("GD 1e6", Sgd::gd(1e6, 20)),
        ("SGD b=1", Sgd::sgd(10.0, 1)),
        ("SGD b=5 shuffle", Sgd { sampling: Sampling::Shuffle, ..Sgd::sgd(100.0, 5) }),
        ("SGD b=1, check every 1000", Sgd { check_every: Some(1000), ..Sgd::sgd(1e3, 1) }),
        ("GD decay", Sgd { stepsize: Schedule::StepDecay { gamma: 1e3, factor: 0.5, every: 100 }, ..Sgd::gd(1.0, 20) }),
    ] {
        for (track, record) in [(false, Record::Never), (true, Record::Every(1)), (false, Record::LogSpaced(3))] {
            let sgd = Sgd { track_q_sums: track, record, ..sgd.clone() }.with_budget(100_000, 1e-20);
            let run = sgd.run(&problem, alpha.view()).unwrap();
            assert_eq!(run.status, Status::Diverged, "{what}");
            assert!(run.steps < 100_000, "{what}: divergence is detected early");
            assert!(run.history.iter().all(|s| s.train_loss.is_finite()), "{what}: no snapshot of the diverged state");
        }
    }
}

#[test]
fn stopping_rules() {
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, 30);
    let gamma = 0.5 / problem.lambda_max();
    // tol = 0: exactly the budget.
    let run = Sgd::gd(gamma, 20).with_budget(1234, 0.0).run(&problem, alpha.view()).unwrap();
    assert_eq!((run.status, run.steps), (Status::MaxSteps, 1234));
    // No step at all.
    let run = Sgd::sgd(0.01, 2).with_budget(0, 1e-20).run(&problem, alpha.view()).unwrap();
    assert_eq!((run.status, run.steps), (Status::MaxSteps, 0));
    assert_eq!(run.beta, Array1::zeros(30));
    assert!(run.effective.gain.iter().all(|g| g.abs() <= 1e-15));
    assert!((run.train_loss - problem.train_loss(run.beta.view())).abs() <= 1e-15);
    // GD stops at the first step with L ≤ tol.
    let run = Sgd::gd(gamma, 20).with_budget(1_000_000, 1e-10).run(&problem, alpha.view()).unwrap();
    assert_eq!(run.status, Status::Converged);
    assert!(run.train_loss <= 1e-10);
    let before = Sgd::gd(gamma, 20).with_budget(run.steps - 1, 0.0).run(&problem, alpha.view()).unwrap();
    assert!(before.train_loss > 1e-10);
    // SGD checks the full loss every `check_every` steps.
    let run = Sgd { check_every: Some(7), ..Sgd::sgd(0.01, 2).with_budget(1_000_000, 1e-12) }
        .run(&problem, alpha.view())
        .unwrap();
    assert_eq!(run.status, Status::Converged);
    assert_eq!(run.steps % 7, 0);
}

#[test]
fn recording_schedules_and_observers() {
    let problem = problem(20, 30, 3, 0);
    let alpha = uniform_alpha(0.1, 30);
    let gamma = 0.5 / problem.lambda_max();
    let run = Sgd::gd(gamma, 20)
        .with_budget(1_000_000, 1e-24)
        .with_record(Record::LogSpaced(5))
        .run(&problem, alpha.view())
        .unwrap();
    let steps: Vec<u64> = run.history.iter().map(|s| s.step).collect();
    assert_eq!(steps[0], 0);
    assert_eq!(*steps.last().unwrap(), run.steps, "the last step is recorded");
    assert!(steps.windows(2).all(|w| w[0] < w[1]));
    // About 5 points per decade.
    let decades = (run.steps as f64).log10();
    assert!((steps.len() as f64) < 5.0 * decades + 8.0 && (steps.len() as f64) > 5.0 * decades - 5.0, "{steps:?}");
    let last = run.history.last().unwrap();
    assert_eq!(last.beta, run.beta);
    assert!(max_abs((&last.gain - &run.effective.gain).view()) <= 1e-12);
    assert_eq!(last.train_loss, run.train_loss);
    // The loss decreases along GD's recorded path (here, below the edge of stability).
    assert!(run.history.windows(2).all(|w| w[1].train_loss <= w[0].train_loss));

    // Every(m) and a custom observer see the same snapshots as the history.
    struct Count(Vec<u64>);
    impl dln::Observer for Count {
        fn observe(&mut self, s: &Snapshot) {
            self.0.push(s.step);
        }
    }
    let sgd = Sgd::sgd(0.01, 1).with_budget(1000, 0.0).with_record(Record::Every(100));
    let mut count = Count(Vec::new());
    let observed = sgd.run_observed(&problem, alpha.view(), &mut count).unwrap();
    assert!(observed.history.is_empty());
    assert_eq!(count.0, (0..=10).map(|i| i * 100).collect::<Vec<_>>());
    let run = sgd.run(&problem, alpha.view()).unwrap();
    assert_eq!(run.history.iter().map(|s| s.step).collect::<Vec<_>>(), count.0);
    assert_eq!(run.beta, observed.beta);
}

#[test]
fn avx_and_portable_kernels_give_bitwise_identical_runs() {
    // The engine may run AVX-compiled copies of its kernels (runtime detection); they do the same
    // IEEE operations in the same order, so results must not depend on the machine. (On a CPU
    // without AVX both runs take the portable path and the test is trivially true.)
    let problem = problem(20, 30, 3, 6);
    let alpha = uniform_alpha(0.1, 30);
    let sgd = Sgd { track_q_sums: true, ..Sgd::sgd(0.03, 1).with_budget(50_000, 1e-22).with_seed(8) }
        .with_record(Record::LogSpaced(3));
    let plain = Sgd { track_q_sums: false, record: Record::Never, ..sgd.clone() };
    dln::linalg::set_wide_kernels(false);
    let (a, a_plain) = (sgd.run(&problem, alpha.view()).unwrap(), plain.run(&problem, alpha.view()).unwrap());
    dln::linalg::set_wide_kernels(true);
    let (b, b_plain) = (sgd.run(&problem, alpha.view()).unwrap(), plain.run(&problem, alpha.view()).unwrap());
    assert_eq!(a, b);
    assert_eq!(a_plain, b_plain);
    assert_eq!(a.beta, a_plain.beta, "tracking the Σq oracle does not change the iterates");
    // GD, mini-batches (the residuals four rows at a time) and a schedule, through the same kernels.
    let gamma = 0.8 / problem.lambda_max();
    for sgd in [
        Sgd::gd(gamma, 20).with_budget(20_000, 1e-22),
        Sgd { track_q_sums: true, ..Sgd::gd(gamma, 20).with_budget(5_000, 0.0) },
        Sgd::sgd(0.02, 5).with_budget(20_000, 1e-22).with_seed(3),
        // Seven rows: one block of four dot products and three single ones (d = 30: a tail of two).
        Sgd::sgd(0.01, 7).with_budget(10_000, 1e-22).with_seed(4),
        Sgd { stepsize: Schedule::Cosine { gamma: 0.05, gamma_final: 0.005, steps: 4_000 }, ..Sgd::sgd(0.05, 1) },
    ] {
        dln::linalg::set_wide_kernels(false);
        let portable = sgd.run(&problem, alpha.view()).unwrap();
        dln::linalg::set_wide_kernels(true);
        let wide = sgd.run(&problem, alpha.view()).unwrap();
        assert_eq!(portable, wide, "{sgd:?}");
    }
}

/// The engine's arithmetic written out plainly, one scalar operation at a time in the documented
/// order, with the documented sampling (rand's `partial_shuffle` / `shuffle` on a persistent
/// permutation): ⟨x, β⟩ with four accumulators over j mod 4 and the tail sequentially,
/// ((a₀ + a₂) + (a₁ + a₃)) + tail; g = Σ_t (r_t / b) x_{i_t} sequentially; γg, w± ← (1 ∓ γg) w±,
/// β = (w₊² − w₋²)/2; λ_i ← λ_i − (2γ/b) r_t; the full loss every `check_every` steps (every step for
/// GD) and at the end. Returns (status, steps, loss, w₊, w₋, λ). Index loops on purpose: the order
/// of every operation is explicit.
#[allow(clippy::needless_range_loop)]
fn reference_run(
    problem: &Problem,
    alpha: &Array1<f64>,
    sgd: &Sgd,
) -> (Status, u64, f64, Vec<f64>, Vec<f64>, Vec<f64>) {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let (n, d) = problem.x.dim();
    let x = |i: usize, j: usize| problem.x[[i, j]];
    let dot = |i: usize, beta: &[f64]| {
        let full = d - d % 4;
        let mut acc = [0.0f64; 4];
        for j in 0..full {
            acc[j % 4] += x(i, j) * beta[j];
        }
        let mut tail = 0.0;
        for j in full..d {
            tail += x(i, j) * beta[j];
        }
        (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
    };
    let loss = |beta: &[f64]| {
        let mut s = 0.0;
        for i in 0..n {
            let r = dot(i, beta) - problem.y[i];
            s += r * r;
        }
        s * (0.5 / n as f64)
    };
    let (b, inv_b) = (sgd.batch, 1.0 / sgd.batch as f64);
    let (mut wp, mut wm) = (alpha.to_vec(), alpha.to_vec());
    let mut beta: Vec<f64> = wp.iter().zip(&wm).map(|(p, m)| 0.5 * (p * p - m * m)).collect();
    let mut lambda = vec![0.0; n];
    let mut perm: Vec<usize> = (0..n).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(sgd.seed);
    let mut epoch_pos = n;
    let threshold = sgd.divergence_factor * (problem.y.iter().map(|v| v * v).sum::<f64>() * (0.5 / n as f64)).max(1.0);
    let check_every = if b == n { 1 } else { sgd.check_every.unwrap_or(n.div_ceil(b) as u64) };
    // Subnormal weights become zeros of their sign: every 16 steps for GD, at every check for SGD.
    let flush_every = if b == n { 16 } else { check_every };
    let mut k = 0u64;
    loop {
        if k.is_multiple_of(flush_every) {
            for w in wp.iter_mut().chain(wm.iter_mut()) {
                if *w != 0.0 && w.abs() < f64::MIN_POSITIVE {
                    *w *= 0.0;
                }
            }
        }
        let mut l = f64::NAN;
        if k.is_multiple_of(check_every) || k == sgd.max_steps {
            l = loss(&beta);
            if !l.is_nan() {
                if !l.is_finite() || l > threshold {
                    return (Status::Diverged, k, l, wp, wm, lambda);
                }
                if l <= sgd.tol {
                    return (Status::Converged, k, l, wp, wm, lambda);
                }
            }
        }
        if k >= sgd.max_steps {
            return (Status::MaxSteps, k, l, wp, wm, lambda);
        }
        let gamma = sgd.stepsize.at(k);
        let batch: Vec<usize> = if b == n {
            perm.clone()
        } else if sgd.sampling == Sampling::Iid {
            perm.partial_shuffle(&mut rng, b).0.to_vec()
        } else {
            if epoch_pos + b > n {
                perm.shuffle(&mut rng);
                epoch_pos = 0;
            }
            epoch_pos += b;
            perm[epoch_pos - b..epoch_pos].to_vec()
        };
        let r: Vec<f64> = batch.iter().map(|&i| dot(i, &beta) - problem.y[i]).collect();
        if r.iter().any(|v| !v.is_finite()) {
            return (Status::Diverged, k, loss(&beta), wp, wm, lambda);
        }
        let mut g = vec![0.0; d];
        for (&i, &rt) in batch.iter().zip(&r) {
            let c = rt * inv_b;
            for j in 0..d {
                g[j] += c * x(i, j);
            }
        }
        for j in 0..d {
            let gg = g[j] * gamma;
            wp[j] *= 1.0 - gg;
            wm[j] *= 1.0 + gg;
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
        for (&i, &rt) in batch.iter().zip(&r) {
            lambda[i] -= 2.0 * gamma * inv_b * rt;
        }
        k += 1;
    }
}

#[test]
fn the_engine_is_the_plain_reference_bit_for_bit() {
    // Portable and AVX kernels, fused b = 1 steps, column-major residuals, skipped loss checks:
    // all must leave every bit of the plain computation unchanged.
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (n, d) in [(20usize, 30usize), (13, 29), (7, 3), (9, 16)] {
        let problem = problem(n, d, 2.min(d), 3);
        let alpha: Array1<f64> = (0..d).map(|j| 0.02 + 0.01 * (j % 5) as f64).collect();
        let g0 = 1.0 / problem.lambda_max();
        let mut cases = Vec::new();
        for b in [1, 3, n] {
            for sampling in [Sampling::Iid, Sampling::Shuffle] {
                for gamma in [0.3 * g0, 3.0 * g0, 2.0] {
                    let base = Sgd { sampling, ..Sgd::sgd(gamma, b).with_budget(3_000, 1e-14).with_seed(7) };
                    cases.push(base.clone());
                    cases.push(Sgd { check_every: Some(3), ..base.clone() });
                    cases.push(base.clone().with_budget(2_000, 0.0));
                    cases.push(Sgd {
                        stepsize: Schedule::Cosine { gamma, gamma_final: 0.1 * gamma, steps: 500 },
                        ..base
                    });
                }
            }
        }
        for wide in [false, true] {
            dln::linalg::set_wide_kernels(wide);
            for sgd in &cases {
                let run = sgd.run(&problem, alpha.view()).unwrap();
                let (status, steps, loss, wp, wm, lambda) = reference_run(&problem, &alpha, sgd);
                let what =
                    format!("({n}, {d}) b = {} {:?} γ = {:?}, AVX {wide}", sgd.batch, sgd.sampling, sgd.stepsize);
                assert_eq!((run.status, run.steps), (status, steps), "{what}");
                assert_eq!(run.train_loss.to_bits(), loss.to_bits(), "{what}: {} vs {loss}", run.train_loss);
                let sqrt_half = std::f64::consts::FRAC_1_SQRT_2;
                let u: Vec<f64> = wp.iter().zip(&wm).map(|(p, m)| (p + m) * sqrt_half).collect();
                let v: Vec<f64> = wp.iter().zip(&wm).map(|(p, m)| (p - m) * sqrt_half).collect();
                assert_eq!(bits(run.u.as_slice().unwrap()), bits(&u), "{what}: u");
                assert_eq!(bits(run.v.as_slice().unwrap()), bits(&v), "{what}: v");
                assert_eq!(bits(run.lambda.as_slice().unwrap()), bits(&lambda), "{what}: λ");
            }
        }
        dln::linalg::set_wide_kernels(true);
    }
    // GD past its threshold: weights collapse through the subnormal range to zero (flushed), the
    // other coordinates oscillate on.
    let data = DataConfig::default().generate().unwrap();
    let alpha = uniform_alpha(0.1, 30);
    for (gamma, steps) in [(2.8, 5_000), (2.4, 30_000)] {
        let sgd = Sgd::gd(gamma, 20).with_budget(steps, 0.0);
        for wide in [false, true] {
            dln::linalg::set_wide_kernels(wide);
            let run = sgd.run(&data, alpha.view()).unwrap();
            let (status, steps, loss, wp, wm, lambda) = reference_run(&data, &alpha, &sgd);
            assert_eq!((run.status, run.steps, run.train_loss.to_bits()), (status, steps, loss.to_bits()));
            let (u, v) = (run.u.as_slice().unwrap(), run.v.as_slice().unwrap());
            let sqrt_half = std::f64::consts::FRAC_1_SQRT_2;
            assert_eq!(bits(u), bits(&wp.iter().zip(&wm).map(|(p, m)| (p + m) * sqrt_half).collect::<Vec<_>>()));
            assert_eq!(bits(run.lambda.as_slice().unwrap()), bits(&lambda), "γ = {gamma}, AVX {wide}");
            assert!(wp.iter().chain(&wm).any(|w| *w == 0.0), "γ = {gamma}: some weight collapsed to 0");
            assert!(!run.effective.is_finite(), "γ = {gamma}: a collapsed coordinate has an infinite gain");
            assert!(v.iter().all(|x| x.is_finite()));
        }
        dln::linalg::set_wide_kernels(true);
    }
    // Wide rows (the gradient then streams X row by row) and a large X (no column-major copy).
    for (n, d) in [(9usize, 700usize), (70, 1000)] {
        let problem = problem(n, d, 3, 5);
        let alpha = Array1::from_elem(d, 0.05);
        let sgd = Sgd::gd(0.5 / problem.lambda_max(), n).with_budget(150, 0.0);
        for wide in [false, true] {
            dln::linalg::set_wide_kernels(wide);
            let run = sgd.run(&problem, alpha.view()).unwrap();
            let (status, steps, loss, _, _, lambda) = reference_run(&problem, &alpha, &sgd);
            assert_eq!(
                (run.status, run.steps, run.train_loss.to_bits()),
                (status, steps, loss.to_bits()),
                "({n}, {d})"
            );
            assert_eq!(bits(run.lambda.as_slice().unwrap()), bits(&lambda), "({n}, {d}), AVX {wide}");
        }
        dln::linalg::set_wide_kernels(true);
    }
}

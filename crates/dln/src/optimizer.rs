//! Mini-batch (S)GD on the diagonal network — the engine. GD is `batch = n`.
//! Book: chapters "Setting and notation" and "Theorem 2".
//!
//! The update on w = (u, v) with g_k = ∇L_{B_k}(β_k) = (1/b) X_Bᵀ(X_B β_k − y_B) is simultaneous:
//! u_{k+1} = u_k − γ_k g_k ⊙ v_k, v_{k+1} = v_k − γ_k g_k ⊙ u_k.
//! It is carried out in the rotated weights w± = (u ± v)/√2, where it is exactly
//! w₊ ← (1 − γ_k g_k) ⊙ w₊, w₋ ← (1 + γ_k g_k) ⊙ w₋, β = (w₊² − w₋²)/2
//! (the same iterates in exact arithmetic). Each weight then carries only relative rounding, so
//! α_k² = |w₊ w₋| = |u² − v²|/2 stays accurate to ~1e-16 relative even when α² ≪ |β|.
//!
//! Sampling: with [`Sampling::Iid`] each step draws b distinct indices uniformly at random,
//! independently across steps (a partial Fisher–Yates shuffle of a persistent permutation);
//! with [`Sampling::Shuffle`] each epoch is a fresh random permutation cut into ⌊n/b⌋ consecutive
//! batches (the n mod b left-over samples sit that epoch out). GD (b = n) uses no randomness.
//! The inner loop allocates nothing.
//!
//! The loop itself lives in `engine` (with the kernels of `kernels`): on x86-64 CPUs with AVX it runs
//! copies of the kernels written with AVX intrinsics that perform the same IEEE operations in the same
//! order as the portable ones (no fused multiply-add), so every result is the same bit for bit on
//! every x86-64 machine. [`crate::Lockstep`] runs many of these runs together.

use std::sync::Arc;

use ndarray::{Array1, ArrayView1};

use crate::data::Problem;
use crate::engine::{Data, Engine};
use crate::error::{Result, invalid};
use crate::gain::{EffectiveInit, QSums, SecondOrder};
use crate::model::validate_alpha;
use crate::run::{Observer, Run, Snapshot, Status};

/// A user-supplied stepsize schedule k ↦ γ_k.
#[derive(Clone)]
pub struct CustomSchedule(pub Arc<dyn Fn(u64) -> f64 + Send + Sync>);

impl std::fmt::Debug for CustomSchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomSchedule(..)")
    }
}

impl PartialEq for CustomSchedule {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The stepsize schedule γ_k.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Schedule {
    /// γ_k = γ.
    Constant(f64),
    /// γ_k = γ · factor^⌊k / every⌋.
    StepDecay {
        /// Initial stepsize γ.
        gamma: f64,
        /// Multiplier in (0, 1].
        factor: f64,
        /// Steps between decays (≥ 1).
        every: u64,
    },
    /// Linear warm-up γ_k = γ (k + 1)/steps for k < steps, then γ.
    WarmUp {
        /// Final stepsize γ.
        gamma: f64,
        /// Warm-up length (≥ 1).
        steps: u64,
    },
    /// Cosine annealing from γ down to γ_final over `steps` steps, then constant:
    /// γ_k = γ_final + (γ − γ_final) · (1 + cos(π k / steps)) / 2 for k < steps, γ_k = γ_final after.
    /// So γ_0 = γ, γ_{steps/2} = (γ + γ_final)/2, and Σ_{k<steps} γ_k = steps (γ + γ_final)/2 + (γ − γ_final)/2
    /// (the cosine terms cancel in pairs k, steps − k, leaving the k = 0 term).
    Cosine {
        /// Initial stepsize γ (finite, > 0).
        gamma: f64,
        /// Final stepsize γ_final, 0 < γ_final ≤ γ.
        gamma_final: f64,
        /// Annealing length (≥ 1).
        steps: u64,
    },
    /// Any closure k ↦ γ_k (must return finite positive values).
    #[cfg_attr(feature = "serde", serde(skip))]
    Custom(CustomSchedule),
}

impl Schedule {
    /// A schedule from a closure.
    pub fn custom(f: impl Fn(u64) -> f64 + Send + Sync + 'static) -> Self {
        Schedule::Custom(CustomSchedule(Arc::new(f)))
    }

    /// γ_k.
    #[inline]
    pub fn at(&self, k: u64) -> f64 {
        match self {
            Schedule::Constant(g) => *g,
            Schedule::StepDecay { gamma, factor, every } => gamma * factor.powf((k / every) as f64),
            Schedule::WarmUp { gamma, steps } => {
                if k < *steps {
                    gamma * (k + 1) as f64 / *steps as f64
                } else {
                    *gamma
                }
            }
            Schedule::Cosine { gamma, gamma_final, steps } => {
                if k < *steps {
                    let c = (std::f64::consts::PI * k as f64 / *steps as f64).cos();
                    gamma_final + (gamma - gamma_final) * (0.5 * (1.0 + c))
                } else {
                    *gamma_final
                }
            }
            Schedule::Custom(f) => (f.0)(k),
        }
    }

    /// The initial (or base) stepsize γ, for reports.
    pub fn base(&self) -> f64 {
        match self {
            Schedule::Constant(g) => *g,
            Schedule::StepDecay { gamma, .. } | Schedule::WarmUp { gamma, .. } | Schedule::Cosine { gamma, .. } => {
                *gamma
            }
            Schedule::Custom(f) => (f.0)(0),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let check_gamma = |g: f64| {
            if g.is_finite() && g > 0.0 {
                Ok(())
            } else {
                Err(invalid("gamma", format!("stepsize must be finite and > 0, got {g}")))
            }
        };
        match self {
            Schedule::Constant(g) => check_gamma(*g),
            Schedule::StepDecay { gamma, factor, every } => {
                check_gamma(*gamma)?;
                if !(*factor > 0.0 && *factor <= 1.0) {
                    return Err(invalid("factor", format!("decay factor must be in (0, 1], got {factor}")));
                }
                if *every == 0 {
                    return Err(invalid("every", "decay period must be at least 1"));
                }
                Ok(())
            }
            Schedule::WarmUp { gamma, steps } => {
                check_gamma(*gamma)?;
                if *steps == 0 {
                    return Err(invalid("steps", "warm-up length must be at least 1"));
                }
                Ok(())
            }
            Schedule::Cosine { gamma, gamma_final, steps } => {
                check_gamma(*gamma)?;
                if !(gamma_final.is_finite() && *gamma_final > 0.0 && gamma_final <= gamma) {
                    return Err(invalid(
                        "gamma_final",
                        format!(
                            "final stepsize must be finite with 0 < gamma_final ≤ gamma = {gamma}, got {gamma_final}"
                        ),
                    ));
                }
                if *steps == 0 {
                    return Err(invalid("steps", "annealing length must be at least 1"));
                }
                Ok(())
            }
            Schedule::Custom(_) => Ok(()),
        }
    }
}

/// How mini-batches are drawn (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Sampling {
    /// Independent uniformly random batches of b distinct indices.
    #[default]
    Iid,
    /// Epoch-wise reshuffling, consecutive batches of the permutation.
    Shuffle,
}

/// When to hand a [`Snapshot`] to the observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Record {
    /// Never (the fast path).
    #[default]
    Never,
    /// At k = 0, m, 2m, … and at the last step.
    Every(u64),
    /// At k = 0 and k ≈ 10^{i/p} for i = 0, 1, … (p points per decade) and at the last step.
    LogSpaced(u32),
}

/// Mini-batch SGD on the diagonal network (linfa-style parameters: set fields, then [`Sgd::run`]
/// validates them).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `stepsize` | `Constant(0.05)` | γ_k | finite, > 0 |
/// | `batch` | 1 | batch size b (b = n is GD) | 1 ≤ b ≤ n |
/// | `sampling` | `Iid` | how batches are drawn | `Iid`, `Shuffle` |
/// | `max_steps` | 100 000 | step budget | any |
/// | `tol` | 1e-20 | stop once L(β_k) ≤ tol (0: never stop early) | ≥ 0 |
/// | `check_every` | `None` (= ⌈n/b⌉) | steps between full-loss checks for SGD (GD checks every step for free) | ≥ 1 |
/// | `divergence_factor` | 1e8 | diverged once L(β_k) > factor · max(L(β₀), 1) or non-finite | > 1 |
/// | `seed` | 0 | seed of the batch sampler | any |
/// | `record` | `Never` | snapshot schedule for observers / history | — |
/// | `track_q_sums` | false | also accumulate Σq, Σq± (test oracle, slow) | — |
/// | `track_second_order` | false | also accumulate Σ(γg)² and max\|γg\| per coordinate ([`SecondOrder`]) | — |
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct Sgd {
    /// Stepsize schedule γ_k.
    pub stepsize: Schedule,
    /// Batch size b.
    pub batch: usize,
    /// Batch sampling scheme.
    pub sampling: Sampling,
    /// Step budget.
    pub max_steps: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Full-loss check period for SGD.
    pub check_every: Option<u64>,
    /// Divergence threshold factor.
    pub divergence_factor: f64,
    /// Seed of the sampler.
    pub seed: u64,
    /// Snapshot schedule.
    pub record: Record,
    /// Accumulate the Σq oracle.
    pub track_q_sums: bool,
    /// Accumulate Gain's second-order approximation Σ(γg)² and the largest step max|γg|.
    pub track_second_order: bool,
}

impl Default for Sgd {
    fn default() -> Self {
        Self {
            stepsize: Schedule::Constant(0.05),
            batch: 1,
            sampling: Sampling::Iid,
            max_steps: 100_000,
            tol: 1e-20,
            check_every: None,
            divergence_factor: 1e8,
            seed: 0,
            record: Record::Never,
            track_q_sums: false,
            track_second_order: false,
        }
    }
}

// ANCHOR: multiplicative_step
/// One multiplicative step from the unscaled gradient `g`: γg, w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋
/// and β = (w₊² − w₋²)/2, in one sweep. With `KEEP` the scaled γg is stored back into `g`.
#[inline(always)]
pub(crate) fn multiplicative_step<const KEEP: bool>(
    g: &mut [f64],
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
) {
    let d = g.len();
    let (wp, wm, beta) = (&mut wp[..d], &mut wm[..d], &mut beta[..d]);
    for j in 0..d {
        let gg = g[j] * gamma;
        if KEEP {
            g[j] = gg;
        }
        wp[j] *= 1.0 - gg;
        wm[j] *= 1.0 + gg;
        beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
    }
}
// ANCHOR_END: multiplicative_step

impl Sgd {
    /// Full-batch GD with constant stepsize γ on a problem with n samples.
    pub fn gd(gamma: f64, n: usize) -> Self {
        Self { stepsize: Schedule::Constant(gamma), batch: n, ..Self::default() }
    }

    /// SGD with constant stepsize γ and batch size b.
    #[allow(clippy::self_named_constructors)]
    pub fn sgd(gamma: f64, batch: usize) -> Self {
        Self { stepsize: Schedule::Constant(gamma), batch, ..Self::default() }
    }

    /// Sets the sampler's seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the step budget and tolerance.
    pub fn with_budget(mut self, max_steps: u64, tol: f64) -> Self {
        self.max_steps = max_steps;
        self.tol = tol;
        self
    }

    /// Sets the snapshot schedule.
    pub fn with_record(mut self, record: Record) -> Self {
        self.record = record;
        self
    }

    /// Checks every parameter against a problem with `n` samples.
    pub fn validate(&self, n: usize) -> Result<()> {
        self.stepsize.validate()?;
        if self.batch == 0 || self.batch > n {
            return Err(invalid("batch", format!("batch size must satisfy 1 ≤ b ≤ n = {n}, got {}", self.batch)));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid("tol", format!("tolerance must be finite and ≥ 0, got {}", self.tol)));
        }
        if self.check_every == Some(0) {
            return Err(invalid("check_every", "must be at least 1"));
        }
        if !(self.divergence_factor.is_finite() && self.divergence_factor > 1.0) {
            return Err(invalid(
                "divergence_factor",
                format!("must be finite and > 1, got {}", self.divergence_factor),
            ));
        }
        if let Record::Every(0) = self.record {
            return Err(invalid("record", "Every(m) needs m ≥ 1"));
        }
        Ok(())
    }

    /// Runs (S)GD from u₀ = √2 α, v₀ = 0; snapshots (if `record` is set) go to `Run::history`.
    pub fn run(&self, problem: &Problem, alpha: ArrayView1<f64>) -> Result<Run> {
        let mut history: Vec<Snapshot> = Vec::new();
        let mut run = self.run_observed(problem, alpha, &mut history)?;
        run.history = history;
        Ok(run)
    }

    /// Runs (S)GD and hands a [`Snapshot`] to `observer` at every recording step.
    pub fn run_observed(&self, problem: &Problem, alpha: ArrayView1<f64>, observer: &mut dyn Observer) -> Result<Run> {
        let (n, d) = problem.x.dim();
        self.validate(n)?;
        validate_alpha(alpha, d)?;
        let data = Data::new(problem)?;
        let mut engine = Engine::new(self, &data, alpha);
        let status = engine.run(observer)?;
        let Engine { wp, wm, beta, lambda, q_sums, second_order, k, loss, .. } = engine;
        let tracked = Tracked { q_sums, second_order };
        Ok(finish_run(problem, alpha, Weights { wp, wm, beta, lambda }, status, k, loss, tracked))
    }
}

/// A run's final state in the engine's padded layout (entries past d are ignored).
pub(crate) struct Weights {
    pub wp: Vec<f64>,
    pub wm: Vec<f64>,
    pub beta: Vec<f64>,
    pub lambda: Vec<f64>,
}

/// What a run accumulated besides its state (each `None` unless switched on).
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    pub q_sums: Option<QSums>,
    pub second_order: Option<SecondOrder>,
}

/// The [`Run`] from the final state: u, v from w±, s = Xᵀλ and the effective initialisation.
pub(crate) fn finish_run(
    problem: &Problem,
    alpha: ArrayView1<f64>,
    w: Weights,
    status: Status,
    steps: u64,
    train_loss: f64,
    tracked: Tracked,
) -> Run {
    let d = alpha.len();
    let wp = Array1::from_iter(w.wp.into_iter().take(d));
    let wm = Array1::from_iter(w.wm.into_iter().take(d));
    let lambda = Array1::from(w.lambda);
    let s = problem.x.t().dot(&lambda);
    let effective = EffectiveInit::from_weights(alpha, wp.view(), wm.view(), s.view());
    let sqrt_half = std::f64::consts::FRAC_1_SQRT_2;
    Run {
        status,
        steps,
        train_loss,
        beta: Array1::from_iter(w.beta.into_iter().take(d)),
        u: (&wp + &wm) * sqrt_half,
        v: (&wp - &wm) * sqrt_half,
        alpha: alpha.to_owned(),
        s,
        lambda,
        effective,
        q_sums: tracked.q_sums,
        second_order: tracked.second_order,
        history: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn cosine_schedule_matches_the_half_angle_form() {
        // (1 + cos θ)/2 = cos²(θ/2): an independent way to write the same schedule.
        let (gamma, gamma_final, steps) = (0.3, 0.01, 1000u64);
        let s = Schedule::Cosine { gamma, gamma_final, steps };
        for k in [0u64, 1, 7, 250, 333, 500, 999] {
            let half = std::f64::consts::PI * k as f64 / (2.0 * steps as f64);
            let expected = gamma_final + (gamma - gamma_final) * half.cos().powi(2);
            assert!(rel(s.at(k), expected) <= 1e-15, "k = {k}: {} vs {expected}", s.at(k));
        }
        // Landmarks: γ at k = 0, the mean at k = steps/2, the final value from k = steps on.
        assert_eq!(s.at(0), gamma);
        assert!(rel(s.at(500), 0.5 * (gamma + gamma_final)) <= 1e-15);
        assert!(rel(s.at(250), gamma_final + (gamma - gamma_final) * (2.0 + 2f64.sqrt()) / 4.0) <= 1e-15);
        for k in [1000u64, 1001, 10_000_000] {
            assert_eq!(s.at(k), gamma_final);
        }
        // Monotone non-increasing, and Σ_{k<steps} γ_k = steps (γ + γ_final)/2 + (γ − γ_final)/2.
        assert!((1..=steps).all(|k| s.at(k) <= s.at(k - 1)));
        let sum: f64 = (0..steps).map(|k| s.at(k)).sum();
        let expected = steps as f64 * 0.5 * (gamma + gamma_final) + 0.5 * (gamma - gamma_final);
        assert!(rel(sum, expected) <= 1e-12, "{sum} vs {expected}");
        assert_eq!(s.base(), gamma);
    }

    #[test]
    fn cosine_schedule_validation() {
        let ok = |g: f64, gf: f64, t: u64| Schedule::Cosine { gamma: g, gamma_final: gf, steps: t }.validate();
        let name = |r: Result<()>| match r {
            Err(crate::DlnError::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert!(ok(0.1, 0.1, 1).is_ok());
        assert!(ok(0.1, 1e-6, 100).is_ok());
        assert_eq!(name(ok(0.0, 0.01, 10)), "gamma");
        assert_eq!(name(ok(f64::INFINITY, 0.01, 10)), "gamma");
        assert_eq!(name(ok(0.1, 0.0, 10)), "gamma_final");
        assert_eq!(name(ok(0.1, f64::NAN, 10)), "gamma_final");
        assert_eq!(name(ok(0.1, 0.2, 10)), "gamma_final");
        assert_eq!(name(ok(0.1, 0.01, 0)), "steps");
    }
}

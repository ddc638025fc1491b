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

use std::sync::Arc;

use ndarray::{Array1, ArrayView1};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::data::Problem;
use crate::error::{Result, invalid};
use crate::gain::{EffectiveInit, QSums, gain_from_weights};
use crate::linalg::{axpy, dot, dot4};
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
            Schedule::Custom(f) => (f.0)(k),
        }
    }

    /// The initial (or base) stepsize γ, for reports.
    pub fn base(&self) -> f64 {
        match self {
            Schedule::Constant(g) => *g,
            Schedule::StepDecay { gamma, .. } | Schedule::WarmUp { gamma, .. } => *gamma,
            Schedule::Custom(f) => (f.0)(0),
        }
    }

    fn validate(&self) -> Result<()> {
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

impl Record {
    fn first(self) -> Option<u64> {
        match self {
            Record::Never => None,
            _ => Some(0),
        }
    }

    /// The recording step after `k`, given it is the `i`-th (i ≥ 1).
    fn next(self, k: u64, i: u32) -> Option<u64> {
        match self {
            Record::Never => None,
            Record::Every(m) => Some(k + m.max(1)),
            Record::LogSpaced(p) => {
                let t = 10f64.powf(f64::from(i - 1) / f64::from(p.max(1))).floor() as u64;
                Some(t.max(k + 1))
            }
        }
    }
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
        }
    }
}

/// Residuals r_t = ⟨x_{i_t}, β⟩ − y_{i_t} for the rows `idx` (four rows per sweep of β).
/// Returns Σ r_t² (summed in order t = 0, 1, …) and whether every r_t is finite.
#[inline]
fn residuals(xs: &[f64], d: usize, idx: &[usize], beta: &[f64], y: &[f64], r: &mut [f64]) -> (f64, bool) {
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    let mut acc = 0.0;
    let mut finite = true;
    let mut quads = idx.chunks_exact(4);
    let mut t = 0;
    for q in &mut quads {
        let dots = dot4([row(q[0]), row(q[1]), row(q[2]), row(q[3])], beta);
        for (l, &i) in q.iter().enumerate() {
            let ri = dots[l] - y[i];
            r[t + l] = ri;
            acc += ri * ri;
            finite &= ri.is_finite();
        }
        t += 4;
    }
    for &i in quads.remainder() {
        let ri = dot(row(i), beta) - y[i];
        r[t] = ri;
        acc += ri * ri;
        finite &= ri.is_finite();
        t += 1;
    }
    (acc, finite)
}

/// g = Σ_t (r_t / b) x_{i_t}, accumulated in the order t = 0, 1, … exactly as repeated [`axpy`] from
/// g = 0 would, but four rows per sweep of g (one read-modify-write of g per four rows of X).
#[inline]
fn gradient(xs: &[f64], d: usize, idx: &[usize], r: &[f64], inv_b: f64, g: &mut [f64]) {
    let row = |i: usize| &xs[i * d..(i + 1) * d];
    g.fill(0.0);
    let mut quads = idx.chunks_exact(4);
    let mut t = 0;
    for q in &mut quads {
        let c = [r[t] * inv_b, r[t + 1] * inv_b, r[t + 2] * inv_b, r[t + 3] * inv_b];
        let (x0, x1, x2, x3) = (row(q[0]), row(q[1]), row(q[2]), row(q[3]));
        let rows = x0.iter().zip(x1).zip(x2.iter().zip(x3));
        for (gj, ((a0, a1), (a2, a3))) in g.iter_mut().zip(rows) {
            // Left to right: (((g + c₀x₀) + c₁x₁) + c₂x₂) + c₃x₃, the sequential order.
            *gj = *gj + c[0] * a0 + c[1] * a1 + c[2] * a2 + c[3] * a3;
        }
        t += 4;
    }
    for &i in quads.remainder() {
        axpy(r[t] * inv_b, row(i), g);
        t += 1;
    }
}

// ANCHOR: multiplicative_step
/// One multiplicative step from the unscaled gradient `g`: γg, w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋
/// and β = (w₊² − w₋²)/2, in one sweep. With `keep` the scaled γg is stored back into `g`.
#[inline]
fn multiplicative_step(g: &mut [f64], gamma: f64, wp: &mut [f64], wm: &mut [f64], beta: &mut [f64], keep: bool) {
    let d = g.len();
    let (wp, wm, beta) = (&mut wp[..d], &mut wm[..d], &mut beta[..d]);
    if keep {
        for j in 0..d {
            let gg = g[j] * gamma;
            g[j] = gg;
            wp[j] *= 1.0 - gg;
            wm[j] *= 1.0 + gg;
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
    } else {
        for j in 0..d {
            let gg = g[j] * gamma;
            wp[j] *= 1.0 - gg;
            wm[j] *= 1.0 + gg;
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
    }
}
// ANCHOR_END: multiplicative_step

/// One whole b = 1 step: r = ⟨x_i, β⟩ − y_i and, if r is finite, the fused rank-one update
/// with c = r/b. Returns r.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn single_sample_step(
    x: &[f64],
    y_i: f64,
    inv_b: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
    g: Option<&mut [f64]>,
) -> f64 {
    let r = dot(x, beta) - y_i;
    if r.is_finite() {
        rank_one_step(x, r * inv_b, gamma, wp, wm, beta, g);
    }
    r
}

/// [`single_sample_step`] compiled for AVX: the same operations in the same order on 4-wide
/// vectors (no FMA is enabled, so nothing is contracted), hence bitwise the same results.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[allow(clippy::too_many_arguments)]
fn single_sample_step_avx(
    x: &[f64],
    y_i: f64,
    inv_b: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
    g: Option<&mut [f64]>,
) -> f64 {
    single_sample_step(x, y_i, inv_b, gamma, wp, wm, beta, g)
}

/// Dispatches [`single_sample_step`] to the AVX copy when `wide` (see [`crate::linalg::wide_kernels`]).
#[inline]
#[allow(clippy::too_many_arguments)]
fn single_sample_step_dispatch(
    wide: bool,
    x: &[f64],
    y_i: f64,
    inv_b: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
    g: Option<&mut [f64]>,
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if wide {
        // SAFETY: `wide` is true only when the CPU reports AVX (`linalg::wide_kernels`).
        return unsafe { single_sample_step_avx(x, y_i, inv_b, gamma, wp, wm, beta, g) };
    }
    let _ = wide;
    single_sample_step(x, y_i, inv_b, gamma, wp, wm, beta, g)
}

/// The b = 1 step: γg = (c x_i) γ with c = r/b formed on the fly (no gradient buffer), fused with
/// the multiplicative update and β. Bitwise the same as [`gradient`] followed by
/// [`multiplicative_step`] (up to the sign of zero entries of γg, which cannot change 1 ∓ γg).
/// With `keep`, γg is written to `g` (for the Σq oracle).
#[inline(always)]
fn rank_one_step(
    x: &[f64],
    c: f64,
    gamma: f64,
    wp: &mut [f64],
    wm: &mut [f64],
    beta: &mut [f64],
    g: Option<&mut [f64]>,
) {
    let d = x.len();
    let (wp, wm, beta) = (&mut wp[..d], &mut wm[..d], &mut beta[..d]);
    match g {
        Some(g) => {
            let g = &mut g[..d];
            for j in 0..d {
                let gg = (c * x[j]) * gamma;
                g[j] = gg;
                wp[j] *= 1.0 - gg;
                wm[j] *= 1.0 + gg;
                beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
            }
        }
        None => {
            for j in 0..d {
                let gg = (c * x[j]) * gamma;
                wp[j] *= 1.0 - gg;
                wm[j] *= 1.0 + gg;
                beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
            }
        }
    }
}

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
        let x_std = problem.x.as_standard_layout();
        let xs: &[f64] = x_std.as_slice().expect("standard layout is contiguous");
        let y: Vec<f64> = problem.y.to_vec();
        let b = self.batch;
        let full = b == n;
        let inv_b = 1.0 / b as f64;
        let inv_2n = 0.5 / n as f64;
        let row = |i: usize| &xs[i * d..(i + 1) * d];

        // State and scratch: every buffer is allocated here, none in the loop.
        let mut wp: Vec<f64> = alpha.to_vec();
        let mut wm: Vec<f64> = alpha.to_vec();
        let mut beta = vec![0.0; d];
        let mut g = vec![0.0; d];
        let mut r = vec![0.0; n];
        let mut lambda = vec![0.0; n];
        let mut perm: Vec<usize> = (0..n).collect();
        let mut epoch_pos = n;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut q_sums = self.track_q_sums.then(|| QSums::zeros(d));
        let check_every = self.check_every.unwrap_or_else(|| n.div_ceil(b) as u64);
        let wide = crate::linalg::wide_kernels();

        let loss0 = y.iter().map(|v| v * v).sum::<f64>() * inv_2n;
        let threshold = self.divergence_factor * loss0.max(1.0);
        // L(β) = 1/(2n) Σ_i (⟨x_i, β⟩ − y_i)², four rows per sweep of β; `scratch` receives the residuals.
        let all_rows: Vec<usize> = (0..n).collect();
        let full_loss =
            |beta: &[f64], scratch: &mut [f64]| -> f64 { residuals(xs, d, &all_rows, beta, &y, scratch).0 * inv_2n };

        let mut next_record = self.record.first();
        let mut n_records: u32 = 0;
        let mut last_recorded: Option<u64> = None;
        let mut k: u64 = 0;
        // The next k with k % check_every == 0 (a counter instead of a division per step).
        let mut next_check: u64 = 0;
        let mut loss;
        // β_k = (w₊² − w₋²)/2 is kept up to date by the fused update below.
        for j in 0..d {
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
        let status = loop {
            let record_now = next_record == Some(k);
            loss = f64::NAN;
            if full {
                // GD: the residuals of every row give the loss for free.
                let (acc, _) = residuals(xs, d, &perm, &beta, &y, &mut r);
                loss = acc * inv_2n;
            } else {
                let check = k == next_check;
                if check {
                    next_check = next_check.saturating_add(check_every);
                }
                if record_now || check || k == self.max_steps {
                    loss = full_loss(&beta, &mut r);
                }
            }
            if !loss.is_nan() || full {
                if !loss.is_finite() || loss > threshold {
                    break Status::Diverged;
                }
                if record_now {
                    observer.observe(&self.snapshot(k, loss, &beta, alpha, &wp, &wm));
                    n_records += 1;
                    last_recorded = Some(k);
                    next_record = self.record.next(k, n_records);
                }
                if loss <= self.tol {
                    break Status::Converged;
                }
            }
            if k >= self.max_steps {
                break Status::MaxSteps;
            }
            let gamma = self.stepsize.at(k);
            if !(gamma.is_finite() && gamma > 0.0) {
                return Err(invalid(
                    "gamma",
                    format!("schedule gave γ_{k} = {gamma}; stepsizes must be finite and > 0"),
                ));
            }

            // The batch B_k and its residuals r_B = X_B β_k − y_B (already there for GD).
            let batch: &[usize] = if full {
                &perm
            } else {
                match self.sampling {
                    Sampling::Iid => perm.partial_shuffle(&mut rng, b).0,
                    Sampling::Shuffle => {
                        if epoch_pos + b > n {
                            perm.shuffle(&mut rng);
                            epoch_pos = 0;
                        }
                        epoch_pos += b;
                        &perm[epoch_pos - b..epoch_pos]
                    }
                }
            };
            if b == 1 && !full {
                // SGD with b = 1: one dot product and one fused sweep, no gradient buffer.
                let i = batch[0];
                let tracked = q_sums.is_some().then_some(&mut g[..]);
                let ri =
                    single_sample_step_dispatch(wide, row(i), y[i], inv_b, gamma, &mut wp, &mut wm, &mut beta, tracked);
                if !ri.is_finite() {
                    break Status::Diverged;
                }
                r[0] = ri;
                if let Some(q) = q_sums.as_mut() {
                    q.add(&g);
                }
            } else {
                if !full {
                    let (_, finite) = residuals(xs, d, batch, &beta, &y, &mut r);
                    if !finite {
                        break Status::Diverged;
                    }
                }
                // g = (1/b) X_Bᵀ r_B; then γg, w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋ and β in one sweep.
                gradient(xs, d, batch, &r, inv_b, &mut g);
                multiplicative_step(&mut g, gamma, &mut wp, &mut wm, &mut beta, q_sums.is_some());
                if let Some(q) = q_sums.as_mut() {
                    q.add(&g);
                }
            }
            // s = −2Σγg = Xᵀλ: λ_B ← λ_B − 2γ r_B / b.
            for (t, &i) in batch.iter().enumerate() {
                lambda[i] -= 2.0 * gamma * inv_b * r[t];
            }
            k += 1;
        };

        if loss.is_nan() {
            loss = full_loss(&beta, &mut r);
        }
        if status != Status::Diverged && next_record.is_some() && last_recorded != Some(k) {
            observer.observe(&self.snapshot(k, loss, &beta, alpha, &wp, &wm));
        }
        let wp = Array1::from(wp);
        let wm = Array1::from(wm);
        let lambda = Array1::from(lambda);
        let s = problem.x.t().dot(&lambda);
        let effective = EffectiveInit::from_weights(alpha, wp.view(), wm.view(), s.view());
        let sqrt_half = std::f64::consts::FRAC_1_SQRT_2;
        Ok(Run {
            status,
            steps: k,
            train_loss: loss,
            beta: Array1::from(beta),
            u: (&wp + &wm) * sqrt_half,
            v: (&wp - &wm) * sqrt_half,
            alpha: alpha.to_owned(),
            s,
            lambda,
            effective,
            q_sums,
            history: Vec::new(),
        })
    }

    fn snapshot(&self, k: u64, loss: f64, beta: &[f64], alpha: ArrayView1<f64>, wp: &[f64], wm: &[f64]) -> Snapshot {
        let gain = alpha.iter().zip(wp.iter().zip(wm)).map(|(&a, (&p, &m))| gain_from_weights(a, p, m)).collect();
        Snapshot { step: k, train_loss: loss, beta: Array1::from(beta.to_vec()), gain }
    }
}

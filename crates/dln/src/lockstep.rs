//! Lockstep runs: K runs of the engine on one problem — different stepsizes, seeds, budgets or
//! initialisations — advanced together, four runs per 4-wide vector (struct of arrays), so that each
//! read of a row of X serves every run of a vector and no step waits on another's latency.
//! Book: the engine notes of chapter "Setting and notation".
//!
//! Every run stays **bitwise identical** to running it alone with [`Sgd::run`]: each lane performs the
//! same IEEE operations in the same order as the single-run engine (the residual ⟨x_i, β⟩ − y_i in
//! [`crate::linalg`]'s fixed dot-product order, the gradient Σ_i c_i x_i sequentially in i, then the
//! multiplicative update), with the same stopping rules at the same steps; a lane that stops is frozen
//! and reported at its own step.
//!
//! - **SGD with b = 1**: each step is, per lane, one dot product and one rank-one multiplicative
//!   update. Lanes that share a sampler (same seed and sampling) read the same row, broadcast to the
//!   vector; lanes with different seeds have their rows gathered.
//! - **GD (b = n)**: for a vector of runs, the residuals R = XB − Y (B the d×K matrix of the runs'
//!   β) and the gradient G = XᵀR/n are matrix–matrix products.
//!
//! Runs that do not fit (1 < b < n, a snapshot schedule, the Σq oracle) are run one by one, so any
//! list of runs is accepted.
//!
//! ```
//! use dln::{DataConfig, Lockstep, Sgd, uniform_alpha};
//! let problem = DataConfig::default().generate()?;
//! let alpha = uniform_alpha(0.1, problem.d());
//! let template = Sgd::sgd(0.01, 1).with_budget(20_000, 1e-12);
//! let gammas = [0.005, 0.01, 0.02, 0.04, 0.08];
//! let runs = Lockstep::stepsizes(&template, &gammas).run(&problem, alpha.view());
//! for (gamma, run) in gammas.iter().zip(runs) {
//!     let alone = dln::Sgd { stepsize: dln::Schedule::Constant(*gamma), ..template.clone() };
//!     assert_eq!(run?, alone.run(&problem, alpha.view())?);
//! }
//! # Ok::<(), dln::DlnError>(())
//! ```

use ndarray::ArrayView1;

use crate::data::Problem;
use crate::engine::{Data, Sampler, check_gamma, divergence_threshold};
use crate::error::{DlnError, Result};
use crate::model::validate_alpha;
use crate::optimizer::{Record, Schedule, Sgd, Weights, finish_run};
use crate::run::{Run, Status};

/// Runs per vector.
const W: usize = 4;
/// One value per lane of a vector.
type V = [f64; W];
/// Steps per index buffer refill (SGD).
const SEGMENT: usize = 64;
/// Steps between compactions (GD).
const CHUNK: u64 = 64;

/// K runs of the engine on one problem, advanced in lockstep (see the module docs).
///
/// ```
/// # use dln::{DataConfig, Lockstep, Sgd, uniform_alpha};
/// # let problem = DataConfig::default().generate()?;
/// # let alpha = uniform_alpha(0.1, problem.d());
/// let template = Sgd::sgd(0.01, 1).with_budget(10_000, 1e-12);
/// let runs = Lockstep::seeds(&template, &[1, 2, 3]).run(&problem, alpha.view());
/// assert_eq!(runs[1].as_ref().unwrap(), &template.clone().with_seed(2).run(&problem, alpha.view())?);
/// # Ok::<(), dln::DlnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Lockstep {
    runs: Vec<Sgd>,
}

impl Lockstep {
    /// Any list of runs; the results come back in the same order, each bitwise equal to
    /// `runs[i].run(problem, alpha)`.
    pub fn new(runs: Vec<Sgd>) -> Self {
        Self { runs }
    }

    /// `template` at each constant stepsize γ of `gammas` (its schedule replaced).
    pub fn stepsizes(template: &Sgd, gammas: &[f64]) -> Self {
        Self::new(gammas.iter().map(|&g| Sgd { stepsize: Schedule::Constant(g), ..template.clone() }).collect())
    }

    /// `template` with each sampler seed of `seeds`.
    pub fn seeds(template: &Sgd, seeds: &[u64]) -> Self {
        Self::new(seeds.iter().map(|&s| template.clone().with_seed(s)).collect())
    }

    /// The runs, in order.
    pub fn runs(&self) -> &[Sgd] {
        &self.runs
    }

    /// Runs every run from the same α; `result[i]` is bitwise `runs[i].run(problem, alpha)`.
    pub fn run(&self, problem: &Problem, alpha: ArrayView1<f64>) -> Vec<Result<Run>> {
        let alphas = vec![alpha; self.runs.len()];
        self.run_alphas(problem, &alphas)
    }

    /// Runs `runs[i]` from `alphas[i]` (one initialisation per run; a length mismatch fails every run).
    pub fn run_alphas(&self, problem: &Problem, alphas: &[ArrayView1<f64>]) -> Vec<Result<Run>> {
        let k = self.runs.len();
        if alphas.len() != k {
            let e = DlnError::DimensionMismatch(format!("{} initialisations for {k} lockstep runs", alphas.len()));
            return vec![Err(e); k];
        }
        let (n, d) = problem.x.dim();
        let mut results: Vec<Option<Result<Run>>> = vec![None; k];
        let data = match Data::new(problem) {
            Ok(data) => data,
            Err(e) => return vec![Err(e); k],
        };
        // Sets of lanes sharing one kernel: GD, and SGD b = 1 by check period.
        let mut sets: Vec<(Kind, u64, Vec<usize>)> = Vec::new();
        for (i, (sgd, alpha)) in self.runs.iter().zip(alphas).enumerate() {
            if let Err(e) = sgd.validate(n).and_then(|()| validate_alpha(*alpha, d)) {
                results[i] = Some(Err(e));
                continue;
            }
            let kind = match sgd.batch {
                _ if sgd.record != Record::Never || sgd.track_q_sums => None,
                b if b == n => Some(Kind::Gd),
                1 => Some(Kind::Sgd1),
                _ => None,
            };
            let Some(kind) = kind else {
                results[i] = Some(sgd.run(problem, *alpha));
                continue;
            };
            let check = if kind == Kind::Gd { 1 } else { sgd.check_every.unwrap_or(n as u64) };
            match sets.iter_mut().find(|(kd, c, _)| *kd == kind && *c == check) {
                Some(set) => set.2.push(i),
                None => sets.push((kind, check, vec![i])),
            }
        }
        for (kind, check_every, ids) in sets {
            let lanes = ids.iter().map(|&i| (i, &self.runs[i], alphas[i])).collect();
            LaneSet::new(problem, &data, kind, check_every, lanes).run(&mut results);
        }
        results.into_iter().map(|r| r.expect("every run has a result")).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Full batch.
    Gd,
    /// SGD with b = 1.
    Sgd1,
}

/// One run of a lane set.
struct Lane<'a> {
    /// Index of its result.
    id: usize,
    sgd: &'a Sgd,
    alpha: ArrayView1<'a, f64>,
    /// Its sampler in `LaneSet::samplers` (SGD).
    sampler: usize,
}

/// The lanes of one kernel in struct-of-arrays layout: slot s = W·v + l is lane l of vector v; the
/// state of vector v is `wp[v·dp + j]` etc. An idle slot holds zeros and γ = 0, so it computes
/// finite values that change nothing.
struct LaneSet<'a> {
    problem: &'a Problem,
    data: &'a Data,
    kind: Kind,
    check_every: u64,
    inv_b: f64,
    inv_2n: f64,
    lanes: Vec<Lane<'a>>,
    /// Lane of each slot (None: idle).
    slot: Vec<Option<usize>>,
    /// Sampler of each slot (idle slots copy a neighbour's, so a vector can still broadcast).
    slot_sampler: Vec<usize>,
    /// Vectors in use.
    vectors: usize,
    wp: Vec<V>,
    wm: Vec<V>,
    beta: Vec<V>,
    lambda: Vec<V>,
    /// Per vector: γ (0 when idle), the divergence threshold (+∞), the tolerance (−∞), the budget.
    gamma: Vec<V>,
    threshold: Vec<V>,
    tol: Vec<V>,
    max_steps: Vec<[u64; W]>,
    /// Per vector: whether some lane has a non-constant schedule.
    varying: Vec<bool>,
    samplers: Vec<Sampler>,
    /// Indices drawn for the current segment, per sampler.
    buffers: Vec<Vec<usize>>,
    /// Whether some active run uses each sampler.
    sampler_live: Vec<bool>,
    /// Scratch: gathered rows, residuals, gradient.
    xt: Vec<V>,
    r: Vec<V>,
    c: Vec<V>,
    g: Vec<V>,
    k: u64,
}

impl<'a> LaneSet<'a> {
    fn new(
        problem: &'a Problem,
        data: &'a Data,
        kind: Kind,
        check_every: u64,
        runs: Vec<(usize, &'a Sgd, ArrayView1<'a, f64>)>,
    ) -> Self {
        let (n, dp) = (data.n, data.dp);
        let mut samplers = Vec::new();
        let mut keys: Vec<(u64, crate::Sampling)> = Vec::new();
        let mut lanes = Vec::with_capacity(runs.len());
        for (id, sgd, alpha) in runs {
            let key = (sgd.seed, sgd.sampling);
            let sampler = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                keys.push(key);
                samplers.push(Sampler::new(n, 1, sgd.sampling, sgd.seed));
                keys.len() - 1
            });
            lanes.push(Lane { id, sgd, alpha, sampler });
        }
        let vectors = lanes.len().div_ceil(W);
        let mut set = Self {
            problem,
            data,
            kind,
            check_every,
            inv_b: if kind == Kind::Gd { 1.0 / n as f64 } else { 1.0 },
            inv_2n: 0.5 / n as f64,
            slot: vec![None; vectors * W],
            slot_sampler: vec![0; vectors * W],
            vectors,
            wp: vec![[0.0; W]; vectors * dp],
            wm: vec![[0.0; W]; vectors * dp],
            beta: vec![[0.0; W]; vectors * dp],
            lambda: vec![[0.0; W]; vectors * n],
            gamma: vec![[0.0; W]; vectors],
            threshold: vec![[f64::INFINITY; W]; vectors],
            tol: vec![[f64::NEG_INFINITY; W]; vectors],
            max_steps: vec![[u64::MAX; W]; vectors],
            varying: vec![false; vectors],
            buffers: vec![vec![0; SEGMENT]; samplers.len()],
            sampler_live: vec![true; samplers.len()],
            samplers,
            xt: vec![[0.0; W]; dp],
            r: vec![[0.0; W]; n],
            c: vec![[0.0; W]; n],
            g: vec![[0.0; W]; dp],
            k: 0,
            lanes,
        };
        for lane in 0..set.lanes.len() {
            set.start(lane, lane);
        }
        for s in set.lanes.len()..vectors * W {
            set.slot_sampler[s] = set.slot_sampler[s - 1];
        }
        set
    }

    /// Puts `lane` in slot `s` at its initial state w₊ = w₋ = α, β = 0, λ = 0.
    fn start(&mut self, lane: usize, s: usize) {
        let (v, l, dp) = (s / W, s % W, self.data.dp);
        let Lane { sgd, alpha, sampler, .. } = self.lanes[lane];
        for (j, &a) in alpha.iter().enumerate() {
            self.wp[v * dp + j][l] = a;
            self.wm[v * dp + j][l] = a;
            self.beta[v * dp + j][l] = 0.0;
        }
        self.slot[s] = Some(lane);
        self.slot_sampler[s] = sampler;
        self.gamma[v][l] = sgd.stepsize.base();
        self.threshold[v][l] = divergence_threshold(&self.data.y, self.data.n, sgd.divergence_factor);
        self.tol[v][l] = sgd.tol;
        self.max_steps[v][l] = sgd.max_steps;
        self.varying[v] |= !matches!(sgd.stepsize, Schedule::Constant(_));
    }
}

/// Per lane ⟨x, β⟩ for x given per lane (`xt[j][l]`), each lane in [`crate::linalg`]'s dot order:
/// acc_q over j ≡ q (mod 4) in the full chunks, the tail sequentially, ((acc₀ + acc₂) + (acc₁ + acc₃)) + tail.
#[inline(always)]
fn soa_dot(xt: &[V], beta: &[V]) -> V {
    let d = beta.len();
    let full = d - d % 4;
    let mut acc = [[0.0; W]; 4];
    for m in (0..full).step_by(4) {
        for (q, acc_q) in acc.iter_mut().enumerate() {
            let (x, b) = (&xt[m + q], &beta[m + q]);
            for l in 0..W {
                acc_q[l] += x[l] * b[l];
            }
        }
    }
    let mut tail = [0.0; W];
    for (x, b) in xt[full..d].iter().zip(&beta[full..]) {
        for l in 0..W {
            tail[l] += x[l] * b[l];
        }
    }
    let mut out = [0.0; W];
    for l in 0..W {
        out[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]) + tail[l];
    }
    out
}

/// Per lane r_i = ⟨x_i, β⟩ − y_i for every row i (the same x_i broadcast to every lane) and Σ_i r_i²
/// summed in order — [`Data::residuals`] lane by lane, bit for bit.
#[inline(always)]
fn soa_residuals(data: &Data, beta: &[V], r: &mut [V]) -> V {
    let d = data.d;
    let full = d - d % 4;
    let mut loss = [0.0; W];
    for (i, ri) in r[..data.n].iter_mut().enumerate() {
        let x = data.row(i);
        let mut acc = [[0.0; W]; 4];
        for m in (0..full).step_by(4) {
            for (q, acc_q) in acc.iter_mut().enumerate() {
                let (xv, b) = (x[m + q], &beta[m + q]);
                for l in 0..W {
                    acc_q[l] += xv * b[l];
                }
            }
        }
        let mut tail = [0.0; W];
        for (&xv, b) in x[full..d].iter().zip(&beta[full..d]) {
            for l in 0..W {
                tail[l] += xv * b[l];
            }
        }
        for l in 0..W {
            ri[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]) + tail[l] - data.y[i];
            loss[l] += ri[l] * ri[l];
        }
    }
    loss
}

/// Per lane g_j = Σ_i c_i x_{ij}, summed from 0 sequentially in i (four coordinates per sweep of c).
#[inline(always)]
fn soa_gradient(data: &Data, c: &[V], g: &mut [V]) {
    let (n, dp) = (data.n, data.dp);
    for j0 in (0..dp).step_by(4) {
        let mut s = [[0.0; W]; 4];
        for (i, ci) in c[..n].iter().enumerate() {
            let x = &data.xr[i * dp + j0..i * dp + j0 + 4];
            for (sq, &xv) in s.iter_mut().zip(x) {
                for l in 0..W {
                    sq[l] += ci[l] * xv;
                }
            }
        }
        g[j0..j0 + 4].copy_from_slice(&s);
    }
}

/// Per lane the multiplicative step from the unscaled gradient: γg, w₊ ← (1 − γg) w₊,
/// w₋ ← (1 + γg) w₋, β = (w₊² − w₋²)/2 — [`crate::optimizer::multiplicative_step`] lane by lane.
#[inline(always)]
fn soa_update(g: &[V], gamma: V, wp: &mut [V], wm: &mut [V], beta: &mut [V]) {
    for j in 0..g.len() {
        for l in 0..W {
            let gg = g[j][l] * gamma[l];
            wp[j][l] *= 1.0 - gg;
            wm[j][l] *= 1.0 + gg;
            beta[j][l] = 0.5 * (wp[j][l] * wp[j][l] - wm[j][l] * wm[j][l]);
        }
    }
}

/// Per lane the b = 1 step: γg = (r x) γ, fused with the multiplicative update.
#[inline(always)]
fn soa_rank_one(xt: &[V], r: V, gamma: V, wp: &mut [V], wm: &mut [V], beta: &mut [V]) {
    for j in 0..xt.len() {
        for l in 0..W {
            let gg = (r[l] * xt[j][l]) * gamma[l];
            wp[j][l] *= 1.0 - gg;
            wm[j][l] *= 1.0 + gg;
            beta[j][l] = 0.5 * (wp[j][l] * wp[j][l] - wm[j][l] * wm[j][l]);
        }
    }
}

impl LaneSet<'_> {
    /// Runs every lane to its end, writing each result.
    fn run(mut self, results: &mut [Option<Result<Run>>]) {
        #[cfg(target_arch = "x86_64")]
        if crate::linalg::wide_kernels() {
            // SAFETY: `wide_kernels` is true only when the CPU reports AVX.
            unsafe { self.run_avx(results) };
            return;
        }
        self.run_loop(results);
    }

    /// [`Self::run_loop`] compiled for AVX (no FMA: bitwise the same results).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_avx(&mut self, results: &mut [Option<Result<Run>>]) {
        self.run_loop(results);
    }

    #[inline(always)]
    fn run_loop(&mut self, results: &mut [Option<Result<Run>>]) {
        match self.kind {
            Kind::Gd => self.gd_loop(results),
            Kind::Sgd1 => self.sgd_loop(results),
        }
    }

    fn active(&self, v: usize) -> bool {
        self.slot[v * W..(v + 1) * W].iter().any(Option::is_some)
    }

    /// GD: every step checks every lane; idle lanes are compacted away every [`CHUNK`] steps.
    #[inline(always)]
    fn gd_loop(&mut self, results: &mut [Option<Result<Run>>]) {
        loop {
            let end = self.k.saturating_add(CHUNK);
            for v in 0..self.vectors {
                let mut k = self.k;
                while k < end && self.active(v) {
                    self.gd_step(v, k, results);
                    k += 1;
                }
            }
            self.k = end;
            if !self.compact() {
                return;
            }
        }
    }

    /// One GD step of vector `v` at step k: residuals and loss, the checks, then the update.
    #[inline(always)]
    fn gd_step(&mut self, v: usize, k: u64, results: &mut [Option<Result<Run>>]) {
        let (n, dp) = (self.data.n, self.data.dp);
        let loss_sum = soa_residuals(self.data, &self.beta[v * dp..(v + 1) * dp], &mut self.r);
        let loss = loss_sum.map(|s| s * self.inv_2n);
        let (thr, tol, max) = (self.threshold[v], self.tol[v], self.max_steps[v]);
        if (0..W).any(|l| !loss[l].is_finite() || loss[l] > thr[l] || loss[l] <= tol[l] || k >= max[l]) {
            for l in 0..W {
                let status = if !loss[l].is_finite() || loss[l] > thr[l] {
                    Status::Diverged
                } else if loss[l] <= tol[l] {
                    Status::Converged
                } else if k >= max[l] {
                    Status::MaxSteps
                } else {
                    continue;
                };
                self.finish(v * W + l, status, k, loss[l], results);
            }
            if !self.active(v) {
                return;
            }
        }
        if self.varying[v] {
            self.schedule_gammas(v, k, results);
        }
        let (gamma, inv_b) = (self.gamma[v], self.inv_b);
        for (c, r) in self.c[..n].iter_mut().zip(&self.r) {
            *c = r.map(|x| x * inv_b);
        }
        soa_gradient(self.data, &self.c, &mut self.g);
        let state = v * dp..(v + 1) * dp;
        soa_update(&self.g, gamma, &mut self.wp[state.clone()], &mut self.wm[state.clone()], &mut self.beta[state]);
        // λ ← λ − 2γ r / b.
        let c2 = gamma.map(|g| 2.0 * g * inv_b);
        for (lam, r) in self.lambda[v * n..(v + 1) * n].iter_mut().zip(&self.r) {
            for l in 0..W {
                lam[l] -= c2[l] * r[l];
            }
        }
    }
}

impl LaneSet<'_> {
    /// SGD b = 1: segments of steps with no check (at most [`SEGMENT`] long, ending at the next
    /// check or budget), each vector running the whole segment in turn from shared index buffers.
    #[inline(always)]
    fn sgd_loop(&mut self, results: &mut [Option<Result<Run>>]) {
        let mut next_check: u64 = 0;
        loop {
            let k = self.k;
            let check = k == next_check;
            if check {
                next_check = next_check.saturating_add(self.check_every);
            }
            for v in 0..self.vectors {
                self.sgd_check(v, check, results);
            }
            if !self.compact() {
                return;
            }
            let budget = (0..self.vectors * W)
                .filter(|&s| self.slot[s].is_some())
                .map(|s| self.max_steps[s / W][s % W])
                .min()
                .unwrap_or(u64::MAX);
            let end = next_check.min(budget).min(k.saturating_add(SEGMENT as u64));
            let len = (end - k) as usize;
            for ((sampler, buffer), &live) in self.samplers.iter_mut().zip(&mut self.buffers).zip(&self.sampler_live) {
                if live {
                    for i in &mut buffer[..len] {
                        *i = sampler.next_batch()[0];
                    }
                }
            }
            for v in 0..self.vectors {
                if self.active(v) {
                    self.sgd_segment(v, len, results);
                }
            }
            self.k = end;
        }
    }

    /// The loss checks of vector `v` at the current step: at a check step, and for a lane whose
    /// budget ends here (a NaN loss skips the checks, as in the single-run engine).
    #[inline(always)]
    fn sgd_check(&mut self, v: usize, check: bool, results: &mut [Option<Result<Run>>]) {
        let (k, dp) = (self.k, self.data.dp);
        let due = |l: usize| self.slot[v * W + l].is_some() && (check || self.max_steps[v][l] == k);
        if !(0..W).any(due) {
            return;
        }
        let loss = soa_residuals(self.data, &self.beta[v * dp..(v + 1) * dp], &mut self.r).map(|s| s * self.inv_2n);
        for (l, &loss) in loss.iter().enumerate() {
            if !(self.slot[v * W + l].is_some() && (check || self.max_steps[v][l] == k)) {
                continue;
            }
            let status = if loss.is_nan() {
                None
            } else if !loss.is_finite() || loss > self.threshold[v][l] {
                Some(Status::Diverged)
            } else if loss <= self.tol[v][l] {
                Some(Status::Converged)
            } else {
                None
            };
            match status {
                Some(status) => self.finish(v * W + l, status, k, loss, results),
                None if k >= self.max_steps[v][l] => self.finish(v * W + l, Status::MaxSteps, k, loss, results),
                None => {}
            }
        }
    }

    /// `len` SGD b = 1 steps of vector `v` from the current step, rows from the index buffers.
    #[inline(always)]
    fn sgd_segment(&mut self, v: usize, len: usize, results: &mut [Option<Result<Run>>]) {
        let data = self.data;
        let (n, d, dp) = (data.n, data.d, data.dp);
        let samplers: [usize; W] = std::array::from_fn(|l| self.slot_sampler[v * W + l]);
        let shared = samplers.iter().all(|&s| s == samplers[0]);
        for t in 0..len {
            let k = self.k + t as u64;
            if self.varying[v] {
                self.schedule_gammas(v, k, results);
            }
            let idx: [usize; W] = samplers.map(|s| self.buffers[s][t]);
            let xr = &data.xr;
            if shared {
                let x = &xr[idx[0] * dp..(idx[0] + 1) * dp];
                for (xt, &xj) in self.xt.iter_mut().zip(x) {
                    *xt = [xj; W];
                }
            } else {
                for (j, xt) in self.xt.iter_mut().enumerate() {
                    *xt = idx.map(|i| xr[i * dp + j]);
                }
            }
            let state = v * dp..(v + 1) * dp;
            let dots = soa_dot(&self.xt[..d], &self.beta[v * dp..v * dp + d]);
            let mut r: V = std::array::from_fn(|l| dots[l] - data.y[idx[l]]);
            if !r.iter().all(|x| x.is_finite()) {
                for (l, rl) in r.iter_mut().enumerate() {
                    if !rl.is_finite() {
                        if self.slot[v * W + l].is_some() {
                            self.finish(v * W + l, Status::Diverged, k, f64::NAN, results);
                        }
                        *rl = 0.0;
                    }
                }
            }
            let gamma = self.gamma[v];
            soa_rank_one(
                &self.xt,
                r,
                gamma,
                &mut self.wp[state.clone()],
                &mut self.wm[state.clone()],
                &mut self.beta[state],
            );
            // λ_i ← λ_i − 2γ r / b, with b = 1.
            for l in 0..W {
                self.lambda[v * n + idx[l]][l] -= 2.0 * gamma[l] * r[l];
            }
        }
    }

    /// γ_k of every lane of vector `v` with a non-constant schedule (a bad one ends that run with
    /// the single-run engine's error).
    #[cold]
    fn schedule_gammas(&mut self, v: usize, k: u64, results: &mut [Option<Result<Run>>]) {
        for l in 0..W {
            let Some(lane) = self.slot[v * W + l] else { continue };
            let schedule = &self.lanes[lane].sgd.stepsize;
            if matches!(schedule, Schedule::Constant(_)) {
                continue;
            }
            match check_gamma(k, schedule.at(k)) {
                Ok(g) => self.gamma[v][l] = g,
                Err(e) => {
                    results[self.lanes[lane].id] = Some(Err(e));
                    self.reset(v * W + l);
                }
            }
        }
    }

    /// Ends the run in slot `s` at step `steps` and frees the slot.
    #[cold]
    fn finish(&mut self, s: usize, status: Status, steps: u64, loss: f64, results: &mut [Option<Result<Run>>]) {
        let (v, l, n, dp) = (s / W, s % W, self.data.n, self.data.dp);
        let Some(lane) = self.slot[s] else { return };
        let column = |a: &[V]| a.iter().map(|x| x[l]).collect::<Vec<f64>>();
        let (wp, wm) = (column(&self.wp[v * dp..(v + 1) * dp]), column(&self.wm[v * dp..(v + 1) * dp]));
        let beta = column(&self.beta[v * dp..(v + 1) * dp]);
        let lambda = column(&self.lambda[v * n..(v + 1) * n]);
        let loss = if loss.is_nan() {
            let mut r = vec![0.0; self.data.np.max(n)];
            self.data.residuals(&beta, &mut r) * self.inv_2n
        } else {
            loss
        };
        let Lane { id, alpha, .. } = self.lanes[lane];
        let run = finish_run(self.problem, alpha, Weights { wp, wm, beta, lambda }, status, steps, loss, None);
        results[id] = Some(Ok(run));
        self.reset(s);
    }

    /// Makes slot `s` idle: zero state, γ = 0, no stopping rule.
    fn reset(&mut self, s: usize) {
        let (v, l, n, dp) = (s / W, s % W, self.data.n, self.data.dp);
        for a in [&mut self.wp, &mut self.wm, &mut self.beta] {
            a[v * dp..(v + 1) * dp].iter_mut().for_each(|x| x[l] = 0.0);
        }
        self.lambda[v * n..(v + 1) * n].iter_mut().for_each(|x| x[l] = 0.0);
        self.slot[s] = None;
        self.gamma[v][l] = 0.0;
        self.threshold[v][l] = f64::INFINITY;
        self.tol[v][l] = f64::NEG_INFINITY;
        self.max_steps[v][l] = u64::MAX;
    }

    /// Moves the runs of the last vectors into idle slots of the first ones so that only
    /// ⌈active / W⌉ vectors remain. Returns whether any run is still active.
    fn compact(&mut self) -> bool {
        let active = self.slot[..self.vectors * W].iter().filter(|s| s.is_some()).count();
        let needed = active.div_ceil(W);
        if needed < self.vectors {
            let mut hole = 0;
            for s in needed * W..self.vectors * W {
                if self.slot[s].is_some() {
                    while self.slot[hole].is_some() {
                        hole += 1;
                    }
                    self.move_slot(s, hole);
                }
            }
            self.vectors = needed;
            for v in 0..needed {
                self.varying[v] = (0..W).any(|l| {
                    self.slot[v * W + l]
                        .is_some_and(|lane| !matches!(self.lanes[lane].sgd.stepsize, Schedule::Constant(_)))
                });
                // Idle slots read a neighbour's rows, so a vector of one sampler still broadcasts.
                if let Some(live) = (0..W).find(|&l| self.slot[v * W + l].is_some()) {
                    for l in 0..W {
                        if self.slot[v * W + l].is_none() {
                            self.slot_sampler[v * W + l] = self.slot_sampler[v * W + live];
                        }
                    }
                }
            }
        }
        self.sampler_live.fill(false);
        for s in 0..self.vectors * W {
            if self.slot[s].is_some() {
                self.sampler_live[self.slot_sampler[s]] = true;
            }
        }
        active > 0
    }

    /// Moves the run in slot `a` to the idle slot `b`.
    fn move_slot(&mut self, a: usize, b: usize) {
        let (va, la, vb, lb, n, dp) = (a / W, a % W, b / W, b % W, self.data.n, self.data.dp);
        for arr in [&mut self.wp, &mut self.wm, &mut self.beta] {
            for j in 0..dp {
                arr[vb * dp + j][lb] = arr[va * dp + j][la];
            }
        }
        for i in 0..n {
            self.lambda[vb * n + i][lb] = self.lambda[va * n + i][la];
        }
        self.gamma[vb][lb] = self.gamma[va][la];
        self.threshold[vb][lb] = self.threshold[va][la];
        self.tol[vb][lb] = self.tol[va][la];
        self.max_steps[vb][lb] = self.max_steps[va][la];
        self.slot[b] = self.slot[a];
        self.slot_sampler[b] = self.slot_sampler[a];
        self.reset(a);
    }
}

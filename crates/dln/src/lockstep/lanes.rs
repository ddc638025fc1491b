//! The lane set: the runs of one kernel in struct-of-arrays layout, slot s = W·v + l being lane l of
//! vector v. Every run keeps the single-run engine's semantics step for step (checks at the same
//! steps, the same stopping rules); a run that stops is written out and its slot made idle (zeros,
//! γ = 0: it computes finite values that change nothing), and idle slots are compacted away.

use std::ops::Range;

use ndarray::ArrayView1;

use super::kernels;
use super::{V, W};
use crate::data::Problem;
use crate::engine::{Data, GD_FLUSH_EVERY, Sampler, check_gamma, divergence_threshold, flush_subnormal};
use crate::error::Result;
use crate::gain::SecondOrder;
use crate::optimizer::{Schedule, Sgd, Tracked, Weights, finish_run};
use crate::run::{Run, Status};

/// Steps per index buffer refill (SGD).
const SEGMENT: usize = 64;
/// Steps between compactions (GD).
const CHUNK: u64 = 64;

/// Which kernel a lane set runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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

/// The results being filled in.
type Results = [Option<Result<Run>>];

/// The runs of one kernel (see the module docs).
pub(super) struct LaneSet<'a> {
    problem: &'a Problem,
    data: &'a Data,
    kind: Kind,
    check_every: u64,
    inv_b: f64,
    inv_2n: f64,
    lanes: Vec<Lane<'a>>,
    /// Lane of each slot (None: idle).
    slot: Vec<Option<usize>>,
    /// Sampler of each slot (idle slots copy a neighbour's, so a vector of one sampler still
    /// shares its rows).
    slot_sampler: Vec<usize>,
    /// Vectors in use.
    vectors: usize,
    /// State, `dp` entries per vector (only the first d are used).
    wp: Vec<V>,
    wm: Vec<V>,
    beta: Vec<V>,
    /// λ, n entries per vector.
    lambda: Vec<V>,
    /// Whether the runs track the second-order sums (a set's runs all do, or none does).
    track: bool,
    /// Σ(γg)² and max|γg|, `dp` entries per vector (empty unless `track`), and per vector the steps
    /// with some |γg_j| > 1 ([`SecondOrder`]).
    sq: Vec<V>,
    max_abs: Vec<V>,
    beyond: Vec<[u64; W]>,
    /// Per vector: γ (0 when idle), the divergence threshold (+∞ when idle), the tolerance (−∞),
    /// the budget (u64::MAX), whether a lane has a non-constant schedule.
    gamma: Vec<V>,
    threshold: Vec<V>,
    tol: Vec<V>,
    max_steps: Vec<[u64; W]>,
    varying: Vec<bool>,
    /// SGD: per vector, the residuals of the current step (valid once `primed`).
    pending: Vec<V>,
    primed: bool,
    samplers: Vec<Sampler>,
    /// Indices of the steps k..=k + len of the current segment, per sampler (entry 0 was drawn by
    /// the previous segment).
    buffers: Vec<Vec<usize>>,
    sampler_live: Vec<bool>,
    /// Scratch: gathered rows; residuals, c = r/b and gradient for two vectors.
    xk: Vec<V>,
    xn: Vec<V>,
    r: [Vec<V>; 2],
    c: [Vec<V>; 2],
    g: [Vec<V>; 2],
    k: u64,
}

impl<'a> LaneSet<'a> {
    pub fn new(
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
        let track = lanes.first().is_some_and(|lane| lane.sgd.track_second_order);
        let zeros = |len: usize| vec![[0.0; W]; len];
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
            wp: zeros(vectors * dp),
            wm: zeros(vectors * dp),
            beta: zeros(vectors * dp),
            lambda: zeros(vectors * n),
            track,
            sq: zeros(if track { vectors * dp } else { 0 }),
            max_abs: zeros(if track { vectors * dp } else { 0 }),
            beyond: vec![[0; W]; vectors],
            gamma: zeros(vectors),
            threshold: vec![[f64::INFINITY; W]; vectors],
            tol: vec![[f64::NEG_INFINITY; W]; vectors],
            max_steps: vec![[u64::MAX; W]; vectors],
            varying: vec![false; vectors],
            pending: zeros(vectors),
            primed: false,
            buffers: vec![vec![0; SEGMENT + 1]; samplers.len()],
            sampler_live: vec![true; samplers.len()],
            samplers,
            xk: zeros(dp),
            xn: zeros(dp),
            r: [zeros(n), zeros(n)],
            c: [zeros(n), zeros(n)],
            g: [zeros(dp), zeros(dp)],
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

    /// Runs every lane to its end, writing each result.
    pub fn run(mut self, results: &mut Results) {
        #[cfg(target_arch = "x86_64")]
        if crate::linalg::wide_kernels() {
            // SAFETY: `wide_kernels` is true only when the CPU reports AVX.
            unsafe { self.run_avx(results) };
            return;
        }
        self.run_loop::<false>(results);
    }

    /// [`Self::run_loop`] with the AVX kernels.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_avx(&mut self, results: &mut Results) {
        self.run_loop::<true>(results);
    }

    #[inline(always)]
    fn run_loop<const WIDE: bool>(&mut self, results: &mut Results) {
        match self.kind {
            Kind::Gd => self.gd_loop::<WIDE>(results),
            Kind::Sgd1 => self.sgd_loop::<WIDE>(results),
        }
    }

    /// The single-run engine's flush of subnormal weights ([`flush_subnormal`]), for every lane of
    /// vector `v` at once.
    #[inline(always)]
    fn flush(&mut self, v: usize) {
        let state = self.state(v);
        flush_subnormal(self.wp[state.clone()].as_flattened_mut());
        flush_subnormal(self.wm[state].as_flattened_mut());
    }

    fn active(&self, v: usize) -> bool {
        self.slot[v * W..(v + 1) * W].iter().any(Option::is_some)
    }

    /// Ranges of vector `v` in the state arrays (`dp` per vector) and in λ (n per vector).
    fn state(&self, v: usize) -> std::ops::Range<usize> {
        v * self.data.dp..v * self.data.dp + self.data.d
    }

    /// GD: every step checks every lane; idle lanes are compacted away every [`CHUNK`] steps.
    #[inline(always)]
    fn gd_loop<const WIDE: bool>(&mut self, results: &mut Results) {
        loop {
            let end = self.k.saturating_add(CHUNK);
            let mut v = 0;
            while v < self.vectors {
                let mut k = self.k;
                if v + 1 < self.vectors && !self.varying[v] && !self.varying[v + 1] {
                    while k < end && (self.active(v) || self.active(v + 1)) {
                        self.gd_step_pair::<WIDE>(v, k, results);
                        k += 1;
                    }
                    v += 2;
                } else {
                    while k < end && self.active(v) {
                        self.gd_step::<WIDE>(v, k, results);
                        k += 1;
                    }
                    v += 1;
                }
            }
            self.k = end;
            if !self.compact() {
                return;
            }
        }
    }

    /// One GD step of vector `v` at step k: residuals R = XB − Y and the loss, the checks, then
    /// G = XᵀR/n, the update and λ.
    #[inline(always)]
    fn gd_step<const WIDE: bool>(&mut self, v: usize, k: u64, results: &mut Results) {
        if k.is_multiple_of(GD_FLUSH_EVERY) {
            self.flush(v);
        }
        let loss = kernels::residuals::<WIDE>(self.data, &self.beta[self.state(v)], &mut self.r[0]);
        if !self.gd_check(v, k, loss.map(|s| s * self.inv_2n), results) {
            return;
        }
        if self.varying[v] {
            self.schedule_gammas(v, k, results);
        }
        self.scale_residuals(0);
        let d = self.data.d;
        kernels::gradient::<WIDE>(self.data, &self.c[0], &mut self.g[0][..d]);
        self.gd_update::<WIDE>(v, 0);
    }

    /// [`Self::gd_step`] for vectors v and v + 1 together (constant stepsizes).
    #[inline(always)]
    fn gd_step_pair<const WIDE: bool>(&mut self, v: usize, k: u64, results: &mut Results) {
        if k.is_multiple_of(GD_FLUSH_EVERY) {
            self.flush(v);
            self.flush(v + 1);
        }
        let (dp, d) = (self.data.dp, self.data.d);
        let (beta0, beta1) = self.beta[v * dp..(v + 2) * dp].split_at(dp);
        let [r0, r1] = &mut self.r;
        let losses = kernels::residuals2::<WIDE>(self.data, [&beta0[..d], &beta1[..d]], [r0, r1]);
        for (u, loss) in [v, v + 1].into_iter().zip(losses) {
            self.gd_check(u, k, loss.map(|s| s * self.inv_2n), results);
        }
        self.scale_residuals(0);
        self.scale_residuals(1);
        let [g0, g1] = &mut self.g;
        kernels::gradient2::<WIDE>(self.data, [&self.c[0], &self.c[1]], [&mut g0[..d], &mut g1[..d]]);
        self.gd_update::<WIDE>(v, 0);
        self.gd_update::<WIDE>(v + 1, 1);
    }

    /// The stopping rules of vector `v` at step k with the losses `loss`; whether a run is still on.
    #[inline(always)]
    fn gd_check(&mut self, v: usize, k: u64, loss: V, results: &mut Results) -> bool {
        let (thr, tol, max) = (self.threshold[v], self.tol[v], self.max_steps[v]);
        if (0..W).any(|l| !loss[l].is_finite() || loss[l] > thr[l] || loss[l] <= tol[l] || k >= max[l]) {
            for (l, &loss) in loss.iter().enumerate() {
                let status = if !loss.is_finite() || loss > thr[l] {
                    Status::Diverged
                } else if loss <= tol[l] {
                    Status::Converged
                } else if k >= max[l] {
                    Status::MaxSteps
                } else {
                    continue;
                };
                self.finish(v * W + l, status, k, loss, results);
            }
            return self.active(v);
        }
        true
    }

    /// c = r / b from residual scratch `s`.
    #[inline(always)]
    fn scale_residuals(&mut self, s: usize) {
        let inv_b = self.inv_b;
        for (c, r) in self.c[s].iter_mut().zip(&self.r[s]) {
            *c = r.map(|x| x * inv_b);
        }
    }

    /// The multiplicative update of vector `v` from gradient scratch `s`, and λ ← λ − 2γ r / b.
    #[inline(always)]
    fn gd_update<const WIDE: bool>(&mut self, v: usize, s: usize) {
        let (n, d) = (self.data.n, self.data.d);
        let (gamma, state) = (self.gamma[v], self.state(v));
        let (wp, wm, beta) = (&mut self.wp[state.clone()], &mut self.wm[state.clone()], &mut self.beta[state.clone()]);
        if self.track {
            let track = (&mut self.sq[state.clone()], &mut self.max_abs[state]);
            let beyond = kernels::update::<WIDE, true>(&self.g[s][..d], gamma, (wp, wm, beta), track);
            count(&mut self.beyond[v], beyond);
        } else {
            kernels::update::<WIDE, false>(&self.g[s][..d], gamma, (wp, wm, beta), (&mut [], &mut []));
        }
        let c2 = gamma.map(|g| 2.0 * g * self.inv_b);
        for (lam, r) in self.lambda[v * n..(v + 1) * n].iter_mut().zip(&self.r[s]) {
            for l in 0..W {
                lam[l] -= c2[l] * r[l];
            }
        }
    }

    /// γ_k of every lane of vector `v` with a non-constant schedule (a bad one ends that run with
    /// the single-run engine's error).
    #[cold]
    fn schedule_gammas(&mut self, v: usize, k: u64, results: &mut Results) {
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
}

impl LaneSet<'_> {
    /// SGD b = 1: segments of steps with no check (at most [`SEGMENT`] long, ending at the next check
    /// or budget), each vector running the whole segment in turn from shared index buffers.
    #[inline(always)]
    fn sgd_loop<const WIDE: bool>(&mut self, results: &mut Results) {
        let mut next_check: u64 = 0;
        loop {
            let k = self.k;
            let check = k == next_check;
            if check {
                next_check = next_check.saturating_add(self.check_every);
            }
            for v in 0..self.vectors {
                if check {
                    self.flush(v);
                }
                self.sgd_check::<WIDE>(v, check, results);
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
            self.draw(len);
            let mut v = 0;
            while v < self.vectors {
                if v + 1 < self.vectors && self.pairable(v) {
                    self.sgd_segment_pair::<WIDE>(v, len, results);
                    v += 2;
                } else {
                    if self.active(v) {
                        self.sgd_segment::<WIDE>(v, len, results);
                    }
                    v += 1;
                }
            }
            self.primed = true;
            self.k = end;
        }
    }

    /// Fills the index buffers with the steps k..=k + len (the first from the previous segment).
    fn draw(&mut self, len: usize) {
        let primed = self.primed;
        for ((sampler, buffer), &live) in self.samplers.iter_mut().zip(&mut self.buffers).zip(&self.sampler_live) {
            if !live {
                continue;
            }
            let last = buffer[SEGMENT];
            buffer[0] = if primed { last } else { sampler.next_one() };
            for i in &mut buffer[1..=len] {
                *i = sampler.next_one();
            }
            buffer[SEGMENT] = buffer[len];
        }
    }

    /// The loss checks of vector `v` at the current step: at a check step, and for a lane whose
    /// budget ends here (a NaN loss skips the checks, as in the single-run engine). A check that
    /// the residual bound of [`crate::engine`] decides is skipped.
    #[inline(always)]
    fn sgd_check<const WIDE: bool>(&mut self, v: usize, check: bool, results: &mut Results) {
        let (k, state) = (self.k, self.state(v));
        let due = |l: usize| self.slot[v * W + l].is_some() && (check || self.max_steps[v][l] == k);
        if !(0..W).any(due) {
            return;
        }
        if check && self.primed && (0..W).all(|l| !due(l) || self.settled(v, l)) {
            return;
        }
        let loss = kernels::residuals::<WIDE>(self.data, &self.beta[state], &mut self.r[0]).map(|s| s * self.inv_2n);
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
                // The budget's last loss: a NaN one is divergence, as in a single run.
                None if k >= self.max_steps[v][l] && loss.is_nan() => {
                    self.finish(v * W + l, Status::Diverged, k, loss, results)
                }
                None if k >= self.max_steps[v][l] => self.finish(v * W + l, Status::MaxSteps, k, loss, results),
                None => {}
            }
        }
    }

    /// Whether lane l's check is decided without the loss (the bound of `Engine::check_settled`).
    fn settled(&self, v: usize, l: usize) -> bool {
        let r = self.pending[v][l];
        let lower = r * r * self.inv_2n;
        if self.k >= self.max_steps[v][l] || lower.is_nan() || lower <= self.tol[v][l] {
            return false;
        }
        let mut beta_sq = 0.0;
        for b in &self.beta[self.state(v)] {
            beta_sq += b[l] * b[l];
        }
        let bound = self.data.x_frobenius * beta_sq.sqrt() + self.data.y_norm;
        2.0 * bound * bound * self.inv_2n <= self.threshold[v][l]
    }

    /// `len` SGD b = 1 steps of vector `v` from the current step, each update fused with the next
    /// residual; rows from the index buffers. The steps run in stretches that stop at a non-finite
    /// residual (handled here) and, with a non-constant schedule, after every step.
    #[inline(always)]
    fn sgd_segment<const WIDE: bool>(&mut self, v: usize, len: usize, results: &mut Results) {
        let samplers: [usize; W] = std::array::from_fn(|l| self.slot_sampler[v * W + l]);
        let shared = samplers.iter().all(|&s| s == samplers[0]);
        let mut r = if self.primed { self.pending[v] } else { self.first_residuals(v, samplers) };
        let mut t = 0;
        while t < len {
            let k = self.k + t as u64;
            let stretch = if self.varying[v] {
                self.schedule_gammas(v, k, results);
                for (l, rl) in r.iter_mut().enumerate() {
                    if self.slot[v * W + l].is_none() {
                        *rl = 0.0;
                    }
                }
                t + 1
            } else {
                len
            };
            if !r.iter().all(|x| x.is_finite()) {
                self.diverge(v, k, &mut r, results);
            }
            t = if shared {
                self.shared_steps::<WIDE>(v, samplers[0], t..stretch, &mut r)
            } else {
                self.gathered_steps::<WIDE>(v, samplers, t..stretch, &mut r)
            };
        }
        self.pending[v] = r;
        let state = self.state(v);
        let (wp, wm, beta) = (&self.wp[state.clone()], &self.wm[state.clone()], &mut self.beta[state]);
        kernels::beta(wp, wm, beta);
    }

    /// Whether vectors v and v + 1 can run as a pair: all eight lanes read one sampler's rows, and
    /// their stepsizes are constant.
    fn pairable(&self, v: usize) -> bool {
        let s = self.slot_sampler[v * W];
        self.slot_sampler[v * W..(v + 2) * W].iter().all(|&t| t == s) && !self.varying[v] && !self.varying[v + 1]
    }

    /// [`Self::sgd_segment`] for the pair of vectors v, v + 1 (see [`Self::pairable`]).
    #[inline(always)]
    fn sgd_segment_pair<const WIDE: bool>(&mut self, v: usize, len: usize, results: &mut Results) {
        let sampler = self.slot_sampler[v * W];
        let mut r =
            [v, v + 1].map(|u| if self.primed { self.pending[u] } else { self.first_residuals(u, [sampler; W]) });
        let mut t = 0;
        while t < len {
            for (u, ru) in [v, v + 1].into_iter().zip(&mut r) {
                if !ru.iter().all(|x| x.is_finite()) {
                    self.diverge(u, self.k + t as u64, ru, results);
                }
            }
            t = self.shared_steps2::<WIDE>(v, sampler, t..len, &mut r);
        }
        for (u, ru) in [v, v + 1].into_iter().zip(r) {
            self.pending[u] = ru;
            let state = self.state(u);
            let (wp, wm, beta) = (&self.wp[state.clone()], &self.wm[state.clone()], &mut self.beta[state]);
            kernels::beta(wp, wm, beta);
        }
    }

    /// [`Self::shared_steps`] for the pair of vectors v, v + 1.
    #[inline(always)]
    fn shared_steps2<const WIDE: bool>(
        &mut self,
        v: usize,
        sampler: usize,
        steps: Range<usize>,
        r: &mut [V; 2],
    ) -> usize {
        let (data, n, d, dp) = (self.data, self.data.n, self.data.d, self.data.dp);
        let (wp0, wp1) = self.wp[v * dp..(v + 2) * dp].split_at_mut(dp);
        let (wm0, wm1) = self.wm[v * dp..(v + 2) * dp].split_at_mut(dp);
        let (lambda0, lambda1) = self.lambda[v * n..(v + 2) * n].split_at_mut(n);
        // The sums of vectors v and v + 1 (empty slices without tracking).
        let (t, d_tracked) = if self.track { (dp, d) } else { (0, 0) };
        let (sq0, sq1) = self.sq[v * t..(v + 2) * t].split_at_mut(t);
        let (ma0, ma1) = self.max_abs[v * t..(v + 2) * t].split_at_mut(t);
        let beyond = &mut self.beyond[v..v + 2];
        let (buffer, gamma) = (&self.buffers[sampler][..=steps.end], [self.gamma[v], self.gamma[v + 1]]);
        for t in steps.clone() {
            if !r.iter().flatten().all(|x| x.is_finite()) {
                return t;
            }
            let (i, i_next) = (buffer[t], buffer[t + 1]);
            let (x, x_next) = (&data.row(i)[..d], &data.row(i_next)[..d]);
            let state = [(&mut wp0[..d], &mut wm0[..d]), (&mut wp1[..d], &mut wm1[..d])];
            let track =
                [(&mut sq0[..d_tracked], &mut ma0[..d_tracked]), (&mut sq1[..d_tracked], &mut ma1[..d_tracked])];
            let [(dots0, beyond0), (dots1, beyond1)] = if self.track {
                kernels::step_then_dot_shared2::<WIDE, true>(x, x_next, *r, gamma, state, track)
            } else {
                kernels::step_then_dot_shared2::<WIDE, false>(x, x_next, *r, gamma, state, track)
            };
            if self.track {
                count(&mut beyond[0], beyond0);
                count(&mut beyond[1], beyond1);
            }
            let dots = [dots0, dots1];
            // λ_i ← λ_i − 2γ r / b, with b = 1.
            for (lambda, u) in [(&mut *lambda0, 0), (&mut *lambda1, 1)] {
                for l in 0..W {
                    lambda[i][l] -= 2.0 * gamma[u][l] * r[u][l];
                }
            }
            let y = data.y[i_next];
            *r = dots.map(|dots| dots.map(|dot| dot - y));
        }
        steps.end
    }

    /// The residuals of vector `v` at the first step (rows of entry 0 of the buffers).
    fn first_residuals(&mut self, v: usize, samplers: [usize; W]) -> V {
        let (data, d) = (self.data, self.data.d);
        let idx = samplers.map(|s| self.buffers[s][0]);
        for (j, xk) in self.xk.iter_mut().enumerate().take(d) {
            *xk = idx.map(|i| data.row(i)[j]);
        }
        let dots = kernels::dot(&self.xk[..d], &self.beta[self.state(v)]);
        std::array::from_fn(|l| dots[l] - data.y[idx[l]])
    }

    /// Steps `steps` of vector `v` whose lanes all read the rows of one sampler; stops early, at the
    /// step it returns, if a residual is not finite.
    #[inline(always)]
    fn shared_steps<const WIDE: bool>(&mut self, v: usize, sampler: usize, steps: Range<usize>, r: &mut V) -> usize {
        let (data, n, d) = (self.data, self.data.n, self.data.d);
        let state = self.state(v);
        let (wp, wm) = (&mut self.wp[state.clone()], &mut self.wm[state.clone()]);
        let tracked = if self.track { state } else { 0..0 };
        let (sq, max_abs) = (&mut self.sq[tracked.clone()], &mut self.max_abs[tracked]);
        let lambda = &mut self.lambda[v * n..(v + 1) * n];
        let (buffer, gamma) = (&self.buffers[sampler][..=steps.end], self.gamma[v]);
        for t in steps.clone() {
            if !r.iter().all(|x| x.is_finite()) {
                return t;
            }
            let (i, i_next) = (buffer[t], buffer[t + 1]);
            let (x, x_next) = (&data.row(i)[..d], &data.row(i_next)[..d]);
            let (state, track) = ((&mut *wp, &mut *wm), (&mut *sq, &mut *max_abs));
            let dots = if self.track {
                let (dots, beyond) = kernels::step_then_dot_shared::<WIDE, true>(x, x_next, *r, gamma, state, track);
                count(&mut self.beyond[v], beyond);
                dots
            } else {
                kernels::step_then_dot_shared::<WIDE, false>(x, x_next, *r, gamma, state, track).0
            };
            // λ_i ← λ_i − 2γ r / b, with b = 1.
            for l in 0..W {
                lambda[i][l] -= 2.0 * gamma[l] * r[l];
            }
            let y = data.y[i_next];
            *r = dots.map(|dot| dot - y);
        }
        steps.end
    }

    /// [`Self::shared_steps`] for lanes with their own samplers: rows gathered per coordinate.
    #[inline(always)]
    fn gathered_steps<const WIDE: bool>(
        &mut self,
        v: usize,
        samplers: [usize; W],
        steps: Range<usize>,
        r: &mut V,
    ) -> usize {
        let (data, n, d) = (self.data, self.data.n, self.data.d);
        let state = self.state(v);
        let (wp, wm) = (&mut self.wp[state.clone()], &mut self.wm[state.clone()]);
        let tracked = if self.track { state } else { 0..0 };
        let (sq, max_abs) = (&mut self.sq[tracked.clone()], &mut self.max_abs[tracked]);
        let lambda = &mut self.lambda[v * n..(v + 1) * n];
        let (buffers, gamma) = (&self.buffers, self.gamma[v]);
        let (xk, xn) = (&mut self.xk, &mut self.xn);
        let mut idx = samplers.map(|s| buffers[s][steps.start]);
        kernels::gather::<WIDE>(data, idx, xk);
        for t in steps.clone() {
            if !r.iter().all(|x| x.is_finite()) {
                return t;
            }
            let next = samplers.map(|s| buffers[s][t + 1]);
            kernels::gather::<WIDE>(data, next, xn);
            let (state, track) = ((&mut *wp, &mut *wm), (&mut *sq, &mut *max_abs));
            let dots = if self.track {
                let (dots, beyond) =
                    kernels::step_then_dot_gathered::<WIDE, true>(&xk[..d], &xn[..d], *r, gamma, state, track);
                count(&mut self.beyond[v], beyond);
                dots
            } else {
                kernels::step_then_dot_gathered::<WIDE, false>(&xk[..d], &xn[..d], *r, gamma, state, track).0
            };
            std::mem::swap(xk, xn);
            for l in 0..W {
                lambda[idx[l]][l] -= 2.0 * gamma[l] * r[l];
            }
            *r = std::array::from_fn(|l| dots[l] - data.y[next[l]]);
            idx = next;
        }
        steps.end
    }

    /// Ends the runs of vector `v` whose residual at step k is not finite (as the single-run engine
    /// does), and zeroes their residuals so that their idle slots compute nothing.
    #[cold]
    fn diverge(&mut self, v: usize, k: u64, r: &mut V, results: &mut Results) {
        for (l, rl) in r.iter_mut().enumerate() {
            if !rl.is_finite() {
                if self.slot[v * W + l].is_some() {
                    self.finish(v * W + l, Status::Diverged, k, f64::NAN, results);
                }
                *rl = 0.0;
            }
        }
    }
}

impl LaneSet<'_> {
    /// Ends the run in slot `s` at step `steps` and frees the slot. β is formed from w± (during an
    /// SGD segment it is not kept up to date); a NaN loss is recomputed, as the single-run engine does.
    #[cold]
    fn finish(&mut self, s: usize, status: Status, steps: u64, loss: f64, results: &mut Results) {
        let (v, l, n, dp) = (s / W, s % W, self.data.n, self.data.dp);
        let Some(lane) = self.slot[s] else { return };
        let column = |a: &[V]| a.iter().map(|x| x[l]).collect::<Vec<f64>>();
        let (wp, wm) = (column(&self.wp[v * dp..(v + 1) * dp]), column(&self.wm[v * dp..(v + 1) * dp]));
        let beta: Vec<f64> = wp.iter().zip(&wm).map(|(p, m)| 0.5 * (p * p - m * m)).collect();
        let lambda = column(&self.lambda[v * n..(v + 1) * n]);
        let loss = if loss.is_nan() {
            let mut r = vec![0.0; self.data.np.max(n)];
            self.data.residuals::<false>(&beta, &mut r) * self.inv_2n
        } else {
            loss
        };
        let Lane { id, alpha, .. } = self.lanes[lane];
        let d = self.data.d;
        let second_order = self.track.then(|| SecondOrder {
            sq: column(&self.sq[v * dp..v * dp + d]).into(),
            max_abs: column(&self.max_abs[v * dp..v * dp + d]).into(),
            steps_beyond_one: self.beyond[v][l],
        });
        let tracked = Tracked { q_sums: None, second_order };
        let run = finish_run(self.problem, alpha, Weights { wp, wm, beta, lambda }, status, steps, loss, tracked);
        results[id] = Some(Ok(run));
        self.reset(s);
    }

    /// Makes slot `s` idle: zero state, γ = 0, no stopping rule.
    fn reset(&mut self, s: usize) {
        let (v, l, n, dp) = (s / W, s % W, self.data.n, self.data.dp);
        for a in [&mut self.wp, &mut self.wm, &mut self.beta] {
            a[v * dp..(v + 1) * dp].iter_mut().for_each(|x| x[l] = 0.0);
        }
        if self.track {
            for a in [&mut self.sq, &mut self.max_abs] {
                a[v * dp..(v + 1) * dp].iter_mut().for_each(|x| x[l] = 0.0);
            }
        }
        self.beyond[v][l] = 0;
        self.lambda[v * n..(v + 1) * n].iter_mut().for_each(|x| x[l] = 0.0);
        self.slot[s] = None;
        self.gamma[v][l] = 0.0;
        self.threshold[v][l] = f64::INFINITY;
        self.tol[v][l] = f64::NEG_INFINITY;
        self.max_steps[v][l] = u64::MAX;
        self.pending[v][l] = 0.0;
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
                // Idle slots read a neighbour's rows, so a vector of one sampler still shares them.
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
        let arrays = if self.track { 5 } else { 3 };
        for arr in
            [&mut self.wp, &mut self.wm, &mut self.beta, &mut self.sq, &mut self.max_abs].into_iter().take(arrays)
        {
            for j in 0..dp {
                arr[vb * dp + j][lb] = arr[va * dp + j][la];
            }
        }
        self.beyond[vb][lb] = self.beyond[va][la];
        for i in 0..n {
            self.lambda[vb * n + i][lb] = self.lambda[va * n + i][la];
        }
        self.gamma[vb][lb] = self.gamma[va][la];
        self.threshold[vb][lb] = self.threshold[va][la];
        self.tol[vb][lb] = self.tol[va][la];
        self.max_steps[vb][lb] = self.max_steps[va][la];
        self.pending[vb][lb] = self.pending[va][la];
        self.slot[b] = self.slot[a];
        self.slot_sampler[b] = self.slot_sampler[a];
        self.reset(a);
    }
}

/// Adds one step's |γg| > 1 lanes to the per-lane counts.
#[inline(always)]
fn count(counts: &mut [u64; W], beyond: kernels::Beyond) {
    for (c, b) in counts.iter_mut().zip(beyond) {
        *c += u64::from(b);
    }
}

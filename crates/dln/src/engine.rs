//! The step loop behind [`Sgd::run`](crate::Sgd::run): the layout of X, the state, the kernels and
//! their AVX copies. Book: chapter "Setting and notation" (the update) and the engine notes.
//!
//! Every kernel performs the same IEEE operations in the same order as the plain formulas of
//! [`crate::optimizer`] — each residual ⟨x_i, β⟩ − y_i is summed exactly as [`dot`] sums, each
//! gradient coordinate Σ_t c_t x_{i_t, j} sequentially in t — so the results are the same bit for
//! bit whichever layout, vector width or copy runs them (no reassociation, no fused multiply-add).
//!
//! Layout ([`Data`]): X is kept row-major with each row zero-padded to a whole number of 4-wide
//! vectors (the rank-one and gradient sweeps then need no scalar tail) and, when it is small enough
//! to stay in cache, also column-major with the rows padded to a multiple of 4: the full residual
//! vector Xβ − y is then computed four rows per vector, each lane summing its row in [`dot`]'s order,
//! with no horizontal sums. The padding is zeros: padded weights stay 0 and never reach a result.
//!
//! Subnormal weights are flushed to zero ([`flush_subnormal`]): at every loss-check step of SGD and
//! every [`GD_FLUSH_EVERY`] steps of GD. A weight that a run drives towards 0 at the edge of
//! stability otherwise crosses the subnormal range for many steps, where each multiplication costs
//! a microcode assist (a GD step at (20, 30) took 4–5× as long). The flush changes no β and no
//! residual where it happens: a subnormal w has w² = 0 exactly. It changes a trajectory only if the
//! weight would have grown back by a factor beyond 10¹⁵⁴ (until then its square is still 0), and it
//! makes the gain ln(α²/|w₊w₋|) of such a collapsed coordinate +∞ instead of about 1500.

use ndarray::ArrayView1;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::Problem;
use crate::error::{DlnError, Result, invalid};
use crate::gain::{QSums, SecondOrder, gain_from_weights};
use crate::kernels;
use crate::optimizer::{Record, Sampling, Sgd};
use crate::run::{Observer, Snapshot, Status};

/// Largest n·d for which the column-major copy of X is kept (512 KiB: it stays in L2).
const COLUMN_COPY_MAX: usize = 1 << 16;

/// X and y laid out for the kernels (see the module docs).
pub(crate) struct Data {
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Row stride of `xr` and length of the state vectors: d rounded up to a multiple of 4.
    pub dp: usize,
    /// Row-major X, n rows of `dp` entries (zeros past d).
    pub xr: Vec<f64>,
    /// n rounded up to a multiple of 4.
    pub np: usize,
    /// Column-major X (d columns of `np` entries, zeros past n), when n·d ≤ [`COLUMN_COPY_MAX`].
    pub xc: Option<Vec<f64>>,
    /// y, zero-padded to `np` entries.
    pub y: Vec<f64>,
    /// ‖X‖_F ≥ ‖X‖₂ and ‖y‖₂, for the loss bound of [`Engine::check_settled`].
    pub x_frobenius: f64,
    pub y_norm: f64,
}

impl Data {
    /// Lays out a problem's X and y.
    pub fn new(problem: &Problem) -> Result<Self> {
        let (n, d) = problem.x.dim();
        if problem.y.len() != n {
            return Err(DlnError::DimensionMismatch(format!("y has length {}, X has n = {n} rows", problem.y.len())));
        }
        let (dp, np) = (d.next_multiple_of(4), n.next_multiple_of(4));
        let mut xr = vec![0.0; n * dp];
        for (i, row) in problem.x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                xr[i * dp + j] = v;
            }
        }
        let xc = (n * d <= COLUMN_COPY_MAX).then(|| {
            let mut xc = vec![0.0; d * np];
            for ((i, j), &v) in problem.x.indexed_iter() {
                xc[j * np + i] = v;
            }
            xc
        });
        let mut y = vec![0.0; np];
        for (yi, &v) in y.iter_mut().zip(&problem.y) {
            *yi = v;
        }
        let x_frobenius = problem.x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let y_norm = problem.y.iter().map(|v| v * v).sum::<f64>().sqrt();
        Ok(Self { n, d, dp, xr, np, xc, y, x_frobenius, y_norm })
    }

    /// Row i of X, `dp` entries (zeros past d).
    #[inline(always)]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.xr[i * self.dp..(i + 1) * self.dp]
    }

    /// r = Xβ − y for every row (`r` has ≥ np entries; padded rows give 0) and returns Σ_{i<n} r_i²
    /// summed in order. Row by row this is [`dot`]`(x_i, β) − y_i`, bit for bit: with AVX from the
    /// column-major copy when there is one, otherwise four rows per sweep of β ([`dot4`]).
    #[inline(always)]
    pub fn residuals<const WIDE: bool>(&self, beta: &[f64], r: &mut [f64]) -> f64 {
        let (n, d) = (self.n, self.d);
        #[cfg(target_arch = "x86_64")]
        let by_columns = match &self.xc {
            Some(xc) if WIDE => {
                // SAFETY: WIDE is true only where AVX is available (see `crate::kernels`).
                unsafe { kernels::residuals_by_columns(xc, self.np, &beta[..d], &self.y, r) };
                true
            }
            _ => false,
        };
        #[cfg(not(target_arch = "x86_64"))]
        let by_columns = false;
        if !by_columns {
            let mut i = 0;
            while i + 4 <= n {
                let dots =
                    kernels::dot4::<WIDE>([self.row(i), self.row(i + 1), self.row(i + 2), self.row(i + 3)], &beta[..d]);
                for t in 0..4 {
                    r[i + t] = dots[t] - self.y[i + t];
                }
                i += 4;
            }
            for (k, rk) in r.iter_mut().enumerate().take(n).skip(i) {
                *rk = kernels::dot::<WIDE>(&self.row(k)[..d], &beta[..d]) - self.y[k];
            }
        }
        let mut acc = 0.0;
        for &ri in &r[..n] {
            acc += ri * ri;
        }
        acc
    }
}

/// Residuals r_t = ⟨x_{i_t}, β⟩ − y_{i_t} of the batch rows `idx` (four rows per sweep of β).
/// Returns whether every r_t is finite.
#[inline(always)]
fn batch_residuals<const WIDE: bool>(data: &Data, idx: &[usize], beta: &[f64], r: &mut [f64]) -> bool {
    let (d, y) = (data.d, &data.y);
    let beta = &beta[..d];
    let mut finite = true;
    let mut quads = idx.chunks_exact(4);
    let mut t = 0;
    for q in &mut quads {
        let dots = kernels::dot4::<WIDE>([data.row(q[0]), data.row(q[1]), data.row(q[2]), data.row(q[3])], beta);
        for (l, &i) in q.iter().enumerate() {
            r[t + l] = dots[l] - y[i];
            finite &= r[t + l].is_finite();
        }
        t += 4;
    }
    for &i in quads.remainder() {
        r[t] = kernels::dot::<WIDE>(&data.row(i)[..d], beta) - y[i];
        finite &= r[t].is_finite();
        t += 1;
    }
    finite
}

/// The batch sampler (see [`Sampling`]): a persistent permutation of 0..n and a seeded ChaCha8.
pub(crate) struct Sampler {
    perm: Vec<usize>,
    rng: ChaCha8Rng,
    epoch_pos: usize,
    sampling: Sampling,
    b: usize,
    /// rand's bound for one draw of `partial_shuffle(rng, 1)` (see [`Sampler::next_one`]).
    bound: u32,
    /// Whether that draw is reduced modulo n.
    modulo: bool,
    /// The draws of `partial_shuffle(rng, b)` for 1 < b < n with IID sampling (else empty).
    plan: Vec<Draw>,
}

/// One index of rand's `partial_shuffle(rng, b)` on n items (its `IncreasingUniform`): position
/// n − b + t swaps with an index in 0..d, d = n − b + t + 1, which is the remainder of a chunk
/// divided by d (the quotient is the chunk for the next index), or the chunk itself for the
/// chunk's last index. A chunk is one `random_range(..bound)` with bound = d (d + 1) ⋯ (d + m − 1),
/// the longest such product that fits in a u32.
#[derive(Debug, Clone, Copy)]
struct Draw {
    /// Draw a new chunk below this bound first (0: keep the current one).
    bound: u32,
    /// The divisor d, or 0 for the chunk's last index.
    d: u32,
    /// ⌈2⁶⁴ / d⌉, for [`div_exact`].
    magic: u64,
}

/// rand's `calculate_bound_u32`: the longest product m (m + 1) ⋯ (m + c − 1) that fits in a u32,
/// and c (c = 1 for m = u32::MAX).
fn chunk_bound(m: u32) -> (u32, u32) {
    let (mut product, mut count) = (m, 1u32);
    while let Some(p) = m.checked_add(count).and_then(|f| product.checked_mul(f)) {
        product = p;
        count += 1;
    }
    (product, count)
}

/// The draws of `partial_shuffle(rng, b)` on n items, 1 < b < n < u32::MAX (see [`Draw`]).
fn plan(n: usize, b: usize) -> Vec<Draw> {
    let mut remaining = 0u32;
    (0..b)
        .map(|t| {
            let d = (n - b + t + 1) as u32;
            let bound = if remaining == 0 {
                let (bound, count) = chunk_bound(d);
                remaining = count;
                bound
            } else {
                0
            };
            remaining -= 1;
            let last = remaining == 0;
            Draw { bound, d: if last { 0 } else { d }, magic: if last { 0 } else { u64::MAX / u64::from(d) + 1 } }
        })
        .collect()
}

/// ⌊a / d⌋ from `magic` = ⌈2⁶⁴ / d⌉ (d ≥ 2): the high 64 bits of magic · a, exact for every 32-bit a
/// and d (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019: 64 fraction bits
/// ≥ 32 + ⌈log₂ d⌉). A multiplication instead of a division, whose latency chained five of them per
/// mini-batch of five.
#[inline(always)]
fn div_exact(a: u32, magic: u64) -> u32 {
    ((u128::from(a) * u128::from(magic)) >> 64) as u32
}

impl Sampler {
    pub fn new(n: usize, b: usize, sampling: Sampling, seed: u64) -> Self {
        // rand draws the index of `partial_shuffle(rng, 1)` as one number below
        // bound = n (n + 1) ⋯ (n + m − 1), the longest such product that fits in a u32, reduced
        // modulo n when m ≥ 2 (its `IncreasingUniform` starting at n − 1).
        let (bound, m) = chunk_bound(u32::try_from(n).unwrap_or(u32::MAX));
        let perm = (0..n).collect();
        let plan =
            if sampling == Sampling::Iid && 1 < b && b < n && n < u32::MAX as usize { plan(n, b) } else { Vec::new() };
        Self { perm, rng: ChaCha8Rng::seed_from_u64(seed), epoch_pos: n, sampling, b, bound, modulo: m >= 2, plan }
    }

    /// The next batch of a b = 1 sampler: the same index and the same state afterwards as
    /// [`Sampler::next_batch`], without its general-purpose set-up per draw.
    #[inline(always)]
    pub fn next_one(&mut self) -> usize {
        let n = self.perm.len();
        if self.sampling == Sampling::Shuffle || n < 2 || n >= u32::MAX as usize {
            return self.next_batch()[0];
        }
        let chunk: u32 = self.rng.random_range(..self.bound);
        let index = if self.modulo { (chunk % n as u32) as usize } else { chunk as usize };
        self.perm.swap(n - 1, index);
        self.perm[n - 1]
    }

    /// The next batch B_k (b distinct indices).
    #[inline(always)]
    pub fn next_batch(&mut self) -> &[usize] {
        let (n, b) = (self.perm.len(), self.b);
        match self.sampling {
            // `partial_shuffle(rng, b)`, its divisions by the multiplications of `div_exact`.
            Sampling::Iid if !self.plan.is_empty() => {
                let Self { perm, rng, plan, .. } = self;
                let mut chunk = 0u32;
                for (t, draw) in plan.iter().enumerate() {
                    if draw.bound != 0 {
                        chunk = rng.random_range(..draw.bound);
                    }
                    let index = if draw.d == 0 {
                        chunk
                    } else {
                        let q = div_exact(chunk, draw.magic);
                        let r = chunk - q * draw.d;
                        chunk = q;
                        r
                    };
                    perm.swap(n - b + t, index as usize);
                }
                &perm[n - b..]
            }
            Sampling::Iid => self.perm.partial_shuffle(&mut self.rng, b).0,
            Sampling::Shuffle => {
                if self.epoch_pos + b > n {
                    self.perm.shuffle(&mut self.rng);
                    self.epoch_pos = 0;
                }
                self.epoch_pos += b;
                &self.perm[self.epoch_pos - b..self.epoch_pos]
            }
        }
    }
}

/// Where the snapshots go and when.
struct Recorder {
    next: Option<u64>,
    count: u32,
    last: Option<u64>,
}

/// SGD b = 1 at a constant stepsize γ with the second-order sums on: max|γg_j| and the steps with
/// some |γg_j| > 1 derived from the residuals, bit for bit what the per-coordinate tracking gives,
/// for a max, a compare and an or less per coordinate and step. A step on sample i with residual r
/// moves coordinate j by γg_j = fl(fl(r·x_ij)·γ); rounding is monotone and symmetric, so |γg_j| is
/// non-decreasing in |r| and in |x_ij|. Hence
/// - over the steps on sample i, max|γg_j| = fl(fl(R_i·|x_ij|)·γ), R_i the largest |r| among them
///   (folded into max|γg_j| by [`Peaks::fold`] when the run ends);
/// - on one step, max_j |γg_j| = fl(fl(|r|·m_i)·γ) with m_i = max_j |x_ij|: some |γg_j| > 1 iff it
///   is > 1.
struct Peaks {
    gamma: f64,
    /// m_i = max_{j<d} |x_ij|.
    row_max: Vec<f64>,
    /// R_i = the largest |r| of the steps on sample i so far (0 before any).
    r_max: Vec<f64>,
}

impl Peaks {
    fn new(data: &Data, gamma: f64) -> Self {
        let (n, d, dp) = (data.n, data.d, data.dp);
        let row_max =
            (0..n).map(|i| data.xr[i * dp..i * dp + d].iter().fold(0.0, |m: f64, v| m.max(v.abs()))).collect();
        Self { gamma, row_max, r_max: vec![0.0; n] }
    }

    /// Records a step on sample i with residual r (finite); whether some |γg_j| > 1.
    #[inline(always)]
    fn step(&mut self, i: usize, r: f64) -> bool {
        let a = r.abs();
        if a > self.r_max[i] {
            self.r_max[i] = a;
        }
        (a * self.row_max[i]) * self.gamma > 1.0
    }

    /// max|γg_j| ← max(max|γg_j|, max_i fl(fl(R_i·|x_ij|)·γ)) for j < d, and R reset.
    fn fold(&mut self, data: &Data, max_abs: &mut [f64]) {
        let (d, dp) = (data.d, data.dp);
        for (i, r) in self.r_max.iter_mut().enumerate() {
            for (m, x) in max_abs[..d].iter_mut().zip(&data.xr[i * dp..i * dp + d]) {
                let a = (*r * x.abs()) * self.gamma;
                *m = if a > *m { a } else { *m };
            }
            *r = 0.0;
        }
    }
}

/// One run's state between steps.
pub(crate) struct Engine<'a> {
    sgd: &'a Sgd,
    data: &'a Data,
    alpha: ArrayView1<'a, f64>,
    pub wp: Vec<f64>,
    pub wm: Vec<f64>,
    pub beta: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    /// c_t = r_t / b.
    c: Vec<f64>,
    pub lambda: Vec<f64>,
    sampler: Sampler,
    pub q_sums: Option<QSums>,
    pub second_order: Option<SecondOrder>,
    inv_b: f64,
    inv_2n: f64,
    threshold: f64,
    /// Steps taken.
    pub k: u64,
    /// The last full loss computed (NaN when the last step was not a check).
    pub loss: f64,
    recorder: Recorder,
    /// SGD b = 1: the next step's index and residual, computed with the previous update.
    pending: Option<(usize, f64)>,
    /// SGD b = 1 at a constant stepsize with only the second-order sums tracked.
    peaks: Option<Peaks>,
}

/// GD flushes subnormal weights every this many steps (SGD: at every loss check).
pub(crate) const GD_FLUSH_EVERY: u64 = 16;

/// Sets every subnormal entry of `w` (0 < |w| < `f64::MIN_POSITIVE`) to zero of the same sign;
/// NaN and normal values are unchanged (see the module docs).
#[inline(always)]
pub(crate) fn flush_subnormal(w: &mut [f64]) {
    for x in w {
        *x = if x.abs() < f64::MIN_POSITIVE { 0.0f64.copysign(*x) } else { *x };
    }
}

/// The divergence threshold factor · max(L(β₀), 1), with L(β₀) = Σ y_i² / (2n) summed in order.
pub(crate) fn divergence_threshold(y: &[f64], n: usize, factor: f64) -> f64 {
    let loss0 = y[..n].iter().map(|v| v * v).sum::<f64>() * (0.5 / n as f64);
    factor * loss0.max(1.0)
}

/// Adds one step's γg to the trackers that are on (the tracked path only).
#[inline(always)]
fn track(q_sums: &mut Option<QSums>, second_order: &mut Option<SecondOrder>, gamma_g: &[f64]) {
    if let Some(q) = q_sums {
        q.add(gamma_g);
    }
    if let Some(s) = second_order {
        s.add(gamma_g);
    }
}

/// Whether a step's stepsize is usable, as a one-line error naming the step if not.
#[inline(always)]
pub(crate) fn check_gamma(k: u64, gamma: f64) -> Result<f64> {
    if gamma.is_finite() && gamma > 0.0 {
        Ok(gamma)
    } else {
        Err(invalid("gamma", format!("schedule gave γ_{k} = {gamma}; stepsizes must be finite and > 0")))
    }
}

impl<'a> Engine<'a> {
    /// The state at k = 0: w₊ = w₋ = α (u₀ = √2α, v₀ = 0), β = 0, λ = 0.
    pub fn new(sgd: &'a Sgd, data: &'a Data, alpha: ArrayView1<'a, f64>) -> Self {
        let (n, d, dp) = (data.n, data.d, data.dp);
        let mut wp = vec![0.0; dp];
        for (w, &a) in wp.iter_mut().zip(alpha) {
            *w = a;
        }
        let wm = wp.clone();
        let mut beta = vec![0.0; dp];
        for j in 0..d {
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
        Self {
            sgd,
            data,
            alpha,
            wp,
            wm,
            beta,
            g: vec![0.0; dp],
            r: vec![0.0; data.np.max(n)],
            c: vec![0.0; n],
            lambda: vec![0.0; n],
            sampler: Sampler::new(n, sgd.batch, sgd.sampling, sgd.seed),
            q_sums: sgd.track_q_sums.then(|| QSums::zeros(d)),
            second_order: sgd.track_second_order.then(|| SecondOrder::zeros(d)),
            inv_b: 1.0 / sgd.batch as f64,
            inv_2n: 0.5 / n as f64,
            threshold: divergence_threshold(&data.y, n, sgd.divergence_factor),
            k: 0,
            loss: f64::NAN,
            recorder: Recorder { next: sgd.record.first(), count: 0, last: None },
            pending: None,
            peaks: match sgd.stepsize {
                crate::Schedule::Constant(gamma) if sgd.batch == 1 && sgd.track_second_order && !sgd.track_q_sums => {
                    Some(Peaks::new(data, gamma))
                }
                _ => None,
            },
        }
    }

    /// Runs to the end and returns how it ended; snapshots go to `observer`.
    pub fn run(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        let status = if self.q_sums.is_some() || self.second_order.is_some() {
            self.dispatch::<true>(observer)
        } else {
            self.dispatch::<false>(observer)
        }?;
        if let (Some(peaks), Some(so)) = (&mut self.peaks, &mut self.second_order) {
            let max_abs = so.max_abs.as_slice_mut().ok_or_else(|| invalid("second_order", "must be contiguous"))?;
            peaks.fold(self.data, max_abs);
        }
        if self.loss.is_nan() {
            self.loss = self.full_loss::<false>();
        }
        let (k, rec) = (self.k, &self.recorder);
        if status != Status::Diverged && rec.next.is_some() && rec.last != Some(k) {
            observer.observe(&self.snapshot());
        }
        Ok(status)
    }

    /// The loop with the AVX kernels when the CPU has AVX (see [`crate::linalg::wide_kernels`]).
    fn dispatch<const TRACK: bool>(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        #[cfg(target_arch = "x86_64")]
        if crate::linalg::wide_kernels() {
            // SAFETY: `wide_kernels` is true only when the CPU reports AVX.
            return unsafe { self.run_avx::<TRACK>(observer) };
        }
        self.run_loop::<TRACK, false>(observer)
    }

    /// [`Self::run_loop`] with the AVX kernels, the whole loop compiled for AVX.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_avx<const TRACK: bool>(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        self.run_loop::<TRACK, true>(observer)
    }

    #[inline(always)]
    fn run_loop<const TRACK: bool, const WIDE: bool>(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        if self.sgd.batch == self.data.n {
            self.gd_loop::<TRACK, WIDE>(observer)
        } else {
            self.sgd_loop::<TRACK, WIDE>(observer)
        }
    }

    /// L(β) = Σ_i r_i² / (2n) (the residuals land in `r`).
    #[inline(always)]
    fn full_loss<const WIDE: bool>(&mut self) -> f64 {
        self.data.residuals::<WIDE>(&self.beta, &mut self.r) * self.inv_2n
    }

    /// γ_k, checked (a constant stepsize was checked by `validate`).
    #[inline(always)]
    fn gamma(&self, k: u64) -> Result<f64> {
        match &self.sgd.stepsize {
            crate::Schedule::Constant(g) => Ok(*g),
            s => check_gamma(k, s.at(k)),
        }
    }

    /// [`flush_subnormal`] of w₊ and w₋ (β is unchanged: see the module docs).
    #[inline(always)]
    fn flush(&mut self) {
        flush_subnormal(&mut self.wp);
        flush_subnormal(&mut self.wm);
    }

    /// The checks at a step whose full loss `self.loss` is known: divergence, a snapshot if due,
    /// convergence. Returns the status if the run ends here.
    #[inline(always)]
    fn at_check(&mut self, record_now: bool, observer: &mut dyn Observer) -> Option<Status> {
        let loss = self.loss;
        if !loss.is_finite() || loss > self.threshold {
            return Some(Status::Diverged);
        }
        if record_now {
            self.record(observer);
        }
        (loss <= self.sgd.tol).then_some(Status::Converged)
    }

    #[cold]
    fn record(&mut self, observer: &mut dyn Observer) {
        observer.observe(&self.snapshot());
        let rec = &mut self.recorder;
        rec.count += 1;
        rec.last = Some(self.k);
        rec.next = self.sgd.record.next(self.k, rec.count);
    }

    /// GD: the residuals of every row give the loss at every step for free.
    #[inline(always)]
    fn gd_loop<const TRACK: bool, const WIDE: bool>(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        let n = self.data.n;
        loop {
            let k = self.k;
            if k.is_multiple_of(GD_FLUSH_EVERY) {
                self.flush();
            }
            let record_now = self.recorder.next == Some(k);
            self.loss = self.full_loss::<WIDE>();
            if let Some(status) = self.at_check(record_now, observer) {
                return Ok(status);
            }
            if k >= self.sgd.max_steps {
                return Ok(Status::MaxSteps);
            }
            let gamma = self.gamma(k)?;
            let idx = &self.sampler.perm[..n];
            for (c, &r) in self.c[..n].iter_mut().zip(&self.r) {
                *c = r * self.inv_b;
            }
            kernels::gradient::<WIDE>(&self.data.xr, idx, &self.c, &mut self.g);
            kernels::multiplicative_step::<WIDE, TRACK>(&mut self.g, gamma, &mut self.wp, &mut self.wm, &mut self.beta);
            if TRACK {
                track(&mut self.q_sums, &mut self.second_order, &self.g[..self.data.d]);
            }
            // s = −2Σγg = Xᵀλ: λ ← λ − 2γ r / b.
            let c = 2.0 * gamma * self.inv_b;
            for (l, &ri) in self.lambda.iter_mut().zip(&self.r[..n]) {
                *l -= c * ri;
            }
            self.k = k + 1;
        }
    }

    /// SGD: the full loss only at the check, record and last steps; the steps in between run as
    /// one segment with no checks.
    #[inline(always)]
    fn sgd_loop<const TRACK: bool, const WIDE: bool>(&mut self, observer: &mut dyn Observer) -> Result<Status> {
        let check_every = self.sgd.check_every.unwrap_or_else(|| self.data.n.div_ceil(self.sgd.batch) as u64);
        let max_steps = self.sgd.max_steps;
        let mut next_check: u64 = 0;
        loop {
            let k = self.k;
            let record_now = self.recorder.next == Some(k);
            let check = k == next_check;
            if check {
                next_check = next_check.saturating_add(check_every);
                self.flush();
            }
            self.loss = f64::NAN;
            let settled = check && !record_now && k < max_steps && self.check_settled();
            if (record_now || check || k == max_steps) && !settled {
                self.loss = self.full_loss::<WIDE>();
                // A NaN loss skips the checks; the next step's residual then reports the divergence.
                if !self.loss.is_nan()
                    && let Some(status) = self.at_check(record_now, observer)
                {
                    return Ok(status);
                }
            }
            if k >= max_steps {
                // The budget's last loss is always computed: a NaN one (skipped above) is divergence.
                return Ok(if self.loss.is_nan() { Status::Diverged } else { Status::MaxSteps });
            }
            let next_record = self.recorder.next.filter(|&r| r > k).unwrap_or(u64::MAX);
            let end = next_check.min(next_record).min(max_steps);
            let diverged = if self.sgd.batch == 1 && !TRACK {
                self.segment_b1_fused::<false, true, WIDE>(end)?
            } else if self.peaks.is_some() {
                // SGD b = 1, only the second-order sums tracked, at a constant stepsize: Σ(γg)² is fused
                // into the step, max|γg| and the steps beyond 1 come from the residuals (`Peaks`).
                self.segment_b1_fused::<true, false, WIDE>(end)?
            } else if self.sgd.batch == 1 && self.q_sums.is_none() {
                // Only the second-order sums are tracked: they are fused into the step as well.
                self.segment_b1_fused::<true, true, WIDE>(end)?
            } else if self.sgd.batch == 1 {
                self.segment_b1::<TRACK, WIDE>(end)?
            } else {
                self.segment::<TRACK, WIDE>(end)?
            };
            if diverged {
                // Not a check step (or one whose loss was NaN): the final loss is recomputed.
                self.loss = f64::NAN;
                return Ok(Status::Diverged);
            }
        }
    }

    /// Whether the loss check at this step can be decided without computing L(β): with the next
    /// residual r_i (b = 1, computed with the last update) the check is a no-op as soon as
    /// - r_i² / (2n) > tol: the computed loss is a sum of non-negative rounded terms one of which is
    ///   r_i², and rounding is monotone, so the computed L(β) ≥ r_i² / (2n) > tol (not converged);
    /// - 2 (‖X‖_F ‖β‖ + ‖y‖)² / (2n) ≤ threshold: L(β) = ‖Xβ − y‖² / (2n) is at most half of that,
    ///   and its rounding errors are far below a factor 2 (not diverged, and finite).
    ///
    /// The loss itself is never observed at such a step (it is recomputed where a run ends), so
    /// skipping it changes nothing. Costs d multiply-adds instead of n·d.
    #[inline(always)]
    fn check_settled(&self) -> bool {
        let Some((_, r)) = self.pending else { return false };
        let lower = r * r * self.inv_2n;
        if lower.is_nan() || lower <= self.sgd.tol {
            return false;
        }
        let mut beta_sq = 0.0;
        for b in &self.beta[..self.data.d] {
            beta_sq += b * b;
        }
        let bound = self.data.x_frobenius * beta_sq.sqrt() + self.data.y_norm;
        2.0 * bound * bound * self.inv_2n <= self.threshold
    }

    /// SGD b = 1 steps from `self.k` to `end` with no loss check: one dot product and one fused
    /// sweep per step. Returns true (with `self.k` at the step) if a residual is not finite.
    #[inline(always)]
    fn segment_b1<const TRACK: bool, const WIDE: bool>(&mut self, end: u64) -> Result<bool> {
        let (data, sgd) = (self.data, self.sgd);
        let (n, d, dp) = (data.n, data.d, data.dp);
        let constant = if let crate::Schedule::Constant(g) = sgd.stepsize { Some(g) } else { None };
        // The state as plain slices for the loop (no reloads through `self`).
        let Self { wp, wm, beta, g, lambda, sampler, q_sums, second_order, k, .. } = self;
        let (wp, wm, beta, g, lambda) = (&mut wp[..dp], &mut wm[..dp], &mut beta[..dp], &mut g[..dp], &mut lambda[..n]);
        let (xr, y) = (&data.xr[..n * dp], &data.y[..n]);
        while *k < end {
            let gamma = match constant {
                Some(g) => g,
                None => check_gamma(*k, sgd.stepsize.at(*k))?,
            };
            let i = sampler.next_one();
            let x = &xr[i * dp..(i + 1) * dp];
            let r = kernels::dot::<WIDE>(&x[..d], &beta[..d]) - y[i];
            if !r.is_finite() {
                return Ok(true);
            }
            // γg = (r/b) x γ with b = 1 (r · 1 = r exactly).
            kernels::rank_one::<WIDE, TRACK>(x, r, gamma, wp, wm, beta, g);
            if TRACK {
                track(q_sums, second_order, &g[..d]);
            }
            // λ_i ← λ_i − 2γ r / b, with b = 1.
            lambda[i] -= 2.0 * gamma * r;
            *k += 1;
        }
        Ok(false)
    }

    /// [`Self::segment_b1`] with each update fused with the next step's residual (its index is drawn
    /// one step ahead: the draws are independent of the state, so the sequence is the same). β is
    /// not stored during the segment, only formed again at its end. With `TRACK`, the second-order
    /// sums (which must be on, and the Σq oracle off) are accumulated in the same sweep.
    #[inline(always)]
    fn segment_b1_fused<const TRACK: bool, const MAX: bool, const WIDE: bool>(&mut self, end: u64) -> Result<bool> {
        let (data, sgd) = (self.data, self.sgd);
        let (n, d, dp) = (data.n, data.d, data.dp);
        let constant = if let crate::Schedule::Constant(g) = sgd.stepsize { Some(g) } else { None };
        let Self { wp, wm, beta, lambda, sampler, k, pending, second_order, peaks, .. } = self;
        let mut peaks = peaks.as_mut();
        let (track, steps_beyond_one): (kernels::SecondOrderSlices, Option<&mut u64>) = match second_order {
            Some(so) if TRACK => match (so.sq.as_slice_mut(), so.max_abs.as_slice_mut()) {
                (Some(sq), Some(max_abs)) => ((sq, max_abs), Some(&mut so.steps_beyond_one)),
                _ => return Err(crate::error::invalid("second_order", "the second-order sums must be contiguous")),
            },
            _ => ((&mut [], &mut []), None),
        };
        let mut beyond_steps: u64 = 0;
        let (wp, wm, beta, lambda) = (&mut wp[..dp], &mut wm[..dp], &mut beta[..dp], &mut lambda[..n]);
        let (xr, y) = (&data.xr[..n * dp], &data.y[..n]);
        let row = |i: usize| &xr[i * dp..(i + 1) * dp];
        let (mut i, mut r) = pending.take().unwrap_or_else(|| {
            let i = sampler.next_one();
            (i, kernels::dot::<WIDE>(&row(i)[..d], &beta[..d]) - y[i])
        });
        let mut diverged = false;
        while *k < end {
            let gamma = match constant {
                Some(g) => g,
                None => check_gamma(*k, sgd.stepsize.at(*k))?,
            };
            if !r.is_finite() {
                diverged = true;
                break;
            }
            let i_next = sampler.next_one();
            let (sq, max_abs) = (&mut *track.0, &mut *track.1);
            let (dot_next, mut beyond) =
                kernels::rank_one_then_dot::<WIDE, TRACK, MAX>(row(i), r, gamma, wp, wm, row(i_next), d, (sq, max_abs));
            if TRACK
                && !MAX
                && let Some(p) = peaks.as_deref_mut()
            {
                beyond = p.step(i, r);
            }
            beyond_steps += u64::from(beyond);
            // λ_i ← λ_i − 2γ r / b, with b = 1.
            lambda[i] -= 2.0 * gamma * r;
            (i, r) = (i_next, dot_next - y[i_next]);
            *k += 1;
        }
        for j in 0..dp {
            beta[j] = 0.5 * (wp[j] * wp[j] - wm[j] * wm[j]);
        }
        if let Some(count) = steps_beyond_one {
            *count += beyond_steps;
        }
        if !diverged {
            *pending = Some((i, r));
        }
        Ok(diverged)
    }

    /// SGD steps (1 < b < n) from `self.k` to `end` with no loss check.
    #[inline(always)]
    fn segment<const TRACK: bool, const WIDE: bool>(&mut self, end: u64) -> Result<bool> {
        let d = self.data.d;
        while self.k < end {
            let gamma = self.gamma(self.k)?;
            let batch = self.sampler.next_batch();
            if !batch_residuals::<WIDE>(self.data, batch, &self.beta, &mut self.r) {
                return Ok(true);
            }
            for (c, &r) in self.c[..batch.len()].iter_mut().zip(&self.r) {
                *c = r * self.inv_b;
            }
            kernels::gradient::<WIDE>(&self.data.xr, batch, &self.c, &mut self.g);
            kernels::multiplicative_step::<WIDE, TRACK>(&mut self.g, gamma, &mut self.wp, &mut self.wm, &mut self.beta);
            if TRACK {
                track(&mut self.q_sums, &mut self.second_order, &self.g[..d]);
            }
            let c = 2.0 * gamma * self.inv_b;
            for (t, &i) in batch.iter().enumerate() {
                self.lambda[i] -= c * self.r[t];
            }
            self.k += 1;
        }
        Ok(false)
    }

    /// The state at step k as a [`Snapshot`].
    fn snapshot(&self) -> Snapshot {
        let d = self.data.d;
        let gain = self.alpha.iter().zip(self.wp.iter().zip(&self.wm)).map(|(&a, (&p, &m))| gain_from_weights(a, p, m));
        Snapshot { step: self.k, train_loss: self.loss, beta: self.beta[..d].to_vec().into(), gain: gain.collect() }
    }
}

impl Record {
    /// The first recording step.
    pub(crate) fn first(self) -> Option<u64> {
        match self {
            Record::Never => None,
            _ => Some(0),
        }
    }

    /// The recording step after `k`, given it is the `i`-th (i ≥ 1).
    pub(crate) fn next(self, k: u64, i: u32) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_subnormal_zeroes_exactly_the_subnormals_keeping_their_sign() {
        let min = f64::MIN_POSITIVE;
        let smallest = f64::from_bits(1);
        let mut w = [min, -min, min / 2.0, -min / 4.0, smallest, -smallest, 0.0, -0.0, 1e-300, f64::NAN, f64::INFINITY];
        let kept = [min, -min, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 1e-300, f64::NAN, f64::INFINITY];
        flush_subnormal(&mut w);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&w), bits(&kept));
        // A subnormal weight's square is 0 either way: β does not change where the flush happens.
        for x in [min / 2.0, smallest, -min / 3.0] {
            assert_eq!((x * x).to_bits(), 0.0f64.to_bits());
        }
    }

    #[test]
    fn div_exact_is_the_integer_quotient() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let divisors = (2u32..2000).chain([65_535, 65_536, 65_537, 1 << 31, u32::MAX - 1, u32::MAX]);
        for d in divisors {
            let magic = u64::MAX / u64::from(d) + 1;
            let edges = [0, 1, d - 1, d, d.wrapping_add(1), u32::MAX - 1, u32::MAX];
            let random = (0..200).map(|_| rng.random::<u32>());
            for a in edges.into_iter().chain(random) {
                assert_eq!(div_exact(a, magic), a / d, "{a} / {d}");
            }
        }
    }

    #[test]
    fn next_batch_draws_what_partial_shuffle_draws() {
        // Chunks of several indices (small n), one index per chunk (n ≥ 65 536), and batches that
        // need more than one chunk (n = 1000: 1000 · 1001 · 1002 · 1003 overflows a u32).
        for n in [3usize, 7, 20, 255, 1000, 65_535, 65_536, 100_000] {
            for b in [2usize, 3, 5, 7, 19].into_iter().filter(|&b| b < n) {
                let mut fast = Sampler::new(n, b, Sampling::Iid, 11);
                assert!(!fast.plan.is_empty());
                let mut perm: Vec<usize> = (0..n).collect();
                let mut rng = ChaCha8Rng::seed_from_u64(11);
                for step in 0..2000 {
                    let expected = perm.partial_shuffle(&mut rng, b).0.to_vec();
                    assert_eq!(fast.next_batch(), &expected[..], "n = {n}, b = {b}, step {step}");
                }
                assert_eq!(fast.perm, perm, "n = {n}, b = {b}");
            }
        }
    }

    #[test]
    fn next_one_draws_what_partial_shuffle_draws() {
        // 65 536 · 65 537 overflows a u32: there rand draws the index directly, without a modulo.
        for n in [2usize, 3, 7, 20, 255, 1000, 65_535, 65_536, 100_000] {
            let mut fast = Sampler::new(n, 1, Sampling::Iid, 42);
            let mut perm: Vec<usize> = (0..n).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            for step in 0..5000 {
                let expected = perm.partial_shuffle(&mut rng, 1).0[0];
                assert_eq!(fast.next_one(), expected, "n = {n}, step {step}");
            }
            assert_eq!(fast.perm, perm, "n = {n}");
        }
    }
}

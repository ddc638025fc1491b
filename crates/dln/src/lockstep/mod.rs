//! Lockstep runs: K runs of the engine on one problem — different stepsizes, budgets, tolerances or
//! initialisations — advanced together, four runs per 4-wide vector (struct of arrays), so that each
//! read of a row of X serves every run of a vector and no step waits on another's latency.
//! Book: chapter "Setting and notation" (the update).
//!
//! Every run stays **bitwise identical** to running it alone with [`Sgd::run`]: each lane performs the
//! same IEEE operations in the same order as the single-run engine (the residual ⟨x_i, β⟩ − y_i in
//! [`crate::linalg`]'s fixed dot-product order, the gradient Σ_i c_i x_i sequentially in i, then the
//! multiplicative update), with the same stopping rules at the same steps; a lane that stops is frozen
//! and reported at its own step.
//!
//! - **SGD with b = 1**: each step is, per lane, one rank-one multiplicative update fused with the
//!   next step's residual. Runs that share a sampler (same seed and sampling) draw the same rows:
//!   one draw serves them all and each row is broadcast to the vector. A run whose sampler is its own
//!   runs alone (drawing and gathering a row per lane costs more than it saves).
//! - **GD (b = n)**: for a vector of runs, the residuals R = XB − Y (B the d×K matrix of the runs'
//!   β) and the gradient G = XᵀR/n are matrix–matrix products.
//!
//! The second-order sums of [`crate::SecondOrder`] (`track_second_order`) are tracked lane by lane,
//! with the same operations as the single-run engine. Runs that do not fit (1 < b < n, a snapshot
//! schedule, the Σq oracle) are run one by one, so any list of runs is accepted.
//!
//! When it pays: runs of similar lengths. A vector of four lanes advances until its last lane stops
//! (stopped lanes are compacted away only when a whole vector's worth is free), so a grid whose runs
//! stop at very different steps — stepsizes from 0.1 to 0.9·γ_max, say, which converge in ~10× as
//! many steps at the small end — costs about W × the longest run per vector and can be slower than
//! running the runs one by one. A grid of stepsizes in a narrow window (or budgets, tolerances,
//! initialisations) of SGD b = 1 with one seed gains most; GD gains less, the single-run GD kernels
//! being vectorised over rows and columns already (`cargo bench -p dln` measures both).
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

mod kernels;
mod lanes;

use crate::data::Problem;
use crate::engine::Data;
use crate::error::{DlnError, Result};
use crate::model::validate_alpha;
use crate::optimizer::{Record, Schedule, Sgd};
use crate::run::Run;
use lanes::{Kind, LaneSet};

/// Runs per vector.
const W: usize = 4;
/// One value per lane of a vector.
type V = [f64; W];

/// The lockstep kernel of a run, if one fits: none with snapshots or the Σq oracle, or 1 < b < n.
fn kind(sgd: &Sgd, n: usize) -> Option<Kind> {
    match sgd.batch {
        _ if sgd.record != Record::Never || sgd.track_q_sums => None,
        b if b == n => Some(Kind::Gd),
        1 => Some(Kind::Sgd1),
        _ => None,
    }
}

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
        // The kernel of each valid run, if it has one.
        let mut kinds: Vec<Option<Kind>> = vec![None; k];
        for (i, (sgd, alpha)) in self.runs.iter().zip(alphas).enumerate() {
            match sgd.validate(n).and_then(|()| validate_alpha(*alpha, d)) {
                Err(e) => results[i] = Some(Err(e)),
                Ok(()) => kinds[i] = kind(sgd, n),
            }
        }
        // An SGD run shares a vector only with runs of the same sampler (their rows are read once
        // for all); a run with a sampler of its own runs alone, which is faster here than gathering
        // every lane's row.
        for i in 0..k {
            let sampler = |j: usize| (self.runs[j].seed, self.runs[j].sampling);
            if kinds[i] == Some(Kind::Sgd1)
                && !(0..k).any(|j| j != i && kinds[j] == Some(Kind::Sgd1) && sampler(j) == sampler(i))
            {
                kinds[i] = None;
            }
        }
        // Sets of lanes sharing one kernel: GD, and SGD b = 1 by check period; each with or without
        // the second-order sums.
        let mut sets: Vec<(Kind, u64, bool, Vec<usize>)> = Vec::new();
        for (i, sgd) in self.runs.iter().enumerate() {
            if results[i].is_some() {
                continue;
            }
            let Some(kind) = kinds[i] else {
                results[i] = Some(sgd.run(problem, alphas[i]));
                continue;
            };
            let check = if kind == Kind::Gd { 1 } else { sgd.check_every.unwrap_or(n as u64) };
            let track = sgd.track_second_order;
            match sets.iter_mut().find(|(kd, c, t, _)| *kd == kind && *c == check && *t == track) {
                Some(set) => set.3.push(i),
                None => sets.push((kind, check, track, vec![i])),
            }
        }
        for (kind, check_every, _, ids) in sets {
            let lanes = ids.iter().map(|&i| (i, &self.runs[i], alphas[i])).collect();
            LaneSet::new(problem, &data, kind, check_every, lanes).run(&mut results);
        }
        results.into_iter().map(|r| r.expect("every run has a result")).collect()
    }
}

//! γ_max in the report: the one bisection of [`dln::stability`], with its one starting rule.
//!
//! The mathematics (the bisection, its start b / mean‖x_i‖², runs at a constant stepsize) lives in
//! `dln`; these names are what the experiments call. Book: chapter "Why macroscopic stepsizes?".

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use anyhow::Result;
use dln::stability::Trial;
use dln::{DlnError, Problem, Result as DlnResult, Schedule, Sgd};
use ndarray::ArrayView1;

pub use dln::stability::{bisection_start, converges, run_at};

/// What a γ_max search's trials depend on, exactly: the data and α bit for bit, and the template
/// (its constant stepsize is replaced by each trial, so it is left out).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Runs {
    bits: Vec<u64>,
    template: String,
}

/// What a γ_max search depends on: its trials' [`Runs`] and the precision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    runs: Runs,
    rel_tol: u64,
}

impl Key {
    /// The key of a search, or `None` if the template's stepsize is not constant (not memoised).
    fn of(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Option<Self> {
        if !matches!(template.stepsize, Schedule::Constant(_)) {
            return None;
        }
        let values = problem.x.iter().chain(&problem.y).chain(alpha.iter());
        let bits = std::iter::once(problem.n() as u64).chain(values.map(|v| v.to_bits())).collect();
        let template = format!("{:?}", Sgd { stepsize: Schedule::Constant(1.0), ..template.clone() });
        Some(Key { runs: Runs { bits, template }, rel_tol: rel_tol.to_bits() })
    }
}

type Memo = Mutex<HashMap<Key, Arc<OnceLock<std::result::Result<f64, DlnError>>>>>;

/// The trials made so far on the same [`Runs`], by the bits of their stepsize.
type Trials = Arc<Mutex<HashMap<u64, Trial>>>;

/// γ_max searches already made in this process: the runs are deterministic, so the same search gives
/// the same γ_max, and experiments that share datasets (every experiment on the paper's setting) share
/// their searches. Concurrent callers of one search wait for its single computation.
static MEMO: LazyLock<Memo> = LazyLock::new(Default::default);

/// The trials of every search, shared by searches of the same [`Runs`] at different precisions: from
/// the same start, a finer search repeats the coarser one's trials before it bisects further.
static TRIALS: LazyLock<Mutex<HashMap<Runs, Trials>>> = LazyLock::new(Default::default);

/// [`dln::stability::gamma_max`] with each trial on `runs` made once per process
/// ([`dln::stability::gamma_max_search_by`] on a cache of [`dln::stability::trial`]).
fn bisect(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64, runs: &Runs) -> DlnResult<f64> {
    let trials = lock(&TRIALS).entry(runs.clone()).or_default().clone();
    let found = dln::stability::gamma_max_search_by(problem, template, rel_tol, |g| {
        if let Some(t) = lock(&trials).get(&g.to_bits()) {
            return Ok(*t);
        }
        let t = dln::stability::trial(problem, alpha, template, g)?;
        lock(&trials).insert(g.to_bits(), t);
        Ok(t)
    })?;
    Ok(found.gamma_max)
}

/// The lock of `m`, poisoned or not (the maps only ever hold finished values).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// [`dln::stability::gamma_max`], memoised by [`Key`].
fn search(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> DlnResult<f64> {
    let Some(key) = Key::of(problem, alpha, template, rel_tol) else {
        return dln::stability::gamma_max(problem, alpha, template, rel_tol);
    };
    let cell = lock(&MEMO).entry(key.clone()).or_default().clone();
    cell.get_or_init(|| bisect(problem, alpha, template, rel_tol, &key.runs)).clone()
}

/// γ_max of `template`: the largest constant stepsize converging within its step budget, to relative
/// precision `rel_tol`, bisected from [`bisection_start`] ([`dln::stability::gamma_max`]; computed
/// once per process for the same data, α, template and precision).
pub fn gamma_max_of(problem: &Problem, alpha: ArrayView1<f64>, template: &Sgd, rel_tol: f64) -> Result<f64> {
    Ok(search(problem, alpha, template, rel_tol)?)
}

/// [`gamma_max_of`], with `None` when no constant stepsize converges within the step budget
/// ([`dln::DlnError::NoConvergentStepsize`]: a status of the data and the budget, reported, not an
/// error).
pub fn gamma_max_if_any(
    problem: &Problem,
    alpha: ArrayView1<f64>,
    template: &Sgd,
    rel_tol: f64,
) -> Result<Option<f64>> {
    match search(problem, alpha, template, rel_tol) {
        Ok(g) => Ok(Some(g)),
        Err(dln::DlnError::NoConvergentStepsize { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_convergent_stepsize_is_a_status_and_other_failures_stay_errors() {
        let problem = dln::DataConfig { n: 10, d: 15, s: 2, seed: 3, ..dln::DataConfig::default() }.generate().unwrap();
        let alpha = dln::uniform_alpha(0.1, 15);
        // One step cannot reach L ≤ 1e-30 at any stepsize: no convergent stepsize.
        let hopeless = Sgd::gd(1.0, 10).with_budget(1, 1e-30);
        assert_eq!(gamma_max_if_any(&problem, alpha.view(), &hopeless, 0.05).unwrap(), None);
        let fine = Sgd::gd(1.0, 10).with_budget(100_000, 1e-10);
        let g = gamma_max_if_any(&problem, alpha.view(), &fine, 0.05).unwrap().expect("a convergent stepsize");
        assert_eq!(g, gamma_max_of(&problem, alpha.view(), &fine, 0.05).unwrap());
        assert!(gamma_max_if_any(&problem, alpha.view(), &fine, -1.0).is_err(), "a bad rel_tol stays an error");
    }

    #[test]
    fn a_finer_search_reuses_the_coarser_ones_trials_and_finds_the_same_gamma_max() {
        let problem = dln::DataConfig { n: 10, d: 15, s: 2, seed: 8, ..dln::DataConfig::default() }.generate().unwrap();
        let alpha = dln::uniform_alpha(0.1, 15);
        let sgd = Sgd::sgd(1.0, 1).with_budget(20_000, 1e-10).with_seed(8);
        let runs = Key::of(&problem, alpha.view(), &sgd, 0.05).unwrap().runs;
        let count = || lock(&TRIALS).get(&runs).map_or(0, |t| lock(t).len());
        let coarse = gamma_max_of(&problem, alpha.view(), &sgd, 0.05).unwrap();
        let after_coarse = count();
        let fine = gamma_max_of(&problem, alpha.view(), &sgd, 0.002).unwrap();
        let direct = |r| dln::stability::gamma_max_search(&problem, alpha.view(), &sgd, r).unwrap();
        assert_eq!(coarse, direct(0.05).gamma_max);
        assert_eq!(fine, direct(0.002).gamma_max, "the same γ_max as a search of its own");
        // The fine search made only the trials past the coarse one's bracket.
        assert_eq!(after_coarse, direct(0.05).evaluations);
        assert_eq!(count(), direct(0.002).evaluations);
        assert!(count() > after_coarse);
    }

    #[test]
    fn the_memo_keys_on_the_data_the_template_and_the_precision() {
        let problem = dln::DataConfig { n: 10, d: 15, s: 2, seed: 5, ..dln::DataConfig::default() }.generate().unwrap();
        let alpha = dln::uniform_alpha(0.1, 15);
        let gd = Sgd::gd(1.0, 10).with_budget(50_000, 1e-10);
        let direct = dln::stability::gamma_max(&problem, alpha.view(), &gd, 0.05).unwrap();
        assert_eq!(gamma_max_of(&problem, alpha.view(), &gd, 0.05).unwrap(), direct);
        assert_eq!(gamma_max_of(&problem, alpha.view(), &gd, 0.05).unwrap(), direct, "memoised");
        // The template's own stepsize does not matter; everything else does.
        let key = |p: &Problem, t: &Sgd, r: f64| Key::of(p, alpha.view(), t, r).unwrap();
        assert_eq!(
            key(&problem, &gd, 0.05),
            key(&problem, &Sgd { stepsize: Schedule::Constant(3.0), ..gd.clone() }, 0.05)
        );
        assert_ne!(key(&problem, &gd, 0.05), key(&problem, &gd, 0.02));
        assert_ne!(key(&problem, &gd, 0.05), key(&problem, &gd.clone().with_budget(60_000, 1e-10), 0.05));
        let mut other = problem.clone();
        other.y[0] += 1e-12;
        assert_ne!(key(&problem, &gd, 0.05), key(&other, &gd, 0.05));
        assert_eq!(key(&problem, &gd, 0.05).runs, key(&problem, &gd, 0.02).runs, "the trials do not depend on it");
        let decay = Sgd { stepsize: Schedule::StepDecay { gamma: 1.0, factor: 0.5, every: 10 }, ..gd.clone() };
        assert!(Key::of(&problem, alpha.view(), &decay, 0.05).is_none(), "schedules are not memoised");
    }
}

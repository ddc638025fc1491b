//! One (S)GD run from its parameters: the path `dln-report run` and every row of `dln-report sweep`
//! share.
//!
//! A [`RunSpec`] names a run on generated data: the data design (n, d, s, design, σ, mean, noise,
//! seed), the initialisation scale α and the optimiser (stepsize γ or a fraction of γ_max, batch,
//! sampling, schedule, step budget, tolerance). [`RunSpec::validate`] checks all of it before any
//! work, [`RunSpec::gamma`] resolves the stepsize (γ = `gamma_ratio` · γ_max, γ_max bisected by
//! [`crate::stability::gamma_max_of`] on the run's own problem and template), [`RunSpec::sgd`] builds
//! the engine's parameters, and [`finish`] turns the engine's [`Run`] into a [`RunReport`]: the
//! late-divergence check, Theorem 2's prediction β_pred = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) and
//! Theorem 1's gradient-flow interpolator β_GF = argmin_{Xβ=y} ψ_α(β), with a note for each thing
//! that is missing or should be read with care. [`execute`] is the three in a row.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, anyhow, bail};
use dln::{BregmanSolver, DataConfig, Design, Problem, Run, Sampling, Schedule, Sgd, Status, uniform_alpha};
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The stepsize when neither `stepsize` nor `gamma_ratio` is given.
pub const DEFAULT_STEPSIZE: f64 = 0.05;

/// Relative precision of the γ_max bisection when `gamma_ratio` is given (as in `generalization`).
pub const DEFAULT_GAMMA_MAX_REL_TOL: f64 = 0.02;

/// The batch size: b samples per step, or all n of them (GD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Batch {
    /// b = n: full-batch GD (written `"n"`).
    #[default]
    Full,
    /// b samples per step.
    Size(usize),
}

impl Batch {
    /// b on a problem with `n` samples.
    pub fn size(self, n: usize) -> usize {
        match self {
            Batch::Full => n,
            Batch::Size(b) => b,
        }
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Batch::Full => f.write_str("n"),
            Batch::Size(b) => write!(f, "{b}"),
        }
    }
}

impl Serialize for Batch {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Batch::Full => s.serialize_str("n"),
            Batch::Size(b) => s.serialize_u64(*b as u64),
        }
    }
}

impl<'de> Deserialize<'de> for Batch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Size(u64),
            Text(String),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Size(b)) => Ok(Batch::Size(b as usize)),
            Ok(Raw::Text(t)) if t == "n" => Ok(Batch::Full),
            _ => Err(serde::de::Error::custom("batch must be a positive integer or \"n\" (GD)")),
        }
    }
}

/// The stepsize schedule around the base stepsize γ, in the form `run --schedule` and grids
/// write it.
///
/// | text | schedule γ_k |
/// |---|---|
/// | `constant` | γ |
/// | `step_decay:F:E` | γ · F^⌊k / E⌋ |
/// | `warm_up:S` | γ (k + 1)/S for k < S, then γ |
/// | `cosine:F:S` | from γ down to F·γ over S steps (cosine annealing), then F·γ |
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ScheduleSpec {
    /// γ_k = γ.
    #[default]
    Constant,
    /// γ_k = γ · factor^⌊k / every⌋.
    StepDecay {
        /// Multiplier in (0, 1].
        factor: f64,
        /// Steps between decays (≥ 1).
        every: u64,
    },
    /// Linear warm-up over `steps` steps.
    WarmUp {
        /// Warm-up length (≥ 1).
        steps: u64,
    },
    /// Cosine annealing to γ_final = `final_fraction` · γ over `steps` steps.
    Cosine {
        /// γ_final / γ, in (0, 1].
        final_fraction: f64,
        /// Annealing length (≥ 1).
        steps: u64,
    },
}

impl ScheduleSpec {
    /// The engine's schedule with base stepsize γ.
    pub fn at_base(self, gamma: f64) -> Schedule {
        match self {
            ScheduleSpec::Constant => Schedule::Constant(gamma),
            ScheduleSpec::StepDecay { factor, every } => Schedule::StepDecay { gamma, factor, every },
            ScheduleSpec::WarmUp { steps } => Schedule::WarmUp { gamma, steps },
            ScheduleSpec::Cosine { final_fraction, steps } => {
                Schedule::Cosine { gamma, gamma_final: final_fraction * gamma, steps }
            }
        }
    }
}

impl fmt::Display for ScheduleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleSpec::Constant => f.write_str("constant"),
            ScheduleSpec::StepDecay { factor, every } => write!(f, "step_decay:{factor}:{every}"),
            ScheduleSpec::WarmUp { steps } => write!(f, "warm_up:{steps}"),
            ScheduleSpec::Cosine { final_fraction, steps } => write!(f, "cosine:{final_fraction}:{steps}"),
        }
    }
}

impl FromStr for ScheduleSpec {
    type Err = String;

    /// Parses the forms of the type's table; the parameters are checked by [`RunSpec::validate`].
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = text.trim().split(':').map(str::trim).collect();
        let float = |s: &str| s.parse::<f64>().map_err(|_| format!("schedule `{text}`: `{s}` is not a number"));
        let int = |s: &str| s.parse::<u64>().map_err(|_| format!("schedule `{text}`: `{s}` is not a step count"));
        match parts.as_slice() {
            ["constant"] => Ok(ScheduleSpec::Constant),
            ["step_decay", f, e] => Ok(ScheduleSpec::StepDecay { factor: float(f)?, every: int(e)? }),
            ["warm_up", s] => Ok(ScheduleSpec::WarmUp { steps: int(s)? }),
            ["cosine", f, s] => Ok(ScheduleSpec::Cosine { final_fraction: float(f)?, steps: int(s)? }),
            _ => Err(format!(
                "unknown schedule `{text}`; expected constant, step_decay:FACTOR:EVERY, warm_up:STEPS or cosine:FINAL_FRACTION:STEPS"
            )),
        }
    }
}

impl Serialize for ScheduleSpec {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScheduleSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The name of a sampling scheme, as grids and `run --sampling` write it.
pub fn sampling_name(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Iid => "iid",
        Sampling::Shuffle => "shuffle",
    }
}

/// σ, the per-coordinate standard deviation of x: one value for every coordinate or d values.
fn sigma_one_or_many<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<f64>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(f64),
        Many(Vec<f64>),
    }
    match Option::<Raw>::deserialize(d) {
        Ok(raw) => Ok(raw.map(|r| match r {
            Raw::One(v) => vec![v],
            Raw::Many(v) => v,
        })),
        Err(_) => Err(serde::de::Error::custom("sigma must be a number or a list of d numbers")),
    }
}

/// The parameters of one run on generated data (the options of `run`, the keys of a sweep grid).
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `n`, `d`, `s` | 20, 30, 3 | samples, dimension, sparsity of β* (first s coordinates, N(0, 1)) | n, d ≥ 1, s ≤ d |
/// | `design` | `gaussian` | law of the standardised coordinates of x (`gaussian`, `rademacher`, `uniform`) | |
/// | `sigma` | 1 | per-coordinate std of x: one number or d | > 0 |
/// | `mean` | 0 | every coordinate of E x | finite |
/// | `noise` | 0 | label noise std | ≥ 0 |
/// | `alpha` | 0.1 | uniform initialisation scale α (u₀ = √2 α, v₀ = 0) | > 0, α² normal |
/// | `stepsize` | 0.05 | the base stepsize γ | > 0 |
/// | `gamma_ratio` | — | instead of `stepsize`: γ = ratio · γ_max | > 0 |
/// | `gamma_max_rel_tol` | 0.02 | relative precision of the γ_max bisection | > 0 |
/// | `batch` | `"n"` (GD) | batch size b | 1 ≤ b ≤ n |
/// | `sampling` | `iid` | batch sampling (`iid`, `shuffle`) | |
/// | `schedule` | `constant` | stepsize schedule ([`ScheduleSpec`]) | |
/// | `steps` | 100 000 | step budget | any |
/// | `tol` | 1e-20 | stop once L(β) ≤ tol (0: never) | ≥ 0; > 0 with `gamma_ratio` |
/// | `seed` | 0 | seed of the data and of the batch sampler | any |
///
/// γ_max (with `gamma_ratio`) is the largest *constant* stepsize at which this run's batch, sampling,
/// seed, budget and tolerance converge on this problem (a schedule then starts from ratio · γ_max).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Law of the standardised coordinates of x.
    pub design: Design,
    /// Per-coordinate standard deviation of x (`None` is 1).
    #[serde(deserialize_with = "sigma_one_or_many")]
    pub sigma: Option<Vec<f64>>,
    /// Every coordinate of E x.
    pub mean: f64,
    /// Label noise standard deviation.
    pub noise: f64,
    /// Uniform initialisation scale α.
    pub alpha: f64,
    /// Base stepsize γ (`None`: [`DEFAULT_STEPSIZE`] unless `gamma_ratio` is given).
    pub stepsize: Option<f64>,
    /// γ / γ_max, instead of `stepsize`.
    pub gamma_ratio: Option<f64>,
    /// Relative precision of the γ_max bisection.
    pub gamma_max_rel_tol: f64,
    /// Batch size.
    pub batch: Batch,
    /// Batch sampling scheme.
    pub sampling: Sampling,
    /// Stepsize schedule around the base stepsize.
    pub schedule: ScheduleSpec,
    /// Step budget.
    pub steps: u64,
    /// Training-loss tolerance.
    pub tol: f64,
    /// Seed of the data and of the batch sampler.
    pub seed: u64,
}

impl Default for RunSpec {
    /// The data of [`DataConfig::default`], α = 0.1, GD at γ = [`DEFAULT_STEPSIZE`].
    fn default() -> Self {
        let data = DataConfig::default();
        Self {
            n: data.n,
            d: data.d,
            s: data.s,
            design: data.design,
            sigma: data.sigma,
            mean: data.mean,
            noise: data.noise,
            alpha: 0.1,
            stepsize: None,
            gamma_ratio: None,
            gamma_max_rel_tol: DEFAULT_GAMMA_MAX_REL_TOL,
            batch: Batch::Full,
            sampling: Sampling::Iid,
            schedule: ScheduleSpec::Constant,
            steps: 100_000,
            tol: 1e-20,
            seed: data.seed,
        }
    }
}

/// The parameter names of [`RunSpec`], in the order of its fields (and of a sweep's columns).
pub const PARAMETERS: [&str; 17] = [
    "n",
    "d",
    "s",
    "design",
    "sigma",
    "mean",
    "noise",
    "alpha",
    "stepsize",
    "gamma_ratio",
    "gamma_max_rel_tol",
    "batch",
    "sampling",
    "schedule",
    "steps",
    "tol",
    "seed",
];

impl RunSpec {
    /// How the problem is drawn.
    pub fn data(&self) -> DataConfig {
        DataConfig {
            n: self.n,
            d: self.d,
            s: self.s,
            design: self.design,
            mean: self.mean,
            sigma: self.sigma.clone(),
            noise: self.noise,
            seed: self.seed,
            ..DataConfig::default()
        }
    }

    /// The same run with every default made explicit: `batch` a number, `stepsize` given unless
    /// `gamma_ratio` is (so that two specs of one run are equal).
    pub fn canonical(&self) -> Self {
        let mut spec = self.clone();
        spec.batch = Batch::Size(self.batch.size(self.n));
        if spec.gamma_ratio.is_none() && spec.stepsize.is_none() {
            spec.stepsize = Some(DEFAULT_STEPSIZE);
        }
        spec
    }

    /// Checks every parameter before any work (the data design, then the run on n samples); one-line
    /// errors naming the parameter.
    pub fn validate(&self) -> Result<()> {
        self.data().validate().map_err(|e| anyhow!("{e}"))?;
        self.validate_run(self.n)
    }

    /// Checks the initialisation and the optimiser's parameters for a problem with `n` samples
    /// (generated or the user's own).
    pub fn validate_run(&self, n: usize) -> Result<()> {
        dln::validate_alpha(uniform_alpha(self.alpha, 1).view(), 1).map_err(|e| anyhow!("{e}"))?;
        match (self.stepsize, self.gamma_ratio) {
            (Some(_), Some(_)) => bail!("give either `stepsize` or `gamma_ratio`, not both"),
            (_, Some(r)) if !(r.is_finite() && r > 0.0) => {
                bail!("invalid parameter `gamma_ratio`: must be finite and > 0, got {r}")
            }
            (_, Some(_)) if !(self.tol.is_finite() && self.tol > 0.0) => {
                bail!("`gamma_ratio` needs `tol` > 0 (γ_max is the largest stepsize reaching the tolerance)")
            }
            _ => {}
        }
        if !(self.gamma_max_rel_tol.is_finite() && self.gamma_max_rel_tol > 0.0) {
            bail!("invalid parameter `gamma_max_rel_tol`: must be finite and > 0, got {}", self.gamma_max_rel_tol);
        }
        // The engine's own checks (batch, tolerance, schedule), at the base stepsize given or 1.
        self.sgd(self.stepsize.unwrap_or(1.0), n).validate(n).map_err(|e| anyhow!("{e}"))?;
        Ok(())
    }

    /// The (S)GD run at base stepsize γ on a problem with `n` samples.
    pub fn sgd(&self, gamma: f64, n: usize) -> Sgd {
        Sgd {
            stepsize: self.schedule.at_base(gamma),
            batch: self.batch.size(n),
            sampling: self.sampling,
            max_steps: self.steps,
            tol: self.tol,
            seed: self.seed,
            ..Sgd::default()
        }
    }

    /// The uniform initialisation α·1 in dimension `d`.
    pub fn alpha_vec(&self, d: usize) -> Array1<f64> {
        uniform_alpha(self.alpha, d)
    }

    /// The spec of the γ_max bisection this run needs, if any: the run with a constant schedule and
    /// no stepsize (runs that share it share γ_max).
    pub fn bisection(&self) -> Option<RunSpec> {
        self.gamma_ratio.map(|_| RunSpec {
            stepsize: None,
            gamma_ratio: Some(1.0),
            schedule: ScheduleSpec::Constant,
            ..self.canonical()
        })
    }

    /// γ_max of this run's template on `problem` (constant schedule; see the type's docs).
    pub fn gamma_max(&self, problem: &Problem) -> Result<f64> {
        let template = Sgd { stepsize: Schedule::Constant(1.0), ..self.sgd(1.0, problem.n()) };
        let alpha = self.alpha_vec(problem.d());
        crate::stability::gamma_max_of(problem, alpha.view(), &template, self.gamma_max_rel_tol)
    }

    /// The base stepsize γ and, with `gamma_ratio`, γ_max (`known`: a γ_max computed already).
    pub fn gamma(&self, problem: &Problem, known: Option<f64>) -> Result<(f64, Option<f64>)> {
        match self.gamma_ratio {
            None => Ok((self.stepsize.unwrap_or(DEFAULT_STEPSIZE), None)),
            Some(ratio) => {
                let gamma_max = match known {
                    Some(g) => g,
                    None => self.gamma_max(problem)?,
                };
                Ok((ratio * gamma_max, Some(gamma_max)))
            }
        }
    }
}

/// Everything a run yields, ready to print or to store.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The problem.
    pub problem: Problem,
    /// The batch size actually used.
    pub batch: usize,
    /// The base stepsize γ actually used.
    pub gamma: f64,
    /// γ_max, when γ was given as a fraction of it.
    pub gamma_max: Option<f64>,
    /// The run.
    pub run: Run,
    /// Theorem 2's prediction (None when not applicable; see `notes`).
    pub beta_pred: Option<Array1<f64>>,
    /// Theorem 1's gradient-flow interpolator (None if the solver failed; see `notes`).
    pub beta_gf: Option<Array1<f64>>,
    /// Why a prediction is missing or should be read with care.
    pub notes: Vec<String>,
}

/// What a diverged run's report says first.
pub const DIVERGED: &str = "the run diverged: the training loss grew beyond bounds or became non-finite, so β, α∞, β̃₀ \
                            and the gain describe no limit (non-finite values are null in --json)";

/// ‖a − b‖₂.
fn distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt()
}

impl RunReport {
    /// ‖β∞ − β_pred‖₂ (Theorem 2's error), if there is a prediction.
    pub fn pred_error(&self) -> Option<f64> {
        self.beta_pred.as_ref().map(|p| distance(self.run.beta.view(), p.view()))
    }

    /// ‖β∞ − β_GF‖₂ (distance to gradient flow's limit).
    pub fn gf_error(&self) -> Option<f64> {
        self.beta_gf.as_ref().map(|p| distance(self.run.beta.view(), p.view()))
    }

    /// The exact test risk of β∞ (see [`Problem::test_risk`]).
    pub fn test_risk(&self) -> f64 {
        self.problem.test_risk(self.run.beta.view())
    }
}

/// Runs `spec` on `problem` (whose data it describes, or the user's own): γ, the engine, then
/// [`finish`].
pub fn execute(spec: &RunSpec, problem: Problem) -> Result<RunReport> {
    spec.validate_run(problem.n())?;
    let (gamma, gamma_max) = spec.gamma(&problem, None)?;
    let sgd = spec.sgd(gamma, problem.n());
    let alpha = spec.alpha_vec(problem.d());
    let run = sgd.run(&problem, alpha.view())?;
    Ok(finish(problem, alpha.view(), &sgd, gamma_max, run))
}

/// The report of a finished run of `sgd` from `alpha` on `problem`: a β or loss that is not finite
/// at the end is a divergence, whatever the engine's last check said; then both predictions are
/// solved, each with a note when it is missing or approximate.
pub fn finish(problem: Problem, alpha: ArrayView1<f64>, sgd: &Sgd, gamma_max: Option<f64>, mut run: Run) -> RunReport {
    let solver = BregmanSolver::default();
    let mut notes = Vec::new();
    // The engine checks the loss of SGD only every ⌈n/b⌉ steps: a blow-up after the last check
    // ends at the step budget with β non-finite. That is a divergence.
    let late =
        run.status != Status::Diverged && !(run.train_loss.is_finite() && run.beta.iter().all(|b| b.is_finite()));
    if late {
        run.status = Status::Diverged;
    }
    if run.status == Status::Diverged {
        notes.push(DIVERGED.to_string());
    }
    if late {
        notes.push(format!("β became non-finite by step {}, after the engine's last loss check", run.steps));
    }
    let (x, y) = (problem.x.view(), problem.y.view());
    let beta_pred = match run.status {
        Status::Diverged => {
            notes.push("beta_pred: not applicable, the run diverged".to_string());
            None
        }
        _ if !run.effective.is_finite() => {
            notes.push(
                "beta_pred: not applicable, the effective initialisation α∞ is not finite and positive".to_string(),
            );
            None
        }
        status => {
            if status == Status::MaxSteps {
                notes.push(format!(
                    "beta_pred: the run stopped at the step budget ({}) before the loss reached tol; the prediction uses α∞, β̃₀ at the last step",
                    run.steps
                ));
            }
            match solver.theorem2(x, y, &run.effective) {
                Ok(sol) => Some(sol.beta),
                Err(e) => {
                    notes.push(format!("beta_pred: {e}"));
                    None
                }
            }
        }
    };
    let beta_gf = if run.status == Status::Diverged {
        notes.push(
            "beta_gf: not applicable, the run diverged (nothing to compare gradient flow's limit with)".to_string(),
        );
        None
    } else {
        match solver.theorem1(x, y, alpha) {
            Ok(sol) => Some(sol.beta),
            Err(e) => {
                notes.push(format!("beta_gf: {e}"));
                None
            }
        }
    };
    let gamma = sgd.stepsize.base();
    RunReport { problem, batch: sgd.batch, gamma, gamma_max, run, beta_pred, beta_gf, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_print_and_parse_back() {
        for text in ["constant", "step_decay:0.5:1000", "warm_up:100", "cosine:0.1:20000"] {
            let spec: ScheduleSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "cosine:0.1:10".parse::<ScheduleSpec>().unwrap().at_base(2.0),
            Schedule::Cosine { gamma: 2.0, gamma_final: 0.2, steps: 10 }
        );
        for bad in ["", "linear", "cosine:0.1", "warm_up:x", "step_decay:a:1"] {
            let e = bad.parse::<ScheduleSpec>().unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn specs_read_from_toml_with_defaults_and_named_errors() {
        let spec: RunSpec = toml::from_str("n = 10\nbatch = \"n\"\nsigma = 2.0\nschedule = \"warm_up:5\"").unwrap();
        assert_eq!((spec.n, spec.batch, spec.sigma.as_deref()), (10, Batch::Full, Some(&[2.0][..])));
        assert_eq!(spec.schedule, ScheduleSpec::WarmUp { steps: 5 });
        let spec: RunSpec = toml::from_str("batch = 4\nsigma = [1.0, 2.0]\ndesign = \"uniform\"").unwrap();
        assert_eq!((spec.batch, spec.design), (Batch::Size(4), Design::Uniform));
        assert!(toml::from_str::<RunSpec>("batch = \"all\"").unwrap_err().to_string().contains("batch"));
        assert!(toml::from_str::<RunSpec>("gamma = 1.0").unwrap_err().to_string().contains("gamma"));
        let json = serde_json::to_value(RunSpec::default().canonical()).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = PARAMETERS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn validation_names_the_parameter() {
        let msg = |spec: RunSpec| format!("{:#}", spec.validate().unwrap_err());
        assert!(msg(RunSpec { batch: Batch::Size(21), ..RunSpec::default() }).contains("batch"));
        assert!(msg(RunSpec { stepsize: Some(0.1), gamma_ratio: Some(0.5), ..RunSpec::default() }).contains("either"));
        assert!(msg(RunSpec { gamma_ratio: Some(0.5), tol: 0.0, ..RunSpec::default() }).contains("tol"));
        assert!(msg(RunSpec { gamma_ratio: Some(-1.0), ..RunSpec::default() }).contains("gamma_ratio"));
        assert!(msg(RunSpec { alpha: 0.0, ..RunSpec::default() }).contains("alpha"));
        assert!(msg(RunSpec { s: 31, ..RunSpec::default() }).contains('s'));
        let cosine = ScheduleSpec::Cosine { final_fraction: 2.0, steps: 10 };
        assert!(msg(RunSpec { schedule: cosine, ..RunSpec::default() }).contains("gamma_final"));
        assert!(RunSpec::default().validate().is_ok());
    }
}

//! `dln-report run`: one (S)GD run on generated data (or the user's own, `--data FILE.json`), with
//! Theorem 2's prediction β_pred = argmin_{Xβ=y} D_{ψ_{α∞}}(β, β̃₀) and Theorem 1's gradient-flow
//! interpolator β_GF = argmin_{Xβ=y} ψ_α(β) beside the run's limit β∞.
//!
//! `--json` prints one JSON object (keys below); its `x`, `y`, `beta_star` are exactly what
//! `--data` reads, so `run … --json > out.json; run … --data out.json` replays the run bit for bit
//! (numbers are printed with the shortest round-trip representation and parsed exactly).
//! Non-finite numbers are printed as `null`, and only ever in a run whose status is `diverged`
//! (a run whose β or loss is non-finite at the end is reported as diverged, whatever the engine's
//! last check said); the human summary then says so in its first note.
//!
//! Before anything large is allocated, the run's peak memory ([`crate::budget::run_need`]) must
//! fit in `--max-memory` or the memory available now, and `--data` must be small enough that
//! the products of its products stay finite; otherwise one line says why.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use dln::{Design, Problem, Sampling, Status};
use ndarray::{Array1, Array2, ArrayView1};
use serde_json::{Value, json};

use crate::budget::{self, Limit, RunWork};
pub use crate::runs::RunReport;
use crate::runs::{self, Batch, RunSpec, ScheduleSpec};

/// Batch sampling scheme (see `dln::Sampling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    /// Independent uniformly random batches of b distinct samples.
    Iid,
    /// Epoch-wise reshuffling, consecutive batches of the permutation.
    Shuffle,
}

impl SamplingArg {
    fn to_dln(self) -> Sampling {
        match self {
            SamplingArg::Iid => Sampling::Iid,
            SamplingArg::Shuffle => Sampling::Shuffle,
        }
    }

    fn as_str(self) -> &'static str {
        runs::sampling_name(self.to_dln())
    }
}

/// Arguments of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Number of samples n (generated data).
    #[arg(long, default_value_t = 20, conflicts_with = "data")]
    pub n: usize,
    /// Dimension d (generated data).
    #[arg(long, default_value_t = 30, conflicts_with = "data")]
    pub d: usize,
    /// Sparsity s of β* (generated data: first s coordinates, values N(0, 1)).
    #[arg(long, default_value_t = 3, conflicts_with = "data")]
    pub s: usize,
    /// Mean μ of every coordinate of x (uncentered data); with --data, the population mean used for the test risk.
    #[arg(long, default_value_t = 0.0)]
    pub mean: f64,
    /// Standard deviation of the label noise (generated data).
    #[arg(long, default_value_t = 0.0, conflicts_with = "data")]
    pub noise: f64,
    /// Law of the standardised coordinates of x: gaussian, rademacher or uniform (generated data).
    #[arg(long, default_value = "gaussian", value_parser = parse_design, conflicts_with = "data")]
    pub design: Design,
    /// Standard deviation of each coordinate of x: one value, or d comma-separated values (generated data) [default: 1].
    #[arg(long, value_delimiter = ',', num_args = 1.., conflicts_with = "data")]
    pub sigma: Vec<f64>,
    /// Initialisation scale α (uniform: u₀ = √2 α, v₀ = 0).
    #[arg(long, default_value_t = 0.1)]
    pub alpha: f64,
    /// Base stepsize γ.
    #[arg(long, default_value_t = runs::DEFAULT_STEPSIZE)]
    pub stepsize: f64,
    /// Instead of --stepsize: γ = RATIO · γ_max, γ_max the largest constant stepsize at which this run reaches --tol (bisection).
    #[arg(long, value_name = "RATIO", conflicts_with = "stepsize")]
    pub gamma_ratio: Option<f64>,
    /// Relative precision of the γ_max bisection (with --gamma-ratio).
    #[arg(long, default_value_t = runs::DEFAULT_GAMMA_MAX_REL_TOL)]
    pub gamma_max_rel_tol: f64,
    /// Stepsize schedule around γ: constant, step_decay:FACTOR:EVERY, warm_up:STEPS or cosine:FINAL_FRACTION:STEPS.
    #[arg(long, default_value = "constant")]
    pub schedule: ScheduleSpec,
    /// Batch size b, 1 ≤ b ≤ n [default: n, i.e. GD].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Batch sampling scheme.
    #[arg(long, value_enum, default_value_t = SamplingArg::Iid)]
    pub sampling: SamplingArg,
    /// Step budget.
    #[arg(long, default_value_t = 100_000)]
    pub steps: u64,
    /// Stop once the training loss is ≤ tol (0: never stop early).
    #[arg(long, default_value_t = 1e-20)]
    pub tol: f64,
    /// Seed of the data (generated) and of the batch sampler.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run on your own data: a JSON file with keys `x` (n rows of d numbers), `y`, optional `beta_star` (the format --json prints).
    #[arg(long, value_name = "FILE.json")]
    pub data: Option<PathBuf>,
    /// Print one JSON object instead of a human summary.
    #[arg(long)]
    pub json: bool,
    /// Memory the run may use (e.g. 512MiB, 8GiB, or bytes) [default: the memory available now].
    #[arg(long, value_name = "SIZE", value_parser = crate::budget::parse_size)]
    pub max_memory: Option<u64>,
}

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            n: 20,
            d: 30,
            s: 3,
            mean: 0.0,
            noise: 0.0,
            design: Design::Gaussian,
            sigma: Vec::new(),
            alpha: 0.1,
            stepsize: runs::DEFAULT_STEPSIZE,
            gamma_ratio: None,
            gamma_max_rel_tol: runs::DEFAULT_GAMMA_MAX_REL_TOL,
            schedule: ScheduleSpec::Constant,
            batch: None,
            sampling: SamplingArg::Iid,
            steps: 100_000,
            tol: 1e-20,
            seed: 0,
            data: None,
            json: false,
            max_memory: None,
        }
    }
}

fn parse_design(text: &str) -> Result<Design, String> {
    text.parse().map_err(|e: dln::DlnError| e.to_string())
}

impl RunArgs {
    /// The run these arguments describe (the data fields describe generated data only).
    pub fn spec(&self) -> RunSpec {
        RunSpec {
            n: self.n,
            d: self.d,
            s: self.s,
            design: self.design,
            sigma: (!self.sigma.is_empty()).then(|| self.sigma.clone()),
            mean: self.mean,
            noise: self.noise,
            alpha: self.alpha,
            stepsize: self.gamma_ratio.is_none().then_some(self.stepsize),
            gamma_ratio: self.gamma_ratio,
            gamma_max_rel_tol: self.gamma_max_rel_tol,
            batch: self.batch.map_or(Batch::Full, Batch::Size),
            sampling: self.sampling.to_dln(),
            schedule: self.schedule,
            steps: self.steps,
            tol: self.tol,
            seed: self.seed,
        }
    }
}

/// Reads `--data`: a JSON object with `x` (rows), `y` and optional `beta_star` (null or absent =
/// unknown). The file must fit in `limit` (its text, then every JSON value and X) before it is read.
pub fn read_data(path: &Path, mean: f64, limit: Option<Limit>) -> Result<Problem> {
    let source = format!("--data {}", path.display());
    let len = std::fs::metadata(path).with_context(|| format!("reading {source}"))?.len();
    budget::check(&format!("reading {source}"), &budget::Need { total: len, x: 0, solver: 0 }, limit)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {source}"))?;
    let parse = budget::json_parse_need(len, budget::json_values_bound(&text))
        .ok_or_else(|| anyhow!("{source}: too large to parse"))?;
    budget::check(&format!("parsing {source}"), &budget::Need { total: parse, x: 0, solver: 0 }, limit)?;
    parse_data(&text, &source, mean)
}

/// At most this many characters of an offending JSON value go into an error message.
const SHOWN: usize = 40;

/// A JSON value for an error message: compact, cut to [`SHOWN`] characters.
fn shown(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// Parses the text of a `--data` file (see [`read_data`]); `source` names it in errors, which are
/// one line each.
pub fn parse_data(text: &str, source: &str, mean: f64) -> Result<Problem> {
    let value: Value = serde_json::from_str(text).map_err(|e| anyhow!("{source}: invalid JSON: {e}"))?;
    let ctx = |what: &str| format!("{source}: {what}");
    let numbers = |v: &Value, what: &str| -> Result<Vec<f64>> {
        let arr = v.as_array().ok_or_else(|| anyhow!(ctx(&format!("`{what}` must be an array of numbers"))))?;
        arr.iter()
            .map(|x| {
                x.as_f64().ok_or_else(|| anyhow!(ctx(&format!("`{what}` has a non-numeric entry ({})", shown(x)))))
            })
            .collect()
    };
    let x_rows =
        value.get("x").and_then(Value::as_array).ok_or_else(|| anyhow!(ctx("missing key `x` (an array of rows)")))?;
    let rows: Vec<Vec<f64>> = x_rows.iter().map(|r| numbers(r, "x")).collect::<Result<_>>()?;
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != d) {
        bail!(ctx(&format!("row {i} of `x` has {} entries, row 0 has {d}", r.len())));
    }
    let x = Array2::from_shape_vec((n, d), rows.concat()).map_err(|e| anyhow!(ctx(&e.to_string())))?;
    let y = Array1::from(numbers(value.get("y").ok_or_else(|| anyhow!(ctx("missing key `y`")))?, "y")?);
    let beta_star = match value.get("beta_star") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Array1::from(numbers(v, "beta_star")?)),
    };
    let mut problem = Problem::new(x, y, beta_star).map_err(|e| anyhow!(ctx(&e.to_string())))?;
    check_scale(&problem, source)?;
    if !mean.is_finite() {
        bail!("invalid parameter `mean`: must be finite, got {mean}");
    }
    problem.mu = Array1::from_elem(problem.d(), mean);
    Ok(problem)
}

/// Refuses data whose products of products overflow f64: ‖x‖_F² and ‖y‖² must be finite and so
/// must their squares (λ_max's power iteration forms ‖X Xᵀ v‖² ≤ ‖x‖_F⁴; the loss, gradients and
/// dual Hessians multiply entries of X by residuals and by each other).
fn check_scale(problem: &Problem, source: &str) -> Result<()> {
    let sum_sq = |v: &mut dyn Iterator<Item = &f64>| v.map(|a| a * a).sum::<f64>();
    for (name, ssq) in [("x", sum_sq(&mut problem.x.iter())), ("y", sum_sq(&mut problem.y.iter()))] {
        let norm = if name == "x" { "‖x‖_F²" } else { "‖y‖²" };
        if !(ssq * ssq).is_finite() {
            let what = if ssq.is_finite() { format!("{norm} = {ssq:.3e}, whose square") } else { norm.to_string() };
            bail!(
                "{source}: `{name}` is too large to compute with: {what} overflows f64; divide x and y by a common \
                 factor (entries up to about 1e75 work)"
            );
        }
    }
    Ok(())
}

/// The problem `args` name (generated, or `--data`), once the run's memory need is known to fit
/// in `--max-memory` or the available memory (before anything large is allocated).
fn problem(args: &RunArgs) -> Result<Problem> {
    let limit = budget::limit(args.max_memory);
    let work = RunWork { solve: true, json: args.json };
    if let Some(path) = &args.data {
        let problem = read_data(path, args.mean, limit)?;
        let need = budget::run_need(problem.n(), problem.d(), work)?;
        budget::check(&format!("run on n = {}, d = {}", problem.n(), problem.d()), &need, limit)?;
        return Ok(problem);
    }
    let need = budget::run_need(args.n, args.d, work)?;
    budget::check(&format!("run --n {} --d {}", args.n, args.d), &need, limit)?;
    let spec = args.spec();
    spec.validate()?;
    Ok(spec.data().generate()?)
}

/// Runs (S)GD as `args` say and solves for both predictions ([`runs::execute`]).
pub fn execute(args: &RunArgs) -> Result<RunReport> {
    runs::execute(&args.spec(), problem(args)?)
}

/// A number, `null` when not finite.
fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// An array of numbers (non-finite entries `null`).
fn nums(a: ArrayView1<f64>) -> Value {
    Value::Array(a.iter().map(|&x| num(x)).collect())
}

/// What `run` prints (the report itself is [`crate::runs`]'s).
impl RunReport {
    /// What `run` prints: the JSON object on one line with `--json`, else the human summary.
    pub fn render(&self, args: &RunArgs) -> String {
        if args.json { format!("{}\n", self.to_json(args)) } else { self.human(args) }
    }

    /// The JSON object `run --json` prints.
    pub fn to_json(&self, args: &RunArgs) -> Value {
        let p = &self.problem;
        let r = &self.run;
        let opt = |v: &Option<Array1<f64>>| v.as_ref().map_or(Value::Null, |a| nums(a.view()));
        json!({
            "config": {
                "n": p.n(),
                "d": p.d(),
                "s": if args.data.is_some() { Value::Null } else { json!(args.s) },
                "mean": num(args.mean),
                "noise": if args.data.is_some() { Value::Null } else { num(args.noise) },
                "design": if args.data.is_some() { Value::Null } else { json!(args.design.as_str()) },
                "sigma": if args.data.is_some() || args.sigma.is_empty() { Value::Null } else { json!(args.sigma) },
                "alpha": num(args.alpha),
                "stepsize": num(self.gamma),
                "gamma_ratio": args.gamma_ratio.map_or(Value::Null, num),
                "gamma_max": self.gamma_max.map_or(Value::Null, num),
                "schedule": args.schedule.to_string(),
                "batch": self.batch,
                "sampling": args.sampling.as_str(),
                "steps": args.steps,
                "tol": num(args.tol),
                "seed": args.seed,
                "data": args.data.as_ref().map(|d| d.display().to_string()),
            },
            "status": r.status.as_str(),
            "steps": r.steps,
            "train_loss": num(r.train_loss),
            "test_risk": num(p.test_risk(r.beta.view())),
            "x": Value::Array(p.x.rows().into_iter().map(nums).collect()),
            "y": nums(p.y.view()),
            "beta_star": nums(p.beta_star.view()),
            "beta": nums(r.beta.view()),
            "gain": nums(r.effective.gain.view()),
            "gain_l1": num(r.effective.gain_l1()),
            "alpha_inf": nums(r.effective.alpha_inf().view()),
            "beta_tilde0": nums(r.effective.beta_tilde0.view()),
            "beta_pred": opt(&self.beta_pred),
            "beta_gf": opt(&self.beta_gf),
            "pred_error": self.pred_error().map_or(Value::Null, num),
            "gf_error": self.gf_error().map_or(Value::Null, num),
            "lambda_max": num(p.lambda_max()),
            "notes": self.notes,
        })
    }

    /// The short human summary `run` prints without `--json`.
    pub fn human(&self, args: &RunArgs) -> String {
        let p = &self.problem;
        let r = &self.run;
        let method = if self.batch == p.n() { "GD".to_string() } else { format!("SGD (b = {})", self.batch) };
        let source = match &args.data {
            Some(path) => format!("data {}", path.display()),
            None => format!("generated data, seed {}", args.seed),
        };
        let fmt = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{v:.3e}"));
        let gamma = match (args.gamma_ratio, self.gamma_max) {
            (Some(ratio), Some(gamma_max)) => format!("{:?} = {ratio:?} γ_max (γ_max = {gamma_max:?})", self.gamma),
            _ => format!("{:?}", self.gamma),
        };
        let schedule = match args.schedule {
            ScheduleSpec::Constant => String::new(),
            other => format!(" ({other})"),
        };
        let mut out = format!(
            "{method}, γ = {gamma}{schedule}, α = {:?} on n = {}, d = {} ({source}): {} after {} steps\n",
            args.alpha,
            p.n(),
            p.d(),
            r.status,
            r.steps
        );
        out += &format!("  train loss        {:.3e}\n", r.train_loss);
        out += &format!("  test risk         {:.3e}\n", p.test_risk(r.beta.view()));
        if r.status == Status::Diverged {
            out += "  ‖Gain‖₁           n/a (the run diverged)\n";
        } else {
            out += &format!("  ‖Gain‖₁           {:.4}\n", r.effective.gain_l1());
        }
        out += &format!("  ‖β∞ − β_pred‖₂    {}   (Theorem 2)\n", fmt(self.pred_error()));
        out += &format!("  ‖β∞ − β_GF‖₂      {}   (Theorem 1, gradient flow)\n", fmt(self.gf_error()));
        for note in &self.notes {
            out += &format!("  note: {note}\n");
        }
        out
    }
}

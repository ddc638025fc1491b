//! The phase diagram: how the initialisation scale α, the stepsize γ/γ_max and the batch size b
//! interact, and which part of Theorem 2's prediction does the work.
//!
//! Each cell is the paper's setting at one α ∈ `alphas`; on each of its datasets every arm (batch
//! size b; b ≥ n is GD) finds its own γ_max and runs at fractions of it to a rounding-level loss
//! ([`super::fraction_runs`]). On every converged run the prediction is then taken apart exactly
//! ([`dln::decompose`]): the interpolator is re-solved with only the gain's scale, only its shape,
//! and without β̃₀, and each variant's test risk and share of the change from gradient flow is
//! recorded. Book: chapter "The phase diagram" (`book/src/11-phase-diagram.md`).

use anyhow::{Result, ensure};
use dln::{BregmanSolver, Run, recovers_support};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::common::finite;
use super::fraction_runs::{self, Dataset, Measured, RunsConfig};
use super::{Experiment, Setting, Validate};

pub mod claims;
mod plot;
mod summary;

pub use summary::{CellStat, Summary};

/// The experiment.
pub struct PhaseDiagram;

/// Parameters; `Default` is the paper's setting with α varied.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `setting` | (20, 30, 3) | data design ([`Setting`]); its `alpha` is replaced by each of `alphas` | |
/// | `alphas` | 10^{−3, −2.5, …, 1} (9 values) | initialisation scales α | each > 0, increasing |
/// | `batches` | 1, 5, 20 | batch sizes b (b ≥ n is GD, run with b = n) | each ≥ 1, increasing, 1 to 4 values |
/// | `runs` | 8 datasets, γ/γ_max ∈ {0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9}, 3·10⁵ epochs to L ≤ 1e-26 | datasets per α, stepsizes, budget ([`RunsConfig`]) | |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Data design (its `alpha` is replaced by each of `alphas`).
    pub setting: Setting,
    /// The initialisation scales.
    pub alphas: Vec<f64>,
    /// The batch sizes (b ≥ n: GD).
    pub batches: Vec<usize>,
    /// The runs: datasets per α, fractions of γ_max, budget and tolerance.
    pub runs: RunsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            setting: Setting::default(),
            alphas: (0..9).map(|k| 10f64.powf(-3.0 + 0.5 * k as f64)).collect(),
            batches: vec![1, 5, 20],
            runs: RunsConfig {
                datasets: 8,
                fractions: vec![0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9],
                max_epochs: 300_000,
                ..RunsConfig::default()
            },
        }
    }
}

/// The most panels per row of the figure: one per batch size.
pub const MAX_BATCHES: usize = 4;

impl Validate for Config {
    fn validate(&self) -> Result<()> {
        self.setting.validate().map_err(|e| anyhow::anyhow!("setting: {e:#}"))?;
        ensure!(!self.alphas.is_empty(), "alphas must list at least one scale");
        for a in &self.alphas {
            Setting { alpha: *a, ..self.setting.clone() }
                .validate()
                .map_err(|e| anyhow::anyhow!("alphas: {a} is not a valid scale ({e:#})"))?;
        }
        ensure!(self.alphas.windows(2).all(|w| w[0] < w[1]), "alphas must be increasing");
        let b = &self.batches;
        ensure!(
            !b.is_empty() && b.len() <= MAX_BATCHES,
            "batches must list 1 to {MAX_BATCHES} batch sizes (got {})",
            b.len()
        );
        ensure!(b.iter().all(|b| *b >= 1), "batches must be at least 1");
        ensure!(b.windows(2).all(|w| w[0] < w[1]), "batches must be increasing");
        ensure!(
            b.iter().filter(|b| **b >= self.setting.n).count() <= 1,
            "batches may hold one size ≥ n = {} (GD)",
            self.setting.n
        );
        self.runs.validate().map_err(|e| anyhow::anyhow!("runs: {e:#}"))
    }
}

impl Config {
    /// The setting of each cell: the configured one at each α.
    pub fn settings(&self) -> Vec<Setting> {
        self.alphas.iter().map(|&alpha| Setting { alpha, ..self.setting.clone() }).collect()
    }
}

/// The exact decomposition of one converged run's limit ([`dln::Parts`]): each variant's test risk
/// and the shares of the change from gradient flow ([`dln::Shares`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decomposition {
    /// Test risk of the gain's scale alone.
    pub scale_risk: f64,
    /// Test risk of the gain's shape alone.
    pub shape_risk: f64,
    /// Test risk of Theorem 2 without β̃₀.
    pub without_tilde_risk: f64,
    /// ‖β∞ − β*_α‖₂.
    pub change: f64,
    /// The scale's share of the change.
    pub share_scale: f64,
    /// The shape's share.
    pub share_shape: f64,
    /// β̃₀'s share.
    pub share_beta_tilde0: f64,
    /// The rest: 1 − the three shares.
    pub share_interaction: f64,
}

/// What the phase diagram adds to a run's row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Extra {
    /// Whether β∞ recovers the support of β* (kept runs).
    pub recovers_support: Option<bool>,
    /// ‖β∞‖₁/‖β*‖₁ (kept runs).
    pub l1_ratio: Option<f64>,
    /// The decomposition (converged runs).
    pub decomposition: Option<Decomposition>,
}

/// The runs (rows: α outer, then datasets, then batch sizes, then fractions; a row's `cell` indexes
/// `alphas`) and, in the same order, what the phase diagram adds to each.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    /// Samples n (the GD arm's batch size).
    pub n: usize,
    /// The scales α of the cells.
    pub alphas: Vec<f64>,
    /// The batch sizes as run (b ≥ n recorded as n).
    pub batches: Vec<usize>,
    /// The fractions of γ_max.
    pub fractions: Vec<f64>,
    /// The runs, each with what the phase diagram adds to it.
    pub measured: Measured<Extra>,
}

// ANCHOR: extra
/// The measurements the phase diagram adds to a finished run on `data`.
fn extra(data: &Dataset, run: &Run) -> Result<Extra> {
    let p = data.problem;
    let kept = run.status != dln::Status::Diverged;
    let decomposition = if run.converged() {
        let alpha = data.setting.alpha_vec();
        let parts = dln::decompose(&BregmanSolver::default(), p.x.view(), p.y.view(), alpha.view(), &run.effective)?;
        let shares = parts.shares();
        Some(Decomposition {
            scale_risk: p.test_risk(parts.scale.view()),
            shape_risk: p.test_risk(parts.shape.view()),
            without_tilde_risk: p.test_risk(parts.without_tilde.view()),
            change: shares.change,
            share_scale: shares.scale,
            share_shape: shares.shape,
            share_beta_tilde0: shares.beta_tilde0,
            share_interaction: shares.interaction,
        })
    } else {
        None
    };
    let l1 = |b: ndarray::ArrayView1<f64>| b.iter().map(|v| v.abs()).sum::<f64>();
    Ok(Extra {
        recovers_support: if kept { Some(recovers_support(run.beta.view(), p.beta_star.view())?) } else { None },
        l1_ratio: if kept { finite(l1(run.beta.view()) / l1(p.beta_star.view())) } else { None },
        decomposition,
    })
}
// ANCHOR_END: extra

impl Experiment for PhaseDiagram {
    experiment_items!(
        "phase_diagram",
        "α × γ/γ_max × b: where large stepsizes help or hurt, and which part of Theorem 2 (the gain's scale, its shape, β̃₀) explains it"
    );

    fn quick() -> Config {
        let runs = RunsConfig { datasets: 2, fractions: vec![0.1, 0.5, 0.9], ..Config::default().runs };
        Config { alphas: vec![0.1, 1.0, 3.0], batches: vec![1, 20], runs, ..Config::default() }
    }

    // ANCHOR: run
    fn run(cfg: &Config) -> Result<Output> {
        let measured = fraction_runs::compute_with(&cfg.settings(), &cfg.batches, &cfg.runs, extra)?;
        let batches = cfg.batches.iter().map(|b| (*b).min(cfg.setting.n)).collect();
        Ok(Output {
            n: cfg.setting.n,
            alphas: cfg.alphas.clone(),
            batches,
            fractions: cfg.runs.fractions.clone(),
            measured,
        })
    }
    // ANCHOR_END: run

    /// Tidy frame, one row per (run, coordinate): `alpha`, then [`fraction_runs::columns`], then the
    /// run's `recovers_support`, `l1_ratio` (‖β∞‖₁/‖β*‖₁) and its decomposition — `scale_risk`,
    /// `shape_risk`, `without_tilde_risk`, `change` (‖β∞ − β*_α‖₂), `share_scale`, `share_shape`,
    /// `share_beta_tilde0`, `share_interaction` — repeated on its d rows (null where the run did not
    /// converge).
    fn frame(out: &Output) -> Result<DataFrame> {
        let m = &out.measured;
        let mut columns = vec![fraction_runs::cell_column("alpha", &m.runs.rows, |c| out.alphas[c])];
        columns.extend(fraction_runs::columns(&m.runs.rows));
        let dec = |name: &str, f: fn(&Decomposition) -> f64| {
            m.extra_column(name, move |e| e.decomposition.as_ref().and_then(|x| finite(f(x))))
        };
        columns.extend([
            m.extra_column("recovers_support", |e| e.recovers_support),
            m.extra_column("l1_ratio", |e| e.l1_ratio),
            dec("scale_risk", |x| x.scale_risk),
            dec("shape_risk", |x| x.shape_risk),
            dec("without_tilde_risk", |x| x.without_tilde_risk),
            dec("change", |x| x.change),
            dec("share_scale", |x| x.share_scale),
            dec("share_shape", |x| x.share_shape),
            dec("share_beta_tilde0", |x| x.share_beta_tilde0),
            dec("share_interaction", |x| x.share_interaction),
        ]);
        Ok(DataFrame::new_infer_height(columns)?)
    }

    fn plot(out: &Output, cfg: &Config) -> Result<Plot> {
        Ok(plot::figure(out, cfg))
    }

    fn summary(out: &Output, _cfg: &Config) -> Result<Summary> {
        Ok(Summary::of(out))
    }
}

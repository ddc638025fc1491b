//! The experiments, one module (one file) each, and the registry the CLI and tests use.
//!
//! Contract of a module: a unit struct implementing [`Experiment`] — `Config` (serde, `Default` = the
//! paper's setting, `deny_unknown_fields`, range checks in [`Validate`], the data design and
//! initialisation in a nested [`Setting`]), `quick()` (a smaller config running the same code path),
//! `run` → typed `Output`, and three views of it: `frame` → tidy DataFrame, `plot` → plotly figure,
//! `summary` → headline numbers (a serde struct). See `ARCHITECTURE.md` for the data flow and how to
//! add an experiment.

/// The items every experiment module declares alike in its [`Experiment`] impl: `NAME`, `ABOUT`, and
/// the module's own `Config`, `Output` and `Summary` as the associated types.
macro_rules! experiment_items {
    ($name:literal, $about:literal) => {
        const NAME: &'static str = $name;
        const ABOUT: &'static str = $about;
        type Config = Config;
        type Output = Output;
        type Summary = Summary;
    };
}

pub mod anisotropy;
pub mod batch_law;
pub mod common;
pub mod edge_of_stability;
pub mod eos_window;
pub mod estimated_parameters;
pub mod explorer;
pub mod fraction_runs;
pub mod gain_law;
pub mod gain_scale;
pub mod gain_shape;
pub mod generalization;
pub mod label_noise;
pub mod phase_diagram;
pub mod plotting;
pub mod schedules;
pub mod setting;
pub mod stepsize_sweep;
pub mod theorem1_alpha;
pub mod theorem2_check;
pub mod uncentered;
pub mod variants;

use anyhow::{Context, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Serialize, de::DeserializeOwned};

pub use setting::Setting;

/// Range checks of a configuration, run before any work (linfa's `ParamGuard` in spirit): types are
/// checked by serde when the TOML is read, ranges here. Errors are one line and name the key.
pub trait Validate {
    /// `Ok` if every parameter is in range.
    fn validate(&self) -> Result<()>;
}

// ANCHOR: experiment
/// One experiment (one figure): `Config → run → Output → (frame, plot, summary)`.
///
/// `run` does all the numerical work and returns typed rows; `frame`, `plot` and `summary` are pure
/// views of those rows (none of them reads a DataFrame back). Coordinates are 0-based everywhere
/// (coordinate `j` of β, α, the gain, …, is column `j` of X; β* sits on `0..s` by default).
pub trait Experiment {
    /// CLI / folder name, e.g. `generalization`.
    const NAME: &'static str;
    /// One line on what the figure shows.
    const ABOUT: &'static str;
    /// Parameters; `Default` is the paper's setting.
    type Config: Serialize + DeserializeOwned + Default + Clone + Send + Sync + Validate;
    /// The typed result of `run`: serde rows, everything `frame`, `plot` and `summary` need.
    type Output;
    /// Headline numbers, written to `summary.json` and pinned by snapshots.
    type Summary: Serialize;
    /// A smaller configuration that runs the same code path (CI, `--quick`).
    fn quick() -> Self::Config;
    /// Runs the experiment (the configuration has been validated).
    fn run(cfg: &Self::Config) -> Result<Self::Output>;
    /// The tidy table (`data.parquet`, `data.csv`), built once from the typed rows.
    fn frame(out: &Self::Output) -> Result<DataFrame>;
    /// The figure.
    fn plot(out: &Self::Output, cfg: &Self::Config) -> Result<Plot>;
    /// The headline numbers.
    fn summary(out: &Self::Output, cfg: &Self::Config) -> Result<Self::Summary>;
}
// ANCHOR_END: experiment

/// How to configure an experiment when run from the registry.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Start from `quick()` instead of `Default`.
    pub quick: bool,
    /// Overrides (the experiment's table of the user's `--config FILE.toml`).
    pub overrides: Option<toml::Table>,
}

/// Everything one experiment produces, type-erased for the registry, the writers and the book.
pub struct Product {
    /// Experiment name.
    pub name: &'static str,
    /// The configuration actually used.
    pub config: serde_json::Value,
    /// Tidy data.
    pub data: DataFrame,
    /// The figure.
    pub figure: Plot,
    /// Headline numbers.
    pub summary: serde_json::Value,
}

/// The configuration `opts` selects for `E` (quick or default, then the overrides merged in),
/// type- and range-checked: a bad value is a one-line error naming the experiment and the key.
pub fn config<E: Experiment>(opts: &Options) -> Result<E::Config> {
    let base = if opts.quick { E::quick() } else { E::Config::default() };
    let cfg = match &opts.overrides {
        None => base,
        Some(overrides) => {
            let mut value = toml::Table::try_from(&base).context("serialising the configuration")?;
            merge(&mut value, overrides);
            serde_path_to_error::deserialize(toml::Value::Table(value)).map_err(|e| {
                let key = escape_controls(&e.path().to_string());
                let message = escape_controls(e.into_inner().message().trim());
                anyhow::anyhow!("invalid configuration for `[{}]`: `{key}`: {message}", E::NAME)
            })?
        }
    };
    cfg.validate().map_err(|e| {
        anyhow::anyhow!("invalid configuration for `[{}]`: {}", E::NAME, escape_controls(&format!("{e:#}")))
    })?;
    Ok(cfg)
}

/// `text` with its control characters (newlines, tabs, …) escaped, so that an error quoting the
/// user's input stays on one line.
fn escape_controls(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Runs `E` end to end on a configuration: run, then the three views of its output.
pub fn execute_config<E: Experiment>(cfg: &E::Config) -> Result<Product> {
    cfg.validate().map_err(|e| anyhow::anyhow!("invalid configuration for `[{}]`: {e:#}", E::NAME))?;
    let out = E::run(cfg).with_context(|| format!("running `{}`", E::NAME))?;
    let data = E::frame(&out).with_context(|| format!("tabulating `{}`", E::NAME))?;
    let figure = E::plot(&out, cfg).with_context(|| format!("plotting `{}`", E::NAME))?;
    let summary = E::summary(&out, cfg).with_context(|| format!("summarising `{}`", E::NAME))?;
    let summary = serde_json::to_value(summary).with_context(|| format!("serialising `{}`'s summary", E::NAME))?;
    Ok(Product { name: E::NAME, config: serde_json::to_value(cfg)?, data, figure, summary })
}

/// Runs `E` end to end with the configuration `opts` selects.
pub fn execute<E: Experiment>(opts: &Options) -> Result<Product> {
    execute_config::<E>(&config::<E>(opts)?)
}

/// A registry entry.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Name.
    pub name: &'static str,
    /// One line on what it shows.
    pub about: &'static str,
    /// The configuration the options select, as JSON — validates `--config` overrides up front,
    /// without running anything.
    pub config: fn(&Options) -> Result<serde_json::Value>,
    /// Runs it.
    pub execute: fn(&Options) -> Result<Product>,
}

fn config_json<E: Experiment>(opts: &Options) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(config::<E>(opts)?)?)
}

const fn entry<E: Experiment>() -> Entry {
    Entry { name: E::NAME, about: E::ABOUT, config: config_json::<E>, execute: execute::<E> }
}

/// Every experiment, in the book's order.
pub const ALL: &[Entry] = &[
    entry::<generalization::Generalization>(),
    entry::<gain_scale::GainScale>(),
    entry::<batch_law::BatchLaw>(),
    entry::<gain_shape::GainShape>(),
    entry::<edge_of_stability::EdgeOfStability>(),
    entry::<eos_window::EosWindow>(),
    entry::<estimated_parameters::EstimatedParameters>(),
    entry::<theorem1_alpha::Theorem1Alpha>(),
    entry::<theorem2_check::Theorem2Check>(),
    entry::<uncentered::Uncentered>(),
    entry::<explorer::Explorer>(),
    entry::<schedules::Schedules>(),
    entry::<gain_law::GainLaw>(),
    entry::<anisotropy::Anisotropy>(),
    entry::<label_noise::LabelNoise>(),
    entry::<phase_diagram::PhaseDiagram>(),
];

/// Looks an experiment up by name (one-line error listing the valid names otherwise).
pub fn find(name: &str) -> Result<Entry> {
    ALL.iter().copied().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<_> = ALL.iter().map(|e| e.name).collect();
        anyhow::anyhow!("unknown experiment `{}` (expected one of: {})", escape_controls(name), names.join(", "))
    })
}

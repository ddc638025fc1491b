//! The experiments, one module (one file) each, and the registry the CLI and tests use.
//!
//! Contract of a module: a unit struct implementing [`Experiment`] — `Config` (serde, `Default` = the
//! paper's setting, `deny_unknown_fields`), `quick()` (a smaller config running the same code path),
//! `run` → tidy DataFrame, `plot` → plotly figure, `summary` → headline numbers (JSON object).

pub mod common;
pub mod edge_of_stability;
pub mod estimated_parameters;
pub mod explorer;
pub mod gain_scale;
pub mod gain_shape;
pub mod generalization;
pub mod theorem1_alpha;
pub mod theorem2_check;
pub mod uncentered;

use anyhow::{Context, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Serialize, de::DeserializeOwned};

/// One experiment (one figure).
pub trait Experiment {
    /// CLI / folder name, e.g. `generalization`.
    const NAME: &'static str;
    /// One line on what the figure shows.
    const ABOUT: &'static str;
    /// Parameters; `Default` is the paper's setting.
    type Config: Serialize + DeserializeOwned + Default + Clone + Send + Sync;
    /// A smaller configuration that runs the same code path (CI, `--quick`).
    fn quick() -> Self::Config;
    /// Runs the experiment into a tidy DataFrame.
    fn run(cfg: &Self::Config) -> Result<DataFrame>;
    /// The figure.
    fn plot(df: &DataFrame, cfg: &Self::Config) -> Result<Plot>;
    /// Headline numbers (a JSON object), written to `summary.json` and pinned by snapshots.
    fn summary(df: &DataFrame, cfg: &Self::Config) -> Result<serde_json::Value>;
}

/// How to configure an experiment when run from the registry.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Start from `quick()` instead of `Default`.
    pub quick: bool,
    /// Overrides (the experiment's table of the user's `--config FILE.toml`).
    pub overrides: Option<toml::Table>,
}

/// Everything one experiment produces.
pub struct Output {
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

/// The configuration `opts` selects for `E` (quick or default, then the overrides merged in).
pub fn config<E: Experiment>(opts: &Options) -> Result<E::Config> {
    let base = if opts.quick { E::quick() } else { E::Config::default() };
    let Some(overrides) = &opts.overrides else { return Ok(base) };
    let mut value = toml::Table::try_from(&base).context("serialising the configuration")?;
    merge(&mut value, overrides);
    value
        .try_into()
        .map_err(|e: toml::de::Error| anyhow::anyhow!("invalid configuration for `{}`: {}", E::NAME, e.message()))
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

/// Runs `E` end to end.
pub fn execute<E: Experiment>(opts: &Options) -> Result<Output> {
    let cfg = config::<E>(opts)?;
    let data = E::run(&cfg).with_context(|| format!("running `{}`", E::NAME))?;
    let figure = E::plot(&data, &cfg).with_context(|| format!("plotting `{}`", E::NAME))?;
    let summary = E::summary(&data, &cfg).with_context(|| format!("summarising `{}`", E::NAME))?;
    Ok(Output { name: E::NAME, config: serde_json::to_value(&cfg)?, data, figure, summary })
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
    pub execute: fn(&Options) -> Result<Output>,
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
    entry::<gain_shape::GainShape>(),
    entry::<edge_of_stability::EdgeOfStability>(),
    entry::<estimated_parameters::EstimatedParameters>(),
    entry::<theorem1_alpha::Theorem1Alpha>(),
    entry::<theorem2_check::Theorem2Check>(),
    entry::<uncentered::Uncentered>(),
    entry::<explorer::Explorer>(),
];

/// Looks an experiment up by name (one-line error listing the valid names otherwise).
pub fn find(name: &str) -> Result<Entry> {
    ALL.iter().copied().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<_> = ALL.iter().map(|e| e.name).collect();
        anyhow::anyhow!("unknown experiment `{name}` (expected one of: {})", names.join(", "))
    })
}

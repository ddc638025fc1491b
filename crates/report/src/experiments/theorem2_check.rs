//! The (S)GD limit equals Theorem 2's prediction exactly; gradient flow's drifts away as γ grows.
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct Theorem2Check;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for Theorem2Check {
    const NAME: &'static str = "theorem2_check";
    const ABOUT: &'static str = "The (S)GD limit equals Theorem 2's prediction exactly; gradient flow's drifts away as γ grows";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`theorem2_check` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`theorem2_check` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`theorem2_check` is not implemented yet")
    }
}

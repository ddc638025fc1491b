//! β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3).
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct EstimatedParameters;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for EstimatedParameters {
    const NAME: &'static str = "estimated_parameters";
    const ABOUT: &'static str = "β*, β_GD and β_SGD per coordinate at a macroscopic stepsize (slides Fig. 3)";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`estimated_parameters` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`estimated_parameters` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`estimated_parameters` is not implemented yet")
    }
}

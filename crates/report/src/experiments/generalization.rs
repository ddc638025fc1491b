//! Test risk at convergence vs stepsize for GD and SGD (slides Fig. 1).
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct Generalization;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for Generalization {
    const NAME: &'static str = "generalization";
    const ABOUT: &'static str = "Test risk at convergence vs stepsize for GD and SGD (slides Fig. 1)";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`generalization` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`generalization` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`generalization` is not implemented yet")
    }
}

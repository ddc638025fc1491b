//! Per-coordinate Gain_γ: heterogeneous for GD, homogeneous for SGD, huge at the edge of stability (slides Fig. 2).
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct GainShape;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for GainShape {
    const NAME: &'static str = "gain_shape";
    const ABOUT: &'static str = "Per-coordinate Gain_γ: heterogeneous for GD, homogeneous for SGD, huge at the edge of stability (slides Fig. 2)";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`gain_shape` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`gain_shape` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`gain_shape` is not implemented yet")
    }
}

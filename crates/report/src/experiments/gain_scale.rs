//! ‖Gain_γ‖₁ vs stepsize and vs batch size: larger γ → larger gain, larger b → smaller.
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct GainScale;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for GainScale {
    const NAME: &'static str = "gain_scale";
    const ABOUT: &'static str = "‖Gain_γ‖₁ vs stepsize and vs batch size: larger γ → larger gain, larger b → smaller";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`gain_scale` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`gain_scale` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`gain_scale` is not implemented yet")
    }
}

//! Theorem 1's interpolator vs α: kernel (min-ℓ2) → rich (min-ℓ1) regime, and the shape of α.
//! (placeholder: being implemented)

use anyhow::{bail, Result};
use plotly::Plot;
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use super::Experiment;

/// The experiment.
pub struct Theorem1Alpha;

/// Parameters; `Default` is the paper's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Seed of everything random.
    pub seed: u64,
}

impl Experiment for Theorem1Alpha {
    const NAME: &'static str = "theorem1_alpha";
    const ABOUT: &'static str = "Theorem 1's interpolator vs α: kernel (min-ℓ2) → rich (min-ℓ1) regime, and the shape of α";
    type Config = Config;

    fn quick() -> Config {
        Config::default()
    }

    fn run(_cfg: &Config) -> Result<DataFrame> {
        bail!("`theorem1_alpha` is not implemented yet")
    }

    fn plot(_df: &DataFrame, _cfg: &Config) -> Result<Plot> {
        bail!("`theorem1_alpha` is not implemented yet")
    }

    fn summary(_df: &DataFrame, _cfg: &Config) -> Result<serde_json::Value> {
        bail!("`theorem1_alpha` is not implemented yet")
    }
}

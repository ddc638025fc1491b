//! The setting every experiment shares: the data design and the initialisation.
//!
//! Nested in each experiment's configuration as the table `setting`, so a TOML override reads
//!
//! ```toml
//! [generalization.setting]
//! n = 40
//! alpha = 0.01
//! ```
//!
//! Dataset `i` of an experiment is drawn with data seed `seed + i` ([`Setting::problem`]).
//! Book: chapter "Setting and notation" (`book/src/02-setting.md`).

use anyhow::{Result, bail};
use dln::{DataConfig, Design, Problem, uniform_alpha};
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::Validate;
use crate::budget;

/// Data design and initialisation.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `seed` | 0 | dataset i uses data seed `seed + i` | any |
/// | `n` | 20 | samples | ≥ 1 |
/// | `d` | 30 | dimension | ≥ 1 (the theory wants d > n) |
/// | `s` | 3 | sparsity of β* (support `0..s`, values N(0, 1)) | ≤ d |
/// | `alpha` | 0.1 | uniform initialisation scale α (u₀ = √2α, v₀ = 0) | > 0, α² normal |
/// | `mean` | 0 | every coordinate of E\[x\] | finite |
/// | `noise` | 0 | label noise std | ≥ 0 |
/// | `design` | `"gaussian"` | law of the standardised coordinates: `gaussian`, `rademacher`, `uniform` ([`Design`]) | |
/// | `sigma` | none (all 1) | per-coordinate std σ_j of x: one value (broadcast) or d values | each > 0 |
///
/// `design` and `sigma` are written out only when they differ from their defaults, so a
/// configuration that leaves them alone reads (and is recorded) as before they existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setting {
    /// First data seed: dataset i uses `seed + i`.
    pub seed: u64,
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Uniform initialisation scale α.
    pub alpha: f64,
    /// Mean of every coordinate of x.
    pub mean: f64,
    /// Standard deviation of the label noise.
    pub noise: f64,
    /// Law of the standardised coordinates of x.
    #[serde(skip_serializing_if = "is_gaussian")]
    pub design: Design,
    /// Per-coordinate standard deviations of x (one value broadcast, or d values); `None`: all 1.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "dln::data::scalar_or_list")]
    pub sigma: Option<Vec<f64>>,
}

/// Whether `design` is the default, Gaussian (left out of the serialised setting).
fn is_gaussian(design: &Design) -> bool {
    *design == Design::Gaussian
}

impl Default for Setting {
    fn default() -> Self {
        Self { seed: 0, n: 20, d: 30, s: 3, alpha: 0.1, mean: 0.0, noise: 0.0, design: Design::Gaussian, sigma: None }
    }
}

impl Setting {
    /// Data seed of dataset `i`.
    pub fn data_seed(&self, i: usize) -> u64 {
        self.seed.wrapping_add(i as u64)
    }

    /// How dataset `i` is drawn.
    pub fn data(&self, i: usize) -> DataConfig {
        DataConfig {
            n: self.n,
            d: self.d,
            s: self.s,
            mean: self.mean,
            noise: self.noise,
            design: self.design,
            sigma: self.sigma.clone(),
            seed: self.data_seed(i),
            ..DataConfig::default()
        }
    }

    /// Dataset `i`.
    pub fn problem(&self, i: usize) -> Result<Problem> {
        Ok(self.data(i).generate()?)
    }

    /// Datasets `0..count`.
    pub fn problems(&self, count: usize) -> Result<Vec<Problem>> {
        (0..count).map(|i| self.problem(i)).collect()
    }

    /// The uniform initialisation α·1.
    pub fn alpha_vec(&self) -> Array1<f64> {
        uniform_alpha(self.alpha, self.d)
    }
}

impl Validate for Setting {
    fn validate(&self) -> Result<()> {
        self.data(0).validate().map_err(|e| anyhow::anyhow!("setting: {e}"))?;
        // α is uniform: one entry stands for all d.
        dln::validate_alpha(ndarray::arr1(&[self.alpha]).view(), 1).map_err(|e| anyhow::anyhow!("setting: {e}"))?;
        if self.s == 0 {
            bail!("setting: s must be at least 1 (β* = 0 has nothing to recover)");
        }
        self.check_memory(budget::limit(None))
    }
}

impl Setting {
    /// Fails in one line when the runs an experiment has in flight at once (one per worker thread,
    /// each at the peak of one `run` with the interpolator solver, [`budget::run_need`]) would not
    /// fit in `limit`, before any dataset is drawn.
    pub fn check_memory(&self, limit: Option<budget::Limit>) -> Result<()> {
        let one = budget::run_need(self.n, self.d, budget::RunWork { solve: true, json: false })
            .map_err(|e| anyhow::anyhow!("setting: {e}"))?;
        let runs = rayon::current_num_threads() as u64;
        let need = budget::Need {
            total: one.total.saturating_mul(runs),
            x: one.x.saturating_mul(runs),
            solver: one.solver.saturating_mul(runs),
        };
        let what = format!("setting: n = {}, d = {} ({runs} runs at once)", self.n, self.d);
        budget::check(&what, &need, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_i_uses_seed_plus_i() {
        let setting = Setting { seed: 7, ..Setting::default() };
        let direct = DataConfig { seed: 9, ..DataConfig::default() }.generate().unwrap();
        assert_eq!(setting.problem(2).unwrap(), direct);
    }

    #[test]
    fn design_and_sigma_reach_the_data_and_are_recorded_only_when_set() {
        let plain = serde_json::to_value(Setting::default()).unwrap();
        assert!(plain.get("design").is_none() && plain.get("sigma").is_none(), "{plain}");
        let setting = Setting { design: Design::Rademacher, sigma: Some(vec![2.0]), ..Setting::default() };
        let json = serde_json::to_value(&setting).unwrap();
        assert_eq!((&json["design"], &json["sigma"]), (&serde_json::json!("rademacher"), &serde_json::json!([2.0])));
        assert_eq!(serde_json::from_value::<Setting>(json).unwrap(), setting);
        let broadcast: Setting = toml::from_str("sigma = 2.0").unwrap();
        assert_eq!(broadcast.sigma, Some(vec![2.0]));
        // Rademacher coordinates scaled by σ = 2 are ±2.
        assert!(setting.problem(0).unwrap().x.iter().all(|v| v.abs() == 2.0));
        let bad = Setting { sigma: Some(vec![1.0, 2.0]), ..Setting::default() };
        assert!(format!("{:#}", bad.validate().unwrap_err()).contains("sigma"));
    }

    #[test]
    fn validation_names_the_key() {
        let bad = Setting { alpha: -1.0, ..Setting::default() };
        assert!(format!("{:#}", bad.validate().unwrap_err()).contains("alpha"));
        let bad = Setting { s: 40, ..Setting::default() };
        assert!(format!("{:#}", bad.validate().unwrap_err()).contains('s'));
        assert!(Setting::default().validate().is_ok());
    }

    #[test]
    fn a_setting_beyond_memory_fails_before_any_work() {
        let limit = Some(budget::Limit { bytes: 1 << 30, source: budget::LimitSource::Flag });
        let big = Setting { n: 20_000, d: 20_000, ..Setting::default() };
        let message = format!("{:#}", big.check_memory(limit).unwrap_err());
        assert!(message.starts_with("setting: n = 20000, d = 20000") && message.contains("beyond"), "{message}");
        assert!(!message.contains('\n'));
        assert!(Setting::default().check_memory(limit).is_ok());
        let absurd = Setting { n: 1 << 40, d: 1 << 40, ..Setting::default() };
        assert!(format!("{:#}", absurd.validate().unwrap_err()).contains("beyond any memory"));
    }
}

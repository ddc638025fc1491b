//! Helpers shared by the experiments: the two methods (GD / SGD) and a value per method, robust
//! statistics (median and interquartile range over datasets), rounding for summaries, the columns of
//! tidy frames, and the (S)GD templates and seeds of the runs at fractions of γ_max. The plotly
//! building blocks are in [`super::plotting`].
//!
//! Nothing here reads a DataFrame back: plots and summaries work on typed rows.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::style;

/// Full-batch GD (b = n) or mini-batch SGD (b < n).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Gradient descent, b = n.
    #[serde(rename = "GD")]
    Gd,
    /// Stochastic gradient descent, b < n.
    #[serde(rename = "SGD")]
    Sgd,
}

impl Method {
    /// Both, in the figures' order.
    pub const BOTH: [Method; 2] = [Method::Gd, Method::Sgd];

    /// "GD" | "SGD" (the value of the `method` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Gd => "GD",
            Method::Sgd => "SGD",
        }
    }

    /// The inverse of [`Method::as_str`].
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "GD" => Ok(Method::Gd),
            "SGD" => Ok(Method::Sgd),
            other => anyhow::bail!("unknown method `{other}` (expected GD or SGD)"),
        }
    }

    /// Its colour (GD blue, SGD red).
    pub fn color(self) -> &'static str {
        style::method_color(self.as_str())
    }
}

/// A value for each method, serialised as `{"GD": …, "SGD": …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerMethod<T> {
    /// Gradient descent.
    #[serde(rename = "GD")]
    pub gd: T,
    /// Stochastic gradient descent.
    #[serde(rename = "SGD")]
    pub sgd: T,
}

impl<T> PerMethod<T> {
    /// `f` applied to each method.
    pub fn new(mut f: impl FnMut(Method) -> T) -> Self {
        Self { gd: f(Method::Gd), sgd: f(Method::Sgd) }
    }

    /// The value of `method`.
    pub fn get(&self, method: Method) -> &T {
        match method {
            Method::Gd => &self.gd,
            Method::Sgd => &self.sgd,
        }
    }
}

/// `Some(x)` if x is finite: diverged runs go into frames as nulls, never NaN/inf.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub use crate::snap::rounded;

pub use dln::metrics::{Quartiles, quartiles};

/// The largest of `values` (NaN if there is none or one is NaN: a claim on it then fails).
pub fn largest(values: impl IntoIterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() || v.iter().any(|x| x.is_nan()) {
        f64::NAN
    } else {
        v.into_iter().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// The smallest of `values` (NaN if there is none or one is NaN).
pub fn smallest(values: impl IntoIterator<Item = f64>) -> f64 {
    -largest(values.into_iter().map(|v| -v))
}

/// The smallest, median and largest of a quantity over datasets, rounded to a summary's digits
/// (`None`: not finite, or no value).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    /// Smallest value.
    pub min: Option<f64>,
    /// Median ([`dln::metrics::quantile`] at 0.5).
    pub median: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

impl Spread {
    /// The spread of `values`, each end rounded to `digits` significant digits.
    pub fn of(values: &[f64], digits: usize) -> Self {
        let r = |x: f64| rounded(x, digits);
        Spread {
            min: r(smallest(values.iter().copied())),
            median: r(dln::metrics::quantile(values, 0.5)),
            max: r(largest(values.iter().copied())),
        }
    }
}

/// One column of a tidy frame: `f` of each row.
pub fn column<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// One column of a frame with `len(row)` rows per typed row, one per coordinate c: `f(row, c)`.
pub fn per_coordinate<R, T>(rows: &[R], len: impl Fn(&R) -> usize, f: impl Fn(&R, usize) -> T) -> Vec<T> {
    rows.iter().flat_map(|r| (0..len(r)).map(|c| f(r, c)).collect::<Vec<T>>()).collect()
}

/// One column of a frame with `times(row)` rows per typed row: `f` of each row, repeated.
pub fn repeated<R, T>(rows: &[R], times: impl Fn(&R) -> usize, f: impl Fn(&R) -> T) -> Vec<T> {
    per_coordinate(rows, times, |r, _| f(r))
}

pub use dln::metrics::coefficient_of_variation;

// ---- (S)GD at fractions of γ_max: estimated_parameters, theorem2_check, uncentered, explorer ----

/// The step budget of `max_epochs` passes over n samples with batch size b: ⌈n/b⌉ steps per epoch.
pub fn steps_for_epochs(max_epochs: u64, n: usize, batch: usize) -> u64 {
    max_epochs.saturating_mul(n.div_ceil(batch.max(1)) as u64)
}

/// A seed for the random stream `stream` derived from an experiment's `seed` (one SplitMix64 step),
/// so that the SGD sampler is independent of the data draw (which uses `seed` itself).
pub fn derived_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A (S)GD template on n samples: batch size b (b = n is GD), constant stepsize (set per run), a
/// budget of `max_epochs` epochs ([`steps_for_epochs`]), loss tolerance `tol`, sampler `seed`.
pub fn template(n: usize, batch: usize, max_epochs: u64, tol: f64, seed: u64) -> dln::Sgd {
    dln::Sgd::sgd(1.0, batch).with_budget(steps_for_epochs(max_epochs, n, batch), tol).with_seed(seed)
}

pub use crate::stability::{gamma_max_of, run_at};

/// ‖a − b‖₁ ([`dln::metrics::l1_distance`]; NaN if the lengths differ).
pub fn l1_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    dln::metrics::l1_distance(a, b).unwrap_or(f64::NAN)
}

/// ‖a − b‖₂ ([`dln::metrics::l2_distance`]; NaN if the lengths differ).
pub fn l2_distance(a: ndarray::ArrayView1<f64>, b: ndarray::ArrayView1<f64>) -> f64 {
    dln::metrics::l2_distance(a, b).unwrap_or(f64::NAN)
}

/// Support recovery ([`dln::metrics::recovers_support`]): the s = |supp β*| largest |β_i| sit
/// exactly on the support of β* (false if the lengths differ).
pub fn recovers_support(beta: ndarray::ArrayView1<f64>, beta_star: ndarray::ArrayView1<f64>) -> bool {
    dln::metrics::recovers_support(beta, beta_star).unwrap_or(false)
}

/// Checks stepsizes given as fractions γ/γ_max (the key `fractions`): at least `min_len` of them,
/// each finite and in (0, 1], strictly increasing.
pub fn validate_fractions(fractions: &[f64], min_len: usize) -> Result<()> {
    anyhow::ensure!(fractions.len() >= min_len, "fractions needs at least {min_len} values, got {}", fractions.len());
    if let Some(f) = fractions.iter().find(|f| !(f.is_finite() && **f > 0.0 && **f <= 1.0)) {
        anyhow::bail!("fractions must lie in (0, 1], got {f}");
    }
    anyhow::ensure!(fractions.windows(2).all(|w| w[0] < w[1]), "fractions must be strictly increasing");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_propagate_nan() {
        assert_eq!(largest([1.0, 3.0, 2.0]), 3.0);
        assert_eq!(smallest([1.0, 3.0, 2.0]), 1.0);
        assert!(largest([1.0, f64::NAN]).is_nan());
        assert!(smallest(std::iter::empty()).is_nan());
    }

    #[test]
    fn validate_fractions_names_the_key_and_the_rule() {
        assert!(validate_fractions(&[0.1, 0.5, 1.0], 2).is_ok());
        let err = |f: &[f64], min: usize| validate_fractions(f, min).unwrap_err().to_string();
        assert!(err(&[0.5], 2).contains("at least 2"));
        assert!(err(&[], 1).contains("at least 1"));
        assert!(err(&[0.1, 1.5], 1).contains("(0, 1]"));
        assert!(err(&[0.0, 0.5], 1).contains("(0, 1]"));
        assert!(err(&[f64::NAN], 1).contains("(0, 1]"));
        assert!(err(&[0.5, 0.5], 1).contains("strictly increasing"));
        assert!(err(&[0.5, 0.1], 1).contains("strictly increasing"));
        for bad in [&[][..], &[2.0], &[0.5, 0.1]] {
            assert!(err(bad, 1).starts_with("fractions"), "{}", err(bad, 1));
        }
    }
}

//! Data: a random design, a sparse ground truth β* and its labels.
//!
//! Rows x_i = μ + σ ⊙ z_i with independent coordinates z_ij of mean 0 and variance 1 drawn from the
//! [`Design`] (Gaussian by default), μ = mean·1 (0 by default; a non-zero mean gives the
//! "uncentered" data of the paper) and per-coordinate scales σ (1 by default), so
//! E x = μ and Cov x = diag(σ²); β* is s-sparse; y = Xβ* + ε with ε ~ N(0, noise²). Everything is
//! drawn from one portable `ChaCha8Rng` seeded by `seed`, so a problem is identical on every
//! machine. Book: chapter "Setting and notation" (`book/src/02-setting.md`).

use ndarray::{Array1, Array2, ArrayView1};
use rand::distr::StandardUniform;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{DlnError, Result, check_finite, invalid};
use crate::model::check_squarable;

/// The law of the standardised coordinates z_ij of the design (mean 0, variance 1, independent).
///
/// | Design | Law of z | E z⁴ |
/// |---|---|---|
/// | `Gaussian` | N(0, 1) | 3 |
/// | `Rademacher` | ±1 with probability ½ each | 1 |
/// | `Uniform` | uniform on [−√3, √3] | 9/5 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Design {
    /// z ~ N(0, 1).
    #[default]
    Gaussian,
    /// z = ±1 (a fair coin).
    Rademacher,
    /// z ~ U[−√3, √3].
    Uniform,
}

impl Design {
    /// Every design, in a fixed order.
    pub const ALL: [Design; 3] = [Design::Gaussian, Design::Rademacher, Design::Uniform];

    /// "gaussian" | "rademacher" | "uniform" (the serde and CLI names).
    pub fn as_str(self) -> &'static str {
        match self {
            Design::Gaussian => "gaussian",
            Design::Rademacher => "rademacher",
            Design::Uniform => "uniform",
        }
    }

    /// The fourth moment m₄ = E z⁴: 3, 1 and 9/5.
    pub fn fourth_moment(self) -> f64 {
        match self {
            Design::Gaussian => 3.0,
            Design::Rademacher => 1.0,
            Design::Uniform => 1.8,
        }
    }

    // ANCHOR: support_ratio
    /// SGD's (b = 1) second-order on/off-support gain ratio at the start, 1 + (m₄ − 1)/s.
    ///
    /// To second order Gain_γ(j) ≈ γ² Σ_k g_k,j², and a single-sample gradient is g = x r with
    /// r = ⟨x, Δ⟩ (no noise), Δ = β − β*. For independent unit-variance coordinates with E x_j⁴ = m₄,
    /// E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + (m₄ − 1)Δ_j², so at Δ = −β* (β₀ = 0) its mean over the support of β*
    /// (size s) over its value off the support is 1 + (m₄ − 1)/s: 1 + 2/s (Gaussian), exactly 1
    /// (Rademacher), 1 + 0.8/s (uniform). Book: chapter "What sets the gain's shape".
    pub fn second_order_support_ratio(self, s: usize) -> f64 {
        1.0 + (self.fourth_moment() - 1.0) / s as f64
    }
    // ANCHOR_END: support_ratio

    // ANCHOR: design_sample
    /// One draw of z: a standard normal (Ziggurat, `rand_distr::StandardNormal`); a fair bit mapped to
    /// ±1; or √3 (2u − 1) with u uniform on [0, 1) (53-bit).
    pub fn sample<R: Rng + ?Sized>(self, rng: &mut R) -> f64 {
        match self {
            Design::Gaussian => StandardNormal.sample(rng),
            Design::Rademacher => {
                let bit: bool = StandardUniform.sample(rng);
                if bit { 1.0 } else { -1.0 }
            }
            Design::Uniform => {
                let u: f64 = StandardUniform.sample(rng);
                3f64.sqrt() * (2.0 * u - 1.0)
            }
        }
    }
    // ANCHOR_END: design_sample
}

impl std::fmt::Display for Design {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Design {
    type Err = DlnError;

    /// Parses "gaussian" | "rademacher" | "uniform" (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        Design::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| invalid("design", format!("unknown design {s:?}; expected gaussian, rademacher or uniform")))
    }
}

/// How to draw a [`Problem`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `n` | 20 | number of samples | ≥ 1 |
/// | `d` | 30 | dimension | ≥ 1 (the theory wants d > n) |
/// | `s` | 3 | sparsity of β* | ≤ d |
/// | `design` | `Gaussian` | law of the standardised coordinates | [`Design`] |
/// | `mean` | 0 | every coordinate of μ | 0 or \|mean\| ∈ [1.5e-154, 1.3e154] |
/// | `sigma` | `None` (= 1) | per-coordinate std of x | length 1 (broadcast) or d; each in [1.5e-154, 1.3e154] |
/// | `support` | `None` (= 0..s) | support of β* | distinct, < d |
/// | `values` | `None` (= N(0,1)) | values of β* on its support | finite, length s |
/// | `noise` | 0 | label noise std | 0 or in [1.5e-154, 1.3e154] |
/// | `seed` | 0 | the only source of randomness | any |
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct DataConfig {
    /// Number of samples n.
    pub n: usize,
    /// Dimension d.
    pub d: usize,
    /// Sparsity s of β*.
    pub s: usize,
    /// Law of the standardised coordinates z of x = μ + σ ⊙ z.
    pub design: Design,
    /// Mean of every coordinate of x (μ = mean·1).
    pub mean: f64,
    /// Standard deviation of each coordinate of x (Cov x = diag(sigma²)): one value for every
    /// coordinate, or d values; `None` is 1. In TOML/JSON a number or a list.
    #[cfg_attr(feature = "serde", serde(deserialize_with = "scalar_or_list"))]
    pub sigma: Option<Vec<f64>>,
    /// Support of β*; `None` is the first s coordinates.
    pub support: Option<Vec<usize>>,
    /// Values of β* on its support; `None` draws them N(0, 1).
    pub values: Option<Vec<f64>>,
    /// Standard deviation of the label noise.
    pub noise: f64,
    /// Seed of the `ChaCha8Rng` that draws everything.
    pub seed: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            n: 20,
            d: 30,
            s: 3,
            design: Design::Gaussian,
            mean: 0.0,
            sigma: None,
            support: None,
            values: None,
            noise: 0.0,
            seed: 0,
        }
    }
}

/// A regression problem: design `x` (n×d, rows x_i), labels `y`, ground truth `beta_star`, and the
/// population law of x (`mu`, `sigma`) needed for the exact test risk.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Design matrix X ∈ R^{n×d}, rows x_i.
    pub x: Array2<f64>,
    /// Labels y ∈ R^n.
    pub y: Array1<f64>,
    /// Ground truth β* (zeros when unknown).
    pub beta_star: Array1<f64>,
    /// Mean μ of the population law of x.
    pub mu: Array1<f64>,
    /// Per-coordinate std σ of the population law of x (Σ = diag(σ²)).
    pub sigma: Array1<f64>,
}

impl DataConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 {
            return Err(invalid("n", "must be at least 1"));
        }
        if self.d == 0 {
            return Err(invalid("d", "must be at least 1"));
        }
        if self.s > self.d {
            return Err(invalid("s", format!("sparsity {} exceeds the dimension d = {}", self.s, self.d)));
        }
        if !self.mean.is_finite() {
            return Err(invalid("mean", format!("must be finite, got {}", self.mean)));
        }
        if self.mean != 0.0 {
            check_squarable("mean", self.mean)?;
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(invalid("noise", format!("must be finite and ≥ 0, got {}", self.noise)));
        }
        if self.noise > 0.0 {
            check_squarable("noise", self.noise)?;
        }
        if let Some(sigma) = &self.sigma {
            if sigma.len() != 1 && sigma.len() != self.d {
                return Err(invalid(
                    "sigma",
                    format!("has length {}, expected 1 (broadcast) or d = {}", sigma.len(), self.d),
                ));
            }
            if let Some(bad) = sigma.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(invalid("sigma", format!("entries must be finite and > 0, got {bad}")));
            }
            for &v in sigma {
                check_squarable("sigma", v)?;
            }
        }
        if let Some(support) = &self.support {
            if support.len() != self.s {
                return Err(invalid("support", format!("has {} entries, expected s = {}", support.len(), self.s)));
            }
            if let Some(bad) = support.iter().find(|&&i| i >= self.d) {
                return Err(invalid("support", format!("index {bad} is out of range for d = {}", self.d)));
            }
            let mut sorted = support.clone();
            sorted.sort_unstable();
            if sorted.windows(2).any(|w| w[0] == w[1]) {
                return Err(invalid("support", "indices must be distinct"));
            }
        }
        if let Some(values) = &self.values {
            if values.len() != self.s {
                return Err(invalid("values", format!("has {} entries, expected s = {}", values.len(), self.s)));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return Err(invalid("values", "entries must be finite"));
            }
        }
        Ok(())
    }

    /// The per-coordinate scales σ ∈ R^d (`sigma` broadcast; ones when `None`).
    pub fn sigma_vector(&self) -> Array1<f64> {
        match self.sigma.as_deref() {
            Some([one]) => Array1::from_elem(self.d, *one),
            Some(s) => Array1::from(s.to_vec()),
            None => Array1::ones(self.d),
        }
    }

    // ANCHOR: generate
    /// Draws the problem: X first (row by row, x_ij = μ_j + σ_j z_ij with z_ij from the design),
    /// then β*'s values (N(0, 1)), then the label noise (N(0, noise²), only when noise > 0).
    pub fn generate(&self) -> Result<Problem> {
        self.validate()?;
        let (n, d) = (self.n, self.d);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let sigma = self.sigma_vector();
        let mu = Array1::from_elem(d, self.mean);
        let mut x = Array2::<f64>::zeros((n, d));
        for mut row in x.rows_mut() {
            for (j, v) in row.iter_mut().enumerate() {
                let z = self.design.sample(&mut rng);
                *v = mu[j] + sigma[j] * z;
            }
        }
        let support: Vec<usize> = self.support.clone().unwrap_or_else(|| (0..self.s).collect());
        let values: Vec<f64> = match &self.values {
            Some(v) => v.clone(),
            None => (0..self.s).map(|_| StandardNormal.sample(&mut rng)).collect(),
        };
        let mut beta_star = Array1::<f64>::zeros(d);
        for (&i, &v) in support.iter().zip(&values) {
            beta_star[i] = v;
        }
        let mut y = x.dot(&beta_star);
        if self.noise > 0.0 {
            for yi in y.iter_mut() {
                let e: f64 = StandardNormal.sample(&mut rng);
                *yi += self.noise * e;
            }
        }
        Ok(Problem { x, y, beta_star, mu, sigma })
    }
    // ANCHOR_END: generate
}

/// Deserialises `sigma` from a number (broadcast) or a list of numbers (serde's `deserialize_with`).
#[cfg(feature = "serde")]
pub fn scalar_or_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Vec<f64>>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum ScalarOrList {
        Scalar(f64),
        List(Vec<f64>),
    }
    let value: Option<ScalarOrList> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.map(|v| match v {
        ScalarOrList::Scalar(x) => vec![x],
        ScalarOrList::List(xs) => xs,
    }))
}

impl Problem {
    /// A problem from the user's own data; `beta_star` defaults to zeros (then the "test risk" is ½‖β‖²
    /// under x ~ N(0, I), i.e. only a norm).
    pub fn new(x: Array2<f64>, y: Array1<f64>, beta_star: Option<Array1<f64>>) -> Result<Self> {
        let (n, d) = x.dim();
        if n == 0 || d == 0 {
            return Err(DlnError::DimensionMismatch(format!("X is {n}×{d}; it needs at least one row and column")));
        }
        if y.len() != n {
            return Err(DlnError::DimensionMismatch(format!("X has {n} rows but y has {} entries", y.len())));
        }
        let beta_star = beta_star.unwrap_or_else(|| Array1::zeros(d));
        if beta_star.len() != d {
            return Err(DlnError::DimensionMismatch(format!(
                "X has {d} columns but beta_star has {} entries",
                beta_star.len()
            )));
        }
        check_finite("X", x.iter())?;
        check_finite("y", y.iter())?;
        check_finite("beta_star", beta_star.iter())?;
        Ok(Self { x, y, beta_star, mu: Array1::zeros(d), sigma: Array1::ones(d) })
    }

    /// Number of samples n.
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.x.ncols()
    }

    /// Training loss L(β) = 1/(2n) ‖Xβ − y‖².
    pub fn train_loss(&self, beta: ArrayView1<f64>) -> f64 {
        let r = self.x.dot(&beta) - &self.y;
        r.dot(&r) / (2.0 * self.n() as f64)
    }

    // ANCHOR: test_risk
    /// Exact population risk of β for x = μ + σ ⊙ z with independent z_i of mean 0 and variance 1
    /// (any [`Design`]), e = β − β*: E[⟨x, e⟩²]/2 = ½ Σ σ_i² e_i² + ½ (μ·e)²
    /// (= ½‖β − β*‖² for x ~ N(0, I)). Label noise is not included.
    pub fn test_risk(&self, beta: ArrayView1<f64>) -> f64 {
        let e = &beta - &self.beta_star;
        let var: f64 = e.iter().zip(&self.sigma).map(|(e, s)| s * s * e * e).sum();
        let m = self.mu.dot(&e);
        0.5 * var + 0.5 * m * m
    }
    // ANCHOR_END: test_risk

    // ANCHOR: mean_sq_sample_gradient
    /// The mean squared single-sample gradient at β, per coordinate: (1/n) Σ_i x_ij² r_i² with
    /// r_i = ⟨x_i, β⟩ − y_i (the gradient of ½ r_i² is r_i x_i). At β = 0 it is (1/n) Σ_i x_ij² y_i²,
    /// whose on/off-support ratio is the sample version of
    /// [`Design::second_order_support_ratio`]. Book: chapter "What sets the gain's shape".
    pub fn mean_sq_sample_gradient(&self, beta: ArrayView1<f64>) -> Array1<f64> {
        let r = self.x.dot(&beta) - &self.y;
        let n = self.n() as f64;
        let mut out = Array1::<f64>::zeros(self.d());
        for (row, ri) in self.x.rows().into_iter().zip(&r) {
            out.zip_mut_with(&row, |o, x| *o += x * x * ri * ri);
        }
        out / n
    }
    // ANCHOR_END: mean_sq_sample_gradient

    /// λ_max(XᵀX/n) = λ_max(XXᵀ/n), by [`crate::power_iteration`] on the n×n Gram matrix (it is
    /// [`crate::gauss_newton_sharpness`] with unit weights). GD's classical stability threshold for
    /// the linear model is 2/λ_max. NaN if X is not finite.
    pub fn lambda_max(&self) -> f64 {
        let ones = Array1::ones(self.d());
        crate::stability::gauss_newton_sharpness(self.x.view(), ones.view()).unwrap_or(f64::NAN)
    }
}

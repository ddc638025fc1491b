//! # dln — (S)GD over diagonal linear networks
//!
//! Overparametrised regression $y = X\beta^\ast$ with $X \in \R^{n \times d}$, $d > n$, fitted by the 2-layer
//! diagonal network $\beta = u \odot v$ trained by mini-batch SGD (GD when the batch is everything) from
//! $u_0 = \sqrt{2}\alpha$, $v_0 = 0$. Gradient flow converges to the interpolator of Theorem 1, with $\psi_\alpha$
//! the hyperbolic entropy:
//!
//! $$\beta_\alpha^{\mathrm{GF}} = \argmin_{X\beta = y} \psi_\alpha(\beta).$$
//!
//! (S)GD with a macroscopic stepsize $\gamma$ converges to the interpolator of Theorem 2 (Even, Pesme,
//! Gunasekar & Flammarion 2023),
//!
//! $$\beta_\infty = \argmin_{X\beta = y} D_{\psi_{\alpha_\infty}}(\beta, \tilde\beta_0),$$
//!
//! with an effective initialisation $\alpha_\infty$ shrunk by the gain $\Gain_\gamma = \ln(\alpha^2 / \alpha_\infty^2)$.
//! This crate implements the engine, the potentials, the gain and the interpolator solvers exactly,
//! the data designs, the curvature and $\gamma_{\max}$ ([`stability`]), the exact decomposition of
//! the prediction into the gain's scale, its shape and $\tilde\beta_0$ ([`decomposition`]) and the
//! metrics of an outcome ([`metrics`]); it does no I/O. The book (`book/`) narrates every module.
//!
//! Formulas in these docs are TeX between `$…$` (inline) and `$$…$$` (display), rendered by KaTeX
//! when the docs are built with `just doc` (the header `katex-header.html`, inlined, works offline).
//!
//! ```
//! use dln::{DataConfig, Sgd, BregmanSolver, uniform_alpha};
//! let problem = DataConfig::default().generate()?;              // (n, d, s) = (20, 30, 3)
//! let alpha = uniform_alpha(0.1, problem.d());
//! let gamma = 0.5 / problem.lambda_max();
//! let run = Sgd::gd(gamma, problem.n()).with_budget(200_000, 1e-24).run(&problem, alpha.view())?;
//! let pred = BregmanSolver::default().theorem2(problem.x.view(), problem.y.view(), &run.effective)?;
//! assert!((&run.beta - &pred.beta).mapv(f64::abs).sum() < 1e-8);
//! # Ok::<(), dln::DlnError>(())
//! ```

pub mod data;
pub mod decomposition;
mod engine;
pub mod error;
pub mod gain;
pub mod interpolator;
mod kernels;
pub mod linalg;
pub mod lockstep;
pub mod metrics;
pub mod model;
pub mod optimizer;
pub mod potential;
pub mod run;
pub mod stability;

pub use data::{DataConfig, Design, Problem};
pub use decomposition::{Parts, Shares, decompose};
pub use error::{DlnError, Result};
pub use gain::{EffectiveInit, QSums, SecondOrder, gain_from_weights, q, q_minus, q_plus};
pub use interpolator::{BregmanSolver, Solution, kkt_residual, min_l1, min_l2};
pub use lockstep::Lockstep;
pub use metrics::{
    Quartiles, coefficient_of_variation, l1_distance, l2_distance, log_log_slope, on_off_ratio, quantile, quartiles,
    recovers_support,
};
pub use model::{DiagonalNet, MAX_SQUARABLE, MIN_SQUARABLE, uniform_alpha, validate_alpha};
pub use optimizer::{CustomSchedule, Record, Sampling, Schedule, Sgd};
pub use potential::Hypentropy;
pub use run::{Observer, Run, Snapshot, Status};
pub use stability::{
    GammaMax, PowerIteration, Trial, bisect_gamma_max, bisect_gamma_max_trials, bisection_start, gamma_max,
    gamma_max_search, gamma_max_search_by, gauss_newton_sharpness, hessian, hessian_sharpness, power_iteration, run_at,
};

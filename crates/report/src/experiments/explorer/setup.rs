//! An explorer dataset, its two methods' templates and γ_max, and the fits at a fraction of γ_max.

use anyhow::Result;
use dln::{Problem, Sgd, Status};
use ndarray::Array1;

use super::Config;
use crate::experiments::common::{self, Method, finite, gamma_max_of, run_at, template};
use crate::experiments::estimated_parameters::{self as ep, Estimate};
use crate::sweep;

/// One dataset with its two methods' templates and γ_max.
pub struct Setup {
    /// The regression problem.
    pub problem: Problem,
    /// The uniform initialisation α·1.
    pub alpha: Array1<f64>,
    /// GD (b = n) and SGD (b = `batch`) templates, in [`Method::BOTH`] order.
    pub templates: [Sgd; 2],
    /// Their γ_max, same order.
    pub gamma_max: [f64; 2],
}

impl Setup {
    /// Draws dataset `index` of the setting and bisects each method's γ_max (the two bisections run
    /// in parallel). The SGD sampler's seed is derived from the data seed.
    pub fn new(cfg: &Config, index: usize) -> Result<Self> {
        let problem = cfg.setting.problem(index)?;
        let alpha = cfg.setting.alpha_vec();
        let (n, sampler) = (cfg.setting.n, common::derived_seed(cfg.setting.data_seed(index), 1));
        let templates = [
            template(n, n, cfg.max_epochs, cfg.tol, sampler),
            template(n, cfg.batch, cfg.max_epochs, cfg.tol, sampler),
        ];
        let gm = sweep::par_map(&templates, |t| gamma_max_of(&problem, alpha.view(), t, cfg.rel_tol));
        let gm: Vec<f64> = gm.into_iter().collect::<Result<_>>()?;
        Ok(Self { problem, alpha, templates, gamma_max: [gm[0], gm[1]] })
    }

    /// Gradient flow's limit (Theorem 1): argmin_{Xβ=y} ψ_α(β).
    pub fn gradient_flow(&self) -> Result<Estimate> {
        ep::gradient_flow(&self.problem, self.alpha.view())
    }

    /// GD and SGD at γ = fraction · γ_max (each its own), run in parallel.
    pub fn fit(&self, fraction: f64) -> Result<Vec<Estimate>> {
        let jobs: Vec<usize> = vec![0, 1];
        sweep::par_map(&jobs, |&k| {
            let method = Method::BOTH[k];
            let t = &self.templates[k];
            let gamma = fraction * self.gamma_max[k];
            let run = run_at(&self.problem, self.alpha.view(), t, gamma)?;
            let ok = run.status != Status::Diverged && run.beta.iter().all(|b| b.is_finite());
            let keep = |v: f64| if ok { finite(v) } else { None };
            Ok(Estimate {
                method: method.as_str(),
                batch: Some(t.batch as u64),
                fraction: Some(fraction),
                gamma_max: Some(self.gamma_max[k]),
                gamma: Some(gamma),
                status: run.status.as_str().into(),
                steps: Some(run.steps),
                test_risk: keep(self.problem.test_risk(run.beta.view())),
                beta: run.beta.iter().map(|&b| keep(b)).collect(),
                gain: run.effective.gain.iter().map(|&g| keep(g)).collect(),
            })
        })
        .into_iter()
        .collect()
    }
}

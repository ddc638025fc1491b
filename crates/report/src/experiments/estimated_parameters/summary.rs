//! estimated_parameters' headline numbers: on dataset 0 (the figure's), each method's γ_max and
//! stepsize, each estimate's distance to β* and support recovery, and the ordering of the three
//! risks; over every dataset, the spread of the claims' ratios.

use anyhow::{Context, Result};
use ndarray::Array1;
use serde::Serialize;

use super::claims::Ratios;
use super::{Config, Estimate, Output};
use crate::experiments::common::{Method, PerMethod, Spread, l1_distance, recovers_support};

/// Significant digits of the spreads over datasets.
const DIGITS: usize = 3;

/// How close an estimate is to β*.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// Population risk ½‖β − β*‖².
    pub test_risk: Option<f64>,
    /// ‖β − β*‖₁.
    pub l1_error: f64,
    /// ‖β_{Sᶜ}‖₁: the mass off the support S of β*.
    pub off_support_l1: f64,
    /// Whether the s largest |β_i| sit on the support of β*.
    pub support_recovered: bool,
}

/// Headline numbers of one estimate.
#[derive(Debug, Clone, Serialize)]
pub struct Numbers {
    /// Run status ("exact" for gradient flow).
    pub status: String,
    /// Its distance to β* (absent if the run diverged).
    #[serde(flatten)]
    pub fit: Option<Fit>,
}

impl Numbers {
    fn new(v: &Estimate, star: &[f64]) -> Self {
        let beta: Option<Vec<f64>> = v.beta.iter().copied().collect();
        let fit = beta.map(|b| {
            let (b, s) = (Array1::from(b), Array1::from(star.to_vec()));
            Fit {
                test_risk: v.test_risk,
                l1_error: l1_distance(b.view(), s.view()),
                off_support_l1: b.iter().zip(star).filter(|(_, t)| **t == 0.0).map(|(x, _)| x.abs()).sum(),
                support_recovered: recovers_support(b.view(), s.view()),
            }
        });
        Numbers { status: v.status.clone(), fit }
    }
}

/// The claims' ratios over every dataset.
#[derive(Debug, Clone, Serialize)]
pub struct AcrossDatasets {
    /// Number of datasets.
    pub datasets: usize,
    /// Datasets on which both runs converged.
    pub both_converged: usize,
    /// risk(SGD) / risk(GF).
    pub sgd_over_gf_risk: Spread,
    /// risk(GD) / risk(GF).
    pub gd_over_gf_risk: Spread,
    /// ‖β_SGD − β*‖₁ / ‖β*‖₁.
    pub sgd_relative_l1_error: Spread,
    /// ‖β_GD,Sᶜ‖₁ / ‖β_GF,Sᶜ‖₁: GD's mass off the support against gradient flow's.
    pub gd_over_gf_off_support_l1: Spread,
}

impl AcrossDatasets {
    fn of(out: &Output) -> Self {
        let ratios: Vec<Ratios> = out.datasets.iter().filter_map(Ratios::of).collect();
        let spread = |f: fn(&Ratios) -> f64| Spread::of(&ratios.iter().map(f).collect::<Vec<_>>(), DIGITS);
        let converged = |e: Option<&Estimate>| e.is_some_and(|e| e.status == "converged");
        AcrossDatasets {
            datasets: out.datasets.len(),
            both_converged: out.datasets.iter().filter(|f| converged(f.get("GD")) && converged(f.get("SGD"))).count(),
            sgd_over_gf_risk: spread(|r| r.sgd_over_gf_risk),
            gd_over_gf_risk: spread(|r| r.gd_over_gf_risk),
            sgd_relative_l1_error: spread(|r| r.sgd_relative_l1_error),
            gd_over_gf_off_support_l1: spread(|r| r.gd_over_gf_off_support),
        }
    }
}

/// Headline numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// γ / γ_max of both runs.
    pub fraction: f64,
    /// Each method's γ_max.
    pub gamma_max: PerMethod<Option<f64>>,
    /// Each method's stepsize γ.
    pub gamma: PerMethod<Option<f64>>,
    /// Gradient flow.
    #[serde(rename = "GF")]
    pub gf: Numbers,
    /// GD.
    #[serde(rename = "GD")]
    pub gd: Numbers,
    /// SGD.
    #[serde(rename = "SGD")]
    pub sgd: Numbers,
    /// risk(SGD) < risk(GD).
    pub sgd_risk_below_gd: bool,
    /// risk(SGD) < risk(GF).
    pub sgd_risk_below_gf: bool,
    /// risk(GD) > risk(GF).
    pub gd_risk_above_gf: bool,
    /// Every dataset.
    pub across_datasets: AcrossDatasets,
    /// The chapter's claims.
    pub claims: Vec<crate::claims::Claim>,
}

impl Summary {
    /// The summary of the three estimates on dataset 0, and of every dataset.
    pub fn of(out: &Output, cfg: &Config) -> Result<Self> {
        let first = out.datasets.first().context("no dataset")?;
        let get = |m: &str| first.get(m).with_context(|| format!("no {m} estimate"));
        let (gf, gd, sgd) = (get("GF")?, get("GD")?, get("SGD")?);
        let of = |m: Method| if m == Method::Gd { gd } else { sgd };
        let risk = |v: &Estimate| v.test_risk.unwrap_or(f64::INFINITY);
        Ok(Summary {
            fraction: cfg.fraction,
            gamma_max: PerMethod::new(|m| of(m).gamma_max),
            gamma: PerMethod::new(|m| of(m).gamma),
            gf: Numbers::new(gf, &first.beta_star),
            gd: Numbers::new(gd, &first.beta_star),
            sgd: Numbers::new(sgd, &first.beta_star),
            sgd_risk_below_gd: risk(sgd) < risk(gd),
            sgd_risk_below_gf: risk(sgd) < risk(gf),
            gd_risk_above_gf: risk(gd) > risk(gf),
            across_datasets: AcrossDatasets::of(out),
            claims: super::claims::claims(out),
        })
    }
}

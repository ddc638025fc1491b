//! Data generation (`DataConfig::generate`, the designs) and the exact test risk, against
//! independent computations: moments within tolerances derived from the sample size (5 standard
//! errors, fixed seeds), exact scalings, a copy of the original Gaussian generation loop, a pinned
//! hash, and a hand-derived risk.

mod common;

use common::one_line;
use dln::{DataConfig, Design, DlnError, Problem};
use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The Gaussian generation loop as it was before designs existed: X row by row as μ_j + σ_j z,
/// then β*'s values, then the noise.
fn original_gaussian_generation(cfg: &DataConfig) -> Problem {
    let (n, d, s) = (cfg.n, cfg.d, cfg.s);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let sigma = cfg.sigma.clone().map_or_else(|| Array1::ones(d), Array1::from);
    let mu = Array1::from_elem(d, cfg.mean);
    let mut x = Array2::<f64>::zeros((n, d));
    for i in 0..n {
        for j in 0..d {
            let z: f64 = StandardNormal.sample(&mut rng);
            x[[i, j]] = mu[j] + sigma[j] * z;
        }
    }
    let support: Vec<usize> = cfg.support.clone().unwrap_or_else(|| (0..s).collect());
    let values: Vec<f64> =
        cfg.values.clone().unwrap_or_else(|| (0..s).map(|_| StandardNormal.sample(&mut rng)).collect());
    let mut beta_star = Array1::<f64>::zeros(d);
    for (&i, &v) in support.iter().zip(&values) {
        beta_star[i] = v;
    }
    let mut y = x.dot(&beta_star);
    if cfg.noise > 0.0 {
        for yi in y.iter_mut() {
            let e: f64 = StandardNormal.sample(&mut rng);
            *yi += cfg.noise * e;
        }
    }
    Problem { x, y, beta_star, mu, sigma }
}

/// FNV-1a over the bits of X, y and β*.
fn fingerprint(p: &Problem) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in p.x.iter().chain(&p.y).chain(&p.beta_star) {
        for byte in v.to_bits().to_le_bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn uncentred_noisy() -> DataConfig {
    DataConfig { n: 50, d: 80, s: 5, mean: 0.5, noise: 0.1, seed: 3, ..DataConfig::default() }
}

#[test]
fn the_default_gaussian_design_generates_the_original_problems_bitwise() {
    let sigma: Vec<f64> = (0..30).map(|j| 0.5 + 0.05 * j as f64).collect();
    for cfg in [
        DataConfig::default(),
        uncentred_noisy(),
        DataConfig {
            sigma: Some(sigma),
            values: Some(vec![1.0, -2.0, 0.5]),
            support: Some(vec![4, 0, 9]),
            seed: 11,
            ..DataConfig::default()
        },
    ] {
        assert_eq!(cfg.generate().unwrap(), original_gaussian_generation(&cfg), "{cfg:?}");
    }
    // Fingerprints of the problems generated before designs existed.
    assert_eq!(fingerprint(&DataConfig::default().generate().unwrap()), PINNED_DEFAULT);
    assert_eq!(fingerprint(&uncentred_noisy().generate().unwrap()), PINNED_UNCENTRED_NOISY);
}

const PINNED_DEFAULT: u64 = 0x615c_802d_9110_3c2f;
const PINNED_UNCENTRED_NOISY: u64 = 0xa03e_59dd_4698_e971;

#[test]
fn the_support_is_the_first_s_coordinates_by_default() {
    let p = DataConfig { d: 40, s: 5, seed: 9, ..DataConfig::default() }.generate().unwrap();
    for (j, b) in p.beta_star.iter().enumerate() {
        assert_eq!(*b != 0.0, j < 5, "β*_{j} = {b}");
    }
}

/// Raw moments (1/N) Σ z^k, k = 1, 2, 4.
fn moments(x: ArrayView1<f64>) -> [f64; 3] {
    let m = x.len() as f64;
    [1, 2, 4].map(|k| x.iter().map(|v| v.powi(k)).sum::<f64>() / m)
}

/// E z⁸: 105, 1, 3⁴/9 = 9.
fn eighth_moment(design: Design) -> f64 {
    match design {
        Design::Gaussian => 105.0,
        Design::Rademacher => 1.0,
        Design::Uniform => 9.0,
    }
}

#[test]
fn every_design_is_standardised_with_its_fourth_moment() {
    // N = 20 000 entries: a raw moment E z^k is estimated with standard error √(Var z^k / N),
    // Var z = 1, Var z² = m₄ − 1, Var z⁴ = m₈ − m₄²; the tolerance is 5 standard errors.
    let (n, d) = (400, 50);
    let total = (n * d) as f64;
    for design in Design::ALL {
        let p = DataConfig { n, d, s: 0, design, seed: 21, ..DataConfig::default() }.generate().unwrap();
        let z = Array1::from_iter(p.x.iter().copied());
        let [m1, m2, m4] = moments(z.view());
        let m4_true = design.fourth_moment();
        let se = |var: f64| 5.0 * (var / total).sqrt();
        assert!(m1.abs() <= se(1.0), "{design}: mean {m1}");
        assert!((m2 - 1.0).abs() <= se(m4_true - 1.0).max(1e-12), "{design}: E z² = {m2}");
        assert!(
            (m4 - m4_true).abs() <= se(eighth_moment(design) - m4_true * m4_true).max(1e-12),
            "{design}: E z⁴ = {m4}"
        );
        // Neighbouring coordinates are uncorrelated: E z_j z_{j+1} = 0 with standard error 1/√N'.
        let lag: Vec<f64> = p.x.rows().into_iter().flat_map(|r| (0..d - 1).map(move |j| r[j] * r[j + 1])).collect();
        let lag_mean = lag.iter().sum::<f64>() / lag.len() as f64;
        assert!(lag_mean.abs() <= 5.0 / (lag.len() as f64).sqrt(), "{design}: lag-one correlation {lag_mean}");
    }
}

#[test]
fn designs_have_their_support() {
    let sqrt3 = 3f64.sqrt();
    let draw =
        |design| DataConfig { n: 100, d: 20, s: 0, design, seed: 4, ..DataConfig::default() }.generate().unwrap();
    assert!(draw(Design::Rademacher).x.iter().all(|v| v.abs() == 1.0));
    let uniform = draw(Design::Uniform).x;
    assert!(uniform.iter().all(|v| v.abs() <= sqrt3));
    assert!(uniform.iter().any(|v| *v > 0.9 * sqrt3) && uniform.iter().any(|v| *v < -0.9 * sqrt3));
}

#[test]
fn sigma_scales_each_coordinate_and_mean_shifts_it_exactly() {
    let base_cfg = DataConfig { n: 30, d: 6, s: 2, seed: 8, ..DataConfig::default() };
    for design in Design::ALL {
        let base = DataConfig { design, ..base_cfg.clone() }.generate().unwrap();
        // One value broadcast: X = 2·X₀ (the same draws, scaled; ×2 is exact).
        let doubled = DataConfig { design, sigma: Some(vec![2.0]), ..base_cfg.clone() }.generate().unwrap();
        assert_eq!(doubled.x, &base.x * 2.0);
        assert_eq!(doubled.sigma, Array1::from_elem(6, 2.0));
        assert_eq!(doubled.beta_star, base.beta_star);
        // d values: column j scaled by σ_j (μ_j + σ_j z with μ_j = 0 is σ_j z exactly).
        let sigma = vec![0.5, 1.0, 3.0, 0.25, 7.0, 1.5];
        let scaled = DataConfig { design, sigma: Some(sigma.clone()), ..base_cfg.clone() }.generate().unwrap();
        for (j, s) in sigma.iter().enumerate() {
            assert_eq!(scaled.x.column(j), base.x.column(j).mapv(|v| v * s));
        }
        assert_eq!(scaled.y, scaled.x.dot(&scaled.beta_star), "noise-free labels follow the scaled X");
        // A mean shift: X = mean + X₀ entrywise, and μ records it.
        let shifted = DataConfig { design, mean: 0.75, ..base_cfg.clone() }.generate().unwrap();
        assert_eq!(shifted.x, base.x.mapv(|v| 0.75 + v));
        assert_eq!(shifted.mu, Array1::from_elem(6, 0.75));
    }
}

#[test]
fn column_moments_follow_mean_and_sigma() {
    // Column j of n = 4000 rows: mean μ ± 5σ_j/√n, raw variance about the true mean σ_j² ± 5σ_j²√(2/n).
    let n = 4000;
    let sigma = vec![0.5, 2.0, 1.0];
    let p = DataConfig { n, d: 3, s: 1, mean: -1.5, sigma: Some(sigma.clone()), seed: 13, ..DataConfig::default() }
        .generate()
        .unwrap();
    for (j, s) in sigma.iter().enumerate() {
        let col = p.x.column(j);
        let mean = col.sum() / n as f64;
        let var = col.iter().map(|v| (v + 1.5) * (v + 1.5)).sum::<f64>() / n as f64;
        assert!((mean + 1.5).abs() <= 5.0 * s / (n as f64).sqrt(), "column {j}: mean {mean}");
        assert!((var - s * s).abs() <= 5.0 * s * s * (2.0 / n as f64).sqrt(), "column {j}: variance {var}");
    }
}

#[test]
fn beta_star_values_are_standard_normal() {
    let s = 4000;
    let p = DataConfig { n: 1, d: s, s, seed: 5, ..DataConfig::default() }.generate().unwrap();
    let mean = p.beta_star.sum() / s as f64;
    let m2 = p.beta_star.dot(&p.beta_star) / s as f64;
    assert!(mean.abs() <= 5.0 / (s as f64).sqrt(), "mean {mean}");
    assert!((m2 - 1.0).abs() <= 5.0 * (2.0 / s as f64).sqrt(), "E β*² = {m2}");
}

#[test]
fn label_noise_has_the_requested_std() {
    let n = 4000;
    let cfg = DataConfig { n, d: 2, s: 2, noise: 0.3, seed: 6, ..DataConfig::default() };
    let p = cfg.generate().unwrap();
    let eps = &p.y - &p.x.dot(&p.beta_star);
    let mean = eps.sum() / n as f64;
    let m2 = eps.dot(&eps) / n as f64;
    assert!(mean.abs() <= 5.0 * 0.3 / (n as f64).sqrt(), "noise mean {mean}");
    assert!((m2 - 0.09).abs() <= 5.0 * 0.09 * (2.0 / n as f64).sqrt(), "noise variance {m2}");
    // The noise is drawn after X and β*: they do not change.
    let clean = DataConfig { noise: 0.0, ..cfg }.generate().unwrap();
    assert_eq!((&clean.x, &clean.beta_star), (&p.x, &p.beta_star));
    assert_eq!(clean.y, clean.x.dot(&clean.beta_star));
}

#[test]
fn designs_parse_and_serialise_in_lowercase() {
    for design in Design::ALL {
        assert_eq!(design.as_str().parse::<Design>().unwrap(), design);
        assert_eq!(serde_json::to_string(&design).unwrap(), format!("\"{design}\""));
    }
    assert_eq!("Uniform".parse::<Design>().unwrap(), Design::Uniform);
    match "gauss".parse::<Design>() {
        Err(e @ DlnError::InvalidParameter { name: "design", .. }) => drop(one_line(&e)),
        other => panic!("expected InvalidParameter design, got {other:?}"),
    }
    let cfg: DataConfig = serde_json::from_str(r#"{"design": "rademacher", "sigma": 2.0}"#).unwrap();
    assert_eq!((cfg.design, cfg.sigma.clone()), (Design::Rademacher, Some(vec![2.0])));
    let cfg: DataConfig = serde_json::from_str(r#"{"sigma": [1.0, 2.0]}"#).unwrap();
    assert_eq!(cfg.sigma, Some(vec![1.0, 2.0]));
    let cfg: DataConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(cfg, DataConfig::default());
    assert!(serde_json::from_str::<DataConfig>(r#"{"design": "cauchy"}"#).is_err());
}

// ---- the exact test risk ----

#[test]
fn test_risk_includes_the_mean_term() {
    // d = 2, σ = (1, 2), μ = (½, ½), β* = (1, 0), β = (2, 1): e = (1, 1),
    // ½(1·1 + 4·1) + ½(½ + ½)² = 5/2 + 1/2 = 3 (without the mean term: 5/2).
    let p = DataConfig {
        n: 1,
        d: 2,
        s: 1,
        mean: 0.5,
        sigma: Some(vec![1.0, 2.0]),
        values: Some(vec![1.0]),
        ..DataConfig::default()
    }
    .generate()
    .unwrap();
    assert_eq!(p.test_risk(ndarray::array![2.0, 1.0].view()), 3.0);
    // Centred, unit-variance data: ½‖β − β*‖².
    let q = Problem::new(ndarray::array![[1.0, 0.0]], ndarray::array![1.0], Some(ndarray::array![1.0, 0.0])).unwrap();
    assert_eq!(q.test_risk(ndarray::array![2.0, 3.0].view()), 0.5 * (1.0 + 9.0));
}

#[test]
fn test_risk_is_the_population_mean_of_half_the_squared_error() {
    // Monte Carlo over the rows of a large generated X: (1/2N) Σ_i ⟨x_i, e⟩² estimates the risk with
    // standard error sd(⟨x, e⟩²/2)/√N (sample sd); tolerance 5 standard errors. The mean term ½(μ·e)²
    // is checked to exceed the tolerance many times over, so dropping it fails the test.
    let n = 20_000;
    let sigma = vec![0.5, 1.0, 2.0, 1.5, 0.8];
    for design in Design::ALL {
        let cfg = DataConfig {
            n,
            d: 5,
            s: 2,
            design,
            mean: 2.0,
            sigma: Some(sigma.clone()),
            seed: 17,
            ..DataConfig::default()
        };
        let p = cfg.generate().unwrap();
        let beta = &p.beta_star + &ndarray::array![0.3, -0.2, 0.4, 0.1, 0.25];
        let e = &beta - &p.beta_star;
        let half_sq: Vec<f64> = p.x.rows().into_iter().map(|r| 0.5 * r.dot(&e).powi(2)).collect();
        let mc = half_sq.iter().sum::<f64>() / n as f64;
        let var = half_sq.iter().map(|v| (v - mc) * (v - mc)).sum::<f64>() / (n - 1) as f64;
        let tol = 5.0 * (var / n as f64).sqrt();
        let risk = p.test_risk(beta.view());
        assert!((risk - mc).abs() <= tol, "{design}: exact {risk} vs Monte Carlo {mc} ± {tol}");
        let mean_term = 0.5 * (2.0 * e.sum()).powi(2);
        assert!(mean_term > 10.0 * tol, "{design}: the mean term {mean_term} must be detectable (tol {tol})");
    }
}

#[test]
fn second_order_support_ratio_matches_a_monte_carlo_of_single_sample_gradients() {
    // The on/off-support ratio of (1/n) Σ_i x_ij² ⟨x_i, β*⟩² (the squared single-sample gradient at
    // β₀ = 0) over many samples, against 1 + (m₄ − 1)/s, for every design and two sparsities.
    for design in Design::ALL {
        for s in [1, 3] {
            let problem =
                DataConfig { n: 200_000, d: 6, s, design, seed: 11, ..DataConfig::default() }.generate().unwrap();
            let sq: Vec<f64> = (0..problem.d())
                .map(|j| problem.x.column(j).iter().zip(&problem.y).map(|(x, y)| (x * y).powi(2)).sum::<f64>())
                .collect();
            let support: Vec<bool> = problem.beta_star.iter().map(|b| *b != 0.0).collect();
            let measured = dln::on_off_ratio(&sq, &support);
            let predicted = design.second_order_support_ratio(s);
            assert!(
                (measured / predicted - 1.0).abs() < 0.03,
                "{design} s = {s}: Monte Carlo {measured} vs {predicted}"
            );
        }
    }
    assert_eq!(Design::Rademacher.second_order_support_ratio(3), 1.0);
    assert_eq!(Design::Gaussian.second_order_support_ratio(2), 2.0);
}

#[test]
fn mean_sq_sample_gradient_is_computed_by_hand() {
    let x = ndarray::array![[1.0, 2.0], [3.0, -4.0]];
    let problem = Problem::new(x, ndarray::array![1.0, 2.0], None).unwrap();
    // β = 0: (1/n) Σ_i x_ij² y_i² = ((1 + 9·4)/2, (4 + 16·4)/2).
    assert_eq!(problem.mean_sq_sample_gradient(ndarray::array![0.0, 0.0].view()).to_vec(), vec![18.5, 34.0]);
    // β = (1, 1): r = (1·1 + 2·1 − 1, 3 − 4 − 2) = (2, −3); ((1·4 + 9·9)/2, (4·4 + 16·9)/2).
    assert_eq!(problem.mean_sq_sample_gradient(ndarray::array![1.0, 1.0].view()).to_vec(), vec![42.5, 80.0]);
}

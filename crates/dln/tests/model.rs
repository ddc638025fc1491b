//! `DiagonalNet` and the engine's rotated weights w± = (u ± v)/√2: round trips, agreement with the
//! engine's own readout, and the reconstruction from (β, α_k²).

mod common;

use common::{gaussian_matrix, problem};
use dln::{DiagonalNet, DlnError, Sgd, gain_from_weights, uniform_alpha};
use ndarray::{Array1, array};

const EPS: f64 = f64::EPSILON;

#[test]
fn rotation_round_trips_to_rounding() {
    let uv = gaussian_matrix(2, 50, 3);
    let mut u = uv.row(0).mapv(|z| z * 10f64.powf(3.0 * z));
    let mut v = uv.row(1).to_owned();
    u[0] = 0.0;
    v[1] = 0.0;
    let net = DiagonalNet { u, v };
    let (wp, wm) = net.to_rotated();
    let back = DiagonalNet::from_rotated(wp.view(), wm.view()).unwrap();
    // Two sums and two products by 1/√2 per way: a few roundings of |u| + |v|.
    for j in 0..50 {
        let scale = net.u[j].abs() + net.v[j].abs();
        assert!((back.u[j] - net.u[j]).abs() <= 4.0 * EPS * scale, "u_{j}");
        assert!((back.v[j] - net.v[j]).abs() <= 4.0 * EPS * scale, "v_{j}");
        // w₊² − w₋² = 2uv and w₊ w₋ = (u² − v²)/2.
        assert!((wp[j] * wp[j] - wm[j] * wm[j] - 2.0 * net.u[j] * net.v[j]).abs() <= 8.0 * EPS * scale * scale);
        assert!((wp[j] * wm[j] - 0.5 * (net.u[j].powi(2) - net.v[j].powi(2))).abs() <= 8.0 * EPS * scale * scale);
    }
}

#[test]
fn the_initialisation_is_the_engines_start_w_plus_equal_w_minus_equal_alpha() {
    let alpha = array![0.1, 1e-3, 2.5];
    let (wp, wm) = DiagonalNet::init(alpha.view()).unwrap().to_rotated();
    for j in 0..3 {
        assert!((wp[j] - alpha[j]).abs() <= 2.0 * EPS * alpha[j], "w₊");
        assert!((wm[j] - alpha[j]).abs() <= 2.0 * EPS * alpha[j], "w₋");
    }
}

#[test]
fn rotated_weights_of_a_run_reproduce_its_readout() {
    let p = problem(20, 30, 3, 4);
    let alpha = uniform_alpha(0.1, 30);
    let run = Sgd::gd(0.5 / p.lambda_max(), 20).with_budget(5_000, 1e-20).run(&p, alpha.view()).unwrap();
    let net = DiagonalNet::from(&run);
    assert_eq!((&net.u, &net.v), (&run.u, &run.v));
    let (wp, wm) = net.to_rotated();
    // The engine's β = (w₊² − w₋²)/2, α∞² = |w₊ w₋| and Gain read off its own w±; from u, v they
    // agree to a few roundings of u² + v².
    for j in 0..30 {
        let scale = net.u[j] * net.u[j] + net.v[j] * net.v[j];
        assert!((0.5 * (wp[j] * wp[j] - wm[j] * wm[j]) - run.beta[j]).abs() <= 32.0 * EPS * scale, "β_{j}");
        let a2 = (wp[j] * wm[j]).abs();
        assert!((a2 - run.effective.alpha_inf_sq[j]).abs() <= 32.0 * EPS * scale, "α∞²_{j}");
        let gain = gain_from_weights(alpha[j], wp[j], wm[j]);
        assert!((gain - run.gain()[j]).abs() <= 32.0 * EPS * scale / a2, "Gain_{j}");
    }
}

#[test]
fn from_beta_recovers_the_weights_of_a_run() {
    let p = problem(20, 30, 3, 6);
    let alpha = uniform_alpha(0.05, 30);
    let run = Sgd::gd(0.3 / p.lambda_max(), 20).with_budget(20_000, 1e-20).run(&p, alpha.view()).unwrap();
    let net = DiagonalNet::from_beta(run.beta.view(), run.effective.alpha_inf_sq.view()).unwrap();
    for j in 0..30 {
        let scale = run.u[j].abs() + run.v[j].abs();
        assert!((net.u[j] - run.u[j]).abs() <= 1e-13 * scale, "u_{j}: {} vs {}", net.u[j], run.u[j]);
        assert!((net.v[j] - run.v[j]).abs() <= 1e-13 * scale, "v_{j}: {} vs {}", net.v[j], run.v[j]);
    }
}

#[test]
fn from_beta_solves_its_two_equations_without_cancellation() {
    let beta = array![3.0, -3.0, 0.0, 1e8, -1e-9];
    let alpha_sq = array![1e-6, 1e-6, 0.5, 1e-12, 2.0];
    let net = DiagonalNet::from_beta(beta.view(), alpha_sq.view()).unwrap();
    let (b, a2) = (net.beta(), net.alpha_sq());
    for j in 0..5 {
        // (u, v) = ((w₊ + w₋)/√2, (w₊ − w₋)/√2) carries α² = |u² − v²|/2 only to a few roundings of
        // u² + v² = 2√(β² + α⁴) (at j = 3 that is all of α²: the reason the engine keeps w±).
        let scale = net.u[j] * net.u[j] + net.v[j] * net.v[j];
        assert!((scale - 2.0 * beta[j].hypot(alpha_sq[j])).abs() <= 8.0 * EPS * scale, "u² + v² at {j}");
        assert!((b[j] - beta[j]).abs() <= 8.0 * EPS * scale, "β_{j} = {}", b[j]);
        assert!((a2[j] - alpha_sq[j]).abs() <= 8.0 * EPS * scale, "α²_{j} = {} vs {}", a2[j], alpha_sq[j]);
        assert!(net.u[j] > 0.0 && net.u[j] >= net.v[j].abs(), "w₊, w₋ > 0 means u ≥ |v|");
    }
    assert_eq!(net.curvature_weights(), &net.u * &net.u + &net.v * &net.v);
}

#[test]
fn conversion_errors() {
    let (a, b) = (Array1::<f64>::ones(3), Array1::<f64>::ones(2));
    assert!(matches!(DiagonalNet::from_rotated(a.view(), b.view()), Err(DlnError::DimensionMismatch(_))));
    assert!(matches!(DiagonalNet::from_beta(a.view(), b.view()), Err(DlnError::DimensionMismatch(_))));
    let nan = array![1.0, f64::NAN, 1.0];
    assert!(matches!(DiagonalNet::from_rotated(a.view(), nan.view()), Err(DlnError::NonFinite("w_minus"))));
    let zero = array![1.0, 0.0, 1.0];
    assert!(matches!(
        DiagonalNet::from_beta(a.view(), zero.view()),
        Err(DlnError::InvalidParameter { name: "alpha_sq", .. })
    ));
}

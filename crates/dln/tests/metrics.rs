//! Metrics (`dln::metrics`) against values derived by hand.

mod common;

use common::one_line;
use dln::{
    DlnError, coefficient_of_variation, l1_distance, l2_distance, log_log_slope, quantile, quartiles, recovers_support,
};
use ndarray::array;

#[test]
fn distances_of_a_three_four_five_triangle() {
    let (a, b) = (array![1.0, 2.0, -1.0], array![4.0, 2.0, 3.0]);
    // a − b = (−3, 0, −4): ℓ1 = 7, ℓ2 = 5.
    assert_eq!(l1_distance(a.view(), b.view()).unwrap(), 7.0);
    assert_eq!(l2_distance(a.view(), b.view()).unwrap(), 5.0);
    assert_eq!(l2_distance(a.view(), a.view()).unwrap(), 0.0);
    let short = array![1.0, 2.0];
    for r in [l1_distance(a.view(), short.view()), l2_distance(a.view(), short.view())] {
        match r {
            Err(e @ DlnError::DimensionMismatch(_)) => drop(one_line(&e)),
            other => panic!("expected DimensionMismatch, got {other:?}"),
        }
    }
}

#[test]
fn support_recovery_compares_the_s_largest_magnitudes_with_the_support() {
    let beta_star = array![0.0, 1.0, 0.0, -2.0, 0.0];
    // The two largest |β_i| are at 1 and 3 (a negative one counts by magnitude).
    assert!(recovers_support(array![0.1, 0.9, -0.2, -1.5, 0.3].view(), beta_star.view()).unwrap());
    // |β_4| = 0.95 beats |β_1| = 0.9: an off-support coordinate among the top two.
    assert!(!recovers_support(array![0.1, 0.9, -0.2, -1.5, 0.95].view(), beta_star.view()).unwrap());
    // A tie between on- and off-support magnitudes goes to the smaller index.
    assert!(recovers_support(array![0.0, 1.0, 0.0, 1.0, 1.0].view(), beta_star.view()).unwrap());
    assert!(!recovers_support(array![1.0, 1.0, 0.0, 1.0, 0.0].view(), beta_star.view()).unwrap());
    // β* = 0: nothing to recover.
    assert!(recovers_support(array![3.0, 1.0].view(), array![0.0, 0.0].view()).unwrap());
    assert!(matches!(recovers_support(array![1.0].view(), beta_star.view()), Err(DlnError::DimensionMismatch(_))));
}

#[test]
fn coefficient_of_variation_uses_the_population_std() {
    assert_eq!(coefficient_of_variation(&[2.0, 2.0, 2.0]), 0.0);
    // (4, 0, 0, 0): mean 1, population variance (9 + 1 + 1 + 1)/4 = 3.
    assert!((coefficient_of_variation(&[4.0, 0.0, 0.0, 0.0]) - 3f64.sqrt()).abs() < 1e-15);
    // (1, 3): mean 2, std 1 (the sample std would be √2).
    assert_eq!(coefficient_of_variation(&[1.0, 3.0]), 0.5);
    assert!(coefficient_of_variation(&[]).is_nan());
}

#[test]
fn log_log_slope_of_power_laws() {
    let x = [0.5, 1.0, 2.0, 8.0, 30.0];
    for p in [-1.5, 0.0, 2.0] {
        let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(p)).collect();
        assert!((log_log_slope(&x, &y).unwrap() - p).abs() < 1e-13, "p = {p}");
    }
    // Least squares through (0, 0), (1, 0), (2, 3) in log space: slope Σ(lx − 1)(ly − 1)/Σ(lx − 1)² = 3/2.
    let e = std::f64::consts::E;
    let s = log_log_slope(&[1.0, e, e * e], &[1.0, 1.0, e.powi(3)]).unwrap();
    assert!((s - 1.5).abs() < 1e-14, "{s}");
}

#[test]
fn log_log_slope_errors() {
    let name = |r: Result<f64, DlnError>| match r {
        Err(e @ DlnError::InvalidParameter { name, .. }) => {
            one_line(&e);
            name
        }
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name(log_log_slope(&[1.0], &[1.0])), "x");
    assert_eq!(name(log_log_slope(&[1.0, 0.0], &[1.0, 2.0])), "x");
    assert_eq!(name(log_log_slope(&[1.0, 2.0], &[1.0, -2.0])), "y");
    assert_eq!(name(log_log_slope(&[1.0, 2.0], &[1.0, f64::NAN])), "y");
    assert_eq!(name(log_log_slope(&[2.0, 2.0], &[1.0, 3.0])), "x");
    assert!(matches!(log_log_slope(&[1.0, 2.0], &[1.0]), Err(DlnError::DimensionMismatch(_))));
}

#[test]
fn quantiles_interpolate_linearly_between_order_statistics() {
    // Sorted finite values (1, 2, 3, 5): positions q·3; NumPy gives 1.75, 2.5, 3.5.
    let q = quartiles(&[5.0, 1.0, f64::NAN, 3.0, 2.0, f64::INFINITY]);
    assert_eq!((q.q25, q.median, q.q75, q.count), (1.75, 2.5, 3.5, 4));
    assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0], 0.0), 1.0);
    assert_eq!(quantile(&[5.0, 1.0, 3.0, 2.0], 1.0), 5.0);
    // q·(m − 1) = 0.9·3 = 2.7: 3 + 0.7·(5 − 3) = 4.4.
    assert!((quantile(&[5.0, 1.0, 3.0, 2.0], 0.9) - 4.4).abs() < 1e-15);
    assert_eq!(quantile(&[7.0], 0.3), 7.0);
    assert_eq!(quantile(&[5.0, 1.0], 2.0), 5.0, "q is clamped to [0, 1]");
    assert!(quantile(&[f64::NAN], 0.5).is_nan());
    assert_eq!(quartiles(&[]).count, 0);
}

#[test]
fn on_off_ratio_is_the_ratio_of_the_two_means() {
    // On: (3 + 5)/2 = 4; off: (1 + 1 + 2)/3 = 4/3.
    let r = dln::on_off_ratio(&[3.0, 1.0, 5.0, 1.0, 2.0], &[true, false, true, false, false]);
    assert!((r - 3.0).abs() < 1e-15, "{r}");
    assert!(dln::on_off_ratio(&[1.0, 2.0], &[true, true]).is_nan(), "no coordinate off the support");
    assert!(dln::on_off_ratio(&[1.0], &[true, false]).is_nan(), "lengths differ");
}

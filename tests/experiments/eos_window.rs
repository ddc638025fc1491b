//! `eos_window`: its summary snapshot, Theorem 2 on every converged run of the window, and its claims
//! recomputed from the per-coordinate frame (the power-law fit refitted here).

use dln_report::experiments::Product;
use dln_tests::*;

const ARMS: [&str; 3] = ["GD", "SGD", "uncentred GD"];

/// Per run (rows at coordinate 0): its arm and its largest γ·S_k.
fn run_columns(out: &Product) -> (Vec<String>, Vec<Option<f64>>) {
    let (df, first) = (&out.data, run_starts(&out.data));
    (per_run(&first, &strs(df, "arm")), per_run(&first, &f64s(df, "max_gamma_sharpness")))
}

/// Least-squares slope of ln y against ln x.
fn log_log_slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let m = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

fn check_eos_window_claims(out: &Product) {
    let runs = frame_runs(out, &[]);
    let (arms, peaks) = run_columns(out);
    let (worst, _) = theorem2_on_every_converged_run(&runs);
    let fractions: Vec<f64> =
        (out.config["runs"]["fractions"].as_array().unwrap().iter()).map(|v| v.as_f64().unwrap()).collect();
    let of = |arm: &str| -> Vec<usize> { (0..runs.len()).filter(|&k| arms[k] == arm).collect() };
    let converged = |arm: &str| {
        let ks = of(arm);
        ks.iter().filter(|&&k| runs[k].status == "converged").count() as f64 / ks.len() as f64
    };
    let medians = |arm: &str, f: &dyn Fn(usize) -> Option<f64>| -> Vec<f64> {
        (fractions.iter())
            .map(|&fr| {
                let v: Vec<f64> = (of(arm).into_iter())
                    .filter(|&k| runs[k].kept() && runs[k].fraction == fr)
                    .filter_map(f)
                    .filter(|v| v.is_finite())
                    .collect();
                median(v)
            })
            .collect()
    };
    let gain = |arm: &str| medians(arm, &|k| Some(runs[k].gain_l1()));
    let exponent = |arm: &str| {
        let x: Vec<f64> = fractions.iter().map(|f| 1.0 - f).collect();
        log_log_slope(&x, &gain(arm))
    };
    let peak = |arm: &str| medians(arm, &|k| peaks[k]);
    assert_eq!(ARMS.iter().map(|a| of(a).len()).sum::<usize>(), runs.len(), "every run has one of the arms");
    assert_claims(
        out,
        &[
            ("gd_runs_converge", converged("GD")),
            ("theorem2_is_exact", worst),
            ("gd_gain_grows_toward_the_edge", exponent("GD")),
            ("gd_sharpness_overshoots_two", peak("GD").into_iter().fold(f64::INFINITY, f64::min)),
            ("uncentred_gd_stays_at_two", peak("uncentred GD").into_iter().fold(f64::NEG_INFINITY, f64::max)),
            ("uncentred_gd_gain_grows_slower", exponent("uncentred GD") - exponent("GD")),
        ],
    );
}

#[test]
fn eos_window() {
    let out = snapshot_experiment!("eos_window");
    check_eos_window_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn eos_window_configuration() {
    use dln_report::experiments::eos_window::Config;
    let base = Config::default();
    let mut outside = base.clone();
    outside.runs.fractions = vec![0.9, 1.0];
    let mut coarse = base.clone();
    coarse.runs.bisection_rel_tol = Some(0.0);
    let cases = [
        (Config { mean: 0.0, ..base.clone() }, "mean"),
        (Config { batch: 20, ..base.clone() }, "batch"),
        (Config { points_per_decade: 0, ..base.clone() }, "points_per_decade"),
        (outside, "runs"),
        (coarse, "runs"),
    ];
    assert_rejected(&base, &cases);
}

//! `anisotropy`: its summary snapshot, Theorem 2 on every converged run, and its claims recomputed
//! from the per-coordinate frame.

use dln_report::experiments::Product;
use dln_tests::*;

/// Per σ ratio (in order), the median over the kept runs of `method` at `fraction` of `f`.
fn medians(runs: &[FrameRun], ratios: &[f64], method: &str, fraction: f64, f: impl Fn(&FrameRun) -> f64) -> Vec<f64> {
    (ratios.iter())
        .map(|r| {
            let label = r.to_string();
            median(
                (runs.iter())
                    .filter(|x| x.kept() && x.labels[0] == label && x.method == method && x.fraction == fraction)
                    .map(&f)
                    .filter(|v| v.is_finite())
                    .collect(),
            )
        })
        .collect()
}

/// Least-squares slope of ln y against ln x.
fn log_log_slope(x: &[f64], y: &[f64]) -> f64 {
    let (lx, ly): (Vec<f64>, Vec<f64>) = x.iter().zip(y).map(|(a, b)| (a.ln(), b.ln())).unzip();
    let m = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let cov: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    cov / lx.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
}

fn check_anisotropy_claims(out: &Product) {
    let runs = frame_runs(out, &["sigma_ratio"]);
    let (worst, converged) = theorem2_on_every_converged_run(&runs);
    let ratios: Vec<f64> = out.config["ratios"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let fractions: Vec<f64> =
        out.config["runs"]["fractions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (small, top) = (fractions[0], *fractions.last().unwrap());
    // σ on the support is the ratio, 1 elsewhere: the frame's cells are labelled by it.
    let sgd = log_log_slope(&ratios, &medians(&runs, &ratios, "SGD", small, |r| r.on_off(&r.gain)));
    let gd = log_log_slope(&ratios, &medians(&runs, &ratios, "GD", small, |r| r.on_off(&r.gain)));
    let risk = medians(&runs, &ratios, "SGD", top, FrameRun::risk_ratio);
    assert_claims(
        out,
        &[
            ("runs_converge", converged),
            ("theorem2_is_exact", worst),
            ("sgd_gain_grows_like_variance", (sgd - 2.0).abs()),
            ("gd_gain_grows_like_variance_too", (gd - 2.0).abs()),
            ("sgd_helps_low_variance_support", risk[0]),
            ("sgd_hurts_high_variance_support", *risk.last().unwrap()),
        ],
    );
}

#[test]
fn anisotropy() {
    let out = snapshot_experiment!("anisotropy");
    check_anisotropy_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn anisotropy_configuration() {
    use dln_report::experiments::anisotropy::Config;
    let base = Config::default();
    let cases = [
        (Config { ratios: vec![1.0], ..base.clone() }, "ratios"),
        (Config { ratios: vec![2.0, 1.0], ..base.clone() }, "ratios"),
        (Config { ratios: vec![0.0, 1.0], ..base.clone() }, "ratios"),
        (Config { ratios: vec![1e300, 1e301], ..base.clone() }, "ratios: "),
        (Config { batch: 20, ..base.clone() }, "batch"),
    ];
    assert_rejected(&base, &cases);
}

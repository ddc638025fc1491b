//! `label_noise`: its summary snapshot, Theorem 2 on every converged run (the interpolators fit the
//! noise too), and its claims recomputed from the per-coordinate frame.

use dln_report::experiments::Product;
use dln_tests::*;

fn check_label_noise_claims(out: &Product) {
    let runs = frame_runs(out, &["noise"]);
    let (worst, converged) = theorem2_on_every_converged_run(&runs);
    let noises: Vec<f64> = out.config["noises"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let top = out.config["runs"]["fractions"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    let at_top = |method: &str| -> Vec<f64> {
        (noises.iter())
            .map(|n| {
                let label = n.to_string();
                median(
                    (runs.iter())
                        .filter(|r| r.kept() && r.labels[0] == label && r.method == method && r.fraction == top)
                        .map(FrameRun::risk_ratio)
                        .collect(),
                )
            })
            .collect()
    };
    let (sgd, gd) = (at_top("SGD"), at_top("GD"));
    assert_claims(
        out,
        &[
            ("runs_converge", converged),
            ("theorem2_is_exact", worst),
            ("sgd_helps_at_every_noise", sgd.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
            ("gd_hurts_at_every_noise", gd.iter().copied().fold(f64::INFINITY, f64::min)),
        ],
    );
}

#[test]
fn label_noise() {
    let out = snapshot_experiment!("label_noise");
    check_label_noise_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn label_noise_configuration() {
    use dln_report::experiments::label_noise::Config;
    let base = Config::default();
    let cases = [
        (Config { noises: vec![0.0], ..base.clone() }, "noises"),
        (Config { noises: vec![0.5, 0.1], ..base.clone() }, "noises"),
        (Config { noises: vec![-0.1, 0.1], ..base.clone() }, "noises"),
        (Config { batch: 0, ..base.clone() }, "batch"),
    ];
    assert_rejected(&base, &cases);
}

//! `batch_law`: its summary snapshot, Theorem 2 on every converged run, and its claims recomputed
//! from the per-coordinate frame.

use dln_report::experiments::Product;
use dln_tests::*;

/// Per batch size (in order), the median over its kept runs at `fraction` of `f`.
fn medians(runs: &[FrameRun], batches: &[u64], fraction: f64, f: impl Fn(&FrameRun) -> f64) -> Vec<f64> {
    (batches.iter())
        .map(|b| {
            let label = b.to_string();
            median(
                (runs.iter())
                    .filter(|r| r.kept() && r.labels[0] == label && r.fraction == fraction)
                    .map(&f)
                    .filter(|v| v.is_finite())
                    .collect(),
            )
        })
        .collect()
}

/// The smallest ratio of consecutive values.
fn smallest_growth(v: &[f64]) -> f64 {
    v.windows(2).map(|w| w[1] / w[0]).fold(f64::INFINITY, f64::min)
}

fn check_batch_law_claims(out: &Product) {
    let runs = frame_runs(out, &["batch"]);
    let (worst, converged) = theorem2_on_every_converged_run(&runs);
    let batches: Vec<u64> = out.config["batches"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let fractions: Vec<f64> =
        out.config["runs"]["fractions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (small, top) = (fractions[0], *fractions.last().unwrap());
    let n = *batches.last().unwrap() as f64;
    // The law ‖Gain‖₁/γ = A + B (n − b)/(b(n − 1)), A = GD's median, B least squares through it.
    let per_gamma = medians(&runs, &batches, small, |r| r.gain_l1() / r.gamma);
    let a = *per_gamma.last().unwrap();
    let noise: Vec<f64> = batches.iter().map(|&b| (n - b as f64) / (b as f64 * (n - 1.0))).collect();
    let sgd = 0..batches.len() - 1;
    let slope = sgd.clone().map(|i| noise[i] * (per_gamma[i] - a)).sum::<f64>()
        / sgd.clone().map(|i| noise[i] * noise[i]).sum::<f64>();
    let law = sgd.map(|i| (per_gamma[i] / (a + slope * noise[i]) - 1.0).abs()).fold(f64::NEG_INFINITY, f64::max);
    assert_claims(
        out,
        &[
            ("runs_converge", converged),
            ("theorem2_is_exact", worst),
            ("gamma_max_grows_with_batch", smallest_growth(&medians(&runs, &batches, small, |r| r.gamma_max))),
            ("gain_follows_noise_factor", law),
            (
                "smaller_batches_end_closer_to_sparse",
                smallest_growth(&medians(&runs, &batches, top, FrameRun::risk_ratio)),
            ),
        ],
    );
}

#[test]
fn batch_law() {
    let out = snapshot_experiment!("batch_law");
    check_batch_law_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn batch_law_configuration() {
    use dln_report::experiments::batch_law::Config;
    let base = Config::default();
    let cases = [
        (Config { batches: vec![1, 20], ..base.clone() }, "batches"),
        (Config { batches: vec![5, 1, 20], ..base.clone() }, "batches"),
        (Config { batches: vec![0, 5, 20], ..base.clone() }, "batches"),
        (Config { batches: vec![1, 5, 10], ..base.clone() }, "batches"),
    ];
    assert_rejected(&base, &cases);
}

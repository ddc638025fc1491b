//! `schedules`: its summary snapshot, Theorem 2 on every converged run whatever the schedule, and
//! its claims recomputed from the per-coordinate frame.

use dln_report::experiments::Product;
use dln_tests::*;

const SCHEDULES: [&str; 4] = ["constant", "warm_up", "step", "cosine"];

/// The median over the kept runs of (method, schedule) at the first final fraction of `f`.
fn median_of(runs: &[FrameRun], fraction: f64, method: &str, schedule: &str, f: fn(&FrameRun) -> f64) -> f64 {
    median(
        (runs.iter())
            .filter(|r| r.kept() && r.method == method && r.labels[0] == schedule && r.fraction == fraction)
            .map(f)
            .collect(),
    )
}

fn check_schedules_claims(out: &Product) {
    let runs = frame_runs(out, &["schedule"]);
    let (worst, converged) = theorem2_on_every_converged_run(&runs);
    let fraction = out.config["runs"]["fractions"][0].as_f64().unwrap();
    let spread = |method: &str| {
        let m: Vec<f64> = SCHEDULES.iter().map(|s| median_of(&runs, fraction, method, s, FrameRun::gain_l1)).collect();
        m.iter().copied().fold(f64::NEG_INFINITY, f64::max) / m.iter().copied().fold(f64::INFINITY, f64::min)
    };
    let cosine_over_constant = |method: &str| {
        median_of(&runs, fraction, method, "cosine", FrameRun::risk_ratio)
            / median_of(&runs, fraction, method, "constant", FrameRun::risk_ratio)
    };
    assert_claims(
        out,
        &[
            ("runs_converge", converged),
            ("theorem2_is_exact", worst),
            ("gain_depends_on_the_path", spread("GD").min(spread("SGD"))),
            ("cosine_helps_sgd", cosine_over_constant("SGD")),
            ("cosine_hurts_gd", cosine_over_constant("GD")),
        ],
    );
}

#[test]
fn schedules() {
    let out = snapshot_experiment!("schedules");
    check_schedules_claims(&out);
}

/// The schedules themselves: each ends at γ_f, and the step and the cosine have the same area over
/// the annealing phase to within one step.
#[test]
fn schedules_end_at_the_final_stepsize_with_equal_areas() {
    use dln_report::experiments::schedules::Kind;
    let (gamma_final, gamma_peak, steps) = (0.3, 0.9, 100u64);
    let area = |k: Kind| (0..steps).map(|i| k.schedule(gamma_final, gamma_peak, steps).at(i)).sum::<f64>();
    for kind in Kind::ALL {
        let s = kind.schedule(gamma_final, gamma_peak, steps);
        assert!(
            (s.at(steps) - gamma_final).abs() < 1e-15 && (s.at(10 * steps) - gamma_final).abs() < 1e-15,
            "{kind:?}"
        );
    }
    // (γ_p + γ_f) T / 2 for the step; the cosine's adds (γ_p − γ_f)/2 (its k = 0 term).
    assert!((area(Kind::Step) - (gamma_peak + gamma_final) * steps as f64 / 2.0).abs() < 1e-9);
    assert!((area(Kind::Cosine) - area(Kind::Step) - (gamma_peak - gamma_final) / 2.0).abs() < 1e-9);
    assert!((area(Kind::Constant) - gamma_final * steps as f64).abs() < 1e-9);
}

/// Bad values are one-line errors naming the key.
#[test]
fn schedules_configuration() {
    use dln_report::experiments::schedules::Config;
    let base = Config::default();
    let cases = [
        (Config { peak_fraction: 0.2, ..base.clone() }, "peak_fraction"),
        (Config { peak_fraction: 1.5, ..base.clone() }, "peak_fraction"),
        (Config { anneal_epochs: 1, ..base.clone() }, "anneal_epochs"),
        (Config { batch: 20, ..base.clone() }, "batch"),
    ];
    assert_rejected(&base, &cases);
}

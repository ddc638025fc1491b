//! `gain_law`: its summary snapshot, Theorem 2 on every converged run, and its claims recomputed
//! from the per-coordinate frame.

use dln_report::experiments::Product;
use dln_tests::*;

type Run = FrameRun;

fn max(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(f64::NEG_INFINITY, f64::max)
}

fn min(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

/// m₄ of a design by name: E z⁴ of N(0, 1), ±1 and U[−√3, √3].
fn fourth_moment(design: &str) -> f64 {
    match design {
        "gaussian" => 3.0,
        "rademacher" => 1.0,
        "uniform" => 9.0 / 5.0,
        other => panic!("unknown design {other}"),
    }
}

/// Median over the kept runs of (design, s, method, fraction) of the on/off ratio of `of(run)`.
fn median_of(runs: &[Run], (design, s): (&str, u64), method: &str, fraction: f64, of: fn(&Run) -> &[f64]) -> f64 {
    let cell = [design.to_string(), s.to_string()];
    median(
        (runs.iter())
            .filter(|r| r.kept() && r.labels == cell && r.method == method && r.fraction == fraction)
            .map(|r| r.on_off(of(r)))
            .collect(),
    )
}

/// Median over the kept runs of (design, s, method, fraction) of their on/off gain ratio.
fn median_ratio(runs: &[Run], design: &str, s: u64, method: &str, fraction: f64) -> f64 {
    median_of(runs, (design, s), method, fraction, |r| &r.gain)
}

fn check_gain_law_claims(out: &Product) {
    let runs = frame_runs(out, &["design", "s"]);
    let (worst, converged) = theorem2_on_every_converged_run(&runs);
    let kept: Vec<&Run> = runs.iter().filter(|r| r.kept()).collect();
    let excess = |r: &Run| -> Vec<(f64, f64)> {
        (0..r.gain.len()).map(|j| (r.gain[j] / r.second_order[j] - 1.0, r.max_step[j])).collect()
    };
    let all: Vec<(f64, f64)> = kept.iter().flat_map(|r| excess(r)).collect();
    let small = min(runs.iter().map(|r| r.fraction));
    let top = max(runs.iter().map(|r| r.fraction));
    let at = |f: f64| max(kept.iter().filter(|r| r.fraction == f).flat_map(|r| excess(r)).map(|e| e.0));
    let mut cells: Vec<(String, u64)> = Vec::new();
    for r in &runs {
        let cell = (r.labels[0].clone(), r.labels[1].parse::<u64>().unwrap());
        if !cells.contains(&cell) {
            cells.push(cell);
        }
    }
    // The start ratio is the dataset's; every SGD run at the smallest fraction carries it.
    let start_deviation = max(cells.iter().map(|(d, s)| {
        let predicted = 1.0 + (fourth_moment(d) - 1.0) / *s as f64;
        (median_of(&runs, (d, *s), "SGD", small, |r| &r.start) / predicted - 1.0).abs()
    }));
    let shape = max(cells.iter().map(|(d, s)| {
        let second_order = median_of(&runs, (d, *s), "SGD", small, |r| &r.second_order);
        (median_ratio(&runs, d, *s, "SGD", small) / second_order - 1.0).abs()
    }));
    let mut sparsities: Vec<u64> = cells.iter().map(|c| c.1).collect();
    sparsities.sort_unstable();
    sparsities.dedup();
    let order = min(sparsities.iter().map(|&s| {
        let [g, u, r] = ["gaussian", "uniform", "rademacher"].map(|d| median_ratio(&runs, d, s, "SGD", small));
        (g / u).min(u / r)
    }));
    let fractions: Vec<f64> = runs.iter().map(|r| r.fraction).fold(Vec::new(), |mut v, f| {
        if !v.contains(&f) {
            v.push(f);
        }
        v
    });
    let piles = min(cells.iter().flat_map(|(d, s)| {
        let runs = &runs;
        fractions.iter().map(move |&f| median_ratio(runs, d, *s, "GD", f) / median_ratio(runs, d, *s, "SGD", f))
    }));
    assert_claims(
        out,
        &[
            ("runs_converge", converged),
            ("theorem2_is_exact", worst),
            (
                "rademacher_sgd_gain_is_flat",
                max(kept.iter().filter(|r| r.labels[0] == "rademacher" && r.method == "SGD").map(|r| r.cv())),
            ),
            ("gain_at_least_second_order", min(all.iter().filter(|e| e.1 < 1.0).map(|e| e.0))),
            (
                "second_order_error_within_largest_step",
                max(all.iter().filter(|e| e.1 * e.1 <= 0.5).map(|e| e.0 / (e.1 * e.1))),
            ),
            ("second_order_law_at_small_steps", at(small)),
            ("sgd_shape_is_second_order", shape),
            ("start_ratio_follows_fourth_moment", start_deviation),
            ("fourth_moment_orders_the_designs", order),
            ("gd_piles_gain_on_support", piles),
        ],
    );
    assert!(at(top) > at(small), "the second-order error grows with the stepsize");
}

#[test]
fn gain_law() {
    let out = snapshot_experiment!("gain_law");
    check_gain_law_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn gain_law_configuration() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::fraction_runs::RunsConfig;
    use dln_report::experiments::gain_law::Config;
    let base = Config::default();
    let runs = RunsConfig::default();
    let cases = [
        (Config { designs: vec![], ..base.clone() }, "designs"),
        (Config { designs: vec![dln::Design::Uniform, dln::Design::Uniform], ..base.clone() }, "designs"),
        (Config { sparsities: vec![0], ..base.clone() }, "sparsities"),
        (Config { sparsities: vec![30], ..base.clone() }, "sparsities"),
        (Config { sparsities: vec![2, 2], ..base.clone() }, "sparsities"),
        (Config { runs: RunsConfig { datasets: 0, ..runs.clone() }, ..base.clone() }, "runs: datasets"),
        (Config { runs: RunsConfig { fractions: vec![0.5, 0.1], ..runs.clone() }, ..base.clone() }, "runs: fractions"),
        (Config { runs: RunsConfig { tol: -1.0, ..runs.clone() }, ..base.clone() }, "runs: tol"),
        (Config { runs: RunsConfig { max_epochs: 0, ..runs.clone() }, ..base.clone() }, "runs: max_epochs"),
        (Config { setting: Setting { alpha: -1.0, ..Setting::default() }, ..base.clone() }, "setting: "),
    ];
    assert_rejected(&base, &cases);
    let cfg: Config =
        serde_json::from_value(serde_json::json!({ "designs": ["rademacher"], "setting": { "n": 10 } })).unwrap();
    assert_eq!((cfg.designs, cfg.setting.n), (vec![dln::Design::Rademacher], 10));
}

//! `theorem2_check`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::Product;
use dln_tests::*;

fn check_theorem2_is_exact_on_every_converged_run_and_beta_tilde0_matters(out: &Product) {
    let df = &out.data;
    let status = strs(df, "status");
    let (e2, e0, loss) = (f64s(df, "err_theorem2"), f64s(df, "err_without_tilde"), f64s(df, "train_loss"));
    let converged: Vec<usize> = (0..status.len()).filter(|&i| status[i] == "converged").collect();
    assert!(converged.len() >= df.height() - 2, "almost every run of the grid converges: {status:?}");
    for &i in &converged {
        let (a, b) = (e2[i].expect("Theorem-2 error"), e0[i].expect("error without β̃₀"));
        assert!(loss[i].unwrap() <= 1e-26, "row {i} stopped above the tolerance");
        assert!(a <= 1e-8, "row {i}: ‖β∞ − β_pred‖ = {a:e} > 1e-8");
        assert!(b > a, "row {i}: dropping β̃₀ should not improve the prediction ({b:e} ≤ {a:e})");
    }
    assert!(summary_bool(out, "/theorem2_error_le_1e-8_on_every_converged_run"));
    assert!(summary_bool(out, "/without_tilde_error_larger_on_every_converged_run"));
}

fn check_theorem2_check_gradient_flow_drifts_away_as_gamma_grows(out: &Product) {
    let df = &out.data;
    let (method, batch, status, gamma, egf) =
        (strs(df, "method"), u64s(df, "batch"), strs(df, "status"), f64s(df, "gamma"), f64s(df, "err_gf"));
    let mut series: Vec<(String, u64)> = method.iter().cloned().zip(batch.iter().copied()).collect();
    series.dedup();
    assert!(series.len() >= 3, "GD and at least two SGD batch sizes");
    for (m, b) in &series {
        let pts: Vec<(f64, f64)> = (0..method.len())
            .filter(|&i| &method[i] == m && batch[i] == *b && status[i] == "converged")
            .map(|i| (gamma[i].unwrap(), egf[i].unwrap()))
            .collect();
        assert!(pts.len() >= 4, "{m} b={b}: enough converged runs");
        // (S)GD → GF as γ → 0, and away from it as γ grows.
        assert!(pts.windows(2).all(|w| w[1].1 > w[0].1), "{m} b={b}: ‖β∞ − β*_α‖ not increasing in γ: {pts:?}");
        // First order in γ at small stepsizes (Theorem 1 as the γ → 0 limit).
        let label = format!("/series/{m} (b = {b})/gf_distance_rate_small_gamma");
        let rate = summary_f64(out, &label);
        assert!((0.8..=1.2).contains(&rate), "{m} b={b}: rate {rate}");
    }
}

/// The chapter's claims, recomputed from the frame.
fn check_theorem2_claims(out: &Product) {
    let df = &out.data;
    let (method, batch, status, fraction, gamma) =
        (strs(df, "method"), u64s(df, "batch"), strs(df, "status"), f64s(df, "fraction"), f64s(df, "gamma"));
    let (e2, e0, egf) = (f64s(df, "err_theorem2"), f64s(df, "err_without_tilde"), f64s(df, "err_gf"));
    let rows = 0..df.height();
    let converged: Vec<usize> = rows.clone().filter(|&i| status[i] == "converged").collect();
    let max = |v: Vec<f64>| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let share = |i: usize| e0[i].zip(egf[i]).map(|(a, b)| a / b);
    let mut slopes = Vec::new();
    let mut batches: Vec<u64> = batch.clone();
    batches.dedup();
    for b in batches {
        let mut pts: Vec<(f64, f64)> = converged
            .iter()
            .filter(|&&i| batch[i] == b)
            .map(|&i| (gamma[i].unwrap().ln(), egf[i].unwrap().ln()))
            .collect();
        pts.sort_by(|p, q| p.0.total_cmp(&q.0));
        pts.truncate(3);
        // Least squares: cov(x, y) / var(x).
        let m = pts.len() as f64;
        let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / m, pts.iter().map(|p| p.1).sum::<f64>() / m);
        let cov: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let var: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        slopes.push(cov / var);
    }
    assert_claims(
        out,
        &[
            ("every_run_converges", converged.len() as f64 / df.height() as f64),
            ("theorem2_is_exact", max(converged.iter().map(|&i| e2[i].unwrap()).collect())),
            ("tilde_beta0_is_needed", min(converged.iter().map(|&i| e0[i].unwrap() / e2[i].unwrap()).collect())),
            ("gf_distance_is_first_order", max(slopes.iter().map(|s| (s - 1.0).abs()).collect())),
            (
                "tilde_beta0_negligible_at_small_gamma",
                max(rows.clone().filter(|&i| fraction[i].unwrap() <= 0.1).filter_map(share).collect()),
            ),
            (
                "tilde_beta0_not_negligible_near_gamma_max",
                max(rows.filter(|&i| method[i] == "GD" && fraction[i].unwrap() >= 0.6).filter_map(share).collect()),
            ),
        ],
    );
}

#[test]
fn theorem2_check() {
    let out = snapshot_experiment!("theorem2_check");
    check_theorem2_is_exact_on_every_converged_run_and_beta_tilde0_matters(&out);
    check_theorem2_check_gradient_flow_drifts_away_as_gamma_grows(&out);
    check_theorem2_claims(&out);
}

/// Bad values are one-line errors naming the key (nested setting errors prefixed `setting:`); the
/// batch sizes are checked against the setting's n.
#[test]
fn theorem2_check_configuration() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::theorem2_check::Config;
    let base = Config::default();
    let cases = [
        (Config { batches: vec![], ..base.clone() }, "batches"),
        (Config { batches: vec![0, 5], ..base.clone() }, "batches"),
        (Config { setting: Setting { n: 10, d: 30, ..Setting::default() }, ..base.clone() }, "batches"),
        (Config { fractions: vec![0.5], ..base.clone() }, "fractions"),
        (Config { fractions: vec![0.3, 0.1], ..base.clone() }, "fractions"),
        (Config { fractions: vec![0.1, 1.5], ..base.clone() }, "fractions"),
        (Config { tol: 0.0, ..base.clone() }, "tol"),
        (Config { rel_tol: f64::NAN, ..base.clone() }, "rel_tol"),
        (Config { max_epochs: 0, ..base.clone() }, "max_epochs"),
        (Config { bisection_epochs: 0, ..base.clone() }, "bisection_epochs"),
        (Config { setting: Setting { alpha: 0.0, ..Setting::default() }, ..base.clone() }, "setting: "),
    ];
    assert_rejected(&base, &cases);
    let cfg: Config = serde_json::from_value(serde_json::json!({ "setting": { "seed": 4 }, "tol": 1e-20 })).unwrap();
    assert_eq!(cfg.setting, Setting { seed: 4, ..Setting::default() });
    assert_eq!((cfg.tol, &cfg.batches), (1e-20, &base.batches));
}

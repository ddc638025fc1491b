//! `theorem2_check`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::Product;
use dln_tests::*;

/// A (batch, dataset) pair.
type Series = (u64, u64);

/// The frame's columns the checks use.
struct Frame {
    dataset: Vec<u64>,
    method: Vec<String>,
    batch: Vec<u64>,
    status: Vec<String>,
    fraction: Vec<f64>,
    gamma: Vec<f64>,
    loss: Vec<Option<f64>>,
    e2: Vec<Option<f64>>,
    e0: Vec<Option<f64>>,
    egf: Vec<Option<f64>>,
}

impl Frame {
    fn of(out: &Product) -> Self {
        let df = &out.data;
        Frame {
            dataset: u64s(df, "dataset"),
            method: strs(df, "method"),
            batch: u64s(df, "batch"),
            status: strs(df, "status"),
            fraction: f64s_set(df, "fraction"),
            gamma: f64s_set(df, "gamma"),
            loss: f64s(df, "train_loss"),
            e2: f64s(df, "err_theorem2"),
            e0: f64s(df, "err_without_tilde"),
            egf: f64s(df, "err_gf"),
        }
    }

    fn converged(&self) -> Vec<usize> {
        (0..self.status.len()).filter(|&i| self.status[i] == "converged").collect()
    }

    /// Per (batch, dataset) in order of appearance, the converged (ln γ, ln‖β∞ − β*_α‖) by increasing γ.
    fn gf_curves(&self) -> Vec<(Series, Vec<(f64, f64)>)> {
        let mut keys: Vec<Series> = Vec::new();
        for i in 0..self.batch.len() {
            if !keys.contains(&(self.batch[i], self.dataset[i])) {
                keys.push((self.batch[i], self.dataset[i]));
            }
        }
        (keys.into_iter())
            .map(|key| {
                let mut pts: Vec<(f64, f64)> = (self.converged().into_iter())
                    .filter(|&i| (self.batch[i], self.dataset[i]) == key)
                    .map(|i| (self.gamma[i].ln(), self.egf[i].unwrap().ln()))
                    .collect();
                pts.sort_by(|p, q| p.0.total_cmp(&q.0));
                (key, pts)
            })
            .collect()
    }
}

/// Least squares slope cov(x, y) / var(x) of the first three points.
fn slope3(pts: &[(f64, f64)]) -> f64 {
    let pts = &pts[..3];
    let m = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / m, pts.iter().map(|p| p.1).sum::<f64>() / m);
    let cov: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let var: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    cov / var
}

fn check_theorem2_is_exact_on_every_converged_run_and_beta_tilde0_matters(out: &Product) {
    let f = Frame::of(out);
    // Nothing diverges below γ_max; a run that does not converge stopped on the step budget, and the
    // summary lists it.
    assert!(f.status.iter().all(|s| s == "converged" || s == "max_steps"), "{:?}", f.status);
    let stopped = out.summary["not_converged"].as_array().expect("not_converged").len();
    assert_eq!(stopped, f.status.len() - f.converged().len());
    for i in f.converged() {
        let (a, b) = (f.e2[i].expect("Theorem-2 error"), f.e0[i].expect("error without β̃₀"));
        assert!(f.loss[i].unwrap() <= 1e-26, "row {i} stopped above the tolerance");
        assert!(a <= 1e-8, "row {i}: ‖β∞ − β_pred‖ = {a:e} > 1e-8");
        assert!(b > a, "row {i}: dropping β̃₀ should not improve the prediction ({b:e} ≤ {a:e})");
    }
    assert!(summary_bool(out, "/theorem2_error_le_1e-8_on_every_converged_run"));
    assert!(summary_bool(out, "/without_tilde_error_larger_on_every_converged_run"));
    let datasets = f.dataset.iter().max().unwrap() + 1;
    assert_eq!(summary_f64(out, "/datasets"), datasets as f64);
    assert_eq!(summary_f64(out, "/converged_runs"), f.converged().len() as f64);
}

fn check_theorem2_check_gradient_flow_drifts_away_as_gamma_grows(out: &Product) {
    let f = Frame::of(out);
    let curves = f.gf_curves();
    let batches: Vec<u64> = curves.iter().map(|((b, _), _)| *b).fold(Vec::new(), |mut v, b| {
        if !v.contains(&b) {
            v.push(b);
        }
        v
    });
    assert!(batches.len() >= 2, "GD and at least one SGD batch size");
    for b in batches {
        let mine: Vec<&Vec<(f64, f64)>> = curves.iter().filter(|((bb, _), _)| *bb == b).map(|(_, c)| c).collect();
        let increasing = mine.iter().filter(|c| c.windows(2).all(|w| w[1].1 > w[0].1)).count();
        let i = f.batch.iter().position(|&x| x == b).unwrap();
        let label = format!("/series/{} (b = {b})", f.method[i]);
        // (S)GD → GF as γ → 0, and away from it as γ grows, on every dataset.
        assert!(mine.iter().all(|c| c.len() >= 4), "b={b}: enough converged runs per dataset");
        assert_eq!(
            summary_f64(out, &format!("{label}/datasets_where_gf_distance_increases_with_gamma")),
            increasing as f64
        );
        assert_eq!(increasing, mine.len(), "b={b}: ‖β∞ − β*_α‖ not increasing in γ on every dataset");
        // First order in γ at small stepsizes (Theorem 1 as the γ → 0 limit), per dataset.
        let median = summary_f64(out, &format!("{label}/gf_distance_rate_small_gamma/median"));
        assert!((0.8..=1.2).contains(&median), "b={b}: median rate {median}");
    }
}

/// The chapter's claims, recomputed from the frame.
fn check_theorem2_claims(out: &Product) {
    let f = Frame::of(out);
    let converged = f.converged();
    let max = |v: Vec<f64>| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let share = |i: &usize| f.e0[*i].zip(f.egf[*i]).map(|(a, b)| a / b);
    let slopes: Vec<f64> = f.gf_curves().iter().map(|(_, c)| slope3(c)).collect();
    assert_claims(
        out,
        &[
            ("runs_converge", converged.len() as f64 / f.status.len() as f64),
            ("theorem2_is_exact", max(converged.iter().map(|&i| f.e2[i].unwrap()).collect())),
            ("tilde_beta0_is_needed", min(converged.iter().map(|&i| f.e0[i].unwrap() / f.e2[i].unwrap()).collect())),
            ("gf_distance_is_first_order", (median(slopes) - 1.0).abs()),
            (
                "tilde_beta0_negligible_at_small_gamma",
                max(converged.iter().filter(|&&i| f.fraction[i] <= 0.1).filter_map(share).collect()),
            ),
            (
                "tilde_beta0_not_negligible_near_gamma_max",
                max(converged
                    .iter()
                    .filter(|&&i| f.method[i] == "GD" && f.fraction[i] >= 0.6)
                    .filter_map(share)
                    .collect()),
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

/// Bad values are one-line errors naming the key (nested sweep errors prefixed `sweep:`).
#[test]
fn theorem2_check_configuration() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::stepsize_sweep::SweepConfig;
    use dln_report::experiments::theorem2_check::Config;
    let base = Config::default();
    let sweep = |s: Setting| SweepConfig { setting: s, ..SweepConfig::default() };
    let cases = [
        (Config { fractions: vec![0.5], ..base.clone() }, "fractions"),
        (Config { fractions: vec![0.3, 0.1], ..base.clone() }, "fractions"),
        (Config { fractions: vec![0.1, 1.5], ..base.clone() }, "fractions"),
        (Config { tol: 0.0, ..base.clone() }, "tol"),
        (Config { max_epochs: 0, ..base.clone() }, "max_epochs"),
        (Config { sweep: sweep(Setting { alpha: 0.0, ..Setting::default() }), ..base.clone() }, "sweep: setting: "),
        (Config { sweep: SweepConfig { datasets: 0, ..SweepConfig::default() }, ..base.clone() }, "sweep: "),
    ];
    assert_rejected(&base, &cases);
    let cfg: Config =
        serde_json::from_value(serde_json::json!({ "sweep": { "setting": { "seed": 4 } }, "tol": 1e-20 })).unwrap();
    assert_eq!(cfg.sweep.setting, Setting { seed: 4, ..Setting::default() });
    assert_eq!((cfg.tol, &cfg.fractions), (1e-20, &base.fractions));
}

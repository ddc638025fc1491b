//! `theorem1_alpha`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::Product;
use dln_tests::*;

/// The frame's columns the checks use.
struct Frame {
    dataset: Vec<u64>,
    shape: Vec<String>,
    reference: Vec<bool>,
    alpha: Vec<Option<f64>>,
    dl1: Vec<f64>,
    dl2: Vec<f64>,
    risk: Vec<f64>,
    residual: Vec<Option<f64>>,
}

impl Frame {
    fn of(out: &Product) -> Self {
        let df = &out.data;
        Frame {
            dataset: u64s(df, "dataset"),
            shape: strs(df, "shape"),
            reference: df.column("reference").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect(),
            alpha: f64s(df, "alpha"),
            dl1: f64s_set(df, "dist_min_l1"),
            dl2: f64s_set(df, "dist_min_l2"),
            risk: f64s_set(df, "test_risk"),
            residual: f64s(df, "residual"),
        }
    }

    fn datasets(&self) -> u64 {
        self.dataset.iter().max().unwrap() + 1
    }

    /// The uniform-α grid rows of dataset `k`, by increasing α.
    fn uniform(&self, k: u64) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.shape.len())
            .filter(|&i| self.dataset[i] == k && self.shape[i] == "uniform" && !self.reference[i])
            .collect();
        rows.sort_by(|&a, &b| self.alpha[a].unwrap().total_cmp(&self.alpha[b].unwrap()));
        rows
    }

    /// The risk of `shape` at the setting's α on dataset `k`.
    fn at_reference(&self, shape: &str, k: u64) -> f64 {
        self.risk[(0..self.shape.len())
            .find(|&i| self.dataset[i] == k && self.shape[i] == shape && self.reference[i])
            .unwrap()]
    }
}

fn check_theorem1_alpha_interpolates_between_the_kernel_and_rich_regimes(out: &Product) {
    let f = Frame::of(out);
    assert!(f.datasets() >= 8, "every figure summarises at least 8 datasets");
    for k in 0..f.datasets() {
        let uni = f.uniform(k);
        assert!(uni.len() >= 20, "a fine α grid");
        let (first, last) = (uni[0], *uni.last().unwrap());
        assert!(f.alpha[first].unwrap() <= 1e-4 * 1.0001 && f.alpha[last].unwrap() >= 10.0 * 0.9999);
        // α → 0: towards the minimum-ℓ1 interpolator; α → ∞: the minimum-ℓ2 one.
        assert!(f.dl1[last] > 1e2 * f.dl1[first], "dataset {k}: ‖β*_α − β_ℓ1‖ {:e} → {:e}", f.dl1[first], f.dl1[last]);
        assert!(f.dl2[first] > 1e2 * f.dl2[last], "dataset {k}: ‖β*_α − β_ℓ2‖ {:e} → {:e}", f.dl2[first], f.dl2[last]);
    }
    let monotone = |k: u64, up: bool| {
        let uni = f.uniform(k);
        let d = if up { &f.dl1 } else { &f.dl2 };
        uni.windows(2).all(|w| if up { d[w[1]] >= d[w[0]] } else { d[w[1]] <= d[w[0]] })
    };
    let (up, down) = (
        (0..f.datasets()).filter(|&k| monotone(k, true)).count(),
        (0..f.datasets()).filter(|&k| monotone(k, false)).count(),
    );
    assert_eq!(summary_f64(out, "/datasets_where_dist_min_l1_increases_with_alpha"), up as f64);
    assert_eq!(summary_f64(out, "/datasets_where_dist_min_l2_decreases_with_alpha"), down as f64);
    // Every solve is feasible to rounding.
    for (i, r) in f.residual.iter().enumerate() {
        if let Some(r) = r {
            assert!(*r <= 1e-10, "row {i}: relative feasibility residual {r:e}");
        }
    }
}

fn check_theorem1_alpha_weighted_l1_shape_effect(out: &Product) {
    // ψ_α ~ Σ ln(1/α_i)|β_i|: a larger α on the support penalises it less (better recovery), a
    // smaller α penalises it more (worse) — at the paper's α = 0.1, counted per dataset.
    let f = Frame::of(out);
    let ks = 0..f.datasets();
    let helps = ks.clone().filter(|&k| f.at_reference("support ×ratio", k) < f.at_reference("uniform", k)).count();
    let hurts = ks.filter(|&k| f.at_reference("support ÷ratio", k) > f.at_reference("uniform", k)).count();
    assert_eq!(summary_f64(out, "/datasets_where_support_larger_alpha_helps"), helps as f64);
    assert_eq!(summary_f64(out, "/datasets_where_support_smaller_alpha_hurts"), hurts as f64);
}

#[test]
fn theorem1_alpha() {
    let out = snapshot_experiment!("theorem1_alpha");
    check_theorem1_alpha_interpolates_between_the_kernel_and_rich_regimes(&out);
    check_theorem1_alpha_weighted_l1_shape_effect(&out);
    check_claims(&out);
}

/// The chapter's claims, recomputed from the frame.
fn check_claims(out: &Product) {
    let f = Frame::of(out);
    let ks = || 0..f.datasets();
    let max = |v: Vec<f64>| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let min = |v: Vec<f64>| v.into_iter().fold(f64::INFINITY, f64::min);
    let reversals: usize = ks().map(|k| f.uniform(k).windows(2).filter(|w| f.dl1[w[1]] < f.dl1[w[0]]).count()).sum();
    let ratio = |shape: &str, k: u64| f.at_reference(shape, k) / f.at_reference("uniform", k);
    assert_claims(
        out,
        &[
            ("small_alpha_is_min_l1", max(ks().map(|k| f.dl1[f.uniform(k)[0]]).collect())),
            ("large_alpha_is_min_l2", max(ks().map(|k| f.dl2[*f.uniform(k).last().unwrap()]).collect())),
            ("distance_to_min_l1_grows_with_alpha", reversals as f64),
            ("larger_alpha_on_support_helps", max(ks().map(|k| ratio("support ×ratio", k)).collect())),
            ("smaller_alpha_on_support_hurts", min(ks().map(|k| ratio("support ÷ratio", k)).collect())),
        ],
    );
}

/// Bad values are one-line errors naming the key (nested setting errors prefixed `setting:`); a
/// partial configuration keeps the defaults around what it sets, the shared setting included.
#[test]
fn theorem1_alpha_configuration() {
    use dln_report::experiments::Setting;
    use dln_report::experiments::theorem1_alpha::Config;
    let base = Config::default();
    let cases = [
        (Config { datasets: 0, ..base.clone() }, "datasets"),
        (Config { alpha_min: 0.0, ..base.clone() }, "alpha_min"),
        (Config { alpha_max: 1e-5, ..base.clone() }, "alpha_max"),
        (Config { points_per_decade: 0, ..base.clone() }, "points_per_decade"),
        (Config { shape_ratio: 1.0, ..base.clone() }, "shape_ratio"),
        (Config { setting: Setting { alpha: -1.0, ..Setting::default() }, ..base.clone() }, "setting: "),
        (Config { setting: Setting { s: 31, ..Setting::default() }, ..base.clone() }, "setting: "),
    ];
    assert_rejected(&base, &cases);
    let cfg: Config =
        serde_json::from_value(serde_json::json!({ "setting": { "alpha": 0.5 }, "shape_ratio": 4.0 })).unwrap();
    assert_eq!(cfg.setting, Setting { alpha: 0.5, ..Setting::default() });
    assert_eq!((cfg.shape_ratio, cfg.points_per_decade), (4.0, base.points_per_decade));
    assert!(serde_json::from_value::<Config>(serde_json::json!({ "n": 20 })).is_err(), "n now lives in `setting`");
}

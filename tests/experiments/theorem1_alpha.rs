//! `theorem1_alpha`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::Product;
use dln_tests::*;

fn check_theorem1_alpha_interpolates_between_the_kernel_and_rich_regimes(out: &Product) {
    let df = &out.data;
    let (shape, reference) = (
        strs(df, "shape"),
        df.column("reference").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect::<Vec<_>>(),
    );
    let (alpha, dl1, dl2, residual) =
        (f64s(df, "alpha"), f64s(df, "dist_min_l1"), f64s(df, "dist_min_l2"), f64s(df, "residual"));
    let uni: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == "uniform" && !reference[i]).collect();
    assert!(uni.len() >= 20, "a fine α grid");
    let (first, last) = (uni[0], *uni.last().unwrap());
    assert!(alpha[first].unwrap() <= 1e-4 * 1.0001 && alpha[last].unwrap() >= 10.0 * 0.9999);
    // α → 0: the minimum-ℓ1 interpolator; α → ∞: the minimum-ℓ2 one (both within 1e-4 at the ends).
    assert!(dl1[first].unwrap() < 1e-4, "‖β*_α − β_ℓ1‖ at α = 1e-4: {:e}", dl1[first].unwrap());
    assert!(dl2[last].unwrap() < 1e-4, "‖β*_α − β_ℓ2‖ at α = 10: {:e}", dl2[last].unwrap());
    assert!(dl1[last].unwrap() > 1e3 * dl1[first].unwrap());
    assert!(dl2[first].unwrap() > 1e3 * dl2[last].unwrap());
    // Monotone transition, decade after decade.
    assert!(summary_bool(out, "/dist_min_l1_increases_with_alpha"));
    assert!(summary_bool(out, "/dist_min_l2_decreases_with_alpha"));
    // Every solve is feasible to rounding.
    for (i, r) in residual.iter().enumerate() {
        if let Some(r) = r {
            assert!(*r <= 1e-10, "row {i}: relative feasibility residual {r:e}");
        }
    }
}

fn check_theorem1_alpha_weighted_l1_shape_effect(out: &Product) {
    // ψ_α ~ Σ ln(1/α_i)|β_i|: a larger α on the support penalises it less (better recovery), a
    // smaller α penalises it more (worse) — at the paper's α = 0.1.
    let uniform = summary_f64(out, "/shapes/uniform/test_risk");
    let larger = summary_f64(out, "/shapes/support ×ratio/test_risk");
    let smaller = summary_f64(out, "/shapes/support ÷ratio/test_risk");
    assert!(larger < uniform && uniform < smaller, "risks: ×ratio {larger:e}, uniform {uniform:e}, ÷ratio {smaller:e}");
    assert!(summary_bool(out, "/shapes/support ×ratio/support_recovered"));
    assert!(!summary_bool(out, "/shapes/support ÷ratio/support_recovered"));
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
    let df = &out.data;
    let reference: Vec<bool> = df.column("reference").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect();
    let (shape, alpha) = (strs(df, "shape"), f64s(df, "alpha"));
    let (dl1, dl2, risk) = (f64s(df, "dist_min_l1"), f64s(df, "dist_min_l2"), f64s(df, "test_risk"));
    let mut grid: Vec<usize> = (0..df.height()).filter(|&i| shape[i] == "uniform" && !reference[i]).collect();
    grid.sort_by(|&a, &b| alpha[a].unwrap().total_cmp(&alpha[b].unwrap()));
    let reversals = grid.windows(2).filter(|w| dl1[w[1]].unwrap() < dl1[w[0]].unwrap()).count();
    let at_reference = |s: &str| risk[(0..df.height()).find(|&i| shape[i] == s && reference[i]).unwrap()].unwrap();
    assert_claims(
        out,
        &[
            ("small_alpha_is_min_l1", dl1[grid[0]].unwrap()),
            ("large_alpha_is_min_l2", dl2[*grid.last().unwrap()].unwrap()),
            ("distance_to_min_l1_grows_with_alpha", reversals as f64),
            ("larger_alpha_on_support_helps", at_reference("support ×ratio") / at_reference("uniform")),
            ("smaller_alpha_on_support_hurts", at_reference("support ÷ratio") / at_reference("uniform")),
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

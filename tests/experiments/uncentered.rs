//! `uncentered`: its summary snapshot and its claims, recomputed from the data.

use dln_report::experiments::uncentered::Config;
use dln_report::experiments::{Product, Setting};
use dln_tests::*;

fn check_uncentered_data_makes_large_stepsizes_help_gd_too(out: &Product) {
    // Centered: large stepsizes hurt GD (heterogeneous gain) and help SGD.
    assert!(!summary_bool(out, "/gd_large_gamma_helps_centered"));
    assert!(summary_f64(out, "/centered/GD/median_risk_ratio_largest_gamma") > 1.0);
    assert!(summary_f64(out, "/centered/SGD/median_risk_ratio_largest_gamma") < 1.0);
    // Uncentered: GD's gain is much more homogeneous and large stepsizes help GD as well.
    assert!(summary_bool(out, "/gd_large_gamma_helps_uncentered"));
    assert!(summary_f64(out, "/uncentered/GD/median_risk_ratio_largest_gamma") < 1.0);
    let (cv_c, cv_u) = (
        summary_f64(out, "/centered/GD/median_gain_cv_largest_gamma"),
        summary_f64(out, "/uncentered/GD/median_gain_cv_largest_gamma"),
    );
    assert!(cv_u < 0.5 * cv_c, "GD gain CV: centered {cv_c}, uncentered {cv_u}");
    // The uncentered design is the centered one shifted: same datasets, the mean recorded per row.
    let case = strs(&out.data, "case");
    let mean = f64s(&out.data, "mean");
    assert!(case.iter().zip(&mean).all(|(c, m)| (c == "centered") == (m.unwrap() == 0.0)));
}

/// The median risk ratio of GD at the largest stepsize, recomputed from the per-coordinate frame
/// (one run per dataset: its rows at coordinate 0), equals the summary's.
fn check_uncentered_summary_matches_the_data(out: &Product) {
    let df = &out.data;
    let (case, method, fraction) = (strs(df, "case"), strs(df, "method"), f64s(df, "fraction"));
    let (coord, risk, gf) = (u64s(df, "coordinate"), f64s(df, "test_risk"), f64s(df, "gf_test_risk"));
    let last = out.config["fractions"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    for c in ["centered", "uncentered"] {
        let ratios: Vec<f64> = (0..df.height())
            .filter(|&i| case[i] == c && method[i] == "GD" && coord[i] == 0 && fraction[i] == Some(last))
            .map(|i| risk[i].unwrap() / gf[i].unwrap())
            .collect();
        // A dataset without a convergent stepsize has no runs; the summary counts it.
        let without = summary_f64(out, &format!("/{c}/GD/datasets_without_gamma_max")) as u64;
        assert_eq!(ratios.len() as u64 + without, out.config["datasets"].as_u64().unwrap());
        let here = median(ratios);
        let there = summary_f64(out, &format!("/{c}/GD/median_risk_ratio_largest_gamma"));
        assert!((here - there).abs() <= 1e-12 * here, "{c}: recomputed {here} vs summary {there}");
    }
}

#[test]
fn uncentered_configuration_errors_name_the_key() {
    let centered = Config { setting: Setting { mean: 0.0, ..Config::default().setting }, ..Config::default() };
    let bad_alpha = Config { setting: Setting { alpha: -1.0, ..Config::default().setting }, ..Config::default() };
    assert_rejected(
        &Config::default(),
        &[
            (centered, "setting: mean"),
            (Config { batch: 20, ..Config::default() }, "batch"),
            (Config { fractions: vec![0.5], ..Config::default() }, "fractions"),
            (Config { datasets: 0, ..Config::default() }, "datasets"),
            (Config { rel_tol: 0.0, ..Config::default() }, "rel_tol"),
            (bad_alpha, "setting:"),
        ],
    );
}

#[test]
fn uncentered() {
    let out = snapshot_experiment!("uncentered");
    check_uncentered_data_makes_large_stepsizes_help_gd_too(&out);
    check_uncentered_summary_matches_the_data(&out);
    check_claims(&out);
}

/// The section's claims, recomputed from the per-coordinate frame: medians over datasets of GD's
/// risk ratio (smallest and largest fraction), of its gain's coefficient of variation across
/// coordinates (largest fraction) and of its γ_max.
fn check_claims(out: &Product) {
    let df = &out.data;
    let (case, method, fraction) = (strs(df, "case"), strs(df, "method"), f64s(df, "fraction"));
    let (coord, risk, gf, gain) =
        (u64s(df, "coordinate"), f64s(df, "test_risk"), f64s(df, "gf_test_risk"), f64s(df, "gain"));
    let (dataset, gamma_max) = (u64s(df, "dataset"), f64s(df, "gamma_max"));
    let fractions: Vec<f64> = out.config["fractions"].as_array().unwrap().iter().map(|f| f.as_f64().unwrap()).collect();
    let (first, last) = (fractions[0], *fractions.last().unwrap());
    let gd = |c: &str, f: f64| -> Vec<usize> {
        (0..df.height()).filter(|&i| case[i] == c && method[i] == "GD" && fraction[i] == Some(f)).collect()
    };
    let ratio = |c: &str, f: f64| {
        median(
            gd(c, f).into_iter().filter(|&i| coord[i] == 0).filter_map(|i| Some(risk[i]? / gf[i].unwrap())).collect(),
        )
    };
    let cv = |c: &str| {
        let rows = gd(c, last);
        let datasets: std::collections::BTreeSet<u64> = rows.iter().map(|&i| dataset[i]).collect();
        let cvs = datasets
            .into_iter()
            .filter_map(|k| {
                let g: Option<Vec<f64>> = rows.iter().filter(|&&i| dataset[i] == k).map(|&i| gain[i]).collect();
                let g = g?;
                let m = g.iter().sum::<f64>() / g.len() as f64;
                let sd = (g.iter().map(|v| (v - m).powi(2)).sum::<f64>() / g.len() as f64).sqrt();
                Some(sd / m)
            })
            .collect();
        median(cvs)
    };
    let gmax =
        |c: &str| median(gd(c, first).into_iter().filter(|&i| coord[i] == 0).map(|i| gamma_max[i].unwrap()).collect());
    assert_claims(
        out,
        &[
            ("large_gamma_hurts_gd_centered", ratio("centered", last) / ratio("centered", first)),
            ("large_gamma_helps_gd_uncentered", ratio("uncentered", last) / ratio("uncentered", first)),
            ("gd_gain_homogeneous_uncentered", cv("uncentered") / cv("centered")),
            ("gd_gamma_max_drops", gmax("centered") / gmax("uncentered")),
        ],
    );
}

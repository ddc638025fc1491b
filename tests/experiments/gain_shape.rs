//! `gain_shape`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_tests::*;

#[test]
fn gain_shape() {
    let output = run_named("gain_shape", false);
    snapshot_summary!(output);
    assert_tidy(&output);
    let s = &output.summary;
    // SGD's gain is more homogeneous than GD's: lower coefficient of variation across coordinates,
    // at every stepsize of the grid (medians over datasets).
    let cv = |m: &str| -> Vec<f64> {
        get(s, &["heterogeneity_cv_vs_stepsize", m]).as_array().unwrap().iter().map(|p| num(p, &["median"])).collect()
    };
    let (gd, sgd) = (cv("GD"), cv("SGD"));
    assert_eq!(gd.len(), sgd.len());
    assert!(gd.iter().zip(&sgd).all(|(g, s)| s < g), "CV: GD {gd:?} vs SGD {sgd:?}");
    // GD's gain piles up on the support of β*; SGD's is spread evenly.
    let ratio = |label: &str| num(s, &["profiles", label, "support_over_off_support"]);
    assert!(ratio("GD") > 5.0, "GD support/off-support gain {}", ratio("GD"));
    assert!(ratio("SGD") < 2.0, "SGD support/off-support gain {}", ratio("SGD"));
    // At the edge of stability GD's gain becomes large.
    let on = |label: &str| num(s, &["profiles", label, "mean_gain_on_support"]);
    assert!(on("GD, edge of stability") > 10.0 * on("GD"));
    // The heterogeneity computed here from the per-coordinate frame matches the summary's median at
    // the first stepsize (independent recomputation).
    let df = &output.data;
    let (m, st, gi, ds, g) =
        (strs(df, "method"), strs(df, "status"), u64s(df, "grid_index"), u64s(df, "dataset"), f64s(df, "gain"));
    let mut runs: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for i in 0..df.height() {
        if m[i] == "GD" && st[i] == "converged" && gi[i] == 0 {
            runs.entry(ds[i]).or_default().push(g[i].unwrap());
        }
    }
    let cvs: Vec<f64> = runs
        .into_values()
        .map(|v| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt() / mean
        })
        .collect();
    let here = median(cvs);
    assert!((here - gd[0]).abs() <= 1e-3 * here, "CV recomputed {here} vs summary {}", gd[0]);
}

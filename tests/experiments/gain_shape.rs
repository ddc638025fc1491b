//! `gain_shape`: its summary snapshot and its claims, recomputed from the data.

use std::collections::BTreeMap;

use dln_report::experiments::Setting;
use dln_tests::*;

/// Mean over the support of `values` over the mean off it.
fn on_off(values: &[f64], support: &[bool]) -> f64 {
    let mean = |on: bool| {
        let v: Vec<f64> = values.iter().zip(support).filter(|p| *p.1 == on).map(|p| *p.0).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    mean(true) / mean(false)
}

/// Per-coordinate rows of the frame, grouped: (method, grid index) → dataset → the run's gains in
/// coordinate order (converged runs only).
type Runs = BTreeMap<(String, u64), BTreeMap<u64, Vec<f64>>>;

#[test]
fn gain_shape() {
    let output = snapshot_experiment!("gain_shape");
    let df = &output.data;
    let (m, st, gi, ds) = (strs(df, "method"), strs(df, "status"), u64s(df, "grid_index"), u64s(df, "dataset"));
    let (coordinate, gain, r) = (u64s(df, "coordinate"), f64s(df, "gain"), f64s(df, "gamma_over_gamma_max"));
    let support: Vec<bool> = df.column("on_support").unwrap().bool().unwrap().iter().map(|b| b.unwrap()).collect();
    let (beta_star, sq_grad) = (f64s(df, "beta_star"), f64s(df, "sq_grad_at_init"));
    let mut runs = Runs::new();
    let mut ratios: BTreeMap<u64, f64> = BTreeMap::new();
    for i in (0..df.height()).filter(|&i| st[i] == "converged") {
        let run = runs.entry((m[i].clone(), gi[i])).or_default().entry(ds[i]).or_default();
        assert_eq!(run.len() as u64, coordinate[i], "rows in coordinate order");
        run.push(gain[i].unwrap());
        ratios.insert(gi[i], r[i].unwrap());
    }
    // Heterogeneity: median over datasets of the coefficient of variation (population std / mean)
    // of each run's gain; GD's is larger than SGD's at every stepsize.
    let cv = |method: &str, j: u64| {
        median(
            runs[&(method.to_owned(), j)]
                .values()
                .map(|v| {
                    let mean = v.iter().sum::<f64>() / v.len() as f64;
                    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt() / mean
                })
                .collect(),
        )
    };
    let cv_ratio = ratios.keys().map(|&j| cv("GD", j) / cv("SGD", j)).fold(f64::INFINITY, f64::min);
    assert!(cv_ratio > 1.0, "GD's gain is not more uneven than SGD's at every stepsize");
    // The profiles: per coordinate the median over datasets, at the grid point nearest (in log) to
    // `profile_at` and at γ_max.
    let at = output.config["profile_at"].as_f64().unwrap();
    let j = *ratios.iter().min_by(|a, b| (a.1.ln() - at.ln()).abs().total_cmp(&(b.1.ln() - at.ln()).abs())).unwrap().0;
    let top = *ratios.keys().last().unwrap();
    let d = runs[&("GD".to_owned(), j)].values().next().unwrap().len();
    let on_support: Vec<bool> = (0..d).map(|c| support[c]).collect();
    let profile = |method: &str, j: u64| -> Vec<f64> {
        let chosen = &runs[&(method.to_owned(), j)];
        (0..d).map(|c| median(chosen.values().map(|v| v[c]).collect())).collect()
    };
    let mean_on = |p: Vec<f64>| p.iter().zip(&on_support).filter(|x| *x.1).map(|x| *x.0).sum::<f64>();
    // The second-order expectation per dataset, E[x_j²⟨x, Δ⟩²] = ‖Δ‖² + 2Δ_j² at Δ = −β*, from the
    // frame's β*; the frame's β* and (1/n) Σ_i x_ij² y_i² are checked against the regenerated data.
    let setting: Setting = serde_json::from_value(output.config["sweep"]["setting"].clone()).unwrap();
    let mut predicted = Vec::new();
    for (k, _) in runs[&("GD".to_owned(), 0)].iter() {
        let rows: Vec<usize> = (0..df.height()).filter(|&i| ds[i] == *k && gi[i] == 0 && m[i] == "GD").collect();
        let b: Vec<f64> = rows.iter().map(|&i| beta_star[i].unwrap()).collect();
        let problem = setting.problem(*k as usize).unwrap();
        for (c, &i) in rows.iter().enumerate() {
            assert_eq!(b[c], problem.beta_star[c]);
            let x = problem.x.column(c);
            let moment = x.iter().zip(&problem.y).map(|(x, y)| x * x * y * y).sum::<f64>() / problem.y.len() as f64;
            assert!((sq_grad[i].unwrap() - moment).abs() <= 1e-12 * moment, "sq_grad_at_init of {k}, {c}");
        }
        let norm_sq: f64 = b.iter().map(|v| v * v).sum();
        let expected: Vec<f64> = b.iter().map(|v| norm_sq + 2.0 * v * v).collect();
        predicted.push(on_off(&expected, &on_support));
    }
    let predicted = median(predicted);
    assert!((predicted - (1.0 + 2.0 / setting.s as f64)).abs() < 1e-12, "the prediction is 1 + 2/s");
    let sgd = on_off(&profile("SGD", j), &on_support);
    assert!(sgd > 1.0, "SGD's gain is larger on the support, as the second order predicts");
    assert_claims(
        &output,
        &[
            ("gd_gain_more_uneven_than_sgd", cv_ratio),
            ("gd_gain_piles_on_support", on_off(&profile("GD", j), &on_support)),
            ("sgd_on_off_ratio_is_second_order", (sgd / predicted - 1.0).abs()),
            ("eos_gain_dwarfs_gd", mean_on(profile("GD", top)) / mean_on(profile("GD", j))),
        ],
    );
}

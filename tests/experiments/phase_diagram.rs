//! `phase_diagram`: its summary snapshot, Theorem 2 on every converged run of the grid, and its
//! claims recomputed from the per-coordinate frame (medians per cell of batch, α and γ/γ_max).

use dln_report::experiments::Product;
use dln_tests::*;

/// A run of the frame with the phase diagram's run-level columns.
struct Run {
    base: FrameRun,
    alpha: f64,
    batch: u64,
    l1_ratio: Option<f64>,
    share_scale: Option<f64>,
    share_shape: Option<f64>,
    share_beta_tilde0: Option<f64>,
}

fn runs(out: &Product) -> Vec<Run> {
    let (df, first) = (&out.data, run_starts(&out.data));
    let at = |name: &str| per_run(&first, &f64s(df, name));
    let (alpha, batch) = (per_run(&first, &f64s_set(df, "alpha")), per_run(&first, &u64s(df, "batch")));
    let (l1, scale, shape, tilde) = (at("l1_ratio"), at("share_scale"), at("share_shape"), at("share_beta_tilde0"));
    (frame_runs(out, &["alpha"]).into_iter().enumerate())
        .map(|(k, base)| Run {
            base,
            alpha: alpha[k],
            batch: batch[k],
            l1_ratio: l1[k],
            share_scale: scale[k],
            share_shape: shape[k],
            share_beta_tilde0: tilde[k],
        })
        .collect()
}

/// The finite medians over cells (batch in `batches`, α passing `alpha`, γ/γ_max passing
/// `fraction`) of `f` over the kept runs of each cell.
fn medians(
    runs: &[Run],
    batches: &[u64],
    alpha: impl Fn(f64) -> bool,
    fraction: impl Fn(f64) -> bool,
    f: impl Fn(&Run) -> Option<f64>,
) -> Vec<((u64, f64, f64), f64)> {
    let mut keys: Vec<(u64, f64, f64)> = (runs.iter())
        .filter(|r| batches.contains(&r.batch) && alpha(r.alpha) && fraction(r.base.fraction))
        .map(|r| (r.batch, r.alpha, r.base.fraction))
        .collect();
    keys.sort_by(|a, b| a.partial_cmp(b).unwrap());
    keys.dedup();
    (keys.into_iter())
        .filter_map(|k| {
            let v: Vec<f64> = (runs.iter())
                .filter(|r| r.base.kept() && (r.batch, r.alpha, r.base.fraction) == k)
                .filter_map(&f)
                .filter(|v| v.is_finite())
                .collect();
            (!v.is_empty()).then(|| (k, median(v)))
        })
        .collect()
}

fn min(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

fn check_phase_diagram_claims(out: &Product) {
    let runs = runs(out);
    let bases: Vec<FrameRun> = runs.iter().map(|r| r.base.clone()).collect();
    let (worst, _) = theorem2_on_every_converged_run(&bases);
    let n = out.config["setting"]["n"].as_u64().unwrap();
    let mut batches: Vec<u64> = runs.iter().map(|r| r.batch).collect();
    batches.sort();
    batches.dedup();
    let sgd: Vec<u64> = batches.iter().copied().filter(|b| *b < n).collect();
    let fractions: Vec<f64> =
        (out.config["runs"]["fractions"].as_array().unwrap().iter()).map(|v| v.as_f64().unwrap()).collect();
    let (first, last) = (fractions[0], *fractions.last().unwrap());
    let converged = |keep: &dyn Fn(f64) -> bool| {
        let sel: Vec<&Run> = runs.iter().filter(|r| keep(r.alpha)).collect();
        sel.iter().filter(|r| r.base.status == "converged").count() as f64 / sel.len() as f64
    };
    let risk = |r: &Run| Some(r.base.risk_ratio());
    let helps = medians(&runs, &sgd, |a| a < 1.0, |f| f == last, risk).into_iter().map(|p| p.1);
    let hurts = medians(&runs, &batches, |a| a > 1.0, |f| f == last, risk).into_iter().map(|p| p.1);
    let l1_at = |f0: f64| medians(&runs, &batches, |a| a > 1.0, move |f| f == f0, |r: &Run| r.l1_ratio);
    let (hi, lo) = (l1_at(last), l1_at(first));
    let growth = hi.iter().map(|((b, a, _), h)| {
        let l = lo.iter().find(|((b2, a2, _), _)| b2 == b && a2 == a).expect("same cell at the first fraction").1;
        h / l
    });
    let scale = medians(&runs, &sgd[..1], |a| a < 1.0, |f| f >= 0.5, |r: &Run| r.share_scale);
    let shape = medians(&runs, &[n], |a| a < 1.0, |f| f >= 0.5, |r: &Run| r.share_shape);
    let tilde = medians(&runs, &batches, |a| a > 1.0, |f| f >= 0.8, |r: &Run| r.share_beta_tilde0);
    assert_claims(
        out,
        &[
            ("runs_converge", converged(&|a| a >= 0.03)),
            ("theorem2_is_exact", worst),
            ("sgd_helps_when_rich", -min(helps.map(|v| -v))),
            ("large_steps_hurt_in_the_kernel_regime", min(hurts)),
            ("no_escape_from_the_kernel_regime", min(growth)),
            ("the_scale_explains_sgd", min(scale.into_iter().map(|p| p.1))),
            ("the_shape_explains_gd", min(shape.into_iter().map(|p| p.1))),
            ("beta_tilde0_takes_over_in_the_kernel_regime", min(tilde.into_iter().map(|p| p.1))),
        ],
    );
}

#[test]
fn phase_diagram() {
    let out = snapshot_experiment!("phase_diagram");
    check_phase_diagram_claims(&out);
}

/// Bad values are one-line errors naming the key.
#[test]
fn phase_diagram_configuration() {
    use dln_report::experiments::phase_diagram::Config;
    let base = Config::default();
    let cases = [
        (Config { alphas: vec![], ..base.clone() }, "alphas"),
        (Config { alphas: vec![0.1, -1.0], ..base.clone() }, "alphas"),
        (Config { alphas: vec![1.0, 0.1], ..base.clone() }, "alphas"),
        (Config { batches: vec![], ..base.clone() }, "batches"),
        (Config { batches: vec![5, 1], ..base.clone() }, "batches"),
        (Config { batches: vec![0, 5], ..base.clone() }, "batches"),
        (Config { batches: vec![1, 20, 30], ..base.clone() }, "batches"),
        (Config { batches: vec![1, 2, 3, 4, 5], ..base.clone() }, "batches"),
    ];
    assert_rejected(&base, &cases);
}

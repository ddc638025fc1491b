//! edge_of_stability's tidy frame.

use anyhow::Result;
use polars::df;
use polars::prelude::DataFrame;

use super::Output;
use crate::experiments::common::{column, finite};

/// One row of the tidy frame: run `run` (its index in [`super::Dataset::runs`]) of dataset `dataset` at
/// iteration `step`.
struct Row {
    dataset: usize,
    run: usize,
    step: u64,
    quantity: &'static str,
    coordinate: Option<usize>,
    value: f64,
}

/// The frame's rows, per dataset and run: its snapshots' scalars (and, for dataset 0, β_k, Gain_k
/// per coordinate and β*); a diverged run: one null loss at its last step.
fn rows(out: &Output) -> Vec<Row> {
    let mut rows = vec![];
    for (dataset, data) in out.datasets.iter().enumerate() {
        for (run, r) in data.runs.iter().enumerate() {
            let mut push =
                |step, quantity, coordinate, value| rows.push(Row { dataset, run, step, quantity, coordinate, value });
            if r.diverged() {
                push(r.steps, "train_loss", None, f64::NAN);
                continue;
            }
            for p in &r.history {
                push(p.step, "train_loss", None, p.train_loss);
                push(p.step, "gamma_sharpness", None, p.gamma_sharpness);
                push(p.step, "gamma_hessian_sharpness", None, p.gamma_hessian_sharpness);
                push(p.step, "gain_l1", None, p.gain.iter().filter_map(|g| finite(*g)).map(f64::abs).sum());
                if dataset == 0 {
                    for j in 0..data.beta_star.len() {
                        push(p.step, "beta", Some(j), p.beta[j]);
                        push(p.step, "gain", Some(j), p.gain[j]);
                    }
                }
            }
            if dataset == 0 {
                for (j, b) in data.beta_star.iter().enumerate() {
                    push(0, "beta_star", Some(j), *b);
                }
            }
        }
    }
    rows
}

/// The tidy frame (its columns: see the experiment's `frame`).
pub(super) fn frame(out: &Output) -> Result<DataFrame> {
    let rows = rows(out);
    let data = |r: &Row| &out.datasets[r.dataset];
    let run = |r: &Row| &data(r).runs[r.run];
    Ok(df!(
        "dataset" => column(&rows, |r| r.dataset as u64),
        "run" => column(&rows, |r| run(r).label),
        "gamma" => column(&rows, |r| run(r).gamma),
        "gamma_over_gamma_max" => column(&rows, |r| run(r).gamma / data(r).gamma_max),
        "gamma_max" => column(&rows, |r| data(r).gamma_max),
        "status" => column(&rows, |r| run(r).status.as_str()),
        "steps" => column(&rows, |r| run(r).steps),
        "step" => column(&rows, |r| r.step),
        "quantity" => column(&rows, |r| r.quantity),
        "coordinate" => column(&rows, |r| r.coordinate.map(|j| j as u64)),
        "on_support" => column(&rows, |r| r.coordinate.map(|j| data(r).beta_star[j] != 0.0)),
        "value" => column(&rows, |r| finite(r.value)),
    )?)
}

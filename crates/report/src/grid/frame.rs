//! The sweep's tidy table: one row per run, in grid order.
//!
//! | column | type | what |
//! |---|---|---|
//! | `row` | u64 | the row of the grid (0-based) |
//! | `n` … `seed` | | the run's parameters ([`crate::runs::PARAMETERS`]; `sigma` a list, null = 1; `batch` a number; `design`, `sampling`, `schedule` text) |
//! | `gamma` | f64 | the base stepsize γ used |
//! | `gamma_max` | f64 | γ_max, null unless `gamma_ratio` is set |
//! | `status` | text | `converged`, `max_steps` or `diverged` |
//! | `steps_taken` | u64 | steps run |
//! | `train_loss`, `test_risk`, `gain_l1` | f64 | L(β∞), the exact test risk, ‖Gain_γ‖₁ |
//! | `pred_error` | f64 | Theorem 2's error ‖β∞ − β_pred‖₂ (null without a prediction) |
//! | `gf_error` | f64 | ‖β∞ − β_GF‖₂ (Theorem 1, gradient flow) |
//! | `notes` | text | the run's notes, joined by "; " |
//! | `beta_star`, `beta`, `gain`, `alpha_inf`, `beta_tilde0`, `beta_pred`, `beta_gf` | list of f64 | per-coordinate vectors (0-based coordinate j = column j of X) |
//!
//! CSV has no lists: there the vector columns hold the JSON text of the list.

use anyhow::Result;
use polars::prelude::{Column, DataFrame, DataType, NamedFrom, Series};

use super::record::RowRecord;
use crate::runs::sampling_name;

/// A record's vector of one column (`None`: null).
type Vector = fn(&RowRecord) -> Option<&Vec<f64>>;

/// The per-coordinate columns, in order, with their values in a record.
const VECTORS: [(&str, Vector); 7] = [
    ("beta_star", |r| Some(&r.beta_star)),
    ("beta", |r| Some(&r.beta)),
    ("gain", |r| Some(&r.gain)),
    ("alpha_inf", |r| Some(&r.alpha_inf)),
    ("beta_tilde0", |r| Some(&r.beta_tilde0)),
    ("beta_pred", |r| r.beta_pred.as_ref()),
    ("beta_gf", |r| r.beta_gf.as_ref()),
];

/// How the vector columns are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lists {
    /// As lists of f64 (Parquet).
    Native,
    /// As the JSON text of the list (CSV).
    Json,
}

/// A list of f64 as JSON text, exactly (shortest round-trip form; `NaN`, `inf`, `-inf` bare).
fn json_list(v: &[f64]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|x| match *x {
            x if x.is_finite() => format!("{x:?}"),
            x if x.is_nan() => "NaN".into(),
            x if x > 0.0 => "inf".into(),
            _ => "-inf".into(),
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// A list column from optional vectors (null entries allowed), always of type list of f64.
fn list_column(name: &str, values: &[Option<&Vec<f64>>], lists: Lists) -> Result<Column> {
    let series = match lists {
        Lists::Native => {
            let parts: Vec<Option<Series>> =
                values.iter().map(|v| v.map(|v| Series::new("".into(), v.as_slice()))).collect();
            Series::new(name.into(), parts).cast(&DataType::List(Box::new(DataType::Float64)))?
        }
        Lists::Json => {
            let text: Vec<Option<String>> = values.iter().map(|v| v.map(|v| json_list(v))).collect();
            Series::new(name.into(), text)
        }
    };
    Ok(series.into())
}

/// The table of `rows` (each with its row index in the grid), in the given order.
pub fn frame(rows: &[(usize, &RowRecord)], lists: Lists) -> Result<DataFrame> {
    let col = |name: &str, s: Series| -> Column { s.with_name(name.into()).into() };
    let u64s = |f: &dyn Fn(&RowRecord) -> u64| -> Series {
        Series::new("".into(), rows.iter().map(|(_, r)| f(r)).collect::<Vec<u64>>())
    };
    let f64s = |f: &dyn Fn(&RowRecord) -> f64| -> Series {
        Series::new("".into(), rows.iter().map(|(_, r)| f(r)).collect::<Vec<f64>>())
    };
    let opt_f64s = |f: &dyn Fn(&RowRecord) -> Option<f64>| -> Series {
        Series::new("".into(), rows.iter().map(|(_, r)| f(r)).collect::<Vec<Option<f64>>>())
    };
    let texts = |f: &dyn Fn(&RowRecord) -> String| -> Series {
        Series::new("".into(), rows.iter().map(|(_, r)| f(r)).collect::<Vec<String>>())
    };
    let mut columns = vec![
        col("row", Series::new("".into(), rows.iter().map(|(i, _)| *i as u64).collect::<Vec<u64>>())),
        col("n", u64s(&|r| r.spec.n as u64)),
        col("d", u64s(&|r| r.spec.d as u64)),
        col("s", u64s(&|r| r.spec.s as u64)),
        col("design", texts(&|r| r.spec.design.as_str().to_string())),
    ];
    let sigma: Vec<Option<&Vec<f64>>> = rows.iter().map(|(_, r)| r.spec.sigma.as_ref()).collect();
    columns.push(list_column("sigma", &sigma, lists)?);
    columns.extend([
        col("mean", f64s(&|r| r.spec.mean)),
        col("noise", f64s(&|r| r.spec.noise)),
        col("alpha", f64s(&|r| r.spec.alpha)),
        col("stepsize", opt_f64s(&|r| r.spec.stepsize)),
        col("gamma_ratio", opt_f64s(&|r| r.spec.gamma_ratio)),
        col("gamma_max_rel_tol", f64s(&|r| r.spec.gamma_max_rel_tol)),
        col("batch", u64s(&|r| r.batch as u64)),
        col("sampling", texts(&|r| sampling_name(r.spec.sampling).to_string())),
        col("schedule", texts(&|r| r.spec.schedule.to_string())),
        col("steps", u64s(&|r| r.spec.steps)),
        col("tol", f64s(&|r| r.spec.tol)),
        col("seed", u64s(&|r| r.spec.seed)),
        col("gamma", f64s(&|r| r.gamma)),
        col("gamma_max", opt_f64s(&|r| r.gamma_max)),
        col("status", texts(&|r| r.status.as_str().to_string())),
        col("steps_taken", u64s(&|r| r.steps)),
        col("train_loss", f64s(&|r| r.train_loss)),
        col("test_risk", f64s(&|r| r.test_risk)),
        col("gain_l1", f64s(&|r| r.gain_l1)),
        col("pred_error", opt_f64s(&|r| r.pred_error)),
        col("gf_error", opt_f64s(&|r| r.gf_error)),
        col("notes", texts(&|r| r.notes.join("; "))),
    ]);
    for (name, get) in VECTORS {
        let values: Vec<Option<&Vec<f64>>> = rows.iter().map(|(_, r)| get(r)).collect();
        columns.push(list_column(name, &values, lists)?);
    }
    Ok(DataFrame::new(rows.len(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lists_are_exact() {
        assert_eq!(json_list(&[0.1, -0.0, f64::NAN, f64::NEG_INFINITY, 1e-300]), "[0.1,-0.0,NaN,-inf,1e-300]");
        assert_eq!(json_list(&[]), "[]");
    }
}

//! Metrics of a run's outcome: distances, support recovery, heterogeneity of a profile, log–log
//! slopes and quantiles. Every sum runs in index order.
//! Book: chapters "Gain scale" (`book/src/05-gain-scale.md`) and "Gain shape" (`book/src/06-gain-shape.md`).

use ndarray::ArrayView1;

use crate::error::{DlnError, Result, invalid};

fn same_length(what: &str, a: usize, b: usize) -> Result<()> {
    if a == b { Ok(()) } else { Err(DlnError::DimensionMismatch(format!("{what}: lengths {a} and {b} differ"))) }
}

/// ‖a − b‖₁ = Σ_i |a_i − b_i|. Errors: lengths differ.
pub fn l1_distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Result<f64> {
    same_length("l1_distance", a.len(), b.len())?;
    Ok(a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum())
}

/// ‖a − b‖₂ = (Σ_i (a_i − b_i)²)^½. Errors: lengths differ.
pub fn l2_distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Result<f64> {
    same_length("l2_distance", a.len(), b.len())?;
    Ok(a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt())
}

/// Support recovery: the s = |supp β*| largest |β_i| sit exactly on supp β* (ties broken towards the
/// smaller index; true when β* = 0). Errors: lengths differ.
pub fn recovers_support(beta: ArrayView1<f64>, beta_star: ArrayView1<f64>) -> Result<bool> {
    same_length("recovers_support", beta.len(), beta_star.len())?;
    let s = beta_star.iter().filter(|v| **v != 0.0).count();
    let mut order: Vec<usize> = (0..beta.len()).collect();
    order.sort_by(|&i, &j| beta[j].abs().total_cmp(&beta[i].abs()).then(i.cmp(&j)));
    Ok(order[..s].iter().all(|&i| beta_star[i] != 0.0))
}

/// Coefficient of variation std/mean of the values, with the population std
/// (√(Σ(v_i − v̄)²/m)): the heterogeneity index of a profile across coordinates, 0 when flat.
/// NaN when there are no values; ±∞ or NaN when the mean is 0.
pub fn coefficient_of_variation(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The mean of `values` over the coordinates where `support` holds over their mean where it does
/// not: the on/off-support ratio of a profile (1 when even). NaN when a side is empty or the lengths
/// differ.
pub fn on_off_ratio(values: &[f64], support: &[bool]) -> f64 {
    if values.len() != support.len() {
        return f64::NAN;
    }
    let mean = |on: bool| {
        let (sum, count) = (values.iter().zip(support).filter(|(_, s)| **s == on))
            .fold((0.0, 0usize), |(sum, count), (v, _)| (sum + v, count + 1));
        if count == 0 { f64::NAN } else { sum / count as f64 }
    };
    mean(true) / mean(false)
}

/// Slope of the least-squares line through the points (ln x_i, ln y_i): the exponent p of a power
/// law y ∝ x^p, Σ(lx − l̄x)(ly − l̄y) / Σ(lx − l̄x)².
///
/// Errors (no NaN is returned): lengths differ; fewer than 2 points; an x_i or y_i that is not
/// finite and > 0 (its logarithm is undefined); all x_i equal (no slope).
pub fn log_log_slope(x: &[f64], y: &[f64]) -> Result<f64> {
    same_length("log_log_slope", x.len(), y.len())?;
    if x.len() < 2 {
        return Err(invalid("x", format!("a slope needs at least 2 points, got {}", x.len())));
    }
    for (name, values) in [("x", x), ("y", y)] {
        if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(invalid(name, format!("log–log slope needs finite values > 0, got {bad}")));
        }
    }
    let m = x.len() as f64;
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx > 0.0 { Ok(sxy / sxx) } else { Err(invalid("x", "all x are equal: the slope is undefined")) }
}

/// The q-quantile of the finite values (NaN and ±∞ are ignored), by linear interpolation between
/// order statistics like NumPy's default: with v sorted and p = q(m − 1),
/// v_⌊p⌋ + (v_⌈p⌉ − v_⌊p⌋)(p − ⌊p⌋). q is clamped to [0, 1]. NaN when no value is finite.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The quartiles of a sample (see [`quartiles`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Quartiles {
    /// First quartile (q = 0.25).
    pub q25: f64,
    /// Median (q = 0.5).
    pub median: f64,
    /// Third quartile (q = 0.75).
    pub q75: f64,
    /// Number of finite values summarised.
    pub count: usize,
}

/// [`quantile`] at 0.25, 0.5 and 0.75 of the finite values, and their count (NaN quartiles when
/// there is none).
pub fn quartiles(values: &[f64]) -> Quartiles {
    Quartiles {
        q25: quantile(values, 0.25),
        median: quantile(values, 0.5),
        q75: quantile(values, 0.75),
        count: values.iter().filter(|v| v.is_finite()).count(),
    }
}

//! The one rounding helper every snapshot and book table goes through: numbers pinned to a fixed
//! number of significant digits, so snapshots are stable across x86-64 machines; and the content of
//! a figure that the figure snapshots pin ([`figure_essentials`]), rounded by the same helper.

pub mod figure;

pub use figure::{FigureEssentials, figure_essentials};

use serde_json::Value;

/// Significant digits kept in snapshots and tables.
pub const SIG_DIGITS: usize = 6;

/// Rounds `x` to `digits` significant digits (non-finite values pass through).
pub fn round_sig(x: f64, digits: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let s = format!("{:.*e}", digits.saturating_sub(1), x);
    s.parse().unwrap_or(x)
}

/// `x` rounded to `digits` significant digits for a summary: `None` (JSON `null`) if not finite.
pub fn rounded(x: f64, digits: usize) -> Option<f64> {
    let r = round_sig(x, digits);
    r.is_finite().then_some(r)
}

/// Rounds every number inside a JSON value to [`SIG_DIGITS`] significant digits (integers kept).
pub fn round_json(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            serde_json::Number::from_f64(round_sig(x, SIG_DIGITS)).map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.iter().map(round_json).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), round_json(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(round_sig(0.000123456789, 3), 0.000123);
        assert_eq!(round_sig(-98765.4321, 2), -99000.0);
        assert_eq!(round_sig(1.0000004, 6), 1.0);
        assert!(round_sig(f64::NAN, 3).is_nan());
    }
}

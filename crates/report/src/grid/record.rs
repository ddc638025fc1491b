//! One finished run of a sweep, as stored in `rows/<hash>.json`: its parameters and every number
//! the table shows, exactly (finite numbers in their shortest round-trip form, non-finite ones as
//! `"NaN"`, `"inf"`, `"-inf"`), so that a table rebuilt from the files — after a resume or a merge of
//! shards — is the same, bit for bit, as the one the runs produced.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use dln::Status;
use serde::{Deserialize, Serialize};

use crate::runs::{RunReport, RunSpec};

/// Exact (de)serialisation of f64 in JSON, non-finite values included.
mod exact {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// One f64: a JSON number when finite, else `"NaN"`, `"inf"` or `"-inf"`.
    pub struct E(pub f64);

    impl Serialize for E {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self.0 {
                x if x.is_finite() => s.serialize_f64(x),
                x if x.is_nan() => s.serialize_str("NaN"),
                x if x > 0.0 => s.serialize_str("inf"),
                _ => s.serialize_str("-inf"),
            }
        }
    }

    impl<'de> Deserialize<'de> for E {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Raw {
                Number(f64),
                Text(String),
            }
            match Raw::deserialize(d)? {
                Raw::Number(x) => Ok(E(x)),
                Raw::Text(t) => match t.as_str() {
                    "NaN" => Ok(E(f64::NAN)),
                    "inf" => Ok(E(f64::INFINITY)),
                    "-inf" => Ok(E(f64::NEG_INFINITY)),
                    other => Err(D::Error::custom(format!("not a number: {other:?}"))),
                },
            }
        }
    }

    /// `#[serde(with = "exact::one")]` for f64.
    pub mod one {
        use super::*;
        pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
            E(*x).serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            Ok(E::deserialize(d)?.0)
        }
    }

    /// `#[serde(with = "exact::opt")]` for `Option<f64>`.
    pub mod opt {
        use super::*;
        pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            x.map(E).serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
            Ok(Option::<E>::deserialize(d)?.map(|e| e.0))
        }
    }

    /// `#[serde(with = "exact::vec")]` for `Vec<f64>`.
    pub mod vec {
        use super::*;
        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|&x| E(x)))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Ok(Vec::<E>::deserialize(d)?.into_iter().map(|e| e.0).collect())
        }
    }

    /// `#[serde(with = "exact::opt_vec")]` for `Option<Vec<f64>>`.
    pub mod opt_vec {
        use super::*;
        pub fn serialize<S: Serializer>(v: &Option<Vec<f64>>, s: S) -> Result<S::Ok, S::Error> {
            v.as_ref().map(|v| v.iter().map(|&x| E(x)).collect::<Vec<_>>()).serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
            Ok(Option::<Vec<E>>::deserialize(d)?.map(|v| v.into_iter().map(|e| e.0).collect()))
        }
    }
}

/// One finished run: its (canonical) parameters and results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowRecord {
    /// The run's parameters ([`RunSpec::canonical`]).
    pub spec: RunSpec,
    /// Batch size b used.
    pub batch: usize,
    /// Base stepsize γ used.
    #[serde(with = "exact::one")]
    pub gamma: f64,
    /// γ_max, when γ was given as a fraction of it.
    #[serde(with = "exact::opt")]
    pub gamma_max: Option<f64>,
    /// How the run ended.
    pub status: Status,
    /// Steps taken.
    pub steps: u64,
    /// Final training loss L(β∞).
    #[serde(with = "exact::one")]
    pub train_loss: f64,
    /// Exact test risk of β∞.
    #[serde(with = "exact::one")]
    pub test_risk: f64,
    /// ‖Gain_γ‖₁.
    #[serde(with = "exact::one")]
    pub gain_l1: f64,
    /// Theorem 2's error ‖β∞ − β_pred‖₂.
    #[serde(with = "exact::opt")]
    pub pred_error: Option<f64>,
    /// ‖β∞ − β_GF‖₂ (Theorem 1, gradient flow).
    #[serde(with = "exact::opt")]
    pub gf_error: Option<f64>,
    /// β*.
    #[serde(with = "exact::vec")]
    pub beta_star: Vec<f64>,
    /// β∞, the run's last iterate.
    #[serde(with = "exact::vec")]
    pub beta: Vec<f64>,
    /// Gain_γ per coordinate.
    #[serde(with = "exact::vec")]
    pub gain: Vec<f64>,
    /// α∞ per coordinate.
    #[serde(with = "exact::vec")]
    pub alpha_inf: Vec<f64>,
    /// β̃₀ per coordinate.
    #[serde(with = "exact::vec")]
    pub beta_tilde0: Vec<f64>,
    /// Theorem 2's prediction β_pred.
    #[serde(with = "exact::opt_vec")]
    pub beta_pred: Option<Vec<f64>>,
    /// Theorem 1's gradient-flow interpolator β_GF.
    #[serde(with = "exact::opt_vec")]
    pub beta_gf: Option<Vec<f64>>,
    /// Notes on what is missing or approximate.
    pub notes: Vec<String>,
    /// Core seconds this run cost: its share of its lockstep group's engine time and of its γ_max
    /// bisection, plus its own solves (not in the table: it varies from run to run).
    pub seconds: f64,
}

impl RowRecord {
    /// The record of `spec`'s run, from its report and its cost in core seconds.
    pub fn new(spec: RunSpec, report: &RunReport, seconds: f64) -> Self {
        let run = &report.run;
        Self {
            spec,
            batch: report.batch,
            gamma: report.gamma,
            gamma_max: report.gamma_max,
            status: run.status,
            steps: run.steps,
            train_loss: run.train_loss,
            test_risk: report.test_risk(),
            gain_l1: run.effective.gain_l1(),
            pred_error: report.pred_error(),
            gf_error: report.gf_error(),
            beta_star: report.problem.beta_star.to_vec(),
            beta: run.beta.to_vec(),
            gain: run.effective.gain.to_vec(),
            alpha_inf: run.effective.alpha_inf().to_vec(),
            beta_tilde0: run.effective.beta_tilde0.to_vec(),
            beta_pred: report.beta_pred.as_ref().map(|b| b.to_vec()),
            beta_gf: report.beta_gf.as_ref().map(|b| b.to_vec()),
            notes: report.notes.clone(),
            seconds,
        }
    }
}

/// The canonical text of a run's parameters (JSON, fields in [`crate::runs::PARAMETERS`] order).
pub fn spec_key(spec: &RunSpec) -> String {
    serde_json::to_string(spec).unwrap_or_default()
}

/// 64-bit FNV-1a of `bytes` (a stable hash: the same on every machine and version).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The sub-directory of a sweep's output holding one file per finished run.
pub const ROWS: &str = "rows";

/// The file of `spec`'s run under a sweep's output directory: `rows/<16 hex digits>.json`, the
/// FNV-1a hash of [`spec_key`] (a file whose parameters differ is never taken for this run).
pub fn path(out: &Path, spec: &RunSpec) -> PathBuf {
    out.join(ROWS).join(format!("{:016x}.json", fnv1a(spec_key(spec).as_bytes())))
}

/// Writes a record atomically to its file under `out`.
pub fn write(out: &Path, record: &RowRecord) -> Result<()> {
    let text = serde_json::to_string(record).context("encoding a run")?;
    crate::output::write_atomic(&path(out, &record.spec), format!("{text}\n").as_bytes())
}

/// The record of `spec`'s run under `out`, if its file is there, readable, and holds exactly this
/// run (`Ok(None)` when there is no file; an error for an unreadable or foreign one).
pub fn read(out: &Path, spec: &RunSpec) -> Result<Option<RowRecord>> {
    let file = path(out, spec);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow!("reading {}: {e}", file.display())),
    };
    let record: RowRecord = serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    if record.spec != *spec {
        return Err(anyhow!("{} holds another run (a hash collision)", file.display()));
    }
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(values: Vec<f64>) -> RowRecord {
        RowRecord {
            spec: RunSpec::default().canonical(),
            batch: 20,
            gamma: 0.1,
            gamma_max: None,
            status: Status::Diverged,
            steps: 7,
            train_loss: f64::INFINITY,
            test_risk: f64::NAN,
            gain_l1: -0.0,
            pred_error: Some(f64::NEG_INFINITY),
            gf_error: None,
            beta_star: values.clone(),
            beta: values.clone(),
            gain: values.clone(),
            alpha_inf: values.clone(),
            beta_tilde0: values.clone(),
            beta_pred: Some(values),
            beta_gf: None,
            notes: vec!["a note".into()],
            seconds: 0.5,
        }
    }

    #[test]
    fn records_round_trip_bit_for_bit() {
        let values = vec![0.1, 1.0 / 3.0, 5e-324, f64::MAX, -0.0, f64::NAN, f64::INFINITY, 1e-300];
        let rec = record(values.clone());
        let text = serde_json::to_string(&rec).unwrap();
        let back: RowRecord = serde_json::from_str(&text).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.beta), bits(&values));
        assert_eq!(bits(back.beta_pred.as_ref().unwrap()), bits(&values));
        assert!(back.test_risk.is_nan() && back.train_loss == f64::INFINITY);
        assert_eq!(back.gain_l1.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back.pred_error, Some(f64::NEG_INFINITY));
        assert_eq!(back.spec, rec.spec);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn files_are_keyed_by_the_parameters() {
        let dir = std::env::temp_dir().join(format!("dln-record-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rec = record(vec![1.0]);
        assert!(read(&dir, &rec.spec).unwrap().is_none());
        write(&dir, &rec).unwrap();
        assert_eq!(read(&dir, &rec.spec).unwrap().unwrap().beta, vec![1.0]);
        let other = RunSpec { seed: 1, ..rec.spec.clone() };
        assert_ne!(path(&dir, &other), path(&dir, &rec.spec));
        assert!(read(&dir, &other).unwrap().is_none());
        // A file holding another run under this run's name is refused.
        std::fs::copy(path(&dir, &rec.spec), path(&dir, &other)).unwrap();
        assert!(read(&dir, &other).unwrap_err().to_string().contains("another run"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fnv1a_is_the_reference_hash() {
        // Test vectors of the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }
}

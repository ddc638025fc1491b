//! Memory budget: how many bytes a run needs at its peak, estimated before anything is allocated,
//! and the limit it must fit in (the memory the operating system reports available, or a
//! `--max-memory` override).
//!
//! The estimate follows the allocations of one `run` (all f64, 8 bytes each):
//!
//! | part | bytes | alive |
//! |---|---|---|
//! | X | 8 n d | throughout |
//! | the problem's, the engine's and the run's vectors | 8 (24 d + 8 n) | throughout |
//! | solver (Theorems 1 and 2, dual Newton) | max(8 (2 n² + n d + 128 n), 8 · 4 n²) | during a solve |
//! | `--json` | J (n d + 12 d + 2 n) + max(8 n², 2 · 25 (n d + 12 d + 2 n)) | while printing |
//! | matrix-product packing buffers | 8 (64 + 1024) 256 + 4096 ≈ 2.1 MiB | during a product |
//!
//! The solver's first term is a Hessian X diag(h) Xᵀ being formed (the previous Cholesky factor,
//! the weighted copy of X, the Hessian and one block row of it), its second the factorisation with
//! a diagonal shift (previous factor, Hessian, shifted copy, new factor). `--json` holds every
//! number as a JSON value (J = `size_of::<serde_json::Value>()` bytes), then either the n×n Gram
//! matrix of λ_max or the printed text (≤ 25 bytes a number, in a string that may have grown to
//! twice its length); the solver's buffers are freed by then, so the run's peak is X + vectors +
//! max(solver, json) + packing.

use std::fmt;
use std::mem::size_of;

use anyhow::{Result, bail};
use bytesize::ByteSize;

/// Bytes of one f64.
const F64: u64 = size_of::<f64>() as u64;
/// Rows of X per block of the weighted Gram matrix (`dln::linalg::weighted_gram`).
const GRAM_BLOCK: u64 = 128;
/// The matrix product's packing buffers: matrixmultiply packs at most an MC×KC block of one
/// factor and a KC×NC block of the other (64, 256 and 1024 for f64), plus alignment.
const GEMM_SCRATCH: u64 = (64 + 1024) * 256 * F64 + 4096;
/// Longest shortest-round-trip f64 in JSON ("-2.2250738585072014e-308") plus its separator.
const JSON_TEXT_PER_NUMBER: u64 = 25;

/// The largest X (entries) any run accepts: beyond this, X alone could not be one allocation
/// (isize::MAX bytes), whatever the memory.
pub const MAX_ENTRIES: u64 = isize::MAX as u64 / F64;

/// A memory need, in bytes, with its largest parts for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The peak, in bytes.
    pub total: u64,
    /// X's share.
    pub x: u64,
    /// The interpolator solver's share (0 when not solved).
    pub solver: u64,
}

/// What a run will do beyond (S)GD itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWork {
    /// Solve for Theorem 1's and 2's interpolators (n×n dual Hessians).
    pub solve: bool,
    /// Print everything as one JSON object (`run --json`).
    pub json: bool,
}

/// Checked u64 arithmetic: `None` on overflow.
fn mul(a: u64, b: u64) -> Option<u64> {
    a.checked_mul(b)
}

/// The peak bytes of one `run` on an n×d problem (see the module docs), or an error when n·d
/// exceeds [`MAX_ENTRIES`] or the count overflows u64 — both fail at once, before any allocation.
pub fn run_need(n: usize, d: usize, work: RunWork) -> Result<Need> {
    let (n, d) = (n as u64, d as u64);
    let entries = mul(n, d).filter(|&e| e <= MAX_ENTRIES);
    let Some(entries) = entries else {
        bail!("n·d = {n}·{d} is beyond any memory (at most {MAX_ENTRIES} entries of X)");
    };
    let too_large = || anyhow::anyhow!("n = {n}, d = {d}: the memory count overflows 64 bits");
    let x = mul(entries, F64).ok_or_else(too_large)?;
    let vectors = mul(24, d).and_then(|a| Some(a + mul(8, n)?)).and_then(|v| mul(v, F64)).ok_or_else(too_large)?;
    let n_sq = mul(n, n).ok_or_else(too_large)?;
    let solver = if work.solve {
        let forming = mul(2, n_sq).and_then(|a| a.checked_add(entries)?.checked_add(mul(GRAM_BLOCK, n)?));
        let factoring = mul(4, n_sq);
        mul(forming.ok_or_else(too_large)?.max(factoring.ok_or_else(too_large)?), F64).ok_or_else(too_large)?
    } else {
        0
    };
    let json = if work.json {
        let numbers = entries.checked_add(mul(12, d).ok_or_else(too_large)?).and_then(|e| e.checked_add(mul(2, n)?));
        let numbers = numbers.ok_or_else(too_large)?;
        let values = mul(numbers, size_of::<serde_json::Value>() as u64).ok_or_else(too_large)?;
        let text = mul(numbers, 2 * JSON_TEXT_PER_NUMBER).ok_or_else(too_large)?;
        let gram = mul(n_sq, F64).ok_or_else(too_large)?;
        values.checked_add(text.max(gram)).ok_or_else(too_large)?
    } else {
        0
    };
    let total = x
        .checked_add(vectors)
        .and_then(|t| t.checked_add(solver.max(json)))
        .and_then(|t| t.checked_add(GEMM_SCRATCH))
        .ok_or_else(too_large)?;
    Ok(Need { total, x, solver })
}

/// The peak bytes of parsing a JSON text of `text_len` bytes holding at most `values` JSON values
/// into rows of f64 and then X: the text, each value (J bytes, arrays grown up to twice their
/// length) and each number twice more as f64 (the rows, then X).
pub fn json_parse_need(text_len: u64, values: u64) -> Option<u64> {
    let per_value = 2 * size_of::<serde_json::Value>() as u64 + 2 * F64;
    text_len.checked_add(values.checked_mul(per_value)?)
}

/// An upper bound on the number of JSON values in `text`: every value but the first follows a
/// `[`, a `,` or a `:` (characters inside strings are counted too, which only overestimates).
pub fn json_values_bound(text: &str) -> u64 {
    1 + text.bytes().filter(|b| matches!(b, b'[' | b',' | b':')).count() as u64
}

/// Where a memory limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// The memory the operating system reports available now ([`available_memory`]).
    Available,
    /// `--max-memory`.
    Flag,
}

/// A memory limit in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// Where it comes from.
    pub source: LimitSource,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            LimitSource::Available => write!(f, "{} available", human(self.bytes)),
            LimitSource::Flag => write!(f, "the limit --max-memory {}", human(self.bytes)),
        }
    }
}

/// Bytes in IEC units, e.g. "74.5 GiB".
pub fn human(bytes: u64) -> String {
    ByteSize(bytes).display().iec().to_string()
}

/// Parses a memory size: bytes (`1073741824`) or with a unit (`512MiB`, `8GiB`, `2GB`, `1.5 GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bytes: ByteSize = text.trim().parse().map_err(|e: String| format!("invalid memory size `{text}`: {e}"))?;
    Ok(bytes.0)
}

/// The memory available now, as the operating system reports it (`None` where it cannot tell):
/// MemAvailable on Linux (free memory plus the page cache it can reclaim), capped inside a
/// memory-limited cgroup by the limit less the group's resident memory. (The cgroup's own "free"
/// figure counts the page cache as used, and understates what can be allocated.)
pub fn available_memory() -> Option<u64> {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory_specifics(sysinfo::MemoryRefreshKind::nothing().with_ram());
    let available = Some(sys.available_memory()).filter(|&a| a > 0)?;
    let cap = sys
        .cgroup_limits()
        .filter(|c| c.total_memory < sys.total_memory())
        .map_or(u64::MAX, |c| c.total_memory.saturating_sub(c.rss));
    Some(available.min(cap))
}

/// The limit: `max_memory` when given, else the available memory (`None` if unknown).
pub fn limit(max_memory: Option<u64>) -> Option<Limit> {
    match max_memory {
        Some(bytes) => Some(Limit { bytes, source: LimitSource::Flag }),
        None => available_memory().map(|bytes| Limit { bytes, source: LimitSource::Available }),
    }
}

/// Fails with one line naming the need, its largest parts and the limit when `need` exceeds it.
pub fn check(what: &str, need: &Need, limit: Option<Limit>) -> Result<()> {
    let Some(limit) = limit else { return Ok(()) };
    if need.total <= limit.bytes {
        return Ok(());
    }
    let mut parts = format!("X {}", human(need.x));
    if need.solver > 0 {
        parts += &format!(", the n×n interpolator solver {}", human(need.solver));
    }
    let hint = match limit.source {
        LimitSource::Available => "; --max-memory overrides the limit",
        LimitSource::Flag => "",
    };
    bail!("{what} needs about {} ({parts}), beyond {limit}{hint}", human(need.total))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GD_JSON: RunWork = RunWork { solve: true, json: true };

    #[test]
    fn need_of_a_small_run_counts_each_part() {
        // n = 10, d = 100, solver only: X 8000; vectors 8 (2400 + 80); solver max(8 (200 + 1000 + 1280), 8 · 400).
        let need = run_need(10, 100, RunWork { solve: true, json: false }).unwrap();
        assert_eq!(need.x, 8_000);
        assert_eq!(need.solver, 8 * 2_480);
        assert_eq!(need.total, 8_000 + 8 * 2_480 + 8 * 2_480 + GEMM_SCRATCH);
        // n > d: the factorisation (4 n²) dominates.
        let need = run_need(300, 10, RunWork { solve: true, json: false }).unwrap();
        assert_eq!(need.solver, 8 * 4 * 90_000);
    }

    #[test]
    fn json_output_costs_values_and_text() {
        let plain = run_need(10, 100, RunWork { solve: false, json: false }).unwrap();
        let json = run_need(10, 100, RunWork { solve: false, json: true }).unwrap();
        let numbers = 1_000 + 1_200 + 20;
        let value = size_of::<serde_json::Value>() as u64;
        assert_eq!(json.total - plain.total, numbers * value + numbers * 50);
    }

    #[test]
    fn absurd_sizes_fail_at_once_without_overflow() {
        let e = run_need(1_000_000_000, 2_000_000_000, GD_JSON).unwrap_err().to_string();
        assert!(e.contains("beyond any memory") && !e.contains('\n'), "{e}");
        let e = run_need(usize::MAX, usize::MAX, GD_JSON).unwrap_err().to_string();
        assert!(e.contains("beyond any memory"), "{e}");
        // n·d fits but n² overflows.
        let e = run_need(1 << 40, 1, GD_JSON).unwrap_err().to_string();
        assert!(e.contains("overflows"), "{e}");
    }

    #[test]
    fn check_names_need_and_limit_in_one_line() {
        let need = run_need(100_000, 100_000, GD_JSON).unwrap();
        assert!(need.x == 80_000_000_000 && need.total > need.x);
        let limit = Limit { bytes: 24 << 30, source: LimitSource::Available };
        let e = check("run", &need, Some(limit)).unwrap_err().to_string();
        assert!(e.contains("X 74.5 GiB") && e.contains("24.0 GiB available") && !e.contains('\n'), "{e}");
        let flag = Limit { bytes: need.total, source: LimitSource::Flag };
        assert!(check("run", &need, Some(flag)).is_ok());
        let below = Limit { bytes: need.total - 1, source: LimitSource::Flag };
        assert!(check("run", &need, Some(below)).unwrap_err().to_string().contains("--max-memory"));
        assert!(check("run", &need, None).is_ok());
    }

    #[test]
    fn sizes_parse_in_bytes_and_iec_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("8 GiB"), Ok(8 << 30));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("1073741824"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1GiB").is_err());
    }

    #[test]
    fn values_bound_counts_every_value() {
        // Object, x, two rows, four numbers, y, two numbers: 11 values; the bound also counts
        // the comma between the two keys.
        assert_eq!(json_values_bound(r#"{"x": [[1, 2], [3, 4]], "y": [5, 6]}"#), 12);
        assert_eq!(json_values_bound("3"), 1);
    }

    #[test]
    fn available_memory_is_memavailable_on_linux() {
        let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else { return };
        let kib = |key: &str| -> u64 {
            let line = meminfo.lines().find(|l| l.starts_with(key)).expect("a /proc/meminfo line");
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        let bytes = available_memory().expect("known on Linux");
        // Read at another moment: the two agree to within what other processes did meanwhile.
        let expected = kib("MemAvailable:") * 1024;
        assert!(bytes <= kib("MemTotal:") * 1024);
        assert!(bytes.abs_diff(expected) < expected / 10 + (64 << 20), "{bytes} vs MemAvailable {expected}");
    }
}

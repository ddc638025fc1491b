//! One error enum for the whole core (argmin style): every invalid parameter
//! is a typed, one-line error, never a panic.

/// Everything that can go wrong in the `dln` core. New variants may be added, so a `match` outside
/// this crate needs a wildcard arm.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DlnError {
    /// A parameter is outside its valid range; the message names it.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name (the paper's symbol where there is one).
        name: &'static str,
        /// Why it was rejected, with the offending value.
        reason: String,
    },
    /// Arrays whose sizes do not fit together.
    #[error("dimension mismatch: {0}")]
    DimensionMismatch(String),
    /// Input data containing NaN or infinity.
    #[error("non-finite value in {0}")]
    NonFinite(&'static str),
    /// A numerical method failed to reach its tolerance.
    #[error("{method} did not converge: {reason}")]
    NotConverged {
        /// Which method.
        method: &'static str,
        /// What happened.
        reason: String,
    },
    /// A γ_max search found no convergent constant stepsize: every stepsize it tried, down to
    /// `smallest`, failed to reach the tolerance within the step budget (a status of the data and the
    /// budget, not a fault of the search).
    #[error("no constant stepsize converged within the step budget, down to {smallest:.3e}")]
    NoConvergentStepsize {
        /// The smallest stepsize tried.
        smallest: f64,
    },
}

/// `Result` with [`DlnError`].
pub type Result<T> = std::result::Result<T, DlnError>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> DlnError {
    DlnError::InvalidParameter { name, reason: reason.into() }
}

/// Checks that every entry is finite.
pub(crate) fn check_finite<'a>(what: &'static str, xs: impl IntoIterator<Item = &'a f64>) -> Result<()> {
    if xs.into_iter().all(|x| x.is_finite()) { Ok(()) } else { Err(DlnError::NonFinite(what)) }
}

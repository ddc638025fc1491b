//! Everything one training run yields, and the observers that watch it.

use ndarray::Array1;

use crate::gain::{EffectiveInit, QSums, SecondOrder};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// The training loss reached the tolerance.
    Converged,
    /// The step budget ran out first.
    MaxSteps,
    /// The loss became non-finite or exploded: nothing else in the run is meaningful.
    Diverged,
}

impl Status {
    /// "converged" | "max_steps" | "diverged".
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxSteps => "max_steps",
            Status::Diverged => "diverged",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state handed to an [`Observer`] at a recording step (before that step's update).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Snapshot {
    /// Iteration k.
    pub step: u64,
    /// Full training loss L(β_k).
    pub train_loss: f64,
    /// β_k.
    pub beta: Array1<f64>,
    /// Gain_k = ln(α²/α_k²) = ln(2α²/|u_k² − v_k²|), per coordinate.
    pub gain: Array1<f64>,
}

/// Watches a run at its recording steps (argmin-style observer).
pub trait Observer {
    /// Called with the state at iteration `snapshot.step`.
    fn observe(&mut self, snapshot: &Snapshot);
}

impl Observer for Vec<Snapshot> {
    fn observe(&mut self, snapshot: &Snapshot) {
        self.push(snapshot.clone());
    }
}

/// An observer that does nothing.
impl Observer for () {
    fn observe(&mut self, _: &Snapshot) {}
}

/// The result of [`crate::Sgd::run`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Run {
    /// How the run ended.
    pub status: Status,
    /// Steps actually taken.
    pub steps: u64,
    /// L(β) at the end (full batch).
    pub train_loss: f64,
    /// β = u ⊙ v at the end.
    pub beta: Array1<f64>,
    /// First-layer weights u at the end.
    pub u: Array1<f64>,
    /// Second-layer weights v at the end.
    pub v: Array1<f64>,
    /// The initial scale α.
    pub alpha: Array1<f64>,
    /// s = −2 Σ_k γ_k g_k = Xᵀλ (lies in range(Xᵀ)).
    pub s: Array1<f64>,
    /// λ ∈ R^n with s = Xᵀλ: the engine's own dual variable (warm start for the interpolator solver).
    pub lambda: Array1<f64>,
    /// α∞, β̃₀, δ and Gain from the exact identities.
    pub effective: EffectiveInit,
    /// The accumulated Σ q(γg), Σ q±(γg) if `track_q_sums` was set (test oracle).
    pub q_sums: Option<QSums>,
    /// Σ(γg)² and max|γg| per coordinate if `track_second_order` was set.
    pub second_order: Option<SecondOrder>,
    /// Snapshots at the recording steps (empty unless a record schedule was set).
    pub history: Vec<Snapshot>,
}

impl Run {
    /// Gain_γ per coordinate.
    pub fn gain(&self) -> &Array1<f64> {
        &self.effective.gain
    }

    /// Whether the run reached the tolerance.
    pub fn converged(&self) -> bool {
        self.status == Status::Converged
    }
}

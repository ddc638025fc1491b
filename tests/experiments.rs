//! One module per experiment (`tests/experiments/<name>.rs`): each runs the experiment once, pins
//! its rounded headline numbers and its figure's content with snapshots
//! (`tests/snapshots/<name>__summary.snap`, `<name>__figure.snap`) and asserts its claims directly
//! on the data, recomputed independently of the report.

#[path = "experiments/anisotropy.rs"]
mod anisotropy;
#[path = "experiments/batch_law.rs"]
mod batch_law;
#[path = "experiments/edge_of_stability.rs"]
mod edge_of_stability;
#[path = "experiments/eos_window.rs"]
mod eos_window;
#[path = "experiments/estimated_parameters.rs"]
mod estimated_parameters;
#[path = "experiments/explorer.rs"]
mod explorer;
#[path = "experiments/gain_law.rs"]
mod gain_law;
#[path = "experiments/gain_scale.rs"]
mod gain_scale;
#[path = "experiments/gain_shape.rs"]
mod gain_shape;
#[path = "experiments/generalization.rs"]
mod generalization;
#[path = "experiments/label_noise.rs"]
mod label_noise;
#[path = "experiments/phase_diagram.rs"]
mod phase_diagram;
#[path = "experiments/schedules.rs"]
mod schedules;
#[path = "experiments/theorem1_alpha.rs"]
mod theorem1_alpha;
#[path = "experiments/theorem2_check.rs"]
mod theorem2_check;
#[path = "experiments/uncentered.rs"]
mod uncentered;

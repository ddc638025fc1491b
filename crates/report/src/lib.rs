//! # dln-report — every figure of the macroscopic-stepsize study
//!
//! One module per experiment under [`experiments`]: a `Config` whose `Default` is the paper's setting,
//! `run(&Config) → polars DataFrame` (tidy), `plot(&DataFrame) → plotly::Plot`, and headline numbers
//! (`summary.json`). [`output`] writes everything atomically under `results/<experiment>/`.
//! The binary `dln-report` (`run | reproduce | list`) drives it; `cargo run --release` reproduces
//! everything.

pub mod book;
pub mod budget;
pub mod claims;
pub mod cli;
pub mod experiments;
pub mod grid;
pub mod output;
pub mod progress;
pub mod runs;
pub mod snap;
pub mod stability;
pub mod style;
pub mod sweep;

/// Re-exported so that notebooks (evcxr) can name the report's types — `polars::prelude::DataFrame`,
/// `plotly::Plot` — at exactly the versions and features the report was built with.
pub use plotly;
pub use polars;

//! The claims of chapter "What sets the gain's shape", from the runs.

use dln::Design;

use super::summary::{Group, groups};
use super::{Output, Row};
use crate::claims::{Claim, fmt3};
use crate::experiments::common::{Method, largest, smallest};
use crate::experiments::fraction_runs;

/// The bound on the coefficient of variation of SGD's gain on Rademacher data (rounding only).
pub const FLAT: f64 = 1e-9;
/// The bound on |median start ratio / (1 + (m₄ − 1)/s) − 1|.
pub const RATIO_TOLERANCE: f64 = 0.25;
/// The bound on Gain/Σ(γg)² − 1 at the smallest stepsize: there the second-order law holds.
pub const SECOND_ORDER_TOLERANCE: f64 = 0.05;
/// The bound on |median gain ratio / median Σ(γg)² ratio − 1| at the smallest stepsize.
pub const SHAPE_TOLERANCE: f64 = 0.02;

/// Per coordinate of every run that did not diverge, (Gain_j / Σ_k (γ g_k,j)² − 1, max_k |γ g_k,j|).
pub fn excesses<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Vec<(f64, f64)> {
    (rows.into_iter().filter(|r| r.kept()))
        .flat_map(|r| (0..r.gain.len()).map(move |j| (r.gain[j] / r.second_order[j] - 1.0, r.max_step[j])))
        .collect()
}

/// The SGD groups at the smallest fraction.
fn sgd_at_smallest<'a>(out: &'a Output) -> Vec<Group<'a>> {
    let small = smallest(out.runs.rows.iter().map(|r| r.fraction));
    groups(out).into_iter().filter(|g| g.method == Method::Sgd && g.fraction == small).collect()
}

/// Per SGD group at the smallest fraction: (design, s, median start ratio, 1 + (m₄ − 1)/s).
pub fn start_ratios(out: &Output) -> Vec<(Design, usize, f64, f64)> {
    (sgd_at_smallest(out).iter())
        .map(|g| (g.cell.design, g.cell.s, g.quartiles(Row::start_ratio).median, g.cell.predicted_ratio()))
        .collect()
}

/// Per SGD group at the smallest fraction: median on/off ratio of the gain over that of Σ(γg)².
pub fn gain_over_second_order(out: &Output) -> Vec<f64> {
    (sgd_at_smallest(out).iter())
        .map(|g| g.quartiles(Row::gain_ratio).median / g.quartiles(Row::second_order_ratio).median)
        .collect()
}

/// Per sparsity at the smallest fraction, the smaller of (Gaussian / uniform, uniform / Rademacher)
/// median SGD gain ratios (designs missing from the grid are skipped).
pub fn design_order(out: &Output) -> Vec<f64> {
    let sgd = sgd_at_smallest(out);
    let ratio = |d: Design, s: usize| {
        sgd.iter().find(|g| g.cell.design == d && g.cell.s == s).map(|g| g.quartiles(Row::gain_ratio).median)
    };
    let mut sparsities: Vec<usize> = Vec::new();
    for g in &sgd {
        if !sparsities.contains(&g.cell.s) {
            sparsities.push(g.cell.s);
        }
    }
    (sparsities.into_iter())
        .filter_map(|s| {
            let (g, u, r) = (ratio(Design::Gaussian, s)?, ratio(Design::Uniform, s)?, ratio(Design::Rademacher, s)?);
            Some((g / u).min(u / r))
        })
        .collect()
}

/// Per (cell, fraction) with both methods: GD's median on/off gain ratio over SGD's.
pub fn gd_over_sgd(out: &Output) -> Vec<f64> {
    let groups = groups(out);
    (groups.iter().filter(|g| g.method == Method::Gd))
        .filter_map(|gd| {
            let sgd =
                groups.iter().find(|g| g.method == Method::Sgd && g.cell == gd.cell && g.fraction == gd.fraction)?;
            Some(gd.quartiles(Row::gain_ratio).median / sgd.quartiles(Row::gain_ratio).median)
        })
        .collect()
}

/// |measured / predicted − 1|.
fn deviation((_, _, measured, predicted): &(Design, usize, f64, f64)) -> f64 {
    (measured / predicted - 1.0).abs()
}

/// The claims on Gain against its second-order law Σ(γg)², from every (run, coordinate) pair.
fn second_order_claims(rows: &[Row]) -> [Claim; 3] {
    let all = excesses(rows);
    let below = smallest(all.iter().filter(|(_, m)| *m < 1.0).map(|(e, _)| *e));
    let big_steps = all.iter().filter(|(_, m)| *m >= 1.0).count();
    let within = largest(all.iter().filter(|(_, m)| m * m <= 0.5).map(|(e, m)| e / (m * m)));
    let small = smallest(rows.iter().map(|r| r.fraction));
    let top = largest(rows.iter().map(|r| r.fraction));
    let at_small = largest(excesses(rows.iter().filter(|r| r.fraction == small)).iter().map(|(e, _)| *e));
    let at_top = largest(excesses(rows.iter().filter(|r| r.fraction == top)).iter().map(|(e, _)| *e));
    [
        Claim::at_least("gain_at_least_second_order", "smallest_excess", below, -FLAT)
            .with("coordinates_with_a_step_of_at_least_1", big_steps as f64)
            .says(format!(
                "Wherever every step is below 1 (|γg| < 1), Gain ≥ Σ(γg)² (q(x) ≥ x²): the smallest Gain/Σ(γg)² − 1 is {}. On {big_steps} (run, coordinate) pairs a single step reached |γg| ≥ 1, where q(x) < x² is possible (q(√2) = 0).",
                fmt3(below)
            )),
        Claim::at_most("second_order_error_within_largest_step", "largest_excess_over_step_squared", within, 1.0).says(
            format!(
                "Where every step satisfies |γg| ≤ m ≤ 1/√2, Gain/Σ(γg)² − 1 ≤ m² (q(x) ≤ x² + x⁴): the largest ratio of the two is {}.",
                fmt3(within)
            ),
        ),
        Claim::at_most("second_order_law_at_small_steps", "largest_excess_at_smallest_fraction", at_small, SECOND_ORDER_TOLERANCE)
            .with("largest_excess_at_largest_fraction", at_top)
            .says(format!(
                "At γ = {} γ_max the run's own Σ(γg)² gives every coordinate's gain to within {} (bound {SECOND_ORDER_TOLERANCE}); at {} γ_max the error reaches {}.",
                fmt3(small),
                fmt3(at_small),
                fmt3(top),
                fmt3(at_top)
            )),
    ]
}

// ANCHOR: claims
/// The claims, computed from the runs.
pub fn claims(out: &Output) -> Vec<Claim> {
    let rows = &out.runs.rows;
    let rademacher =
        rows.iter().filter(|r| out.cell(r).design == Design::Rademacher && r.method == Method::Sgd && r.kept());
    let flat = largest(rademacher.clone().map(Row::gain_cv));
    let small = smallest(rows.iter().map(|r| r.fraction));
    let shape = gain_over_second_order(out);
    let shape_dev = largest(shape.iter().map(|r| (r - 1.0).abs()));
    let starts = start_ratios(out);
    let worst_start = starts.iter().max_by(|a, b| deviation(a).total_cmp(&deviation(b)));
    let start_list: Vec<String> =
        (starts.iter()).map(|(d, s, m, p)| format!("{d} s = {s}: {} vs {}", fmt3(*m), fmt3(*p))).collect();
    let order = design_order(out);
    let piles = gd_over_sgd(out);
    let [converge, exact] = fraction_runs::standard_claims(&out.runs);
    let [second_order, error_bound, small_steps] = second_order_claims(rows);
    vec![
        converge,
        exact,
        Claim::at_most("rademacher_sgd_gain_is_flat", "largest_cv", flat, FLAT).with("runs", rademacher.count() as f64).says(
            format!(
                "On Rademacher data SGD's (b = 1) gain is the same on every coordinate: its coefficient of variation across coordinates is at most {} (rounding; bound {FLAT:.0e}). Exact, not second-order: x_ij² = 1, so each step moves every coordinate by the same |γg| and q is even.",
                fmt3(flat)
            ),
        ),
        second_order,
        error_bound,
        small_steps,
        Claim::at_most("sgd_shape_is_second_order", "largest_relative_deviation", shape_dev, SHAPE_TOLERANCE).says(format!(
            "At γ = {} γ_max SGD's median on/off-support gain ratio equals that of its own Σ(γg)² within {} in every (design, s) cell (bound {SHAPE_TOLERANCE}): the shape is second-order.",
            fmt3(small),
            fmt3(shape_dev)
        )),
        Claim::at_most(
            "start_ratio_follows_fourth_moment",
            "largest_relative_deviation",
            worst_start.map_or(f64::NAN, deviation),
            RATIO_TOLERANCE,
        )
        .finding()
        .says(format!(
            "The population law 1 + (m₄ − 1)/s does not predict every dataset's own start ratio, the on/off ratio of (1/n) Σ_i x_ij² y_i² (median over datasets), within {RATIO_TOLERANCE}: the worst cell is off by {} ({}). With n samples the mean of x_j⁴ y² is heavy-tailed for Gaussian data, and its median falls below its expectation.",
            fmt3(worst_start.map_or(f64::NAN, deviation)),
            start_list.join("; ")
        )),
        Claim::at_least("fourth_moment_orders_the_designs", "smallest_ratio_of_ratios", smallest(order.iter().copied()), 1.0)
            .says(format!(
                "At every sparsity, SGD's median on/off-support ratio is largest for Gaussian data (m₄ = 3), then uniform (9/5), then Rademacher (1): each exceeds the next by at least {}×.",
                fmt3(smallest(order.iter().copied()))
            )),
        Claim::at_least("gd_piles_gain_on_support", "smallest_gd_over_sgd_ratio", smallest(piles.iter().copied()), 1.0)
            .with("median_gd_over_sgd_ratio", dln::metrics::quantile(&piles, 0.5))
            .says(format!(
                "In every (design, s, stepsize) cell GD's median on/off-support ratio exceeds SGD's, by {}× at least and {}× at the median: GD's early gradients ≈ −β* point at the support.",
                fmt3(smallest(piles.iter().copied())),
                fmt3(dln::metrics::quantile(&piles, 0.5))
            )),
    ]
}
// ANCHOR_END: claims

//! Shared machinery for experiments: parallel sweeps (rayon; results in input order, so they are
//! bitwise identical whatever the thread count), quantiles, log grids.

use std::sync::{Arc, RwLock};

use rayon::prelude::*;

/// Watches sweeps (the CLI's progress bar). Experiments need not know it exists: every
/// [`par_map`] reports to the observer installed with [`set_observer`], if any.
pub trait SweepObserver: Send + Sync {
    /// `items` more items were queued (a sweep started; nested sweeps add up).
    fn queued(&self, items: usize);
    /// One item finished.
    fn done(&self);
}

static OBSERVER: RwLock<Option<Arc<dyn SweepObserver>>> = RwLock::new(None);

/// Installs `observer` for every subsequent [`par_map`] (process-wide; `None` removes it) and
/// returns the previous one. Observation never changes results, only reports progress.
pub fn set_observer(observer: Option<Arc<dyn SweepObserver>>) -> Option<Arc<dyn SweepObserver>> {
    let mut slot = OBSERVER.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::replace(&mut *slot, observer)
}

fn observer() -> Option<Arc<dyn SweepObserver>> {
    OBSERVER.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
}

/// Runs `f` on every item in parallel and returns the results in input order (so they are
/// identical whatever the thread count). Reports progress to the installed [`SweepObserver`].
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    match observer() {
        None => items.par_iter().map(f).collect(),
        Some(obs) => {
            obs.queued(items.len());
            items
                .par_iter()
                .map(|item| {
                    let r = f(item);
                    obs.done();
                    r
                })
                .collect()
        }
    }
}

/// `count` log-spaced points from `lo` to `hi` (inclusive).
pub fn log_grid(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if count <= 1 {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..count).map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp()).collect()
}

pub use dln::metrics::quantile;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Count {
        queued: AtomicUsize,
        done: AtomicUsize,
    }

    impl SweepObserver for Count {
        fn queued(&self, items: usize) {
            self.queued.fetch_add(items, Ordering::Relaxed);
        }
        fn done(&self) {
            self.done.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn par_map_keeps_order_and_reports_every_item() {
        let items: Vec<u64> = (0..100).collect();
        let count = Arc::new(Count::default());
        let previous = set_observer(Some(count.clone()));
        let squares = par_map(&items, |&i| i * i);
        set_observer(previous);
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        // ≥: other tests of this binary may run sweeps while the observer is installed.
        assert!(count.queued.load(Ordering::Relaxed) >= 100);
        assert!(count.done.load(Ordering::Relaxed) >= 100);
    }
}

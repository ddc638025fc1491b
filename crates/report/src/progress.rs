//! Progress of `reproduce` on stderr: an indicatif bar per experiment on a terminal, plain lines
//! otherwise (logs, CI), nothing when quiet. Sweep items are counted through the
//! [`crate::sweep::SweepObserver`] hook, so experiments report progress without knowing it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sweep::{self, SweepObserver};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An indicatif progress bar (stderr is a terminal).
    Bar,
    /// Plain lines, at most one every [`LINE_PERIOD`] per experiment (stderr is a file or pipe).
    Lines,
    /// Nothing at all.
    Quiet,
}

/// Shortest interval between two plain progress lines of one experiment.
pub const LINE_PERIOD: Duration = Duration::from_secs(5);

impl Mode {
    /// `Quiet` if asked, else `Bar` when stderr is a terminal and `Lines` otherwise.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// Progress of a whole `reproduce` (a sequence of experiments).
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    mode: Mode,
    total: usize,
}

impl Progress {
    /// Progress over `total` experiments.
    pub fn new(mode: Mode, total: usize) -> Self {
        Self { mode, total }
    }

    /// A one-line note on stderr (unless quiet).
    pub fn note(&self, message: &str) {
        if self.mode != Mode::Quiet {
            eprintln!("{message}");
        }
    }

    /// Starts experiment number `index` (0-based): installs the sweep observer until the returned
    /// handle is finished or dropped.
    pub fn start(&self, index: usize, name: &'static str) -> Experiment {
        let label = format!("[{}/{}] {name}", index + 1, self.total);
        let bar = match self.mode {
            Mode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} sweep items {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(label.clone());
                bar.enable_steady_tick(Duration::from_millis(200));
                Some(bar)
            }
            Mode::Lines => {
                eprintln!("{label} …");
                None
            }
            Mode::Quiet => None,
        };
        let counter = Arc::new(Counter {
            mode: self.mode,
            label: label.clone(),
            bar: bar.clone(),
            queued: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            start: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        });
        // Quiet: nothing to show, so no process-wide observer either (library callers may run
        // several reproductions concurrently).
        let previous = (self.mode != Mode::Quiet).then(|| sweep::set_observer(Some(counter.clone())));
        Experiment { counter, previous, label, mode: self.mode }
    }
}

/// Counts sweep items of the running experiment.
struct Counter {
    mode: Mode,
    label: String,
    bar: Option<ProgressBar>,
    queued: AtomicUsize,
    done: AtomicUsize,
    start: Instant,
    last_line: Mutex<Instant>,
}

impl SweepObserver for Counter {
    fn queued(&self, items: usize) {
        self.queued.fetch_add(items, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc_length(items as u64);
        }
    }

    fn done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if self.mode == Mode::Lines {
            let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() >= LINE_PERIOD {
                *last = Instant::now();
                let queued = self.queued.load(Ordering::Relaxed);
                eprintln!("{}: {done}/{queued} sweep items, {:.1} s", self.label, self.start.elapsed().as_secs_f64());
            }
        }
    }
}

/// The progress of one running experiment (uninstalls its sweep observer when dropped).
pub struct Experiment {
    counter: Arc<Counter>,
    previous: Option<Option<Arc<dyn SweepObserver>>>,
    label: String,
    mode: Mode,
}

impl Experiment {
    /// Sweep items finished so far.
    pub fn runs(&self) -> usize {
        self.counter.done.load(Ordering::Relaxed)
    }

    /// Ends the experiment with a one-line outcome (`ok` or the error) and its wall time.
    pub fn finish(mut self, outcome: Result<(), &str>, elapsed: Duration) {
        self.restore();
        if let Some(bar) = &self.counter.bar {
            bar.finish_and_clear();
        }
        if self.mode != Mode::Quiet {
            let runs = self.runs();
            let secs = elapsed.as_secs_f64();
            match outcome {
                Ok(()) => eprintln!("{}: done in {secs:.2} s ({runs} sweep items)", self.label),
                Err(e) => eprintln!("{}: FAILED after {secs:.2} s: {e}", self.label),
            }
        }
    }

    fn restore(&mut self) {
        if let Some(previous) = self.previous.take() {
            sweep::set_observer(previous);
        }
    }
}

impl Drop for Experiment {
    fn drop(&mut self) {
        self.restore();
        if let Some(bar) = &self.counter.bar {
            bar.finish_and_clear();
        }
    }
}

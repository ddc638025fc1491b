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
            Mode::Bar => Some(bar(&label, 0, "sweep items")),
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

/// An indicatif bar on stderr: `label [=====>    ] pos/len unit elapsed`.
fn bar(label: &str, len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(&format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}}"))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Whether a plain progress line is due (the last one is at least [`LINE_PERIOD`] old); if so,
/// the clock restarts.
fn line_due(last_line: &Mutex<Instant>) -> bool {
    let mut last = last_line.lock().unwrap_or_else(|p| p.into_inner());
    let due = last.elapsed() >= LINE_PERIOD;
    if due {
        *last = Instant::now();
    }
    due
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
        if self.mode == Mode::Lines && line_due(&self.last_line) {
            let queued = self.queued.load(Ordering::Relaxed);
            eprintln!("{}: {done}/{queued} sweep items, {:.1} s", self.label, self.start.elapsed().as_secs_f64());
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

/// Progress over a known number of items (the runs of `sweep`): a bar on a terminal, a line at
/// most every [`LINE_PERIOD`] otherwise, nothing when quiet. Safe to share between threads.
pub struct Tally {
    mode: Mode,
    label: String,
    unit: &'static str,
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    start: Instant,
    last_line: Mutex<Instant>,
}

impl Tally {
    /// Progress of `total` items named `unit` (e.g. "runs").
    pub fn new(mode: Mode, label: &str, total: usize, unit: &'static str) -> Self {
        let bar = (mode == Mode::Bar).then(|| bar(label, total as u64, unit));
        let now = Instant::now();
        Self {
            mode,
            label: label.to_string(),
            unit,
            bar,
            total,
            done: AtomicUsize::new(0),
            start: now,
            last_line: Mutex::new(now),
        }
    }

    /// One more item finished.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if self.mode == Mode::Lines && line_due(&self.last_line) {
            let secs = self.start.elapsed().as_secs_f64();
            eprintln!("{}: {done}/{} {}, {secs:.1} s", self.label, self.total, self.unit);
        }
    }

    /// Items finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

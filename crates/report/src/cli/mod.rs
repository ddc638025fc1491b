//! The `dln-report` command line (clap): `run` (one training run), `reproduce` (every figure and
//! the book; also what no subcommand does, so `cargo run --release` reproduces everything) and
//! `list` and `book` (the book alone, from existing results). Every error is one line on stderr with a non-zero exit: clap's usage errors (exit 2) are
//! cut to their first line, other errors print their cause chain on one line (exit 1).

pub mod reproduce;
pub mod run;
pub mod sweep;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use reproduce::{ReproduceArgs, ReproduceReport, one_line, reproduce};
pub use run::RunArgs;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "dln-report",
    version,
    about = "(S)GD over diagonal linear networks: every figure of the macroscopic-stepsize study",
    long_about = "(S)GD over diagonal linear networks: every figure of the macroscopic-stepsize study.\n\
                  Without a subcommand, runs `reproduce` (its options are accepted here too).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: reproduce).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `reproduce`'s options, when no subcommand is given.
    #[command(flatten)]
    pub reproduce: ReproduceArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One (S)GD run with Theorem 2's prediction and gradient flow's interpolator (--json: one JSON object).
    #[command(allow_negative_numbers = true)]
    Run(RunArgs),
    /// Run every experiment (or --only some) into `DIR/<experiment>/`, draw static images, build the book.
    Reproduce(ReproduceArgs),
    /// Name each experiment with one line on what it shows.
    List,
    /// Build the book from existing results, without running any experiment.
    Book(BookArgs),
    /// Run a grid of runs (--grid GRID.toml) into one tidy table, resumably, in parallel or by shards; `sweep merge` joins shards.
    Sweep(sweep::SweepArgs),
}

/// Arguments of `book`.
#[derive(Debug, Clone, clap::Args)]
pub struct BookArgs {
    /// The book's root (with book.toml).
    #[arg(long, value_name = "DIR", default_value = "book")]
    pub book: std::path::PathBuf,
    /// The results directory `reproduce` wrote.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: std::path::PathBuf,
}

/// `list`: one line per experiment.
pub fn list_text() -> String {
    let width = crate::experiments::ALL.iter().map(|e| e.name.len()).max().unwrap_or(0);
    crate::experiments::ALL.iter().map(|e| format!("{:<width$}  {}\n", e.name, e.about)).collect()
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        None => reproduce_and_print(&cli.reproduce),
        Some(Command::Reproduce(args)) => reproduce_and_print(&args),
        Some(Command::List) => stdout(&list_text()),
        Some(Command::Book(args)) => {
            let html = crate::book::build(&args.book, &args.out)?;
            stdout(&format!("book: {}\n", html.join("index.html").display()))
        }
        Some(Command::Sweep(args)) => stdout(&format!("sweep: {}\n", sweep::execute(&args)?.line())),
        Some(Command::Run(args)) => {
            let report = run::execute(&args)?;
            stdout(&report.render(&args))
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn reproduce_and_print(args: &ReproduceArgs) -> Result<()> {
    let report = reproduce(args)?;
    if !args.quiet {
        report.print();
    }
    Ok(())
}

/// The binary's entry point: parses `std::env::args`, runs, and turns every error into one line on
/// stderr and a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("error: invalid arguments");
            let first = if first.starts_with("error:") { first.to_string() } else { format!("error: {first}") };
            eprintln!("{first} (see --help)");
            return ExitCode::from(2);
        }
    };
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

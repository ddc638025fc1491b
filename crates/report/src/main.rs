//! `dln-report`: `run | reproduce | list` (no subcommand = `reproduce`). See [`dln_report::cli`].

fn main() -> std::process::ExitCode {
    dln_report::cli::main()
}

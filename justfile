# Recipes beyond the README's two commands. Get `just` with `pip install rust-just` or `cargo install just`.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# The README's test command: every test of the workspace (unit, property, snapshot, CLI, book).
test:
    cargo test

# Reproduce everything (figures, data, book) — the README's first command; ARGS go to `reproduce`.
reproduce *ARGS:
    cargo run --release -- reproduce {{ARGS}}

# Benchmarks of the engine and the interpolator solver (divan).
bench:
    cargo bench -p dln

# Install Debian's chromium + chromedriver, then reproduce with static images required.
static:
    bash scripts/install-chromium.sh
    cargo run --release -- reproduce --require-static

# Execute every notebook headless (installs evcxr_jupyter and a local Jupyter client if missing).
notebooks:
    bash scripts/notebooks.sh

# Render a chapter of the built book in headless chromium and check math and plots rendered.
browser-check:
    bash scripts/browser-check.sh

# Serve the book with live reload while editing.
book-serve:
    bash scripts/book-serve.sh

# Review snapshot changes (never accept blindly).
review:
    cargo insta review

# A real single-node Slurm (installs slurm-wlm and munge; needs root): a sweep as a job array,
# merged by a dependent job, must equal the one-process sweep byte for byte.
slurm-check:
    bash scripts/slurm-check.sh

# Lints.
lint:
    cargo fmt --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs after the test command.
ci: static notebooks browser-check slurm-check

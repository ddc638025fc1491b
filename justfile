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

# dln's own tests (unit, property, kernels against their portable twins) with the checks the dev
# profile turns off in dln for speed (see Cargo.toml): the precondition checks of unchecked indexing,
# debug assertions and integer overflow checks.
ub-check:
    cargo test -p dln --config 'profile.dev.package.dln.debug-assertions=true' --config 'profile.dev.package.dln.overflow-checks=true'

# Benchmarks of the engine and the interpolator solver (divan).
bench:
    cargo bench -p dln

# Install Debian's chromium + chromedriver, then reproduce with static images required. With
# DLN_REPORT_BIN set (CI: the binary `cargo test` built), that binary reproduces instead of
# `cargo run --release` (the results are the same: no profile changes floating-point semantics).
static:
    bash scripts/install-chromium.sh
    if [ -n "${DLN_REPORT_BIN:-}" ]; then "$DLN_REPORT_BIN" reproduce --require-static; else cargo run --release -- reproduce --require-static; fi

# Execute every notebook headless (installs evcxr_jupyter and a local Jupyter client if missing).
notebooks:
    bash scripts/notebooks.sh

# In headless Chromium, offline: every book chapter with a figure renders its math and plots, and
# every results/*/figure.html draws its plot.
browser-check:
    bash scripts/browser-check.sh

# The API docs, warning-free (broken intra-doc links fail), formulas rendered by KaTeX (inlined header).
doc:
    RUSTDOCFLAGS="--html-in-header {{justfile_directory()}}/crates/dln/katex-header.html -D warnings" cargo doc --no-deps --workspace

# Build the docs, then check in headless Chromium that their formulas render (no raw TeX, no KaTeX error).
doc-check: doc
    bash scripts/doc-check.sh

# Serve the book with live reload while editing (mdBook's own `serve`, installed at the workspace's
# mdBook version if missing). Needs results/ (`cargo run --release` once). Stop with Ctrl-C.
book-serve PORT="3000":
    #!/usr/bin/env bash
    set -euo pipefail
    # The in-process build writes book/src/generated/ from results/ (figures, tables, plotly.js) and runs the checks.
    cargo run --release --quiet -- book
    # mdbook serve renders the math with the same preprocessor as the in-process build.
    cargo build --release --quiet -p dln-report --example katex_preprocessor
    target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
    version="$(grep -A1 '^name = "mdbook-driver"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
    if [ "$(mdbook --version 2>/dev/null)" != "mdbook v$version" ]; then
        cargo install --locked mdbook --version "$version"
    fi
    MDBOOK_PREPROCESSOR__KATEX__COMMAND="$target/release/examples/katex_preprocessor" mdbook serve book --port {{PORT}}

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
ci: doc ub-check static notebooks browser-check doc-check slurm-check

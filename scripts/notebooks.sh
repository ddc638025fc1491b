#!/usr/bin/env bash
# Executes every notebook headless and checks it — `just notebooks`.
#
#   bash scripts/notebooks.sh                      all notebooks, in the book's order
#   bash scripts/notebooks.sh notebooks/04-*.ipynb  just some
#   bash scripts/notebooks.sh --install-only        only step 1 (CI starts it early, in the background)
#
# NOTEBOOK_JOBS (default: 2 when the machine has 2 cores or more) kernels execute the notebooks after
# the first in parallel, each in its own build folder (scripts/check_notebooks.py --jobs).
#
# 1. installs what is missing: evcxr_jupyter (pinned, `cargo install --locked`, ~13 min once), lld
#    (Debian, for evcxr's links) and a
#    project-local Jupyter client (.venv/, pinned by notebooks/requirements.txt; no ipykernel, no server);
# 2. registers evcxr's Rust kernel inside the venv (JUPYTER_PATH=.venv/share/jupyter, nothing in ~);
# 3. executes each notebook with nbclient into results/notebooks/ (executed .ipynb + HTML) and fails
#    on any error output, panic text, `Error:` line, compile error or timeout (scripts/check_notebooks.py);
# 4. runs tests/notebooks.rs with DLN_NOTEBOOK_RESULTS set, which checks that every HEADLINE a
#    notebook printed equals the report's summary of the same experiment and configuration.
#
# evcxr builds in one persistent folder ($DLN_EVCXR_DIR/build, DLN_EVCXR_DIR defaults to
# ~/.cache/dln-evcxr) seeded with the workspace's Cargo.lock, so notebooks use exactly the workspace's
# crate versions and a warm run only recompiles the cells. $DLN_EVCXR_DIR/.cargo/config.toml (written
# here; cargo reads it because it is an ancestor of the build folder) sets the dependencies'
# optimisation: evcxr's own profile builds all of them at opt-level 2, which makes a cold first
# notebook compile polars, plotly and the book's crates optimised although the notebooks only build
# small tables and figures with them. The computing crates (dln, ndarray, matrixmultiply,
# rand_chacha) stay optimised, and dln without the debug and overflow checks (as in the workspace's
# dev profile, see Cargo.toml); every other dependency is built at opt-level 0.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

EVCXR_VERSION=0.22.0
start=$(date +%s)
stamp() { echo "== [notebooks $(( $(date +%s) - start ))s] $*"; }

# --- 1. evcxr_jupyter ---------------------------------------------------------------------------
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$CARGO_BIN:$PATH"
# (evcxr_jupyter has no --version; cargo's install list knows which version it put there)
if ! command -v evcxr_jupyter >/dev/null || ! cargo install --list | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
    stamp "installing evcxr_jupyter $EVCXR_VERSION (~13 min on 2 cores, once)"
    cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
fi

# --- 1b. lld: evcxr links every cell with it when it is on PATH (a cell links the whole of its
# dependencies, polars included, so the linker is a large part of a notebook's time). Debian's
# package, installed when missing and apt-get is at hand; without it evcxr uses the system linker.
# evcxr's build folder keys its artefacts on the linker, so switching rebuilds it once.
if ! command -v ld.lld >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    stamp "installing lld (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lld >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lld >/dev/null; } \
        || stamp "lld not installed; evcxr uses the system linker"
fi

if [[ ${1:-} == --install-only ]]; then
    stamp "installed"
    exit 0
fi

# --- 2. the Jupyter client stack ----------------------------------------------------------------
VENV=$ROOT/.venv
REQ=notebooks/requirements.txt
if [[ ! -x $VENV/bin/python ]]; then
    stamp "creating $VENV"
    python3 -m venv "$VENV"
fi
if ! cmp -s "$REQ" "$VENV/.notebooks-requirements.txt"; then
    stamp "installing the Jupyter client stack ($REQ)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
    cp "$REQ" "$VENV/.notebooks-requirements.txt"
fi

# --- 3. the Rust kernel, registered inside the venv ---------------------------------------------
export JUPYTER_PATH=$VENV/share/jupyter
evcxr_jupyter --install >/dev/null

# --- 4. execute ---------------------------------------------------------------------------------
DLN_EVCXR_DIR=${DLN_EVCXR_DIR:-$HOME/.cache/dln-evcxr}
export EVCXR_TMPDIR=$DLN_EVCXR_DIR/build
mkdir -p "$EVCXR_TMPDIR" "$DLN_EVCXR_DIR/.cargo"
cat > "$DLN_EVCXR_DIR/.cargo/config.toml" <<'TOML'
# Written by scripts/notebooks.sh: the optimisation of evcxr's dependencies (see there).
[profile.dev.package."*"]
opt-level = 0
[profile.dev.package.dln]
opt-level = 3
debug-assertions = false
overflow-checks = false
[profile.dev.package.ndarray]
opt-level = 3
[profile.dev.package.matrixmultiply]
opt-level = 3
[profile.dev.package.rand_chacha]
opt-level = 3
TOML
# One kernel at a time per build folder: two evcxr kernels sharing it break each other's builds.
exec 9>"$EVCXR_TMPDIR.lock"
if ! flock -n 9; then
    stamp "waiting for another notebook run to release $EVCXR_TMPDIR"
    flock 9
fi
# The same versions as the workspace: cargo keeps what it can of an existing lock file.
cp Cargo.lock "$EVCXR_TMPDIR/Cargo.lock"
# evcxr links each cell's library with an rpath computed from target/<host>/debug/deps but loads it
# from target/<host>/debug; when the build folder and the toolchain share a parent (both under $HOME)
# that relative path is one level off and dlopen cannot find libstd. Point the loader at it directly.
host=$(rustc -vV | sed -n 's/^host: //p')
export LD_LIBRARY_PATH="$(rustc --print sysroot)/lib/rustlib/$host/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [[ $# -gt 0 ]]; then
    books=("$@")
    export DLN_NOTEBOOKS=""   # tests/notebooks.rs compares only these
    for b in "${books[@]}"; do DLN_NOTEBOOKS+="$(basename "$b" .ipynb) "; done
else
    books=(notebooks/[0-9][0-9]-*.ipynb)
fi
stamp "executing ${#books[@]} notebook(s) (EVCXR_TMPDIR=$EVCXR_TMPDIR)"
status=0
jobs=${NOTEBOOK_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
"$VENV/bin/python" scripts/check_notebooks.py run --jobs "$jobs" --out results/notebooks "${books[@]}" || status=$?

# --- 5. their numbers equal the report's ----------------------------------------------------------
stamp "comparing the notebooks' HEADLINE numbers with the report (tests/notebooks.rs)"
# The whole workspace selected, as `cargo test` selects it: `-p dln-tests` alone unifies the
# dependencies' features differently and rebuilds five crates (~90 s) that `cargo test` already built.
DLN_NOTEBOOK_RESULTS=$ROOT/results/notebooks cargo test --locked --test notebooks -- --nocapture \
    || status=1

stamp "done (status $status); executed copies in results/notebooks/"
exit $status

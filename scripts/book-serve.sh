#!/usr/bin/env bash
# Serves the book while its chapters are edited (`just book-serve`): builds it with the same
# in-process builder as `cargo run --release` (crates/report/src/book.rs: KaTeX at build time, the
# build checks), serves book/build/ at http://127.0.0.1:${PORT:-3000}/, and rebuilds within a second of
# any change to book/ (chapters, theme, book.toml) or to the sources the chapters include; open pages
# reload themselves after each rebuild. A failed rebuild prints its one-line error and keeps serving
# the last good build.
#
# Needs the experiments' outputs in results/ (run `cargo run --release` once). Stop with Ctrl-C.
# Env: PORT (3000), RESULTS (results), PROFILE (cargo profile of the builder: release, as `cargo run --release`).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-3000}"
RESULTS="${RESULTS:-results}"
if [ ! -d "$RESULTS" ]; then
    echo "error: no $RESULTS/ directory: run \`cargo run --release\` once (it runs every experiment and builds the book)" >&2
    exit 1
fi

PROFILE="${PROFILE:-release}"
echo "compiling the book builder (cargo build --profile $PROFILE -p dln-report --example book) ..."
cargo build --profile "$PROFILE" --quiet -p dln-report --example book
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
profile_dir="$PROFILE"
[ "$PROFILE" = dev ] && profile_dir=debug
builder="$target_dir/$profile_dir/examples/book"

# After each successful build: a stamp the pages poll, and the polling script in every page.
live_reload() {
    local stamp
    stamp="$(date +%s%N)"
    echo "$stamp" > book/build/.dln-build-stamp
    cat > book/build/.dln-live-reload.js <<JS
// Added by scripts/book-serve.sh only (never in a published build): reload when the book is rebuilt.
(function () {
  const stamp = "$stamp";
  setInterval(() => fetch("/.dln-build-stamp", { cache: "no-store" })
    .then((r) => r.text()).then((s) => { if (s.trim() !== stamp) location.reload(); }).catch(() => {}), 1000);
})();
JS
    find book/build -name '*.html' -print0 | xargs -0 sed -i 's|</body>|<script src="/.dln-live-reload.js"></script></body>|'
}

build() {
    if "$builder" book "$RESULTS"; then
        live_reload
    else
        echo "(rebuild failed: still serving the last good build)"
    fi
}

watched() {
    find book/book.toml book/katex-macros.txt book/theme book/src crates/dln/src crates/report/src \
        -path book/src/generated -prune -o -type f -newer "$1" -print 2>/dev/null | head -1
}

build
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory book/build >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null' EXIT
echo "serving http://127.0.0.1:$PORT/ — edit book/src/*.md; Ctrl-C to stop"

stamp_file="$(mktemp)"
while kill -0 "$server" 2>/dev/null; do
    if [ -n "$(watched "$stamp_file")" ]; then
        touch "$stamp_file"
        echo "change detected: rebuilding ..."
        build
    fi
    sleep 1
done

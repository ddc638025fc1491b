#!/usr/bin/env bash
# Vendors plotly.js's "basic" partial bundle (scatter, bar and pie traces; every layout feature) into
# crates/report/assets/plotly-basic.min.js, at the plotly.js version the plotly crate embeds (its
# full bundle is 4.6 MB, this one 1 MB). A results/<experiment>/figure.html whose traces are all of
# these types loads results/assets/plotly-basic.min.js; any other figure loads the full bundle
# (crates/report/src/output/mod.rs). Source: the npm package plotly.js-basic-dist-min, checked
# against its sha256. Upgrading the plotly crate means re-running this with the new version.
#
# Usage: scripts/plotly-basic.sh [--check]   (--check: fail if the vendored file differs)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=3.0.1
SHA256=50f8f54fbb687f9fa1c31082ab4fb24594ed2a644c9e893a87b5f966db972b68
OUT=crates/report/assets/plotly-basic.min.js

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "plotly.js-basic-dist-min@$VERSION" >/dev/null)
tarball="$work/plotly.js-basic-dist-min-$VERSION.tgz"
echo "$SHA256  $tarball" | sha256sum --check --quiet
tar -xzf "$tarball" -C "$work" package/plotly-basic.min.js package/LICENSE
if [ "${1:-}" = "--check" ]; then
    cmp -s "$work/package/plotly-basic.min.js" "$OUT" || { echo "error: $OUT differs from plotly.js-basic-dist-min@$VERSION" >&2; exit 1; }
    echo "$OUT is plotly.js-basic-dist-min@$VERSION"
else
    mkdir -p "$(dirname "$OUT")"
    cp "$work/package/plotly-basic.min.js" "$OUT"
    cp "$work/package/LICENSE" "$(dirname "$OUT")/LICENSE-plotly.js"
    echo "wrote $OUT (plotly.js basic $VERSION, $(wc -c < "$OUT") bytes)"
fi

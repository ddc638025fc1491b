#!/usr/bin/env bash
# Renders the built book and the results' figures in headless Chromium (Debian's `chromium` package,
# installed by scripts/install-chromium.sh when missing — never a browser download) and checks that
# the reader really sees math and plots, offline (file:// URLs, every host name unresolvable, a fresh
# profile per page):
#   - book chapters: after the page's scripts ran (--virtual-time-budget), the DOM has KaTeX output
#     (.katex with its MathML twin) and, for every figure of the chapter, a drawn plotly SVG
#     (.main-svg with traces); the screenshot of the page scrolled to its first figure is not blank
#     (decoded and measured); every chapter in the light theme, the first one in the dark theme too
#     (the theme is one stylesheet for the whole book);
#   - every $RESULTS/*/figure.html (which loads ../assets/plotly.min.js, or embeds it when written
#     with --standalone-html): its plot is drawn (.main-svg layers with traces) and its screenshot
#     is not blank.
# Screenshots and DOM dumps are left in $OUT for a human to look at.
#
# Usage: scripts/browser-check.sh [CHAPTER.html ...]   (default: every chapter that has a figure)
# Env:   BOOK_HTML (default book/build), RESULTS (default results), OUT (default target/browser-check),
#        THEMES (default "light"), DARK (default "navy", checked on the first chapter), VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

BOOK_HTML="${BOOK_HTML:-book/build}"
RESULTS="${RESULTS:-results}"
OUT="${OUT:-target/browser-check}"
THEMES="${THEMES:-light}"
DARK="${DARK:-navy}"

if [ ! -f "$BOOK_HTML/index.html" ]; then
    echo "error: no built book in $BOOK_HTML (build it with \`cargo run --release\`)" >&2
    exit 1
fi
if ! compgen -G "$RESULTS/*/figure.html" >/dev/null; then
    echo "error: no $RESULTS/*/figure.html (run \`cargo run --release\`)" >&2
    exit 1
fi
if ! command -v chromium >/dev/null 2>&1; then
    bash scripts/install-chromium.sh
fi

# Headless Chromium, offline, with a fresh profile: chrome ARGS... (killed after 120 s).
chrome() {
    local profile status=0
    profile="$(mktemp -d)"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" --virtual-time-budget=8000 "$@" \
        2>/dev/null || status=$?
    rm -rf "$profile"
    return "$status"
}

if [ "$#" -gt 0 ]; then
    chapters=("$@")
else
    mapfile -t chapters < <(grep -l 'class="dln-plot"' "$BOOK_HTML"/[0-9]*.html | xargs -n1 basename | sort)
fi
if [ "${#chapters[@]}" -eq 0 ]; then
    echo "error: no chapter of $BOOK_HTML has a figure" >&2
    exit 1
fi

# A private copy of the book: one themed variant of each chapter beside the original (same relative
# links), with the theme preset in localStorage before mdBook's own theme script reads it.
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "$BOOK_HTML" "$OUT/site"

# The image statistics run in the project's venv, with Pillow (pinned) installed there when missing.
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import PIL" 2>/dev/null \
    || "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check pillow==13.0.0

# Prints "distinct-colours non-background-fraction" of a screenshot, on every 4th pixel of every 4th
# row (the background is its most frequent colour).
png_stats() {
    "$VENV/bin/python" - "$1" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
data, (w, h) = im.tobytes(), im.size
sample = [data[3 * (y * w + x):3 * (y * w + x) + 3] for y in range(0, h, 4) for x in range(0, w, 4)]
counts = {}
for px in sample:
    counts[px] = counts.get(px, 0) + 1
print(len(counts), round(1 - max(counts.values()) / len(sample), 4))
PY
}

# check_shot PNG MIN_COLOURS MIN_DRAWN: a screenshot must exist and look drawn (at least MIN_COLOURS
# colours, at least a MIN_DRAWN share of non-background pixels). Sets shot_stats ("C colours/D
# drawn", empty without a screenshot) and appends what is wrong to the caller's `problems`.
check_shot() {
    local shot=$1 colours drawn
    shot_stats=""
    if [ ! -s "$shot" ]; then
        problems+=("no screenshot $shot")
        return
    fi
    read -r colours drawn < <(png_stats "$shot")
    shot_stats="$colours colours/$drawn drawn"
    python3 -c "import sys; sys.exit(0 if $colours >= $2 and $drawn >= $3 else 1)" \
        || problems+=("blank-looking screenshot $shot ($shot_stats)")
}

fail=0
for chapter in "${chapters[@]}"; do
    page="$OUT/site/$chapter"
    if [ ! -f "$page" ]; then
        echo "FAIL $chapter: no such page in $BOOK_HTML"; fail=1; continue
    fi
    figures=$(grep -o 'class="dln-plot"' "$page" | wc -l)
    first=$(grep -o 'id="figure-[a-z0-9_]*"' "$page" | head -1 | sed 's/id="\(.*\)"/\1/')
    themes="$THEMES"
    [ "$chapter" = "${chapters[0]}" ] && themes="$THEMES $DARK"
    for theme in $themes; do
        variant="$OUT/site/${chapter%.html}.$theme.html"
        # Two views: the top of the chapter (text and math) and its first figure. Headless Chromium
        # paints only the first screenful, so the figure view drops what precedes the figure instead
        # of scrolling to it.
        inject_theme="s|<head>|<head><script>try { localStorage.setItem('mdbook-theme', '$theme'); } catch (e) {}</script>|"
        sed -e "$inject_theme" "$page" > "$variant"
        sed -e "$inject_theme" \
            -e "s|</body>|<script>window.addEventListener('load', () => { const f = document.getElementById('$first'); while (f.previousElementSibling) f.previousElementSibling.remove(); });</script></body>|" \
            "$page" > "${variant%.html}.figure.html"
        url="file://$(realpath "$variant")"
        dom="$OUT/${chapter%.html}.$theme.dom.html"
        png="$OUT/${chapter%.html}.$theme.png"
        figpng="$OUT/${chapter%.html}.$theme.figure.png"
        chrome --dump-dom "$url" > "$dom" || true
        chrome --window-size=1280,1200 --screenshot="$png" "$url" >/dev/null || true
        chrome --window-size=1280,1200 --screenshot="$figpng" "file://$(realpath "${variant%.html}.figure.html")" >/dev/null || true

        katex=$(grep -o 'class="katex"' "$dom" | wc -l)
        mathml=$(grep -o '<math' "$dom" | wc -l)
        svgs=$(grep -o 'class="main-svg"' "$dom" | wc -l)
        traces=$(grep -oE 'class="(trace|scatterlayer|barlayer|heatmaplayer)' "$dom" | wc -l)
        applied=$(grep -o "<html[^>]*class=\"[^\"]*\b$theme\b" "$dom" | wc -l)
        problems=()
        [ "$katex" -gt 0 ] && [ "$mathml" -gt 0 ] || problems+=("no rendered math (katex=$katex, mathml=$mathml)")
        # plotly draws two .main-svg layers per figure.
        [ "$svgs" -ge $((2 * figures)) ] && [ "$figures" -gt 0 ] || problems+=("$figures figure(s) but $svgs plotly SVG layer(s)")
        [ "$traces" -gt 0 ] || problems+=("no plotted trace")
        [ "$applied" -gt 0 ] || problems+=("theme $theme not applied")
        grep -q 'plotly.js did not load' "$dom" && problems+=("plotly.js did not load")
        stats=""
        for shot in "$png" "$figpng"; do
            check_shot "$shot" 32 0.02
            [ -z "$shot_stats" ] || stats="$stats $shot_stats;"
        done
        if [ "${#problems[@]}" -eq 0 ]; then
            echo "ok   $chapter [$theme]: $katex formulas, $figures figure(s) drawn ($svgs svg layers), screenshots:$stats $png, $figpng"
        else
            echo "FAIL $chapter [$theme]: $(IFS='; '; echo "${problems[*]}") ($dom)"
            fail=1
        fi
    done
done

# Each experiment's own figure.html, where it was written (it loads ../assets/plotly.min.js).
mkdir -p "$OUT/figures"
figures=0
for html in "$RESULTS"/*/figure.html; do
    exp="$(basename "$(dirname "$html")")"
    url="file://$(realpath "$html")"
    dom="$OUT/figures/$exp.dom.html"
    png="$OUT/figures/$exp.png"
    chrome --dump-dom "$url" > "$dom" || true
    chrome --window-size=1280,900 --screenshot="$png" "$url" >/dev/null || true
    svgs=$(grep -o 'class="main-svg"' "$dom" | wc -l)
    traces=$(grep -oE 'class="(trace|scatterlayer|barlayer|heatmaplayer)' "$dom" | wc -l)
    problems=()
    [ "$svgs" -ge 2 ] || problems+=("$svgs plotly SVG layer(s)")
    [ "$traces" -gt 0 ] || problems+=("no plotted trace")
    grep -q '<p id="plotly-missing">' "$dom" && problems+=("plotly.js did not load")
    check_shot "$png" 16 0.01
    stats=$shot_stats
    if [ "${#problems[@]}" -eq 0 ]; then
        echo "ok   $RESULTS/$exp/figure.html: drawn ($svgs svg layers, $traces trace groups), screenshot $stats: $png"
        figures=$((figures + 1))
    else
        echo "FAIL $RESULTS/$exp/figure.html: $(IFS='; '; echo "${problems[*]}") ($dom)"
        fail=1
    fi
done

if [ "$fail" -ne 0 ]; then
    echo "browser check: FAILED" >&2
    exit 1
fi
echo "browser check: every chapter rendered its math and plots, and $figures figure.html drew their plots, offline (screenshots in $OUT)"

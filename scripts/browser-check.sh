#!/usr/bin/env bash
# Renders the built book and the results' figures in headless Chromium (Debian's `chromium` package,
# installed by scripts/install-chromium.sh when missing — never a browser download) and checks that
# the reader really sees math and plots, offline (file:// URLs, every host name unresolvable, a fresh
# profile per page):
#   - book chapters: after the page's scripts ran (--virtual-time-budget), the DOM has KaTeX output
#     (.katex with its MathML twin) and, for every figure of the chapter, a drawn plotly SVG
#     (.main-svg with traces); the screenshot of the page scrolled to its first figure is not blank
#     (decoded and measured); in a light and a dark theme;
#   - every $RESULTS/*/figure.html (which loads ../assets/plotly.min.js, or embeds it when written
#     with --standalone-html): its plot is drawn (.main-svg layers with traces) and its screenshot
#     is not blank.
# Screenshots and DOM dumps are left in $OUT for a human to look at.
#
# Usage: scripts/browser-check.sh [CHAPTER.html ...]   (default: every chapter that has a figure)
# Env:   BOOK_HTML (default book/build), RESULTS (default results), OUT (default target/browser-check),
#        THEMES (default "light navy").
set -euo pipefail
cd "$(dirname "$0")/.."

BOOK_HTML="${BOOK_HTML:-book/build}"
RESULTS="${RESULTS:-results}"
OUT="${OUT:-target/browser-check}"
THEMES="${THEMES:-light navy}"

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

# Decodes a PNG (8-bit RGB/RGBA, as Chromium writes them) and prints "distinct-colours non-background-fraction".
png_stats() {
    python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    (n,) = struct.unpack(">I", data[pos:pos + 4]); kind = data[pos + 4:pos + 8]; body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), f"unsupported PNG (depth {depth}, colour type {ctype})"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, counts, total = bytearray(stride), {}, 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif f == 4:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, w, 4):
            px = bytes(line[x * bpp:x * bpp + 3]); counts[px] = counts.get(px, 0) + 1; total += 1
top = max(counts.values())
print(len(counts), round(1 - top / total, 4))
PY
}

fail=0
for chapter in "${chapters[@]}"; do
    page="$OUT/site/$chapter"
    if [ ! -f "$page" ]; then
        echo "FAIL $chapter: no such page in $BOOK_HTML"; fail=1; continue
    fi
    figures=$(grep -o 'class="dln-plot"' "$page" | wc -l)
    first=$(grep -o 'id="figure-[a-z0-9_]*"' "$page" | head -1 | sed 's/id="\(.*\)"/\1/')
    for theme in $THEMES; do
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
            if [ -s "$shot" ]; then
                read -r colours drawn < <(png_stats "$shot")
                stats="$stats $colours colours/$drawn drawn;"
                python3 -c "import sys; sys.exit(0 if $colours >= 32 and $drawn >= 0.02 else 1)" \
                    || problems+=("blank-looking screenshot $shot ($colours colours, $drawn non-background)")
            else
                problems+=("no screenshot $shot")
            fi
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
    stats=""
    if [ -s "$png" ]; then
        read -r colours drawn < <(png_stats "$png")
        stats="$colours colours/$drawn drawn"
        python3 -c "import sys; sys.exit(0 if $colours >= 16 and $drawn >= 0.01 else 1)" \
            || problems+=("blank-looking screenshot $png ($stats)")
    else
        problems+=("no screenshot $png")
    fi
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

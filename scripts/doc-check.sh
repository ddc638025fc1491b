#!/usr/bin/env bash
# Checks that the API docs (built by `just doc`, with crates/dln/katex-header.html) show rendered
# formulas, offline, in headless Chromium (Debian's `chromium`, installed by
# scripts/install-chromium.sh when missing): every page of the `dln` docs whose text has TeX
# (`$` outside code) is loaded from a file:// URL with every host name unresolvable and a fresh
# profile; after its scripts ran, the DOM must have KaTeX's MathML (<math> in .katex), no KaTeX
# error (.katex-error), and no `$` left in its text outside code. The crate page is also
# screenshotted; screenshots and DOM dumps are left in $OUT.
#
# Env: DOC (default: the cargo target directory's doc/), CRATES (default "dln"), OUT (default target/doc-check).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DOC:-}" ]; then
    DOC="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/doc"
fi
CRATES="${CRATES:-dln}"
OUT="${OUT:-target/doc-check}"

if ! command -v chromium >/dev/null 2>&1; then
    bash scripts/install-chromium.sh
fi
rm -rf "$OUT"
mkdir -p "$OUT"

# Prints "formulas katex-errors raw-dollar-context" for an HTML file: formulas = <math> elements inside
# .katex, raw = first `$` in the text outside script/style/code/pre/math/textarea (empty if none).
# With --tex, prints only how many `$` the text outside code has (0 = nothing to render).
inspect() {
    python3 - "$@" <<'PY'
import sys
from html.parser import HTMLParser

SKIP = {"script", "style", "code", "pre", "math", "textarea", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.text, self.formulas, self.errors = [], [], 0, 0
    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "math" and any("katex" in c for _, c in self.stack):
            self.formulas += 1
        if "katex-error" in classes:
            self.errors += 1
        if tag not in VOID:
            self.stack.append((tag, " ".join(classes)))
    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
    def handle_data(self, data):
        if not any(t in SKIP for t, _ in self.stack):
            self.text.append(data)

tex_only = sys.argv[1] == "--tex"
page = Page()
page.feed(open(sys.argv[-1], encoding="utf-8").read())
text = "".join(page.text)
if tex_only:
    print(text.count("$"))
else:
    i = text.find("$")
    raw = "" if i < 0 else " ".join(text[max(0, i - 40):i + 40].split())
    print(page.formulas, page.errors, raw)
PY
}

fail=0
checked=0
for krate in $CRATES; do
    if [ ! -f "$DOC/$krate/index.html" ]; then
        echo "error: no docs in $DOC/$krate (run \`just doc\`)" >&2
        exit 1
    fi
    if ! grep -q 'renderMathInElement' "$DOC/$krate/index.html"; then
        echo "FAIL $krate: the docs were built without the KaTeX header (run \`just doc\`)"
        fail=1
        continue
    fi
    while IFS= read -r page; do
        [ "$(inspect --tex "$page")" -gt 0 ] || continue
        name="${page#"$DOC"/}"
        dom="$OUT/${name//\//_}.dom.html"
        profile="$(mktemp -d)"
        timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
            --disable-component-update --disable-sync --no-first-run --host-resolver-rules="MAP * ~NOTFOUND" \
            --user-data-dir="$profile" --virtual-time-budget=5000 --dump-dom "file://$(realpath "$page")" \
            > "$dom" 2>/dev/null || true
        rm -rf "$profile"
        read -r formulas errors raw < <(inspect --dom "$dom")
        checked=$((checked + 1))
        if [ "$formulas" -gt 0 ] && [ "$errors" -eq 0 ] && [ -z "$raw" ]; then
            echo "ok   $name: $formulas formulas rendered as MathML"
        else
            echo "FAIL $name: $formulas formulas, $errors KaTeX error(s)${raw:+, raw TeX: …${raw}…} ($dom)"
            fail=1
        fi
    done < <(find "$DOC/$krate" -name '*.html' | sort)
    profile="$(mktemp -d)"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$profile" --virtual-time-budget=5000 --hide-scrollbars --window-size=1280,1000 \
        --screenshot="$OUT/$krate.png" "file://$(realpath "$DOC/$krate/index.html")" >/dev/null 2>&1 || true
    rm -rf "$profile"
    [ -s "$OUT/$krate.png" ] || { echo "FAIL $krate: no screenshot"; fail=1; }
done
if [ "$checked" -eq 0 ]; then
    echo "FAIL: no page with formulas in $CRATES"
    fail=1
fi
if [ "$fail" -ne 0 ]; then
    echo "doc check: FAILED" >&2
    exit 1
fi
echo "doc check: formulas rendered on $checked page(s) of $CRATES, offline (screenshots and DOM dumps in $OUT)"

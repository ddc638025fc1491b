#!/usr/bin/env bash
# Writes crates/dln/katex-header.html, the header `cargo doc` puts in every page of the crate docs
# (`--html-in-header`, see `just doc` and [package.metadata.docs.rs] in crates/dln/Cargo.toml): KaTeX's
# katex.min.js and auto-render.min.js INLINE (rustdoc pages live at different depths, so a relative
# script path would be fragile), rendering `$…$` and `$$…$$` to MathML, which needs no font or
# stylesheet. Nothing is loaded from the network when a page is read.
#
# KaTeX comes from the npm registry (`npm pack`), at the version the book pre-renders with (see
# book/src/assets/katex/README.md), checked against its sha256; the macros are the book's
# (book/katex-macros.txt), so the same TeX renders the same in the book and in the docs.
#
# Usage: scripts/katex-header.sh            (rewrites the header)
#        scripts/katex-header.sh --check    (fails if the committed header is not what it would write)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.16.4
SHA256=079333bb5ea5501b3636e40301f7af8b68663d7cd51d1b20eae02442b73c6973
OUT=crates/dln/katex-header.html

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "katex@$VERSION" >/dev/null)
tarball="$work/katex-$VERSION.tgz"
echo "$SHA256  $tarball" | sha256sum --check --quiet
tar -xzf "$tarball" -C "$work" package/dist/katex.min.js package/dist/contrib/auto-render.min.js package/LICENSE
dist="$work/package/dist"
for f in "$dist/katex.min.js" "$dist/contrib/auto-render.min.js"; do
    if grep -qi '</script' "$f"; then
        echo "error: $f contains </script and cannot be inlined" >&2
        exit 1
    fi
done

# book/katex-macros.txt has one `\name:expansion` per line; as a JS object literal (JSON).
macros="$(python3 - book/katex-macros.txt <<'PY'
import json, sys
macros = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if line:
        name, expansion = line.split(":", 1)
        macros[name] = expansion
print(json.dumps(macros, ensure_ascii=True))
PY
)"

{
    cat <<HTML
<!-- KaTeX $VERSION (MIT license, (c) Khan Academy and other contributors), inlined for rustdoc by
     scripts/katex-header.sh from the npm package katex@$VERSION (sha256 $SHA256):
     dist/katex.min.js and dist/contrib/auto-render.min.js. Renders \$…\$ (inline) and \$\$…\$\$
     (display) in the docs to MathML; code and pre blocks are left alone. KaTeX's license:

HTML
    cat "$work/package/LICENSE"
    echo "-->"
    printf '<script>'
    cat "$dist/katex.min.js"
    printf '</script>\n<script>'
    cat "$dist/contrib/auto-render.min.js"
    printf '</script>\n'
    cat <<HTML
<script>
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\$\$", right: "\$\$", display: true },
      { left: "\$", right: "\$", display: false }
    ],
    output: "mathml",
    throwOnError: false,
    macros: $macros
  });
});
</script>
HTML
} > "$work/header.html"

if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$work/header.html" "$OUT"; then
        echo "error: $OUT is out of date: run scripts/katex-header.sh" >&2
        exit 1
    fi
    echo "$OUT is up to date (KaTeX $VERSION)"
else
    cp "$work/header.html" "$OUT"
    echo "wrote $OUT (KaTeX $VERSION, $(wc -c < "$OUT") bytes)"
fi

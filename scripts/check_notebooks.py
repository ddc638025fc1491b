#!/usr/bin/env python3
"""Executes the evcxr notebooks headless and inspects what they printed.

    check_notebooks.py run   [--out DIR] [--timeout S] [--jobs N] NOTEBOOK...   execute, export HTML, inspect
    check_notebooks.py check NOTEBOOK...                            inspect already-executed notebooks
    check_notebooks.py clear NOTEBOOK...                            clear outputs in place (for authors)

`run` writes DIR/<name>.ipynb (executed) and DIR/<name>.html atomically — plots and math rendered
offline by plotly.js and MathJax copied beside them from the workspace's `plotly` crate — then fails
(exit 1) if any notebook timed out, shows an error output (a compile error), writes anything to stderr
(that is how evcxr reports a panic or a cell ending in `Err` via `?`: plain text, which `jupyter
nbconvert --execute` does not treat as a failure), or prints panic / `Error:` / rustc error text.

With `--jobs N` (N > 1, EVCXR_TMPDIR set) the first notebook runs alone, warming the build folder
(on a cold one it compiles every dependency), then N kernels share the rest, each in its own copy
of that folder ($EVCXR_TMPDIR-2, …, kept for the next run).

The numbers the notebooks print (`HEADLINE <experiment> <json>` lines) are compared with the
report's by `tests/notebooks.rs` (see scripts/notebooks.sh); this script only checks that every
notebook ran cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Text that means a cell failed even though the kernel reported success.
FAILURE_PATTERNS = [
    (re.compile(r"panicked at"), "panic"),
    (re.compile(r"^\s*Error:", re.MULTILINE), "`Error:` output"),
    (re.compile(r"^error(\[E\d+\])?: ", re.MULTILINE), "compile error"),
    (re.compile(r"Child process terminated|Subprocess terminated|Segmentation fault"), "kernel child crashed"),
]
PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLOTLY_JS = "plotly.min.js"
MATHJAX_JS = "tex-svg-3.2.2.js"
ASSETS = (PLOTLY_JS, MATHJAX_JS)
# nbconvert's "lab" page, with every script it would fetch from a CDN replaced by the local copies
# (MathJax 3's SVG bundle needs no web fonts; require.js and mermaid are not needed at all).
HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = { tex: { inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
                          displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']], processEscapes: true } };
</script>
<script src="MATHJAX_JS" async></script>
{%- endblock html_head_js_mathjax -%}
""".replace("MATHJAX_JS", MATHJAX_JS)


def output_texts(output) -> list[str]:
    """Every piece of text an output shows."""
    kind = output.get("output_type")
    if kind == "stream":
        return [output.get("text", "")]
    if kind == "error":
        return [output.get("ename", ""), output.get("evalue", ""), "\n".join(output.get("traceback", []))]
    data = output.get("data", {})
    return [v if isinstance(v, str) else "".join(v) for k, v in data.items() if k.startswith("text/")]


def problems(nb) -> list[str]:
    """One line per failed cell of an executed notebook."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                detail = (output.get("evalue") or output.get("ename") or "").strip().splitlines()
                found.append(f"cell {index}: error output: {detail[0] if detail else '(empty)'}")
                continue
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                # evcxr reports a cell ending in `Err` via `?` only as the error's text on stderr (no
                # error output, no "Error:" prefix), and a panic as stderr text too: a clean notebook
                # writes nothing to stderr.
                text = output.get("text", "").strip()
                if text:
                    found.append(f"cell {index}: stderr: {text.splitlines()[0][:200]}")
                continue
            for text in output_texts(output):
                for pattern, what in FAILURE_PATTERNS:
                    m = pattern.search(text)
                    if m:
                        line = text[m.start():].strip().splitlines()[0]
                        found.append(f"cell {index}: {what}: {line[:200]}")
    return found


def headlines(nb) -> list[str]:
    """The `HEADLINE ...` lines a notebook printed."""
    lines = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                lines += [line for line in output.get("text", "").splitlines() if line.startswith("HEADLINE ")]
    return lines


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; these are published (linked from the book)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plotly_resources() -> Path | None:
    """The `resource/` folder of the workspace's `plotly` crate: plotly.min.js (the same version the
    report embeds) and MathJax's SVG bundle, which needs no web fonts."""
    try:
        meta = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"warning: cargo metadata failed ({e}); HTML plots and math will not render", file=sys.stderr)
        return None
    for package in json.loads(meta.stdout)["packages"]:
        if package["name"] == "plotly":
            folder = Path(package["manifest_path"]).parent / "resource"
            if all((folder / f).exists() for f in ASSETS):
                return folder
    print("warning: the plotly crate's resources were not found; HTML plots and math will not render",
          file=sys.stderr)
    return None


def with_html_plots(nb):
    """A copy of `nb` where every plotly JSON output also carries a text/html rendering that uses the
    local plotly.min.js (nbconvert's HTML export does not render the plotly mime type itself)."""
    import copy

    nb = copy.deepcopy(nb)
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY_MIME not in data:
                continue
            figure = data[PLOTLY_MIME]
            if isinstance(figure, str):
                figure = json.loads(figure)
            count += 1
            div = f"plotly-figure-{count}"
            payload = json.dumps(figure).replace("</", "<\\/")
            loader = f'<script src="{PLOTLY_JS}"></script>\n' if count == 1 else ""
            data["text/html"] = (
                f'{loader}<div id="{div}" class="plotly-graph-div"></div>\n'
                f"<script>(function() {{ var f = {payload};\n"
                f'Plotly.newPlot("{div}", f.data, f.layout || {{}}, f.config || {{}}); }})();</script>'
            )
    return nb


def export_html(nb, path: Path) -> None:
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        template_file="dln.html.j2",
        extra_loaders=[DictLoader({"dln.html.j2": HTML_TEMPLATE})],
    )
    body, _ = exporter.from_notebook_node(with_html_plots(nb))
    atomic_write(path, body)


def execute(path: Path, out_dir: Path, timeout: int) -> tuple[list[str], float]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "rust"),
        allow_errors=True,  # keep going so the executed copy shows every failure; inspected below
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    failures = []
    try:
        client.execute()
    except CellTimeoutError as e:
        failures.append(f"timeout after {timeout} s: {str(e).strip().splitlines()[0]}")
    except DeadKernelError as e:
        failures.append(f"kernel died: {e}")
    except RuntimeError as e:  # e.g. the kernel died before replying to kernel_info
        failures.append(f"kernel failed: {e}")
    elapsed = time.monotonic() - start
    failures += problems(nb)
    if not headlines(nb):
        failures.append("printed no HEADLINE line")
    atomic_write(out_dir / path.name, nbformat.writes(nb))
    export_html(nb, out_dir / (path.stem + ".html"))
    return failures, elapsed


def run_serially(notebooks: list[str], out_dir: Path, timeout: int) -> tuple[int, float]:
    """Executes `notebooks` one after the other in this process's kernel environment; returns the
    number that failed and the seconds they took."""
    failed = 0
    total = 0.0
    for name in notebooks:
        path = Path(name).resolve()
        print(f"== executing {path.name}", flush=True)
        failures, elapsed = execute(path, out_dir, timeout)
        total += elapsed
        status = "ok" if not failures else "FAILED"
        print(f"   {path.name}: {status} in {elapsed:.1f} s -> {out_dir / path.name}", flush=True)
        for f in failures:
            print(f"   {path.name}: {f}", flush=True)
        failed += bool(failures)
    return failed, total


def build_folders(jobs: int) -> list[Path]:
    """One evcxr build folder per kernel: $EVCXR_TMPDIR itself, then $EVCXR_TMPDIR-2, … . Two evcxr
    kernels must not share a build folder (they break each other's builds)."""
    base = os.environ.get("EVCXR_TMPDIR")
    if not base:
        return []
    return [Path(base)] + [Path(f"{base}-{k}") for k in range(2, jobs + 1)]


def cmd_run(args) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    resources = plotly_resources()
    if resources is not None:
        for asset in ASSETS:
            shutil.copyfile(resources / asset, out_dir / asset)
    notebooks = list(args.notebooks)
    folders = build_folders(args.jobs) if args.jobs > 1 and len(notebooks) > 1 else []
    if len(folders) < 2:
        failed, total = run_serially(notebooks, out_dir, args.timeout)
        print(f"== {len(notebooks) - failed} passed, {failed} failed in {total:.1f} s")
        return 1 if failed else 0

    # The first notebook alone: on a cold build folder it compiles every dependency once. Then each
    # further kernel gets a copy of that warm folder (cargo's artefacts do not depend on where the
    # target folder lives) and the rest run in parallel, dealt round-robin in the book's order.
    wall = time.monotonic()
    failed, _ = run_serially(notebooks[:1], out_dir, args.timeout)  # 0 or 1 notebook
    for folder in folders[1:]:
        if not folder.exists():
            print(f"== copying the warm build folder {folders[0]} -> {folder}", flush=True)
            tmp = folder.with_name(folder.name + ".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(folders[0], tmp, symlinks=True)
            tmp.rename(folder)
        shutil.copyfile(folders[0] / "Cargo.lock", folder / "Cargo.lock")
    rest = notebooks[1:]
    shares = [rest[k :: len(folders)] for k in range(len(folders))]
    children = []
    for folder, share in zip(folders, shares):
        if not share:
            continue
        env = dict(os.environ, EVCXR_TMPDIR=str(folder))
        cmd = [sys.executable, str(Path(__file__).resolve()), "run", "--jobs", "1", "--out", str(out_dir),
               "--timeout", str(args.timeout), *share]
        children.append(subprocess.Popen(cmd, env=env))
    failed += sum(child.wait() != 0 for child in children)  # a kernel's run fails if any notebook did
    print(f"== {len(notebooks)} notebooks, {len(children)} kernels in parallel after the first:"
          f" {'all passed' if not failed else 'FAILED (see above)'} in {time.monotonic() - wall:.1f} s wall")
    return 1 if failed else 0


def cmd_check(args) -> int:
    import nbformat

    failed = 0
    for name in args.notebooks:
        nb = nbformat.read(name, as_version=4)
        found = problems(nb)
        if not headlines(nb):
            found.append("printed no HEADLINE line")
        for f in found:
            print(f"{name}: {f}")
        failed += bool(found)
    return 1 if failed else 0


def cmd_clear(args) -> int:
    import nbformat

    for name in args.notebooks:
        nb = nbformat.read(name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
                cell.metadata.pop("execution", None)
        atomic_write(Path(name), nbformat.writes(nb) + "\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute, export HTML, inspect")
    run.add_argument("--out", default=str(ROOT / "results" / "notebooks"))
    run.add_argument("--timeout", type=int, default=int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "1800")),
                     help="seconds per cell (a cold build of the crates happens in the first cell)")
    run.add_argument("--jobs", type=int, default=int(os.environ.get("NOTEBOOK_JOBS", "1")),
                     help="evcxr kernels in parallel, each in its own build folder (needs EVCXR_TMPDIR)")
    run.add_argument("notebooks", nargs="+")
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check", help="inspect executed notebooks")
    check.add_argument("notebooks", nargs="+")
    check.set_defaults(func=cmd_check)
    clear = sub.add_parser("clear", help="clear outputs in place")
    clear.add_argument("notebooks", nargs="+")
    clear.set_defaults(func=cmd_clear)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

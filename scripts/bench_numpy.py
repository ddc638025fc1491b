#!/usr/bin/env python3
"""Side by side: the NumPy loop of the engine's step vs `dln-report run --tol 0` as a whole process.

The NumPy side is the same step written idiomatically (rotated weights w± = (u ± v)/√2, the
multiplicative update w₊ ← (1 − γg) w₊, w₋ ← (1 + γg) w₋, β = (w₊² − w₋²)/2, the dual variable λ),
with the same loss checks as `run`'s defaults: SGD (b = 1) evaluates the full loss every n steps,
GD every step (from the residuals it needs anyway). Its per-step time is the best of several runs of
a fixed number of steps.

The Rust side is the whole process `dln-report run --n 20 --d 30 --tol 0 --steps N …` (data
generation, the run, Theorem 1's and 2's solves, printing), timed at two step counts; the per-step
cost is the difference divided by the difference of the step counts (best of several runs each),
so start-up and the solves cancel. The plain time per step of the longer run is printed too (it
includes the process start-up and the solves).

Usage (from the repository root, after `cargo build --release -p dln-report`):

    python3 -m venv /tmp/np && /tmp/np/bin/pip install numpy threadpoolctl
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/np/bin/python scripts/bench_numpy.py

On machines where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (to work around old OpenBLAS builds)
they slow a current NumPy down: unset both for this command only, as above; the script prints which
BLAS kernel NumPy then runs (threadpoolctl).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def data(n, d, s, seed):
    """A problem of the same law as the engine's default data: x ~ N(0, I), β* sparse, y = Xβ*."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    beta_star = np.zeros(d)
    beta_star[:s] = rng.standard_normal(s)
    return x, x @ beta_star


def start(x, y, alpha, factor):
    """The state before the first step: n, w₊ = w₋ = α, β = (w₊² − w₋²)/2, λ = 0, and the
    divergence threshold (the engine's: factor · max(L at β = 0, 1))."""
    n, _ = x.shape
    wp, wm = alpha.copy(), alpha.copy()
    beta = 0.5 * (wp * wp - wm * wm)
    threshold = factor * max(0.5 * np.mean(y * y), 1.0)
    return n, wp, wm, beta, np.zeros(n), threshold


def numpy_sgd(x, y, alpha, gamma, steps, seed, tol=0.0, factor=1e8):
    """SGD with b = 1, the full loss checked every n steps; returns the steps taken."""
    n, wp, wm, beta, lam, threshold = start(x, y, alpha, factor)
    rng = np.random.default_rng(seed)
    for k in range(steps):
        if k % n == 0:
            loss = 0.5 * np.mean((x @ beta - y) ** 2)
            if not np.isfinite(loss) or loss > threshold or loss <= tol:
                return k
        i = rng.integers(n)
        r = x[i] @ beta - y[i]
        gg = (r * x[i]) * gamma
        wp *= 1.0 - gg
        wm *= 1.0 + gg
        beta = 0.5 * (wp * wp - wm * wm)
        lam[i] -= 2.0 * gamma * r
    return steps


def numpy_minibatch(x, y, alpha, gamma, steps, seed, b=1, tol=0.0, factor=1e8):
    """The same SGD written for any batch size b, as the engine is: b distinct indices per step
    (`choice` without replacement), g = X_Bᵀ r_B / b, the full loss checked every ⌈n/b⌉ steps."""
    n, wp, wm, beta, lam, threshold = start(x, y, alpha, factor)
    rng = np.random.default_rng(seed)
    check = -(-n // b)
    for k in range(steps):
        if k % check == 0:
            loss = 0.5 * np.mean((x @ beta - y) ** 2)
            if not np.isfinite(loss) or loss > threshold or loss <= tol:
                return k
        idx = rng.choice(n, size=b, replace=False)
        xb = x[idx]
        r = xb @ beta - y[idx]
        gg = (xb.T @ r) * (gamma / b)
        wp *= 1.0 - gg
        wm *= 1.0 + gg
        beta = 0.5 * (wp * wp - wm * wm)
        lam[idx] -= (2.0 * gamma / b) * r
    return steps


def numpy_gd(x, y, alpha, gamma, steps, tol=0.0, factor=1e8):
    """Full-batch GD, the loss from the residuals at every step; returns the steps taken."""
    n, wp, wm, beta, lam, threshold = start(x, y, alpha, factor)
    for k in range(steps):
        r = x @ beta - y
        loss = 0.5 * np.mean(r * r)
        if not np.isfinite(loss) or loss > threshold or loss <= tol:
            return k
        gg = (x.T @ r) * (gamma / n)
        wp *= 1.0 - gg
        wm *= 1.0 + gg
        beta = 0.5 * (wp * wp - wm * wm)
        lam -= (2.0 * gamma / n) * r
    return steps


def best(reps, f):
    """Minimum wall time of `reps` calls (the uncontended cost on a shared machine)."""
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_per_step(method, n, d, gamma, steps, reps):
    x, y = data(n, d, 3, 0)
    alpha = np.full(d, 0.1)
    if method == "sgd":
        run = lambda: numpy_sgd(x, y, alpha, gamma, steps, 0)  # noqa: E731
    elif method == "minibatch":
        run = lambda: numpy_minibatch(x, y, alpha, gamma, steps, 0)  # noqa: E731
    else:
        run = lambda: numpy_gd(x, y, alpha, gamma, steps)  # noqa: E731
    assert run() == steps, f"the NumPy {method} run stopped early"
    return best(reps, run) / steps


def process_per_step(binary, method, n, d, gamma, steps, reps):
    """(per-step cost from two run lengths, plain time per step of the longer run)."""
    batch = ["--batch", "1"] if method == "sgd" else []

    def command(k):
        return [binary, "run", "--n", str(n), "--d", str(d), "--stepsize", str(gamma), "--steps", str(k),
                "--tol", "0", "--json", *batch]

    for k in steps:
        out = json.loads(subprocess.run(command(k), check=True, capture_output=True, text=True).stdout)
        assert out["steps"] == k and out["status"] == "max_steps", f"dln-report {method} stopped early: {out['status']}"
    t = [best(reps, lambda k=k: subprocess.run(command(k), check=True, capture_output=True)) for k in steps]
    return (t[1] - t[0]) / (steps[1] - steps[0]), t[1] / steps[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join("target", "release", "dln-report"), help="the dln-report binary")
    parser.add_argument("--reps", type=int, default=21, help="runs per timing (the best is kept)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    n, d = 20, 30
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"note: {var}={os.environ[var]} is set; unset it for this command to time a current NumPy",
                  file=sys.stderr)
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info()]
    except ImportError:
        blas = ["threadpoolctl not installed"]
    results = {"numpy": np.__version__, "blas": blas, "n": n, "d": d}
    # Short timings (a few ms each): on a shared machine the best of many short runs is the
    # uncontended cost, where a long run would measure the neighbours too.
    for method, gamma, np_steps, steps in [("sgd", 0.01, 1_000, (20_000, 420_000)),
                                           ("gd", 0.05, 500, (2_000, 62_000))]:
        t_np = numpy_per_step(method, n, d, gamma, np_steps, args.reps)
        t_rs, t_rs_plain = process_per_step(args.bin, method, n, d, gamma, steps, args.reps)
        results[method] = {"numpy_ns": t_np * 1e9, "run_ns": t_rs * 1e9, "run_plain_ns": t_rs_plain * 1e9,
                           "ratio": t_np / t_rs, "ratio_plain": t_np / t_rs_plain}
        if method == "sgd":
            # The NumPy loop written for any b (as the engine is), run with b = 1.
            t_mb = numpy_per_step("minibatch", n, d, gamma, np_steps, args.reps)
            results["sgd_general_numpy"] = {"numpy_ns": t_mb * 1e9, "run_ns": t_rs * 1e9, "ratio": t_mb / t_rs}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"NumPy {results['numpy']}, BLAS: {'; '.join(results['blas'])}; (n, d) = ({n}, {d})")
    print("| step | NumPy loop | `dln-report run` (whole process) | ratio | plain time/steps | ratio |")
    print("|---|---|---|---|---|---|")
    for method, label in [("sgd", "SGD b = 1"), ("gd", "GD")]:
        r = results[method]
        print(f"| {label} | {r['numpy_ns'] / 1e3:.2f} µs | {r['run_ns']:.1f} ns | {r['ratio']:.0f}× "
              f"| {r['run_plain_ns']:.1f} ns | {r['ratio_plain']:.0f}× |")
    r = results["sgd_general_numpy"]
    print(f"| SGD b = 1, NumPy loop for any b (choice without replacement, X_Bᵀ r_B) | {r['numpy_ns'] / 1e3:.2f} µs "
          f"| {r['run_ns']:.1f} ns | {r['ratio']:.0f}× | | |")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Submits a sweep to Slurm: a job array of SHARDS tasks (scripts/slurm/sweep.sbatch), then the merge
# (scripts/slurm/merge.sbatch) once every task succeeded. Prints the two job ids.
#   scripts/slurm/submit.sh GRID.toml OUT SHARDS [extra sbatch options...]
# OUT must be on a file system every node sees. The binary is $DLN_REPORT if set, else
# target/release/dln-report of this checkout (build it first: cargo build --release).
# With --wait among the extra options, returns when the merge has finished, with its exit code.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 GRID.toml OUT SHARDS [sbatch options...]" >&2
    exit 2
fi
grid=$(realpath "$1")
out=$(realpath -m "$2")
shards=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${DLN_REPORT:-}" ]; then
    target=${CARGO_TARGET_DIR:-$here/../../target}
    DLN_REPORT=$(realpath "$target/release/dln-report")
fi
[ -x "$DLN_REPORT" ] || { echo "no dln-report binary at $DLN_REPORT (cargo build --release, or set DLN_REPORT)" >&2; exit 1; }
export DLN_REPORT
mkdir -p "$out"
wait=()
rest=()
for option in "$@"; do
    if [ "$option" = --wait ]; then wait=(--wait); else rest+=("$option"); fi
done
array=$(sbatch --parsable --export=ALL --array="0-$(( shards - 1 ))" "${rest[@]}" \
    "$here/sweep.sbatch" "$grid" "$out")
array=${array%%;*}
echo "array job $array: $shards shards of $grid into $out/shard-*"
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes "${rest[@]}" \
    "${wait[@]}" "$here/merge.sbatch" "$out")
echo "merge job ${merge%%;*}: into $out"

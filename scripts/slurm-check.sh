#!/usr/bin/env bash
# `just slurm-check`: a real single-node Slurm on this machine runs a sweep as a job array, a
# dependent job merges the shards, and the merged table must equal, byte for byte, the one a
# single process writes for the same grid.
#
# Needs root on Debian (no systemd needed): installs slurm-wlm and munge if missing, starts munged
# (as the munge user), slurmctld and slurmd (as root) from a generated slurm.conf whose state, spool,
# log and socket paths all live under a temporary directory, on free ports, and stops exactly the
# daemons it started, by pid, on exit (also on failure or interrupt).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
say() { echo "slurm-check [$(( $(date +%s) - start ))s]: $*"; }

grid=${SLURM_CHECK_GRID:-examples/grids/small.toml}
shards=${SLURM_CHECK_SHARDS:-4}
timeout=${SLURM_CHECK_TIMEOUT:-120}

if [ "$(id -u)" != 0 ]; then
    echo "slurm-check: needs root (it installs slurm-wlm and munge and starts their daemons)" >&2
    exit 1
fi

# 1. Slurm and munge (Debian's packages).
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
    fi
fi

# 2. The binary the jobs run: $DLN_REPORT_BIN when set (CI: the one `cargo test` built), else the
# release build.
if [ -n "${DLN_REPORT_BIN:-}" ]; then
    bin=$(realpath "$DLN_REPORT_BIN")
else
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    cargo build --release --locked -q -p dln-report
    bin=$(realpath "$CARGO_TARGET_DIR/release/dln-report")
fi

# 3. A temporary home for everything the daemons write; the trap stops what was started.
tmp=$(mktemp -d /tmp/dln-slurm-check.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
    local status=$?
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ $status -ne 0 ]; then
        echo "slurm-check: FAILED; logs:" >&2
        for f in "$tmp"/log/* "$tmp"/jobs/*; do
            [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }
        done
    fi
    rm -rf "$tmp"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp"/{munge,log,state,spool,jobs,out}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
host=$(hostname -s)
cpus=$(nproc)

# munged as the munge user, with its own key, socket, log and pid file.
socket=$tmp/munge/munge.socket
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$tmp/munge"
chmod 755 "$tmp/munge"
chmod 400 "$tmp/munge/munge.key"
setpriv --reuid=munge --regid=munge --init-groups munged --foreground \
    --socket="$socket" --key-file="$tmp/munge/munge.key" --log-file="$tmp/munge/munged.log" \
    --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "slurm-check: munged did not start" >&2; exit 1; }

export SLURM_CONF=$tmp/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=dlncheck
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

say "starting slurmctld and slurmd (node $host, $cpus CPUs, ports $ctld_port/$slurmd_port)"
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 150); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then ready=yes; break; fi
    sleep 0.2
done
[ -n "$ready" ] || { echo "slurm-check: the node did not come up: $(sinfo -h -N 2>&1)" >&2; exit 1; }

# 4. The array and the dependent merge; --wait returns when the merge has ended, with its exit code.
say "submitting $grid as $shards array tasks and the merge"
repo=$PWD
grid_file=$(realpath "$grid")
(cd "$tmp/jobs" && DLN_REPORT=$bin timeout "$timeout" "$repo/scripts/slurm/submit.sh" "$grid_file" "$tmp/out" "$shards" --wait)
for i in $(seq 0 $(( shards - 1 ))); do
    [ -f "$tmp/out/shard-$i/data.parquet" ] || { echo "slurm-check: shard $i wrote nothing" >&2; exit 1; }
done

# 5. The one-process sweep of the same grid, and the comparison.
"$bin" sweep --grid "$grid" --out "$tmp/single" --quiet >/dev/null
for f in data.parquet data.csv grid.json; do
    cmp "$tmp/single/$f" "$tmp/out/$f"
done
rows=$(( $(wc -l <"$tmp/single/data.csv") - 1 ))
say "ok: $shards shards merged by Slurm equal the one-process sweep ($rows runs; data.parquet, data.csv, grid.json byte for byte)"

#!/usr/bin/env bash
# Two-thread scaling of pooled instantiation (//benchmarks:instantiate),
# measured so that a host whose CPUs differ in speed does not decide it.
#
# The issue's ratio is items_per_second of BM_Instantiate*_Pooling on two
# threads over one thread. On a VM whose two vCPUs run at different speeds
# at the moment (one shares its physical core with another tenant: here
# instantiation ran 55% slower on one vCPU than on the other for minutes
# at a time, while a multiply chain like BM_ScalingReference ran only 6%
# slower), that ratio depends on which vCPU the one-thread run lands on:
# at best 1 + slow/fast when it lands on the fast one. So each round runs
#   - one thread pinned to each CPU in turn (taskset),
#   - one thread unpinned (the plain ratio's denominator),
#   - two threads, unpinned,
#   - two one-thread processes at once, one pinned to each of the first
#     two CPUs (the same work with nothing shared in the process),
# and reports, as medians over the rounds:
#   ratio     = 2 threads / 1 thread unpinned (the plain ratio),
#   per-CPU   = 2 threads / the mean of the pinned one-thread runs (equal
#               to the plain ratio on a host with equal CPUs),
#   2 procs   = 2 threads / the two processes' total: what sharing one
#               process (the pool, the engine, the kernel's mm) costs;
#   cpu N     = the pinned one-thread rate on CPU N (how unequal they are).
#
#   scripts/bench-scaling.sh [--rounds=5] [--min_time=0.3] [--skip_build]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
min_time=0.3
build=1
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds=${arg#*=} ;;
    --min_time=*) min_time=${arg#*=} ;;
    --skip_build) build=0 ;;
    *) echo "bench-scaling.sh: unknown flag $arg" >&2; exit 2 ;;
  esac
done
if [[ $build == 1 ]]; then bazel build -c opt //benchmarks:instantiate >&2; fi
bin=${KILN_INSTANTIATE_BENCH:-$PWD/bazel-bin/benchmarks/instantiate}

# Real-time priority keeps other processes off the measured CPUs (root
# only; without it the numbers are noisier, not wrong).
prio=()
if chrt -f 50 true 2>/dev/null; then prio=(chrt -f 50); fi
cpus=$(taskset -pc $$ | awk -F': ' '{print $2}' | tr ',' '\n' |
       awk -F- '{ if (NF == 2) for (i = $1; i <= $2; i++) print i; else print $1 }')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-scaling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

names='BM_Instantiate(Empty|Small|Large)_Pooling|BM_ScalingReference'
run() {  # run OUT FILTER [taskset -c N]
  local out=$1 filter=$2
  shift 2
  "$@" "${prio[@]}" "$bin" --benchmark_filter="$filter" \
    --benchmark_min_time="$min_time" --benchmark_format=json \
    >"$out" 2>/dev/null
}
for r in $(seq "$rounds"); do
  for c in $cpus; do
    run "$tmp/r$r-cpu$c.json" "($names)/real_time\$" taskset -c "$c"
  done
  run "$tmp/r$r-free.json" "($names)/real_time\$"
  run "$tmp/r$r-two.json" "($names)/real_time/threads:2\$"
  set -- $cpus
  if [[ $# -ge 2 ]]; then
    run "$tmp/r$r-pa.json" "($names)/real_time\$" taskset -c "$1" &
    run "$tmp/r$r-pb.json" "($names)/real_time\$" taskset -c "$2"
    wait
  fi
  echo "bench-scaling.sh: round $r of $rounds done" >&2
done

python3 - "$tmp" "$rounds" $cpus <<'PY'
import json, statistics, sys
tmp, rounds, cpus = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def rates(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        out[b["name"].split("/")[0]] = b["items_per_second"]
    return out
rows = {}
for r in range(1, rounds + 1):
    free = rates(f"{tmp}/r{r}-free.json")
    two = rates(f"{tmp}/r{r}-two.json")
    pinned = [rates(f"{tmp}/r{r}-cpu{c}.json") for c in cpus]
    for name in sorted(two):
        mean1 = statistics.mean(p[name] for p in pinned)
        row = rows.setdefault(name, {"ratio": [], "per_cpu": [], "two": [],
                                     "free": [], "procs": [],
                                     "cpu": [[] for _ in cpus]})
        if len(cpus) >= 2:
            pa = rates(f"{tmp}/r{r}-pa.json")
            pb = rates(f"{tmp}/r{r}-pb.json")
            row["procs"].append(two[name] / (pa[name] + pb[name]))
        row["ratio"].append(two[name] / free[name])
        row["per_cpu"].append(two[name] / mean1)
        row["two"].append(two[name])
        row["free"].append(free[name])
        for i, p in enumerate(pinned):
            row["cpu"][i].append(p[name])
med = statistics.median
print(f"medians of {rounds} rounds (items per second, M/s):")
for name, row in rows.items():
    per = " ".join(f"cpu{c} {med(v) / 1e6:.3f}" for c, v in zip(cpus, row["cpu"]))
    print(f"{name:32s} 1T {med(row['free']) / 1e6:.3f}  2T {med(row['two']) / 1e6:.3f}"
          f"  ratio {med(row['ratio']):.2f}  per-CPU {med(row['per_cpu']):.2f}"
          + (f"  2 procs {med(row['procs']):.2f}" if row["procs"] else "")
          + f"  ({per})")
    print(f"{'':32s} per round: ratio "
          + " ".join(f"{x:.2f}" for x in row["ratio"])
          + " | per-CPU " + " ".join(f"{x:.2f}" for x in row["per_cpu"])
          + " | 2 procs " + " ".join(f"{x:.2f}" for x in row["procs"]))
PY

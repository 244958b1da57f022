#!/usr/bin/env bash
# Usage: fuzz/run_diff.sh SECONDS [-j JOBS] [--oracles=binaryen,v8-liftoff,v8-turbofan,wabt|v8]
#                         [--configs=all|default,noopt,...] [--seed=N]
#
# Differential fuzzing (fuzz/README.md): random bytes -> binaryen
# translate-to-fuzz module -> Kiln in every configuration and each oracle ->
# compare the traces. Runs for SECONDS (JOBS loops in parallel, default 1:
# the machine is shared) and stops at the first mismatch, which it saves
# with a wasm-reduce'd reproducer in $KILN_DIFF_ARTIFACTS (default
# /tmp/kiln-diff-artifacts) and prints the command that replays it.
# The last line is "N cases, M mismatches"; the exit status is non-zero
# when M > 0.
#
# Environment:
#   KILN_DIFF_ARTIFACTS       where mismatching modules go
#   KILN_DIFF_REDUCE_SECONDS  time budget of wasm-reduce (default 600; 0: off)
set -euo pipefail

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  sed -n '2,3p' "$0" >&2
  exit 2
fi
seconds=$1
shift
jobs=1
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --oracle=*) extra+=("--oracles=${1#--oracle=}"); shift ;;
    --oracles=* | --configs=* | --seed=*) extra+=("$1"); shift ;;
    *) echo "run_diff: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."

for tool in wasm-opt wasm-reduce node wat2wasm python3; do
  command -v "$tool" >/dev/null || {
    echo "run_diff: '$tool' is missing (scripts/setup.sh installs binaryen, nodejs, wabt)" >&2
    exit 1
  }
done

# Niced: the machine is shared with other builds.
nice -n 10 bazel build //fuzz/diff:kiln_diff_runner //fuzz/diff:wabt_oracle
bin="$(bazel info bazel-bin 2>/dev/null)/fuzz/diff"
[[ -x "$bin/kiln_diff_runner" && -x "$bin/wabt_oracle" ]] ||
  { echo "run_diff: $bin/kiln_diff_runner or wabt_oracle was not built" >&2; exit 1; }

artifacts=${KILN_DIFF_ARTIFACTS:-/tmp/kiln-diff-artifacts}
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Run copies: a rebuild during a long run replaces bazel-bin's files.
cp "$bin/kiln_diff_runner" "$bin/wabt_oracle" "$work/"
runner="$work/kiln_diff_runner"
base_seed=$(( $(date +%s) * 1000 ))

pids=()
for ((j = 0; j < jobs; j++)); do
  nice -n 10 python3 fuzz/diff/difftool.py loop "$seconds" --kiln="$runner" \
    --artifacts="$artifacts" --stop-file="$work/stop" \
    --reduce-seconds="${KILN_DIFF_REDUCE_SECONDS:-600}" \
    --seed=$(( base_seed + j * 1000000000 )) "${extra[@]}" \
    > >(tee "$work/job$j.log") 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

cases=0
mismatches=0
for ((j = 0; j < jobs; j++)); do
  line=$(grep -E '^[0-9]+ cases, [0-9]+ mismatches$' "$work/job$j.log" | tail -1 || true)
  [[ -n "$line" ]] || { echo "run_diff: job $j did not finish" >&2; mismatches=$((mismatches + 1)); continue; }
  read -r c _ m _ <<<"$line"
  cases=$((cases + c))
  mismatches=$((mismatches + m))
done
echo "$cases cases, $mismatches mismatches"
[[ $mismatches -eq 0 ]]

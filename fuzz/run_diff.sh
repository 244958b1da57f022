#!/usr/bin/env bash
# Usage: fuzz/run_diff.sh SECONDS [-j JOBS] [--oracles=binaryen,v8-liftoff,v8-turbofan,wabt|v8]
#                         [--configs=all|default,noopt,...] [--seed=N]
#                         [--stop-file=PATH]  (stop cleanly, with the counts, once PATH exists)
#
# Differential fuzzing (fuzz/README.md): random bytes -> binaryen
# translate-to-fuzz module -> Kiln in every configuration and each oracle ->
# compare the traces. Runs for SECONDS and stops at the first mismatch, which it saves
# with a wasm-reduce'd reproducer in $KILN_DIFF_ARTIFACTS (default
# /tmp/kiln-diff-artifacts) and prints the command that replays it.
# The last line is "N cases, M mismatches"; the exit status is non-zero
# when M > 0.
#
# Cases run in batches (--batch, default 64): one kiln_diff_runner and one
# wabt_oracle process per batch and worker, one node per V8 tier per batch;
# binaryen's wasm-opt runs once per module (generation, --fuzz-exec-before).
# JOBS (default: the number of cores) tool processes run at a time, and the
# next batch is generated while one runs.
#
# Environment:
#   KILN_DIFF_ARTIFACTS       where mismatching modules go
#   KILN_DIFF_REDUCE_SECONDS  time budget of wasm-reduce (default 600; 0: off)
#   KILN_DIFF_BATCH           cases per batch (default 64)
#   KILN_DIFF_TIMEOUT         seconds per module and tool (default 60; a
#                             batch gets 5 s more per further module);
#                             emulated runners need more (fuzz/README.md)
#   KILN_DIFF_BIN             take kiln_diff_runner and wabt_oracle from this
#                             directory instead of building them (long runs
#                             from a snapshot of the tree)
set -euo pipefail

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  sed -n '2,3p' "$0" >&2
  exit 2
fi
seconds=$1
shift
jobs=$(nproc)
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --oracle=*) extra+=("--oracles=${1#--oracle=}"); shift ;;
    --oracles=* | --configs=* | --seed=* | --stop-file=*) extra+=("$1"); shift ;;
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

if [[ -n "${KILN_DIFF_BIN:-}" ]]; then
  bin=$KILN_DIFF_BIN
else
  # Niced: the machine is shared with other builds.
  nice -n 10 bazel build //fuzz/diff:kiln_diff_runner //fuzz/diff:wabt_oracle
  bin="$(bazel info bazel-bin 2>/dev/null)/fuzz/diff"
fi
[[ -x "$bin/kiln_diff_runner" && -x "$bin/wabt_oracle" ]] ||
  { echo "run_diff: $bin/kiln_diff_runner or wabt_oracle was not built" >&2; exit 1; }

artifacts=${KILN_DIFF_ARTIFACTS:-/tmp/kiln-diff-artifacts}
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Run copies: a rebuild during a long run replaces bazel-bin's files.
cp "$bin/kiln_diff_runner" "$bin/wabt_oracle" "$work/"
runner="$work/kiln_diff_runner"
base_seed=$(( $(date +%s) * 1000 ))

# Niced (the machine is shared), unless the caller niced it already.
renice=()
[[ $(nice) -lt 10 ]] && renice=(nice -n 10)
"${renice[@]}" python3 fuzz/diff/difftool.py loop "$seconds" --kiln="$runner" \
  --artifacts="$artifacts" \
  --reduce-seconds="${KILN_DIFF_REDUCE_SECONDS:-600}" \
  --workers="$jobs" --batch="${KILN_DIFF_BATCH:-64}" \
  --timeout="${KILN_DIFF_TIMEOUT:-60}" \
  --seed="$base_seed" "${extra[@]}" 2>&1 | tee "$work/loop.log" || true

line=$(grep -E '^[0-9]+ cases, [0-9]+ mismatches$' "$work/loop.log" | tail -1 || true)
if [[ -z "$line" ]]; then
  echo "run_diff: the loop did not finish" >&2
  echo "0 cases, 1 mismatches"
  exit 1
fi
# The loop's own last line, repeated as this script's last line.
echo "$line"
read -r _ _ mismatches _ <<<"$line"
[[ $mismatches -eq 0 ]]

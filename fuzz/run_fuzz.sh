#!/usr/bin/env bash
# Usage: fuzz/run_fuzz.sh SECONDS [TARGET]
#
# TARGET is decode_fuzzer (default: DecodeModule, decode + validate),
# compile_fuzzer (decode, then the optimizing compiler on valid modules,
# IR verifier after every pass, register allocation checker) or
# wasi_fuzzer (random preview1 call sequences against a preopened
# directory; no seeds, see fuzz/wasi_fuzzer.cc).
#
# Builds //fuzz:TARGET with clang (libFuzzer + AddressSanitizer, the
# `fuzz` config in .bazelrc, in its own Bazel output base so the default gcc
# build is untouched), seeds a corpus with every module of the spec suite
# (extracted by wast2json into a temporary directory), and fuzzes for
# SECONDS. Fails on a crash, leak, timeout,
# out-of-memory or invariant violation; the reproducer is written to
# $KILN_FUZZ_ARTIFACTS (default /tmp/kiln-fuzz-crashes/).
#
# Environment:
#   KILN_TESTSUITE        spec suite directory (see scripts/testsuite_dir.sh)
#   KILN_FUZZ_CORPUS      keep the generated corpus here (default: temporary)
#   KILN_FUZZ_ARTIFACTS   where crash reproducers go
#   KILN_FUZZ_OUTPUT_BASE Bazel output base for the clang build
#   KILN_FUZZ_RSS_MB      -rss_limit_mb (default 2048)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [decode_fuzzer|compile_fuzzer|wasi_fuzzer]" >&2
  exit 2
fi
seconds=$1
target=${2:-decode_fuzzer}
case "$target" in
  decode_fuzzer | compile_fuzzer | wasi_fuzzer) ;;
  *) echo "run_fuzz: unknown target '$target'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

output_base=${KILN_FUZZ_OUTPUT_BASE:-$HOME/.cache/kiln-fuzz-output}
artifacts=${KILN_FUZZ_ARTIFACTS:-/tmp/kiln-fuzz-crashes}
rss_mb=${KILN_FUZZ_RSS_MB:-2048}

# The clang build's Bazel server exits a few minutes after its last command.
# (`build:fuzz --symlink_prefix=/` in .bazelrc keeps this build from
# repointing the workspace's bazel-* links at its output base.)
bazel_fuzz() { bazel --output_base="$output_base" --max_idle_secs=300 "$@"; }

echo "run_fuzz: building //fuzz:$target with clang (output base $output_base)"
bazel_fuzz build --config=fuzz "//fuzz:$target"
fuzzer="$(bazel_fuzz info --config=fuzz bazel-bin 2>/dev/null)/fuzz/$target"
[[ -x "$fuzzer" ]] || { echo "run_fuzz: $fuzzer was not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
seeds="$work/seeds"
corpus=${KILN_FUZZ_CORPUS:-$work/corpus}
mkdir -p "$seeds" "$corpus" "$artifacts"

if [[ "$target" == wasi_fuzzer ]]; then
  # Its inputs are call programs, not modules. Print how many calls of
  # each function succeeded at the end.
  export KILN_WASI_FUZZ_STATS=1
elif suite=$(scripts/testsuite_dir.sh 2>/dev/null); then
  if command -v wast2json >/dev/null; then
    mkdir -p "$work/json"
    for wast in "$suite"/*.wast; do
      name=$(basename "$wast" .wast)
      # --no-check: also extract the invalid and malformed modules.
      wast2json --no-check "$wast" -o "$work/json/$name.json" >/dev/null 2>&1 ||
        echo "run_fuzz: wast2json could not convert $name.wast (skipped)" >&2
    done
    find "$work/json" -name '*.wasm' -exec mv -t "$seeds" {} +
  else
    echo "run_fuzz: wast2json not found (Debian package wabt); no seeds" >&2
  fi
else
  echo "run_fuzz: spec suite not found; fuzzing without seeds" >&2
fi
echo "run_fuzz: $(find "$seeds" -type f | wc -l) seed modules; fuzzing for ${seconds}s"

log="$work/fuzz.log"
status=0
"$fuzzer" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
  "$corpus" "$seeds" >"$log" 2>&1 || status=$?

# libFuzzer's progress lines are long; keep the interesting part.
grep -E '^(INFO: seed|#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|(decode|compile|wasi)_fuzzer:|artifact_prefix|Test unit written|    #[0-9]+ )' "$log" | tail -n 60 || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [[ $status -ne 0 ]]; then
  tail -n 40 "$log"
  echo "run_fuzz: FAILED (libFuzzer exit $status); reproducers in $artifacts/" >&2
  echo "run_fuzz: replay one with: $fuzzer $artifacts/<file>" >&2
  exit 1
fi
echo "run_fuzz: OK: $target: ${execs:-?} executions in ${seconds}s, no crash"

#!/usr/bin/env bash
# Every test: all Bazel tests (unit tests, IR filetests, the spec suite) and a
# short fuzzing smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage says how long it took, so a slow CI run shows where.
timed() {
  local start=$SECONDS
  "$@"
  echo "test.sh: '$*' took $((SECONDS - start)) s" >&2
}
timed scripts/setup.sh
export KILN_TESTSUITE=$(scripts/testsuite_dir.sh)
# Builds come from the disk cache; tests always run.
timed bazel test --nocache_test_results --test_env=KILN_TESTSUITE //...
# The program suite at its CI size: outputs of native, kiln and V8 agree
# (no timing; ~45 s of CPU cold, a few seconds of it once built).
timed scripts/bench-programs.sh --size small --runs 1 --no-timing
# AArch64 under qemu-user: unit tests, the spec suite (two shards), a
# cross-compiled .cwasm, the WASI and suite programs against native output.
timed scripts/aarch64_test.sh
# The embedding-API safety tests again with AddressSanitizer everywhere.
timed scripts/asan_test.sh
# The multi-threaded tests (fibers, async calls, pools, the server, threads,
# wasi-threads) again with ThreadSanitizer everywhere.
timed scripts/tsan_test.sh
# Kiln as a dependency of another Bazel workspace (deps.bzl).
timed scripts/bazel_consumer.sh
if [[ -x fuzz/run_fuzz.sh ]]; then
  timed fuzz/run_fuzz.sh "${KILN_FUZZ_SECONDS:-30}"
fi

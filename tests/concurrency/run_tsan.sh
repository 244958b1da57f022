#!/bin/sh
# The concurrency stress test with ThreadSanitizer on all of Kiln's code
# (engine, linker, runtime, pool, trampolines, the compiler, the test). Its
# own output directory (--platform_suffix, shared with
# tests/linker/run_tsan.sh so the instrumented objects are built once), so
# the normal build is left alone. Extra arguments go to bazel test, e.g.
#   tests/concurrency/run_tsan.sh --test_env=KILN_STRESS_SECONDS=1
# tsan_suppressions.txt says what is suppressed and why (absl::Mutex is
# invisible to TSan here).
set -e
cd "$(dirname "$0")/../.."
exec bazel test \
  --copt=-fsanitize=thread \
  --linkopt=-fsanitize=thread --platform_suffix=tsan2 \
  --test_env=TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/concurrency/tsan_suppressions.txt" \
  --test_output=all \
  //tests/concurrency:stress_test "$@"

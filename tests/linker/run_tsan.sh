#!/bin/sh
# The two-thread Linker test with ThreadSanitizer on every package that runs
# while the threads do (engine, linker, runtime, trampolines, the test).
# Its own output directory (--platform_suffix), so the normal build is left
# alone. See README.md for why the compiler is not instrumented.
set -e
cd "$(dirname "$0")/../.."
exec bazel test \
  --per_file_copt='engine/.*,linker/.*,runtime/.*,tests/linker/.*,codegen/trampolines/.*@-fsanitize=thread' \
  --linkopt=-fsanitize=thread --platform_suffix=tsan2 \
  --test_env=TSAN_OPTIONS=halt_on_error=1 \
  //tests/linker:threads_test "$@"

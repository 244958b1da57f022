#!/bin/sh
# The two-thread Linker test with ThreadSanitizer on all of Kiln's code
# (engine, linker, runtime, trampolines, the compiler, the test). Its own
# output directory (--platform_suffix), so the normal build is left alone.
# See README.md.
set -e
cd "$(dirname "$0")/../.."
exec bazel test \
  --copt=-fsanitize=thread \
  --linkopt=-fsanitize=thread --platform_suffix=tsan2 \
  --test_env=TSAN_OPTIONS=halt_on_error=1 \
  //tests/linker:threads_test "$@"

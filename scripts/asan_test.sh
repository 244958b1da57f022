#!/usr/bin/env bash
# The embedding-API safety tests (the C API's ownership rules, and the
# fiber / async-call tests and the async server, whose stack switches are
# annotated for ASan)
# with AddressSanitizer and LeakSanitizer over everything
# (engine, linker, runtime, compiler), built with clang in an output base of
# its own (the default gcc build is untouched). A stale handle read through
# the API would be a heap-use-after-free here.
#
# Environment: KILN_ASAN_OUTPUT_BASE (default ~/.cache/kiln-asan-output).
set -euo pipefail
cd "$(dirname "$0")/.."
output_base=${KILN_ASAN_OUTPUT_BASE:-$HOME/.cache/kiln-asan-output}
bazel --output_base="$output_base" --max_idle_secs=300 test --config=asan \
  --nocache_test_results \
  //tests/store_safety:store_safety_test \
  //tests/linker:linker_checks_test \
  //tests/linker:linker_test \
  //capi:examples \
  //runtime/fiber:fiber_test \
  //runtime/fiber:fiber_boost_switch_test \
  //tests/async:async_test \
  //tests/async:waker_race_test \
  //tests/pool:pool_test \
  //runtime/pool:pooling_allocator_test \
  //examples/server:server_test

#!/usr/bin/env bash
# The multi-threaded tests with ThreadSanitizer over everything (engine,
# runtime, compiler), built with clang in an output base of its own (the
# default gcc build is untouched): the fibers (TSan's per-fiber shadow
# stacks must balance across switches), async calls suspended on one
# thread and finished on another, stores on several threads sharing the
# engine's stack pool and instance pool, the pool's per-CPU slot stacks,
# the server (one io_context thread, the epoch ticker), and the threads
# proposal (a SharedMemory used by stores on several threads, atomics,
# wait/notify's parking lot), and wasi-threads (`kiln run` of threaded
# programs sharing one WasiCtx; the WasiCtx's table used from 4 threads).
#
# Environment: KILN_TSAN_OUTPUT_BASE (default ~/.cache/kiln-tsan-output).
set -euo pipefail
cd "$(dirname "$0")/.."
output_base=${KILN_TSAN_OUTPUT_BASE:-$HOME/.cache/kiln-tsan-output}
bazel --output_base="$output_base" --max_idle_secs=300 test --config=tsan \
  --nocache_test_results \
  --test_env=TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/concurrency/tsan_suppressions.txt" \
  //engine:shared_ref_test \
  //runtime/fiber:fiber_test \
  //runtime/fiber:fiber_boost_switch_test \
  //runtime/pool:pooling_allocator_test \
  //runtime/memory:parking_lot_test \
  //tests/threads:shared_memory_test \
  //tests/threads:wasi_threads_test \
  //wasi:wasi_ctx_threads_test \
  //tests/async:async_test \
  //tests/async:waker_race_test \
  //tests/concurrency:all \
  //tests/pool:pool_test \
  //examples/server:server_test

// What host_call.cc and async.cc share: the module both call (a wasm loop
// calling the host "nop" import, and a wasm "nop" export) and the per-call
// counter.
#ifndef KILN_BENCHMARKS_HOST_CALL_MODULE_H_
#define KILN_BENCHMARKS_HOST_CALL_MODULE_H_

#include <cstdint>

#include "benchmark/benchmark.h"

namespace kiln::bench {

constexpr int32_t kBatch = 1000;

constexpr const char* kHostCallWat = R"(
  (module
    (import "host" "nop" (func $nop (param i32)))
    (func (export "loop_nop") (param $n i32)
      (local $i i32)
      (loop $l
        (call $nop (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (func (export "nop") (param i32) (result i32) (local.get 0)))
)";

// "per_call": CPU seconds per call, `calls_per_iteration` calls an
// iteration.
inline void SetPerCall(benchmark::State& state, int64_t calls_per_iteration) {
  state.counters["per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * calls_per_iteration),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace kiln::bench

#endif  // KILN_BENCHMARKS_HOST_CALL_MODULE_H_

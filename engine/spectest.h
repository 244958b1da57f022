// The spec test suite's "spectest" host module: print functions that do
// nothing, globals, a table and a memory.
#ifndef KILN_ENGINE_SPECTEST_H_
#define KILN_ENGINE_SPECTEST_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/extern.h"
#include "engine/store.h"

namespace kiln {

// Creates the spectest objects in `store`:
//   func print, print_i32 (i32), print_i64 (i64), print_f32 (f32),
//        print_f64 (f64), print_i32_f32 (i32 f32), print_f64_f64 (f64 f64)
//   global global_i32 i32 = 666, global_i64 i64 = 666,
//          global_f32 f32 = 666.6, global_f64 f64 = 666.6
//   table  table (10 20 funcref)
//   memory memory (1 2)
absl::StatusOr<std::vector<std::pair<std::string, Extern>>> DefineSpectest(
    StoreOpaque& store);

}  // namespace kiln

#endif  // KILN_ENGINE_SPECTEST_H_

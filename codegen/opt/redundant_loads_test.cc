#include "codegen/opt/redundant_loads.h"

#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

// A store forwards to the load of the same place; a store elsewhere (other
// offset, same base and index) keeps the first load's value known; a store
// through another index may overlap and forgets it.
TEST(RedundantLoadsTest, ForwardsAndForgets) {
  EXPECT_EQ(RunPasses("redundant_loads", R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    heap_store v2, v0, v1+4
    v3 = heap_load.i32 v0, v1+4
    v4 = heap_load.i32 v0, v1
    heap_store v3, v0, v1+8
    v5 = heap_load.i32 v0, v1
    heap_store v3, v0, v2
    v6 = heap_load.i32 v0, v1
    v7 = iadd v3, v4
    v8 = iadd v7, v5
    v9 = iadd v8, v6
    return v9
})"),
            R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    heap_store v2, v0, v1+4
    v4 = heap_load.i32 v0, v1
    heap_store v2, v0, v1+8
    heap_store v2, v0, v2
    v6 = heap_load.i32 v0, v1
    v7 = iadd v2, v4
    v8 = iadd v7, v4
    v9 = iadd v8, v6
    return v9
}
)");
}

}  // namespace
}  // namespace kiln::opt

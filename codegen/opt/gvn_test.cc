#include "codegen/opt/gvn.h"

#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

TEST(GvnTest, MergesDominatedDuplicates) {
  EXPECT_EQ(RunPasses("gvn", R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    v3 = iadd v1, v2
    v4 = iadd v2, v1
    v5 = heap_load.i32 v0, v1
    v6 = heap_load.i32 v0, v1
    brif v3, block1, block2
block1:
    v7 = iadd v1, v2
    v8 = isub v7, v4
    jump block3(v8)
block2:
    v9 = isub v1, v2
    jump block3(v9)
block3(v10: i32):
    v11 = isub v1, v2
    v12 = iadd v11, v6
    return v12
})"),
            R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    v3 = iadd v1, v2
    v5 = heap_load.i32 v0, v1
    v6 = heap_load.i32 v0, v1
    brif v3, block1, block2
block1:
    v8 = isub v3, v3
    jump block3(v8)
block2:
    v9 = isub v1, v2
    jump block3(v9)
block3(v10: i32):
    v11 = isub v1, v2
    v12 = iadd v11, v6
    return v12
}
)");
}

}  // namespace
}  // namespace kiln::opt

#include "codegen/opt/dce.h"

#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

TEST(DceTest, RemovesDeadPureCodeKeepsTraps) {
  EXPECT_EQ(RunPasses("dce", R"(function %f(i64, i32) -> i32 {
block0(v0: i64, v1: i32):
    v2 = iconst.i32 3
    v3 = iadd v1, v2
    v4 = sdiv v1, v2
    v5 = load.i64 notrap v0+8
    v6 = load.i64 v0+16
    v7 = heap_load.i32 v5, v1
    return v1
block1:
    return v1
})"),
            R"(function %f(i64, i32) -> i32 {
block0(v0: i64, v1: i32):
    v2 = iconst.i32 3
    v4 = sdiv v1, v2
    v5 = load.i64 notrap v0+8
    v6 = load.i64 v0+16
    v7 = heap_load.i32 v5, v1
    return v1
}
)");
}

TEST(DceTest, RemovesDeadLoopCarriedParams) {
  // v3 is a loop counter nobody reads after the loop.
  EXPECT_EQ(RunPasses("dce", R"(function %f(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 0
    jump block1(v0, v1)
block1(v2: i32, v3: i32):
    v4 = iadd_imm v3, 1
    v5 = iadd_imm v2, -1
    brif v5, block1(v5, v4), block2
block2:
    return v2
})"),
            R"(function %f(i32) -> i32 {
block0(v0: i32):
    jump block1(v0)
block1(v2: i32):
    v5 = iadd_imm v2, -1
    brif v5, block1(v5), block2
block2:
    return v2
}
)");
}

}  // namespace
}  // namespace kiln::opt

#include "codegen/opt/licm.h"

#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

// The single outside predecessor ends in a jump: it is the preheader, no
// block is added. The heap load leads the header and the loop stores
// nothing, so it moves with the arithmetic on it.
TEST(LicmTest, HoistsIntoExistingPreheader) {
  EXPECT_EQ(RunPasses("licm", R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    jump block1(v2)
block1(v3: i32):
    v4 = heap_load.i32 v0, v1
    v5 = imul_imm v4, 3
    v6 = isub v3, v5
    brif v6, block1(v6), block2
block2:
    return v6
})"),
            R"(function %f(i64, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32):
    v4 = heap_load.i32 v0, v1
    v5 = imul_imm v4, 3
    jump block1(v2)
block1(v3: i32):
    v6 = isub v3, v5
    brif v6, block1(v6), block2
block2:
    return v6
}
)");
}

// Nested loops: the inner loop's invariant moves to the inner preheader
// and on to the outer one when the outer loop does not define its
// operands either.
TEST(LicmTest, HoistsOutOfNestedLoops) {
  EXPECT_EQ(RunPasses("licm", R"(function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    jump block1(v0)
block1(v2: i32):
    jump block2(v2)
block2(v3: i32):
    v4 = imul v0, v1
    v5 = imul v2, v1
    v6 = isub v3, v4
    v7 = isub v6, v5
    brif v7, block2(v7), block3
block3:
    brif v2, block1(v7), block4
block4:
    return v7
})"),
            R"(function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    v4 = imul v0, v1
    jump block1(v0)
block1(v2: i32):
    v5 = imul v2, v1
    jump block2(v2)
block2(v3: i32):
    v6 = isub v3, v4
    v7 = isub v6, v5
    brif v7, block2(v7), block3
block3:
    brif v2, block1(v7), block4
block4:
    return v7
}
)");
}

}  // namespace
}  // namespace kiln::opt

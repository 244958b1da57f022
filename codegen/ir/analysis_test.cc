#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/use_counts.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

TEST(AnalysisTest, DiamondWithLoop) {
  auto f = ParseFunction(R"(function %f(i32) {
block0(v0: i32):
    jump block1
block1:
    brif v0, block2, block3
block2:
    jump block4
block3:
    jump block4
block4:
    brif v0, block1, block5
block5:
    return
block6:
    jump block4
})");
  ASSERT_TRUE(f.ok()) << f.status();
  ControlFlowGraph cfg(*f);
  EXPECT_EQ(cfg.preds(Block(1)).size(), 2u);
  EXPECT_EQ(cfg.preds(Block(4)).size(), 3u);  // block2, block3, block6.
  ASSERT_EQ(cfg.succs(Block(4)).size(), 2u);
  EXPECT_EQ(cfg.succs(Block(4))[0], Block(1));

  DominatorTree dt(*f, cfg);
  EXPECT_EQ(dt.idom(Block(1)), Block(0));
  EXPECT_EQ(dt.idom(Block(2)), Block(1));
  EXPECT_EQ(dt.idom(Block(4)), Block(1));
  EXPECT_EQ(dt.idom(Block(5)), Block(4));
  EXPECT_TRUE(dt.Dominates(Block(1), Block(5)));
  EXPECT_FALSE(dt.Dominates(Block(2), Block(4)));
  EXPECT_TRUE(dt.Dominates(Block(4), Block(4)));
  EXPECT_FALSE(dt.StrictlyDominates(Block(4), Block(4)));
  EXPECT_FALSE(dt.IsReachable(Block(6)));
  EXPECT_FALSE(dt.Dominates(Block(0), Block(6)));
  EXPECT_EQ(dt.rpo().size(), 6u);
  EXPECT_EQ(dt.rpo()[0], Block(0));
  EXPECT_EQ(dt.preorder().size(), 6u);
}

// Regression guard for the TSan-build report of a null write in
// DominatorTree::Compute (tests/linker/README.md): one CFG and dominator
// tree object recomputed over functions of different sizes (shrinking
// storage, a single block with no tree children: empty children_/preds_
// rows), and an unreachable block branching into the reachable part. Run
// under ASan + UBSan as well (see tests/linker/README.md).
TEST(AnalysisTest, RecomputeOverDifferentFunctions) {
  auto big = ParseFunction(R"(function %f(i32) {
block0(v0: i32):
    brif v0, block1, block2
block1:
    jump block3
block2:
    jump block3
block3:
    brif v0, block0, block4
block4:
    return
block5:
    jump block5
})");
  ASSERT_TRUE(big.ok()) << big.status();
  auto one = ParseFunction(R"(function %g() {
block0:
    return
})");
  ASSERT_TRUE(one.ok()) << one.status();
  ControlFlowGraph cfg;
  DominatorTree dt;
  for (int round = 0; round < 3; ++round) {
    cfg.Compute(*big);
    dt.Compute(*big, cfg);
    EXPECT_EQ(dt.rpo().size(), 5u);
    EXPECT_EQ(dt.preorder().size(), 5u);
    EXPECT_EQ(dt.idom(Block(3)), Block(0));
    EXPECT_EQ(dt.idom(Block(4)), Block(3));
    EXPECT_EQ(dt.children(Block(0)).size(), 3u);
    EXPECT_FALSE(dt.IsReachable(Block(5)));
    EXPECT_TRUE(dt.children(Block(5)).empty());

    cfg.Compute(*one);
    dt.Compute(*one, cfg);
    EXPECT_EQ(cfg.num_blocks(), 1u);
    EXPECT_TRUE(cfg.preds(Block(0)).empty());
    EXPECT_TRUE(cfg.succs(Block(0)).empty());
    ASSERT_EQ(dt.rpo().size(), 1u);
    EXPECT_EQ(dt.preorder().size(), 1u);
    EXPECT_TRUE(dt.children(Block(0)).empty());
    EXPECT_TRUE(dt.Dominates(Block(0), Block(0)));
    EXPECT_FALSE(dt.IsReachable(Block(1)));
  }
}

TEST(AnalysisTest, SameTargetTwiceIsOneEdge) {
  auto f = ParseFunction(R"(function %f(i32) {
block0(v0: i32):
    brif v0, block1, block1
block1:
    return
})");
  ASSERT_TRUE(f.ok()) << f.status();
  ControlFlowGraph cfg(*f);
  EXPECT_EQ(cfg.preds(Block(1)).size(), 1u);
  EXPECT_EQ(cfg.succs(Block(0)).size(), 1u);
}

TEST(AnalysisTest, UseCounts) {
  auto f = ParseFunction(R"(function %f(i32) -> i32 {
block0(v0: i32):
    v1 = iadd v0, v0
    brif v1, block1(v1), block1(v0)
block1(v2: i32):
    return v2
})");
  ASSERT_TRUE(f.ok()) << f.status();
  UseCounts uses(*f);
  EXPECT_EQ(uses.count(Value(0)), 3u);
  EXPECT_EQ(uses.count(Value(1)), 2u);
  EXPECT_EQ(uses.count(Value(2)), 1u);
}

TEST(AnalysisTest, HugeIdsAreRejected) {
  auto f = ParseFunction("function %f() {\nblock0:\n    v4000000000 = iconst.i32 0\n    return\n}\n");
  EXPECT_FALSE(f.ok());
  f = ParseFunction("function %f() -> i64 {\nblock0:\n    v0 = iconst.i64 -9223372036854775808\n    return v0\n}\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->inst(Inst(0)).imm, INT64_MIN);
}

}  // namespace
}  // namespace kiln::ir

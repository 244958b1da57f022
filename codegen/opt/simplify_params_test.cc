#include "codegen/opt/simplify_params.h"

#include "codegen/ir/builder.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

TEST(SimplifyParamsTest, LoopInvariantAndChains) {
  // v3 is loop-invariant (v1 or itself); v6 then only ever receives v1.
  EXPECT_EQ(RunPasses("simplify_params", R"(function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    jump block1(v0, v1)
block1(v2: i32, v3: i32):
    v4 = iadd v2, v3
    brif v4, block1(v4, v3), block2(v3)
block2(v6: i32):
    return v6
})"),
            R"(function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    jump block1(v0)
block1(v2: i32):
    v4 = iadd v2, v1
    brif v4, block1(v4), block2
block2:
    return v1
}
)");
}

TEST(SimplifyParamsTest, KeepsRealMerges) {
  const char* text = R"(function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    brif v0, block1(v0), block1(v1)
block1(v2: i32):
    return v2
}
)";
  EXPECT_EQ(RunPasses("simplify_params", text), text);
}

// The builder's SSA construction leaves a parameter per variable read in
// an unsealed loop header; the pass removes the invariant ones.
TEST(SimplifyParamsTest, CleansBuilderOutput) {
  ir::Function f("sum", ir::Signature{{ir::Type::kI32, ir::Type::kI32},
                                      {ir::Type::kI32}});
  ir::FunctionBuilder b(&f);
  ir::Block entry = b.CreateBlock(), header = b.CreateBlock(),
            exit = b.CreateBlock();
  b.AppendEntryParams(entry);
  b.SwitchToBlock(entry);
  b.SealBlock(entry);
  ir::Variable n = b.DeclareVar(ir::Type::kI32);
  ir::Variable step = b.DeclareVar(ir::Type::kI32);
  b.DefVar(n, f.block_params(entry)[0]);
  b.DefVar(step, f.block_params(entry)[1]);
  b.Jump(header);
  b.SwitchToBlock(header);
  ir::Value nv = b.UseVar(n);
  ir::Value sv = b.UseVar(step);  // Never redefined in the loop.
  ir::Value next = b.Isub(nv, sv);
  b.DefVar(n, next);
  b.Brif(next, header, {}, exit, {});
  b.SealBlock(header);
  b.SwitchToBlock(exit);
  b.SealBlock(exit);
  b.Return({b.UseVar(n)});
  ASSERT_TRUE(ir::VerifyFunction(f).ok()) << ir::PrintFunction(f);
  PassManager pm(/*verify_each=*/true);
  pm.Add(std::make_unique<SimplifyParamsPass>());
  ASSERT_TRUE(pm.Run(f).ok());
  EXPECT_EQ(ir::PrintFunction(f), R"(function %sum(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    jump block1(v0)
block1(v2: i32):
    v4 = isub v2, v1
    brif v4, block1(v4), block2
block2:
    return v4
}
)");
}

}  // namespace
}  // namespace kiln::opt

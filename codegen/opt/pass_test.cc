#include "codegen/opt/pass.h"

#include "codegen/ir/function.h"
#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

TEST(PassTest, UnknownPassName) {
  PassManager pm;
  EXPECT_EQ(pm.AddByNames("dce,nope").message(),
            "unknown pass 'nope' (known: const_fold, dce, gvn, licm, redundant_loads, simplify_cfg, simplify_params, split_critical_edges, strength_reduce)");
}

// A deliberately broken pass: the manager must name it.
class BreakingPass : public Pass {
 public:
  absl::string_view name() const override { return "breaker"; }
  bool Run(ir::Function& f) override {
    f.RemoveInst(f.first_inst(f.entry_block()));
    return true;
  }
};

TEST(PassTest, VerifiesAfterEachPass) {
  auto f = ir::ParseFunction(R"(function %f() -> i32 {
block0:
    v0 = iconst.i32 1
    return v0
})");
  ASSERT_TRUE(f.ok());
  PassManager pm(/*verify_each=*/true);
  pm.Add(std::make_unique<BreakingPass>());
  EXPECT_EQ(pm.Run(*f).message(),
            "after pass breaker: block0: return v0: operand v0 is defined by "
            "a removed instruction");
}

TEST(PassTest, DefaultPipeline) {
  auto f = ir::ParseFunction(R"(function %f(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 2
    v2 = iconst.i32 3
    v3 = iadd v1, v2
    v4 = iadd v0, v3
    v5 = iadd v0, v3
    v6 = imul v4, v5
    return v6
})");
  ASSERT_TRUE(f.ok());
  PassManager pm(/*verify_each=*/true);
  AddDefaultPipeline(pm);
  ASSERT_TRUE(pm.Run(*f).ok());
  EXPECT_EQ(ir::PrintFunction(*f), R"(function %f(i32) -> i32 {
block0(v0: i32):
    v3 = iconst.i32 5
    v4 = iadd v0, v3
    v6 = imul v4, v4
    return v6
}
)");
}

}  // namespace
}  // namespace kiln::opt

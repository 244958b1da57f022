#include "codegen/opt/inline.h"

#include <string>
#include <vector>

#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/pass.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

// Function k of `text` is wasm function k.
std::vector<ir::Function> Parse(const char* text) {
  auto fs = ir::ParseFunctions(text);
  EXPECT_TRUE(fs.ok()) << fs.status();
  for (const ir::Function& f : *fs) {
    EXPECT_TRUE(ir::VerifyFunction(f).ok()) << ir::VerifyFunction(f);
  }
  return *std::move(fs);
}

struct Module {
  std::vector<ir::Function> funcs;
  std::vector<InlineBody> bodies;
  explicit Module(const char* text) : funcs(Parse(text)) {
    for (const ir::Function& f : funcs) bodies.push_back(PrepareInlineBody(f));
  }
  InlineLookup Lookup() const {
    return [this](uint32_t i) -> const InlineBody* {
      return i < bodies.size() ? &bodies[i] : nullptr;
    };
  }
  // Interprets function `k`, its calls by interpreting the callee.
  ir::InterpOutcome Run(const ir::Function& f,
                        std::vector<uint64_t> args) const {
    ir::InterpOptions o;
    o.call_handler = [this](const ir::Function& caller, ir::Inst call,
                            absl::Span<const uint64_t> a)
        -> absl::StatusOr<ir::InterpOutcome> {
      const ir::ExtFuncData& e =
          caller.ext_func(ir::FuncRef(caller.inst(call).ref));
      return Run(funcs[e.func_index],
                 std::vector<uint64_t>(a.begin(), a.end()));
    };
    auto r = ir::Interpret(f, args, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ir::InterpOutcome();
  }
};

int CountCalls(const ir::Function& f) {
  int n = 0;
  for (ir::Block b : f.blocks()) {
    for (ir::Inst i : f.insts(b)) n += ir::IsCall(f.opcode(i));
  }
  return n;
}

constexpr char kModule[] = R"(
function %caller(i64, i64, i32, i32) -> i32 {
    sig0 = (i64, i64, i32, i32) -> i32
    sig1 = (i64, i64, i32) -> i32, i32
    fn0 = func 1 sig0
    fn1 = func 2 sig1
block0(v0: i64, v1: i64, v2: i32, v3: i32):
    v4 = call fn0(v0, v0, v2, v3)
    v5 = call fn0(v0, v0, v4, v2)
    v6, v7 = call fn1(v0, v0, v5)
    v8 = iadd v6, v7
    return v8
}

function %max(i64, i64, i32, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32, v3: i32):
    v4 = icmp sgt v2, v3
    brif v4, block1, block2
block1:
    return v2
block2:
    jump block3(v3)
block3(v5: i32):
    return v5
}

function %divmod10(i64, i64, i32) -> i32, i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iconst.i32 10
    @0042 v4 = sdiv v2, v3
    v5 = srem v2, v3
    return v4, v5
}
)";

TEST(InlineTest, SplicesAndKeepsBehaviour) {
  Module m(kModule);
  ir::Function f = m.funcs[0];
  EXPECT_EQ(InlineCalls(f, 0, m.Lookup()), 3);
  ASSERT_TRUE(ir::VerifyFunction(f).ok())
      << ir::VerifyFunction(f) << "\n" << ir::PrintFunction(f);
  EXPECT_EQ(CountCalls(f), 0) << ir::PrintFunction(f);
  for (int64_t a : {-7, 0, 3, 99, -100}) {
    for (int64_t b : {-1, 5, 42}) {
      std::vector<uint64_t> args = {0, 0, static_cast<uint32_t>(a),
                                    static_cast<uint32_t>(b)};
      EXPECT_EQ(m.Run(m.funcs[0], args), m.Run(f, args)) << a << " " << b;
    }
  }
  // The default pipeline cleans up the continuation blocks and still
  // verifies.
  PassManager pm(/*verify_each=*/true);
  AddDefaultPipeline(pm);
  ASSERT_TRUE(pm.Run(f).ok());
  EXPECT_EQ(m.Run(m.funcs[0], {0, 0, 4, 9}), m.Run(f, {0, 0, 4, 9}));
}

TEST(InlineTest, TrapCodeAndSrclocOfTheCallee) {
  Module m(R"(
function %caller(i64, i64, i32) -> i32 {
    sig0 = (i64, i64, i32) -> i32
    fn0 = func 1 sig0
block0(v0: i64, v1: i64, v2: i32):
    @0010 v3 = call fn0(v0, v0, v2)
    return v3
}

function %inv(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iconst.i32 100
    @0042 v4 = udiv v3, v2
    return v4
}
)");
  ir::Function f = m.funcs[0];
  ASSERT_EQ(InlineCalls(f, 0, m.Lookup()), 1);
  ASSERT_TRUE(ir::VerifyFunction(f).ok()) << ir::VerifyFunction(f);
  ir::InterpOutcome r = m.Run(f, {0, 0, 0});
  EXPECT_TRUE(r.trapped);
  EXPECT_EQ(r.trap, ir::TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(m.Run(f, {0, 0, 7}).results, std::vector<uint64_t>{14});
  bool found = false;
  for (ir::Block b : f.blocks()) {
    for (ir::Inst i : f.insts(b)) {
      if (f.opcode(i) == ir::Opcode::kUdiv) {
        EXPECT_EQ(f.inst(i).srcloc, 0x42u);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << ir::PrintFunction(f);
}

TEST(InlineTest, TailCallSiteAndCallsInsideTheCallee) {
  Module m(R"(
function %caller(i64, i64, i32) -> i32 {
    sig0 = (i64, i64, i32) -> i32
    fn0 = func 1 sig0
    fn1 = func 2 sig0
block0(v0: i64, v1: i64, v2: i32):
    v3 = call fn0(v0, v0, v2)
    v4 = call tail fn1(v0, v0, v3)
    return v4
}

function %twice(i64, i64, i32) -> i32 {
    sig0 = (i64, i64, i32) -> i32
    fn0 = func 2 sig0
block0(v0: i64, v1: i64, v2: i32):
    v3 = call fn0(v0, v0, v2)
    v4 = call fn0(v0, v0, v3)
    return v4
}

function %inc(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iadd_imm v2, 1
    return v3
}
)");
  ir::Function f = m.funcs[0];
  // One level: %twice's calls of %inc stay calls; the tail call of %inc
  // is not inlined.
  ASSERT_EQ(InlineCalls(f, 0, m.Lookup()), 1);
  ASSERT_TRUE(ir::VerifyFunction(f).ok())
      << ir::VerifyFunction(f) << "\n" << ir::PrintFunction(f);
  EXPECT_EQ(CountCalls(f), 3);
  EXPECT_EQ(m.Run(f, {0, 0, 5}).results, std::vector<uint64_t>{8});
}

TEST(InlineTest, NeverInlinesSelfTailCallersOrOverBudget) {
  Module m(R"(
function %self(i64, i64, i32) -> i32 {
    sig0 = (i64, i64, i32) -> i32
    fn0 = func 0 sig0
    fn1 = func 1 sig0
block0(v0: i64, v1: i64, v2: i32):
    v3 = call fn0(v0, v0, v2)
    v4 = call fn1(v0, v0, v3)
    return v4
}

function %tail(i64, i64, i32) -> i32 {
    sig0 = (i64, i64, i32) -> i32
    fn0 = func 0 sig0
block0(v0: i64, v1: i64, v2: i32):
    v3 = call tail fn0(v0, v0, v2)
    return v3
}
)");
  EXPECT_FALSE(m.bodies[1].inlinable);
  ir::Function f = m.funcs[0];
  EXPECT_EQ(InlineCalls(f, 0, m.Lookup()), 0);

  Module big(kModule);
  ir::Function g = big.funcs[0];
  // %max is 5 instructions, %divmod10 4: room for the two calls of %max.
  InlineBudget budget;
  budget.min_growth = 12;
  budget.growth_factor = 0;
  EXPECT_EQ(InlineCalls(g, 0, big.Lookup(), budget), 2);
  EXPECT_EQ(CountCalls(g), 1);
  ASSERT_TRUE(ir::VerifyFunction(g).ok()) << ir::VerifyFunction(g);
}

}  // namespace
}  // namespace kiln::opt

#include "codegen/ir/builder.h"

#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

Signature Sig(std::vector<Type> p, std::vector<Type> r) {
  return Signature{std::move(p), std::move(r)};
}

TEST(BuilderTest, StraightLine) {
  Function f("add", Sig({Type::kI64, Type::kI64, Type::kI32, Type::kI32},
                        {Type::kI32}));
  FunctionBuilder b(&f);
  Block entry = b.CreateBlock();
  b.AppendEntryParams(entry);
  b.SwitchToBlock(entry);
  b.SealBlock(entry);
  auto p = f.block_params(entry);
  Value sum = b.Iadd(p[2], p[3]);
  Value k = b.Iconst(Type::kI32, -1);
  Value r = b.Band(sum, k);
  Value c = b.Icmp(IntCC::kUlt, r, p[2]);
  Value x = b.Uextend(Type::kI64, c);
  Value mem = b.Load(Type::kI64, kMemNotrap | kMemAligned, p[0], 8);
  Value l = b.HeapUload8(Type::kI32, mem, p[2], 3);
  b.HeapIstore32(x, mem, p[3], 0);
  b.Trapnz(l, TrapCode::kUnreachableCodeReached);
  b.Return({r});
  EXPECT_TRUE(b.IsFilled());
  ASSERT_TRUE(VerifyFunction(f).ok()) << VerifyFunction(f) << PrintFunction(f);
  EXPECT_EQ(PrintFunction(f), R"(function %add(i64, i64, i32, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32, v3: i32):
    v4 = iadd v2, v3
    v5 = iconst.i32 -1
    v6 = band v4, v5
    v7 = icmp ult v6, v2
    v8 = uextend.i64 v7
    v9 = load.i64 notrap aligned v0+8
    v10 = heap_uload8.i32 v9, v2+3
    heap_istore32 v8, v9, v3
    trapnz v10, unreachable_code_reached
    return v6
}
)");
}

// while (n != 0) { acc += n; n -= 1; } return acc;
TEST(BuilderTest, VariablesInALoop) {
  Function f("loop", Sig({Type::kI64, Type::kI64, Type::kI32}, {Type::kI32}));
  FunctionBuilder b(&f);
  Block entry = b.CreateBlock();
  Block header = b.CreateBlock();
  Block body = b.CreateBlock();
  Block exit = b.CreateBlock();
  b.AppendEntryParams(entry);
  b.SwitchToBlock(entry);
  b.SealBlock(entry);
  Variable n = b.DeclareVar(Type::kI32);
  Variable acc = b.DeclareVar(Type::kI32);
  b.DefVar(n, f.block_params(entry)[2]);
  b.DefVar(acc, b.Iconst(Type::kI32, 0));
  b.Jump(header);

  b.SwitchToBlock(header);  // Not sealed: the back edge is still to come.
  b.Brif(b.UseVar(n), body, {}, exit, {});

  b.SwitchToBlock(body);
  b.SealBlock(body);
  Value acc_v = b.UseVar(acc);
  Value n_v = b.UseVar(n);
  b.DefVar(acc, b.Iadd(acc_v, n_v));
  b.DefVar(n, b.IaddImm(b.UseVar(n), -1));
  b.Jump(header);
  b.SealBlock(header);

  b.SwitchToBlock(exit);
  b.SealBlock(exit);
  b.Return({b.UseVar(acc)});

  ASSERT_TRUE(VerifyFunction(f).ok()) << VerifyFunction(f) << PrintFunction(f);
  EXPECT_EQ(PrintFunction(f), R"(function %loop(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iconst.i32 0
    jump block1(v2, v3)
block1(v4: i32, v5: i32):
    brif v4, block2, block3
block2:
    v6 = iadd v5, v4
    v7 = iadd_imm v4, -1
    jump block1(v7, v6)
block3:
    return v5
}
)");
}

TEST(BuilderTest, UndefinedVariableIsZero) {
  Function f("z", Sig({}, {Type::kF64}));
  FunctionBuilder b(&f);
  Block entry = b.CreateBlock();
  b.SwitchToBlock(entry);
  b.SealBlock(entry);
  Variable x = b.DeclareVar(Type::kF64);
  b.Return({b.UseVar(x)});
  ASSERT_TRUE(VerifyFunction(f).ok()) << VerifyFunction(f);
  EXPECT_EQ(PrintFunction(f), R"(function %z() -> f64 {
block0:
    v0 = f64const 0
    return v0
}
)");
}

TEST(BuilderTest, CallsAndBrTable) {
  Function f("c", Sig({Type::kI64, Type::kI64, Type::kI32}, {}));
  SigRef s = f.DeclareSignature(Sig({Type::kI64, Type::kI64}, {Type::kI32, Type::kI64}));
  FuncRef fn = f.DeclareFunction(7, s);
  FunctionBuilder b(&f);
  Block entry = b.CreateBlock();
  Block a = b.CreateBlock();
  Block c = b.CreateBlock();
  b.AppendEntryParams(entry);
  b.SwitchToBlock(entry);
  auto p = f.block_params(entry);
  Value vm = p[0];
  Inst call = b.Call(fn, {vm, vm});
  ASSERT_EQ(f.results(call).size(), 2u);
  EXPECT_EQ(f.value_type(f.results(call)[1]), Type::kI64);
  Value code = b.Load(Type::kI64, kMemNotrap, vm, 40);
  b.CallIndirect(s, code, {vm, vm});
  Block table[] = {a, c, a};
  b.BrTable(p[2], c, table);
  b.SwitchToBlock(a);
  b.Return();
  b.SwitchToBlock(c);
  b.Trap(TrapCode::kIndirectCallToNull);
  b.SealAllBlocks();
  ASSERT_TRUE(VerifyFunction(f).ok()) << VerifyFunction(f) << PrintFunction(f);
  EXPECT_EQ(PrintFunction(f), R"(function %c(i64, i64, i32) {
    sig0 = (i64, i64) -> i32, i64
    fn0 = func 7 sig0

block0(v0: i64, v1: i64, v2: i32):
    v3, v4 = call fn0(v0, v0)
    v5 = load.i64 notrap v0+40
    v6, v7 = call_indirect sig0, v5(v0, v0)
    br_table v2, block2, [block1, block2, block1]
block1:
    return
block2:
    trap indirect_call_to_null
}
)");
}

// 200k if/else diamonds between a definition and its use: the variable
// lookup must not recurse once per merge.
TEST(BuilderTest, DeepMergeChainsDoNotRecurse) {
  Function f("deep", Sig({Type::kI32}, {Type::kI32}));
  FunctionBuilder b(&f);
  Block entry = b.CreateBlock();
  b.AppendEntryParams(entry);
  b.SwitchToBlock(entry);
  b.SealBlock(entry);
  Variable x = b.DeclareVar(Type::kI32);
  b.DefVar(x, f.block_params(entry)[0]);
  Value c = f.block_params(entry)[0];
  constexpr int kDiamonds = 200000;
  for (int k = 0; k < kDiamonds; ++k) {
    Block t = b.CreateBlock(), e = b.CreateBlock(), j = b.CreateBlock();
    b.Brif(c, t, {}, e, {});
    b.SealBlock(t);
    b.SealBlock(e);
    b.SwitchToBlock(t);
    b.Jump(j);
    b.SwitchToBlock(e);
    b.Jump(j);
    b.SwitchToBlock(j);
    b.SealBlock(j);
  }
  b.Return({b.UseVar(x)});
  // One param per join: the builder does no trivial-param removal.
  EXPECT_EQ(f.block_params(b.current_block()).size(), 1u);
  EXPECT_TRUE(VerifyFunction(f).ok()) << VerifyFunction(f);
}

}  // namespace
}  // namespace kiln::ir

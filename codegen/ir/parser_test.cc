#include "codegen/ir/parser.h"

#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

constexpr char kFull[] = R"(function %all(i64, i64, i32, f32, f64) -> i32, i64 {
    sig0 = (i64, i64, i32) -> i32
    sig1 = (i64, i64)
    fn0 = func 3 sig0

block0(v0: i64, v1: i64, v2: i32, v3: f32, v4: f64):
    v5 = iconst.i32 -1
    v6 = iconst.i64 16
    v7 = f32const 1.5
    v8 = f64const 0x7ff8000000000001
    v9 = iadd v2, v5
    v10 = sdiv v9, v2
    v11 = iadd_imm v6, -3
    v12 = icmp slt v9, v2
    v13 = fcmp ne v3, v7
    v14 = fadd v4, v8
    v15 = uextend.i64 v2
    v16 = fcvt_to_sint_sat.i32 v3
    v17 = bitcast.i64 v14
    v18 = select v12, v9, v16
    v19 = load.i64 notrap aligned v0+16
    store notrap aligned v19, v0-8
    v20 = heap_load.i32 v19, v2+4
    v21 = heap_sload8.i64 v19, v2
    heap_istore16 v9, v19, v2+65535
    heap_store v4, v19, v2
    trapz v2, integer_division_by_zero
    v22 = call fn0(v0, v0, v9)
    v23 = load.i64 notrap v0+32
    call_indirect sig1, v23(v0, v0)
    v24 = sextend32 v6
    v25 = fdemote.f32 v14
    v26 = fcvt_to_uint.i64 v25
    brif v13, block1(v22), block2
block1(v27: i32):
    br_table v27, block3, [block4, block3]
block2:
    jump block1(v18)
block3:
    return v27, v17
block4:
    trap unreachable_code_reached
}
)";

TEST(ParserTest, RoundTripAllFormats) {
  auto f = ParseFunction(kFull);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(PrintFunction(*f), kFull);
  EXPECT_TRUE(VerifyFunction(*f).ok()) << VerifyFunction(*f);
  auto g = ParseFunction(PrintFunction(*f));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintFunction(*g), PrintFunction(*f));
}

TEST(ParserTest, CommentsAndForwardReferences) {
  // block2 is laid out before block1, whose value it uses.
  auto f = ParseFunction(R"(
; leading comment
function %fwd(i32) -> i32 {
block0(v0: i32):   ; entry
    jump block1
block2:
    v3 = iadd v2, v2   ; v2 defined later in the text
    return v3
block1:
    v2 = iadd v0, v0
    jump block2
}
)");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->value_type(Value(3)), Type::kI32);
  EXPECT_TRUE(VerifyFunction(*f).ok()) << VerifyFunction(*f);
}

TEST(ParserTest, ErrorsHaveLineAndColumn) {
  auto f = ParseFunction("function %e() {\nblock0:\n    v1 = bogus v0\n}\n");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "3:10: unknown opcode 'bogus'");

  f = ParseFunction("function %e() {\nblock0:\n    v1 = iadd v7, v7\n    return\n}\n");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "3:15: use of undefined value v7");

  f = ParseFunction("function %e() {\nblock0:\n    jump block9\n}\n");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "3:10: reference to undefined block9");

  f = ParseFunction("function %e() {\nblock0:\n    v1 = iconst 1\n}\n");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "3:10: 'iconst' needs a type suffix");
}

TEST(ParserTest, FloatConstantsRoundTripBitExactly) {
  const char* text = R"(function %c() {
block0:
    v0 = f32const -0
    v1 = f32const 0x7fc00001
    v2 = f32const 0xff800000
    v3 = f32const 1.00000012
    v4 = f64const 0.10000000000000001
    v5 = f64const 4.9406564584124654e-324
    return
}
)";
  auto f = ParseFunction(text);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(PrintFunction(*f), text);
  EXPECT_EQ(f->inst(Inst(0)).imm, 0x80000000);
}

TEST(ParserTest, SourceLocationsAndBuiltins) {
  const char* text = R"(function %s(i64, i64, i32) -> i32 {
    sig0 = (i64, i32) -> i32
    fn0 = builtin 2 sig0

block0(v0: i64, v1: i64, v2: i32):
    @001a v3 = call fn0(v0, v2)
    @a0ff trapz v3, integer_division_by_zero
    return v3
}
)";
  auto f = ParseFunction(text);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(PrintFunction(*f), text);
  EXPECT_EQ(f->ext_func(FuncRef(0)).kind, ExtFuncKind::kBuiltin);
  EXPECT_EQ(f->inst(Inst(0)).srcloc, 0x1au);
  EXPECT_EQ(f->inst(Inst(1)).srcloc, 0xa0ffu);
  EXPECT_EQ(f->inst(Inst(2)).srcloc, kNoSrcLoc);
  EXPECT_TRUE(VerifyFunction(*f).ok()) << VerifyFunction(*f);
}

TEST(ParserTest, FunctionNamesWithPunctuation) {
  auto f = ParseFunction("function %$fac-rec.1(i32) {\nblock0(v0: i32):\n    return\n}\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->name(), "$fac-rec.1");
}

TEST(ParserTest, MultipleFunctions) {
  auto fs = ParseFunctions(
      "function %a() {\nblock0:\n return\n}\nfunction %b() {\nblock0:\n "
      "return\n}\n");
  ASSERT_TRUE(fs.ok()) << fs.status();
  ASSERT_EQ(fs->size(), 2u);
  EXPECT_EQ((*fs)[1].name(), "b");
}

}  // namespace
}  // namespace kiln::ir

#include "codegen/translate/translator.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/translate/test_util.h"
#include "gtest/gtest.h"

namespace kiln::translate {
namespace {

// Translates every defined function of `wat`; returns their IR text (each
// verified) or the first error.
absl::StatusOr<std::string> TranslateWat(std::string_view wat,
                                         TranslateOptions options = {}) {
  auto module = testing::WatToModule(wat);
  if (!module.ok()) return module.status();
  FunctionTranslator t(**module, options);
  std::string out;
  for (uint32_t i = (*module)->num_imported_functions;
       i < (*module)->functions.size(); ++i) {
    ir::Function f;
    absl::Status s = t.Translate(i, &f);
    if (!s.ok()) return s;
    std::string text = ir::PrintFunction(f);
    absl::Status v = ir::VerifyFunction(f);
    if (!v.ok()) {
      return absl::InternalError(absl::StrCat(v.message(), "\n", text));
    }
    out += text;
  }
  return out;
}

TEST(TranslatorTest, Dump) {
  auto r = TranslateWat(R"(
    (module
      (type $t (func (param i32) (result i32)))
      (import "env" "h" (func $h (param i32) (result i32)))
      (memory 1)
      (global $g (mut i32) (i32.const 0))
      (table 2 funcref)
      (func $sum (param $n i32) (result i32) (local $s i32)
        (block $done
          (loop $top
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $s (i32.add (local.get $s) (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $top)))
        (local.get $s))
      (func $mem (param i32) (result i64)
        (i32.store offset=4 (local.get 0) (i32.const 7))
        (i64.load32_u offset=8 (local.get 0)))
      (func $calls (param i32) (result i32)
        (call $h (local.get 0))
        (call_indirect (type $t) (i32.const 1))
        (call $sum))
      (func $multi (param i32) (result i32 i64)
        (local.get 0) (i64.const 5))
      (func $sw (param i32) (result i32)
        (block $x (block $y (br_table $x $y $x (local.get 0)))
          (return (i32.const 2)))
        (block $a (result i32)
          (drop (block $b (result i32)
            (br_table $a $b $a (i32.const 10) (local.get 0))))
          (i32.const 3)))
      (func $ifs (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (global.get $g))
          (else (memory.grow (i32.const 1)))))
    ))");
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << *r;
}

TEST(TranslatorTest, DeadCodeAfterNeverReachedEnd) {
  auto r = TranslateWat(R"(
    (module
      (func (param i32) (result i32)
        (block $b (result i32) (return (i32.const 1)))
        (i32.add (local.get 0)))
      (func (param i32) (result i32)
        (loop $l (br $l))
        (i32.const 5))
      (func (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (unreachable))
          (else (return (i32.const 3))))
        (drop) (i32.const 4)))
  )");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, R"(function %f0(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    @001d v4 = iconst.i32 1
    @001f return v4
}
function %f1(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    @0027 jump block1
block1:
    @0029 jump block1
}
function %f2(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    @0033 brif v2, block2, block3
block2:
    @0035 trap unreachable_code_reached
block3:
    @0037 v4 = iconst.i32 3
    @0039 return v4
}
)");
}

// A local first read after an inner merge resolves to that merge's
// parameter, which must not be reused after the outer construct (an early
// br_if skips the inner merge).
TEST(TranslatorTest, LocalCacheRespectsDominance) {
  auto r = TranslateWat(R"(
    (module
      (func (param i32 i32) (result i32)
        (block $c
          (br_if $c (local.get 0))
          (if (local.get 0) (then (nop)) (else (nop)))
          (drop (local.get 1)))
        (local.get 1))
      (func (param i32 i32) (result i32)
        (block $c
          (if (local.get 0) (then (local.set 1 (i32.const 9))))
          (drop (local.get 1))
          (br_if $c (local.get 0))
          (local.set 1 (i32.const 3)))
        (local.get 1)))
  )");
  ASSERT_TRUE(r.ok()) << r.status();
}

}  // namespace
}  // namespace kiln::translate

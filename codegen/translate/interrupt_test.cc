// Fuel and epoch checks in the translated IR (TranslateOptions::consume_fuel
// and epoch_interruption): where they go, what a block is charged, and that
// neither option leaves a trace when it is off.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/translate/test_util.h"
#include "codegen/translate/translator.h"
#include "gtest/gtest.h"

namespace kiln::translate {
namespace {

absl::StatusOr<std::string> TranslateWat(std::string_view wat,
                                         TranslateOptions options) {
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

int Count(std::string_view hay, std::string_view needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos;
       p = hay.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

constexpr std::string_view kLoopModule = R"(
  (module
    (func $sum (param $n i32) (result i32) (local $s i32)
      (block $done
        (loop $top
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $top)))
      (local.get $s))
    (func $add (param i32) (result i32)
      (i32.add (local.get 0) (i32.const 1)))
    (func $nested (param i32) (result i32)
      (loop $a (result i32)
        (loop $b
          (br_if $b (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (br_if $a (local.get 0))
        (local.get 0))))
)";

TEST(InterruptTranslateTest, OffMeansNoChecks) {
  TranslateOptions off;
  ASSERT_FALSE(off.consume_fuel);
  ASSERT_FALSE(off.epoch_interruption);
  auto r = TranslateWat(kLoopModule, off);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(absl::StrContains(*r, "out_of_fuel")) << *r;
  EXPECT_FALSE(absl::StrContains(*r, "call_indirect")) << *r;  // NewEpoch
  // Nothing reads the store's VMRuntimeLimits (vmctx+8).
  EXPECT_FALSE(absl::StrContains(*r, "+8\n")) << *r;
}

TEST(InterruptTranslateTest, FuelChecksAtEntryAndLoopHeaders) {
  TranslateOptions o;
  o.consume_fuel = true;
  auto r = TranslateWat(kLoopModule, o);
  ASSERT_TRUE(r.ok()) << r.status();
  // One OutOfFuel call per check (it refuels or traps; no trap site):
  // $sum: entry + 1 loop; $add: entry; $nested: entry + 2 loops.
  EXPECT_EQ(Count(*r, "call_indirect"), 6) << *r;
  EXPECT_FALSE(absl::StrContains(*r, "out_of_fuel")) << *r;
  // $add is straight-line: local.get, i32.const, i32.add = 3 before return.
  EXPECT_TRUE(absl::StrContains(*r, "iadd_imm")) << *r;
}

TEST(InterruptTranslateTest, EpochChecksAtEntryAndLoopHeaders) {
  TranslateOptions o;
  o.epoch_interruption = true;
  auto r = TranslateWat(kLoopModule, o);
  ASSERT_TRUE(r.ok()) << r.status();
  // One NewEpoch call per check: 3 entries + 3 loops.
  EXPECT_EQ(Count(*r, "call_indirect"), 6) << *r;
  EXPECT_FALSE(absl::StrContains(*r, "out_of_fuel")) << *r;
}

TEST(InterruptTranslateTest, BothOnVerifiesForEveryConstruct) {
  TranslateOptions o;
  o.epoch_interruption = true;
  o.consume_fuel = true;
  auto r = TranslateWat(R"(
    (module
      (type $t (func (param i32) (result i32)))
      (import "env" "h" (func $h (param i32) (result i32)))
      (memory 1)
      (table 2 funcref)
      (func $calls (param i32) (result i32)
        (call $h (local.get 0))
        (call_indirect (type $t) (i32.const 1))
        (drop)
        (i32.const 3)
        (loop $l (param i32) (result i32)
          (i32.const 1) (i32.sub) (local.tee 0) (local.get 0) (br_if $l)))
      (func $sw (param i32) (result i32) (local v128 f64)
        (block $x (block $y (br_table $x $y $x (local.get 0)))
          (return (i32.const 2)))
        (if (result i32) (local.get 0)
          (then (i32.const 1)) (else (unreachable))))
    ))",
                        o);
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << *r;
}

}  // namespace
}  // namespace kiln::translate
